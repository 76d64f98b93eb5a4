#include "server/persistence/aof.h"

#include <strings.h>

#include <algorithm>
#include <charconv>

#include <fmt/core.h>

#include "common/resp/value.h"

namespace tessera::aof {

namespace {

// Splits a manifest line into tokens; a token may be double-quoted with \\ and \" escapes.
bool Tokens(std::string_view line, std::vector<std::string>* out) {
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    std::string tok;
    if (line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        char c = line[i++];
        if (c == '\\' && i < line.size()) {
          tok.push_back(line[i++]);
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          tok.push_back(c);
        }
      }
      if (!closed) return false;
    } else {
      while (i < line.size() && line[i] != ' ' && line[i] != '\t') tok.push_back(line[i++]);
    }
    out->push_back(std::move(tok));
  }
  return true;
}

bool NeedsQuotes(std::string_view s) {
  for (char c : s) {
    if (c == ' ' || c == '"' || c == '\\' || static_cast<unsigned char>(c) < 32) return true;
  }
  return s.empty();
}

}  // namespace

const ManifestFile* Manifest::base() const {
  for (const auto& f : files) {
    if (f.type == 'b') return &f;
  }
  return nullptr;
}

std::vector<const ManifestFile*> Manifest::incrs() const {
  std::vector<const ManifestFile*> out;
  for (const auto& f : files) {
    if (f.type == 'i') out.push_back(&f);
  }
  return out;
}

int64_t Manifest::last_base_seq() const {
  const ManifestFile* b = base();
  return b == nullptr ? 0 : b->seq;
}

int64_t Manifest::last_incr_seq() const {
  int64_t s = 0;
  for (const auto& f : files) {
    if (f.type == 'i') s = std::max(s, f.seq);
  }
  return s;
}

std::string Manifest::Serialize() const {
  std::string out;
  for (const auto& f : files) {
    std::string name = f.name;
    if (NeedsQuotes(name)) {
      std::string q = "\"";
      for (char c : name) {
        if (c == '"' || c == '\\') q.push_back('\\');
        q.push_back(c);
      }
      name = q + "\"";
    }
    out += fmt::format("file {} seq {} type {}\n", name, f.seq, f.type);
  }
  return out;
}

bool Manifest::Parse(std::string_view text, Manifest* out, std::string* err) {
  out->files.clear();
  size_t lineno = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> tok;
    if (!Tokens(line, &tok) || tok.size() % 2 != 0) {
      *err = fmt::format("Invalid AOF manifest file format (line {})", lineno);
      return false;
    }
    ManifestFile f;
    bool have_name = false, have_seq = false, have_type = false;
    for (size_t i = 0; i < tok.size(); i += 2) {
      const std::string& k = tok[i];
      const std::string& v = tok[i + 1];
      if (k == "file") {
        f.name = v;
        have_name = !v.empty() && v.find('/') == std::string::npos;
      } else if (k == "seq") {
        auto r = std::from_chars(v.data(), v.data() + v.size(), f.seq);
        have_seq = r.ec == std::errc() && r.ptr == v.data() + v.size() && f.seq > 0;
      } else if (k == "type") {
        have_type = v.size() == 1 && (v[0] == 'b' || v[0] == 'i' || v[0] == 'h');
        if (have_type) f.type = v[0];
      }
    }
    if (!have_name || !have_seq || !have_type) {
      *err = fmt::format("Invalid AOF manifest file format (line {})", lineno);
      return false;
    }
    if (f.type == 'b' && out->base() != nullptr) {
      *err = "Found duplicate base file information in the AOF manifest";
      return false;
    }
    out->files.push_back(std::move(f));
  }
  return true;
}

std::string BaseName(std::string_view prefix, int64_t seq, bool rdb_preamble) {
  return fmt::format("{}.{}.base.{}", prefix, seq, rdb_preamble ? "rdb" : "aof");
}

std::string IncrName(std::string_view prefix, int64_t seq) {
  return fmt::format("{}.{}.incr.aof", prefix, seq);
}

std::string ManifestName(std::string_view prefix) { return fmt::format("{}.manifest", prefix); }

void AppendCommand(std::string& out, std::span<const std::string> argv) {
  resp::AppendCommand(out, argv);
}

void AppendCommandInDb(std::string& out, int dbid, int* selected_db,
                       std::span<const std::string> argv) {
  if (dbid != *selected_db) {
    std::string sel[2] = {"SELECT", std::to_string(dbid)};
    AppendCommand(out, sel);
    *selected_db = dbid;
  }
  AppendCommand(out, argv);
}

CommandReader::Result CommandReader::Next(std::vector<std::string>* argv) {
  argv->clear();
  for (;;) {
    start_ = pos_;
    if (pos_ >= data_.size()) return Result::kEnd;
    // Annotations ("#TS:<unix time>\r\n" with aof-timestamp-enabled) are skipped.
    if (data_[pos_] != '#') break;
    size_t nl = data_.find('\n', pos_);
    if (nl == std::string_view::npos) return Result::kTruncated;
    pos_ = nl + 1;
  }
  size_t p = pos_;
  // A decimal number after a type byte, up to CRLF.
  auto number = [&](char type, int64_t* n) -> Result {
    if (p >= data_.size()) return Result::kTruncated;
    if (data_[p] != type) {
      error_ = fmt::format("expected '{}', got '{}'", type, data_[p]);
      return Result::kCorrupt;
    }
    size_t nl = data_.find('\n', p);
    if (nl == std::string_view::npos) return Result::kTruncated;
    if (nl == p + 1 || data_[nl - 1] != '\r') {
      error_ = "malformed length line";
      return Result::kCorrupt;
    }
    auto r = std::from_chars(data_.data() + p + 1, data_.data() + nl - 1, *n);
    if (r.ec != std::errc() || r.ptr != data_.data() + nl - 1 || *n < 0) {
      error_ = "invalid length";
      return Result::kCorrupt;
    }
    p = nl + 1;
    return Result::kCommand;
  };
  int64_t count;
  if (Result r = number('*', &count); r != Result::kCommand) return r;
  if (count < 1) {
    error_ = "empty command";
    return Result::kCorrupt;
  }
  for (int64_t i = 0; i < count; ++i) {
    int64_t len;
    if (Result r = number('$', &len); r != Result::kCommand) return r;
    if (data_.size() - p < static_cast<size_t>(len) + 2) return Result::kTruncated;
    if (data_[p + static_cast<size_t>(len)] != '\r' ||
        data_[p + static_cast<size_t>(len) + 1] != '\n') {
      error_ = "missing CRLF after an argument";
      return Result::kCorrupt;
    }
    argv->emplace_back(data_.substr(p, static_cast<size_t>(len)));
    p += static_cast<size_t>(len) + 2;
  }
  pos_ = p;
  const std::string& name = (*argv)[0];
  if (strcasecmp(name.c_str(), "multi") == 0) {
    in_multi_ = true;
    multi_start_ = start_;
  } else if (strcasecmp(name.c_str(), "exec") == 0 || strcasecmp(name.c_str(), "discard") == 0) {
    in_multi_ = false;
  }
  return Result::kCommand;
}

}  // namespace tessera::aof
