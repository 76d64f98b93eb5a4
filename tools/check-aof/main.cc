// tessera-check-aof [--fix] [--yes] FILE|MANIFEST: checks an append-only file, or every file a
// multi-part manifest names (the base as RDB or commands, then the incremental files), and
// reports where the valid part ends. --fix cuts a damaged tail off the last file after asking
// (or without asking with --yes); damage anywhere else cannot be cut off without losing what
// follows, so it is only reported. Exit code 0: valid (or fixed), 1: damaged, 2: usage.
#include <sys/stat.h>
#include <strings.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <iostream>
#include <string>
#include <vector>

#include "server/keyspace/keyspace.h"
#include "common/file.h"
#include "server/persistence/aof.h"
#include "server/persistence/rdb_file.h"

namespace {

using tessera::aof::CommandReader;

struct Verdict {
  bool ok = true;
  size_t valid_up_to = 0;  // bytes of complete commands (before an open MULTI)
  size_t size = 0;
  std::string why;
};

Verdict CheckCommands(const std::string& data) {
  Verdict v;
  v.size = data.size();
  CommandReader r(data);
  std::vector<std::string> argv;
  CommandReader::Result res;
  while ((res = r.Next(&argv)) == CommandReader::Result::kCommand) {
  }
  v.valid_up_to = r.safe_end();
  if (res == CommandReader::Result::kEnd && !r.in_multi()) return v;
  v.ok = false;
  v.why = res == CommandReader::Result::kCorrupt ? r.error()
          : res == CommandReader::Result::kTruncated ? "the file ends inside a command"
                                                       : "a MULTI without EXEC at the end";
  return v;
}

Verdict CheckRdb(const std::string& data) {
  using namespace tessera;
  Verdict v;
  v.size = data.size();
  Keyspace ks(1024, 0, nullptr);
  rdb::DefaultLimits limits;
  rdb::LoadOptions o;
  o.limits = limits.Get();
  o.drop_expired = false;
  rdb::LoadResult res;
  if (!rdb::Load(data, ks, o, &res, &v.why)) {
    v.ok = false;
    return v;
  }
  v.valid_up_to = data.size();
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Checks (and with --fix repairs the tail of) an append-only file or manifest."};
  std::string path;
  bool fix = false, yes = false;
  app.add_option("file", path, "an AOF file, or the .manifest of a multi-part AOF folder")
      ->required();
  app.add_flag("--fix", fix, "cut a damaged tail off the last file");
  app.add_flag("-y,--yes", yes, "with --fix: do not ask");
  CLI11_PARSE(app, argc, argv);

  std::string text;
  if (!tessera::ReadWholeFile(path, &text)) {
    fmt::print("Cannot open {}\n", path);
    return 1;
  }
  std::vector<std::pair<std::string, bool>> files;  // path, is base
  bool is_manifest = text.rfind("file ", 0) == 0 ||
                     (path.size() > 9 && path.compare(path.size() - 9, 9, ".manifest") == 0);
  if (is_manifest) {
    tessera::aof::Manifest m;
    std::string err;
    if (!tessera::aof::Manifest::Parse(text, &m, &err)) {
      fmt::print("Invalid manifest {}: {}\n", path, err);
      return 1;
    }
    std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
    if (const auto* b = m.base()) files.emplace_back(dir + "/" + b->name, true);
    for (const auto* f : m.incrs()) files.emplace_back(dir + "/" + f->name, false);
    fmt::print("Checking the multi-part AOF of {} ({} files)\n", path, files.size());
  } else {
    files.emplace_back(path, false);
  }
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& [file, base] = files[i];
    std::string data;
    if (!tessera::ReadWholeFile(file, &data)) {
      fmt::print("Cannot open {}\n", file);
      return 1;
    }
    bool rdb = data.rfind("REDIS", 0) == 0;
    Verdict v = rdb ? CheckRdb(data) : CheckCommands(data);
    if (v.ok) {
      fmt::print("{} ({}): {} bytes, valid\n", file, rdb ? "RDB" : "commands", v.size);
      continue;
    }
    fmt::print("{} ({}): {} bytes, valid up to offset {} ({} bytes after it): {}\n", file,
               rdb ? "RDB" : "commands", v.size, v.valid_up_to, v.size - v.valid_up_to, v.why);
    bool last = i + 1 == files.size();
    if (!fix) {
      fmt::print("AOF is not valid. Use --fix to cut the damaged part off{}.\n",
                 last ? "" : " (only possible in the last file)");
      return 1;
    }
    if (!last || rdb) {
      fmt::print("This damage is not at the end of the last file: cutting it off would drop "
                 "what follows. Restore from a backup or a replica.\n");
      return 1;
    }
    if (!yes) {
      fmt::print("This will shrink {} by {} bytes. Continue? [y/N]: ", file,
                 v.size - v.valid_up_to);
      std::fflush(stdout);
      std::string answer;
      std::getline(std::cin, answer);
      if (answer.empty() || (answer[0] != 'y' && answer[0] != 'Y')) {
        fmt::print("Aborted.\n");
        return 1;
      }
    }
    if (truncate(file.c_str(), static_cast<off_t>(v.valid_up_to)) != 0) {
      fmt::print("Failed to truncate {}\n", file);
      return 1;
    }
    fmt::print("Successfully truncated {} to {} bytes.\n", file, v.valid_up_to);
    return 0;
  }
  fmt::print("AOF is valid\n");
  return 0;
}
