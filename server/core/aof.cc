// The append-only file from the server's side: loading the multi-part AOF at start, feeding
// writes to it, flushing before replies leave, turning it on and off at runtime, and
// BGREWRITEAOF (a forked child writes a new base while the parent appends to a new
// incremental file, so no rewrite buffer is needed: Redis 7's design).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/core.h>

#include "common/clock.h"
#include "common/log.h"
#include "server/core/aof_log.h"
#include "server/core/memory_stats.h"
#include "server/core/server.h"
#include "server/persistence/aof.h"
#include "server/persistence/aof_rewrite.h"
#include "server/persistence/rdb_file.h"

namespace tessera {

namespace {

// A read-only mapping of a whole file.
class MappedFile {
 public:
  bool Open(const std::string& path, std::string* err) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      *err = fmt::format("Can't open the append-only file {}: {}", path, strerror(errno));
      return false;
    }
    struct stat st;
    fstat(fd, &st);
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      data_ = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (data_ == MAP_FAILED) {
        data_ = nullptr;
        close(fd);
        *err = fmt::format("Can't map the append-only file {}: {}", path, strerror(errno));
        return false;
      }
    }
    close(fd);
    return true;
  }
  ~MappedFile() {
    if (data_ != nullptr) munmap(data_, size_);
  }
  std::string_view view() const {
    return data_ == nullptr ? std::string_view() : std::string_view(static_cast<char*>(data_), size_);
  }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

// Reads the folder's manifest into log.manifest() when there is one (*found tells).
bool ReadManifest(AofLog& log, bool* found, std::string* err) {
  std::string path = log.PathOf(aof::ManifestName(log.prefix()));
  std::error_code ec;
  *found = std::filesystem::exists(path, ec);
  if (!*found) return true;
  MappedFile m;
  return m.Open(path, err) && aof::Manifest::Parse(m.view(), &log.manifest(), err);
}

std::string FixHint(const std::string& manifest_path) {
  return fmt::format("Make a backup of your AOF files, then use tessera-check-aof --fix {} to "
                     "cut the damaged part off.", manifest_path);
}

}  // namespace

AppendFsync Server::aof_fsync_policy() const {
  return static_cast<AppendFsync>(config_.appendfsync);
}

// Runs the commands of one AOF file. `last`: the final file, where a cut-off tail may be
// forgiven (aof-load-truncated).
bool Server::AofReplay(const std::string& path, bool last, Client* fake, std::string* err) {
  MappedFile f;
  if (!f.Open(path, err)) return false;
  std::string_view data = f.view();
  aof::CommandReader reader(data);
  std::vector<std::string> argv;
  std::vector<std::string_view> views;
  std::string manifest_path = aof_->PathOf(aof::ManifestName(aof_->prefix()));
  size_t since_events = 0;
  bool truncated = false;
  for (;;) {
    auto r = reader.Next(&argv);
    if (r == aof::CommandReader::Result::kEnd) break;
    if (r == aof::CommandReader::Result::kTruncated) {
      truncated = true;
      break;
    }
    if (r == aof::CommandReader::Result::kCorrupt) {
      *err = fmt::format("Bad file format reading the append only file {} at offset {}: {}. {}",
                         path, reader.offset(), reader.error(), FixHint(manifest_path));
      return false;
    }
    if (commands_.Find(argv[0]) == nullptr) {
      *err = fmt::format("Unknown command '{}' reading the append only file {} at offset {}",
                         argv[0], path, reader.offset());
      return false;
    }
    views.assign(argv.begin(), argv.end());
    ExecuteCommand(*fake, views);
    fake->out.Clear();
    since_events += reader.consumed() - reader.offset();
    if (since_events >= static_cast<size_t>(config_.loading_process_events_interval_bytes)) {
      since_events = 0;
      loading_loaded_bytes_ = reader.consumed();
      if (loop_ != nullptr) loop_->ProcessEventsWhileBlocked();
      if (shutdown_requested) {
        *err = "Loading aborted";
        return false;
      }
    }
  }
  if (!truncated && !reader.in_multi()) return true;
  // The file ends inside a command, or inside a transaction: the tail after the last complete
  // unit may be cut off in the last file (aof-load-truncated), nowhere else.
  size_t good = reader.safe_end();
  if (!last || !config_.aof_load_truncated) {
    *err = truncated
               ? fmt::format("Unexpected end of file reading the append only file {} (the last "
                             "complete command ends at offset {} of {} bytes). {} Or set "
                             "aof-load-truncated yes and restart.",
                             path, good, data.size(), FixHint(manifest_path))
               : fmt::format("Unexpected end of file reading the append only file {}: a MULTI "
                             "at offset {} has no EXEC. {}",
                             path, good, FixHint(manifest_path));
    return false;
  }
  if (truncated) {
    LogWarning("!!! Warning: short read while loading the AOF file {}!!!", path);
    LogWarning("AOF {} loaded anyway because aof-load-truncated is enabled; the last {} bytes "
               "(from offset {}) were cut off",
               path, data.size() - good, good);
  } else {
    LogWarning("Revert incomplete MULTI/EXEC transaction in AOF file {} (from offset {})", path,
               good);
  }
  if (reader.in_multi()) {
    std::string_view discard[] = {"DISCARD"};
    ExecuteCommand(*fake, discard);
  }
  if (truncate(path.c_str(), static_cast<off_t>(good)) != 0) {
    *err = fmt::format("Error truncating the AOF file {}: {}", path, strerror(errno));
    return false;
  }
  return true;
}

bool Server::AofLoadAtStart(std::string* err) {
  std::string dir = config_.appenddirname;
  aof_ = std::make_unique<AofLog>(dir, config_.appendfilename);
  bool found = false;
  if (!ReadManifest(*aof_, &found, err)) return false;
  if (!found) {
    // No AOF yet: start from an empty dataset (as Redis, the RDB file is not read when the AOF
    // is on) and write a base of it so the folder is complete from the first write.
    LogNotice("No AOF in {}: creating it", dir);
    return AofCreateFromDataset(err);
  }
  const aof::ManifestFile* base = aof_->manifest().base();
  auto incrs = aof_->manifest().incrs();
  loading_ = true;
  loading_start_s_ = clock_.NowMs() / 1000;
  int64_t start = Clock::RealMonotonicUs();
  bool ok = true;
  if (base != nullptr) {
    std::string path = aof_->PathOf(base->name);
    MappedFile probe;
    ok = probe.Open(path, err);
    bool rdb_base = ok && probe.view().substr(0, 5) == "REDIS";
    if (ok && rdb_base) {
      rdb::LoadResult res;
      bool missing = false;
      ok = RdbLoadFrom(path, &res, &missing, err) && !missing;
      if (missing) *err = "The AOF base file " + path + " is missing";
      aof_->set_base_size(probe.view().size());
    } else if (ok) {
      Client* fake = CreateFakeClient();
      ok = AofReplay(path, incrs.empty(), fake, err);
      DestroyClient(fake);
      aof_->set_base_size(probe.view().size());
    }
  }
  if (ok && !incrs.empty()) {
    Client* fake = CreateFakeClient();
    for (size_t i = 0; i < incrs.size() && ok; ++i) {
      ok = AofReplay(aof_->PathOf(incrs[i]->name), i + 1 == incrs.size(), fake, err);
    }
    DestroyClient(fake);
  }
  loading_ = false;
  if (!ok) {
    keyspace_->FlushAll(false);
    return false;
  }
  LogNotice("DB loaded from append only file: {:.3f} seconds",
            static_cast<double>(Clock::RealMonotonicUs() - start) / 1e6);
  std::string incr = incrs.empty() ? aof::IncrName(config_.appendfilename, 1) : incrs.back()->name;
  if (incrs.empty()) {
    aof_->manifest().files.push_back({incr, 1, 'i'});
    if (!aof_->WriteManifest(err)) return false;
  }
  if (!aof_->OpenIncr(incr, err)) return false;
  AddSink(aof_.get());
  return true;
}

// Writes the current dataset as a new base, a fresh incremental file, and the manifest naming
// them; used when the AOF is created (at start or by CONFIG SET appendonly yes).
bool Server::AofCreateFromDataset(std::string* err) {
  std::error_code ec;
  std::filesystem::create_directories(aof_->dir(), ec);
  if (ec) {
    *err = fmt::format("Can't create the append-only folder {}: {}", aof_->dir(), ec.message());
    return false;
  }
  aof::Manifest& m = aof_->manifest();
  int64_t base_seq = m.last_base_seq() + 1, incr_seq = m.last_incr_seq() + 1;
  bool preamble = config_.aof_use_rdb_preamble;
  std::string base = aof::BaseName(config_.appendfilename, base_seq, preamble);
  rdb::SaveOptions opts = RdbSaveOptions();
  bool saved = preamble ? rdb::SaveFile(aof_->PathOf(base), *keyspace_, opts, err)
                        : aof::SaveCommandsFile(aof_->PathOf(base), *keyspace_, opts, err);
  if (!saved) return false;
  std::string incr = aof::IncrName(config_.appendfilename, incr_seq);
  std::vector<aof::ManifestFile> old = m.files;
  m.files = {{base, base_seq, 'b'}, {incr, incr_seq, 'i'}};
  if (!aof_->OpenIncr(incr, err) || !aof_->WriteManifest(err)) return false;
  for (const auto& f : old) unlink(aof_->PathOf(f.name).c_str());
  struct stat st;
  if (stat(aof_->PathOf(base).c_str(), &st) == 0) aof_->set_base_size(static_cast<uint64_t>(st.st_size));
  if (std::find(sinks_.begin(), sinks_.end(), aof_.get()) == sinks_.end()) AddSink(aof_.get());
  return true;
}

void Server::AofFlush() {
  if (!aof_ || !aof_enabled_) return;
  FlushPropagation();
  aof_->set_timestamps(config_.aof_timestamp_enabled);
  AppendFsync policy = aof_fsync_policy();
  if (policy == AppendFsync::kEverysec || aof_->has_pending() || policy == AppendFsync::kAlways) {
    if (config_.no_appendfsync_on_rewrite && aof_child_pid_ > 0) policy = AppendFsync::kNo;
    bool fresh = aof_->TakeFed();
    if (!aof_->Flush(policy, clock_.NowMs()) && policy == AppendFsync::kAlways && fresh) {
      // What this turn wrote is not on disk, so no reply of this turn may leave: the clients
      // waiting for one are disconnected (a client that saw no reply must assume its write may
      // not have happened). Redis exits here; we keep serving reads and retry the write each
      // turn, refusing writes until it succeeds.
      for (Client* c : pending_writes_) {
        if (!c->Has(kClientFake)) ScheduleClose(c, false);
      }
    }
  }
}

bool Server::AofEnable(std::string* err) {
  if (aof_enabled_) return true;
  aof_ = std::make_unique<AofLog>(config_.appenddirname, config_.appendfilename);
  // Continue an existing folder's numbering (a broken manifest is replaced).
  bool found = false;
  std::string ignored;
  ReadManifest(*aof_, &found, &ignored);
  if (!AofCreateFromDataset(err)) {
    aof_.reset();
    return false;
  }
  aof_enabled_ = true;
  LogNotice("AOF enabled: the dataset was written as a new base, writes now go to the log");
  return true;
}

void Server::AofDisable() {
  if (!aof_enabled_) return;
  AofFlush();
  KillAofChild();
  RemoveSink(aof_.get());
  aof_->Close();
  aof_.reset();
  aof_enabled_ = false;
}

bool Server::AofRewriteBackground(std::string* err) {
  if (aof_child_pid_ > 0) {
    *err = "ERR Background append only file rewriting already in progress";
    return false;
  }
  if (rdb_child_pid_ > 0) {
    aof_rewrite_scheduled_ = true;
    return true;
  }
  if (!aof_enabled_) {
    // As Redis: with the AOF off, a rewrite still writes a base and a manifest naming it.
    aof_ = std::make_unique<AofLog>(config_.appenddirname, config_.appendfilename);
    bool found = false;
    std::string ignored;
    ReadManifest(*aof_, &found, &ignored);
    std::error_code ec;
    std::filesystem::create_directories(aof_->dir(), ec);
  }
  AofFlush();
  aof::Manifest& m = aof_->manifest();
  int64_t incr_seq = m.last_incr_seq() + 1;
  std::string incr = aof::IncrName(config_.appendfilename, incr_seq);
  rdb::SaveOptions opts = RdbSaveOptions();
  bool preamble = config_.aof_use_rdb_preamble;
  std::string base = aof::BaseName(config_.appendfilename, m.last_base_seq() + 1, preamble);
  std::string tmp = aof_->PathOf(fmt::format("temp-rewriteaof-bg-{}.aof", getpid()));
  pid_t pid = ForkSnapshot(tmp, opts, !preamble);
  if (pid < 0) {
    *err = fmt::format("ERR Can't rewrite append only file in background: fork: {}",
                       strerror(errno));
    return false;
  }
  // From now on writes go to a new incremental file, listed in the manifest right away so a
  // crash during the rewrite still finds every write.
  if (aof_enabled_) {
    std::string why;
    m.files.push_back({incr, incr_seq, 'i'});
    if (!aof_->OpenIncr(incr, &why) || !aof_->WriteManifest(&why)) {
      LogWarning("Can't switch to a new AOF file for the rewrite: {}", why);
    }
  }
  aof_child_pid_ = pid;
  aof_rewrite_start_ms_ = clock_.NowMs();
  aof_rewrite_base_ = base;
  aof_rewrite_tmp_ = tmp;
  aof_rewrite_incr_seq_ = incr_seq;
  LogNotice("Background append only file rewriting started by pid {}", pid);
  return true;
}

void Server::CheckAofChild() {
  if (aof_child_pid_ <= 0) return;
  int status = 0;
  pid_t r = waitpid(aof_child_pid_, &status, WNOHANG);
  if (r == 0) return;
  aof_child_pid_ = -1;
  aof_last_cow_size_ = TakeChildCowSize();
  aof_last_rewrite_time_s_ = (clock_.NowMs() - aof_rewrite_start_ms_) / 1000;
  bool ok = r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!ok || !aof_) {
    LogWarning("Background AOF rewrite failed");
    unlink(aof_rewrite_tmp_.c_str());
    aof_last_rewrite_ok_ = false;
    return;
  }
  // The new base replaces the old base and every incremental file from before the fork.
  aof::Manifest& m = aof_->manifest();
  std::string base_path = aof_->PathOf(aof_rewrite_base_);
  if (rename(aof_rewrite_tmp_.c_str(), base_path.c_str()) != 0) {
    LogWarning("Can't rename the rewritten AOF base: {}", strerror(errno));
    unlink(aof_rewrite_tmp_.c_str());
    aof_last_rewrite_ok_ = false;
    return;
  }
  // The replaced base and incremental files become history: deleted once the new manifest is
  // durable, or kept (listed as history, newest first, as Redis orders them) while
  // aof-disable-auto-gc is on.
  std::vector<aof::ManifestFile> keep, replaced, history;
  for (const auto& f : m.files) {
    if (f.type == 'h') {
      history.push_back(f);
    } else if (f.type == 'i' && f.seq >= aof_rewrite_incr_seq_) {
      keep.push_back(f);
    } else {
      replaced.push_back(f);
    }
  }
  aof::Manifest next;
  next.files.push_back({aof_rewrite_base_, m.last_base_seq() + 1, 'b'});
  for (auto it = replaced.rbegin(); it != replaced.rend(); ++it) {
    next.files.push_back({it->name, it->seq, 'h'});
  }
  next.files.insert(next.files.end(), history.begin(), history.end());
  next.files.insert(next.files.end(), keep.begin(), keep.end());
  if (!ReplaceManifest(std::move(next))) {
    aof_last_rewrite_ok_ = false;
    return;
  }
  if (!config_.aof_disable_auto_gc) AofDeleteHistory();
  struct stat st;
  if (stat(base_path.c_str(), &st) == 0) aof_->set_base_size(static_cast<uint64_t>(st.st_size));
  aof_last_rewrite_ok_ = true;
  ++aof_rewrites_;
  LogNotice("Background AOF rewrite finished successfully");
}

bool Server::ReplaceManifest(aof::Manifest next) {
  aof::Manifest& m = aof_->manifest();
  aof::Manifest prev = std::move(m);
  m = std::move(next);
  std::string why;
  if (!aof_->WriteManifest(&why)) {
    LogWarning("{}", why);
    m = std::move(prev);  // the old manifest is still the one on disk
    return false;
  }
  return true;
}

void Server::AofDeleteHistory() {
  if (!aof_) return;
  aof::Manifest& m = aof_->manifest();
  std::vector<aof::ManifestFile> history;
  aof::Manifest next;
  for (const auto& f : m.files) (f.type == 'h' ? history : next.files).push_back(f);
  if (history.empty() || !ReplaceManifest(std::move(next))) return;
  for (const auto& f : history) {
    unlink(aof_->PathOf(f.name).c_str());
    LogNotice("Removed the history file {} in the background", f.name);
  }
}

bool ApplyAofAutoGc(void* server, std::string*) {
  auto* s = static_cast<Server*>(server);
  if (s->started() && !s->config().aof_disable_auto_gc) s->AofDeleteHistory();
  return true;
}

void Server::KillAofChild() {
  if (aof_child_pid_ <= 0) return;
  kill(aof_child_pid_, SIGUSR1);
  int status;
  waitpid(aof_child_pid_, &status, 0);
  aof_child_pid_ = -1;
  unlink(aof_rewrite_tmp_.c_str());
}

void Server::AofCron() {
  CheckAofChild();
  if (!aof_enabled_ || !aof_) return;
  if (aof_rewrite_scheduled_ && rdb_child_pid_ <= 0 && aof_child_pid_ <= 0) {
    aof_rewrite_scheduled_ = false;
    std::string err;
    AofRewriteBackground(&err);
  }
  if (aof_fsync_policy() == AppendFsync::kEverysec) aof_->MaybeBackgroundFsync(clock_.NowMs());
  // auto-aof-rewrite-percentage / -min-size: rewrite when the log outgrew the base.
  if (config_.auto_aof_rewrite_percentage > 0 && aof_child_pid_ <= 0 && rdb_child_pid_ <= 0) {
    uint64_t size = aof_->base_size() + aof_->current_size();
    uint64_t base = std::max<uint64_t>(aof_->base_size(), 1);
    if (size >= static_cast<uint64_t>(config_.auto_aof_rewrite_min_size) &&
        (size - base) * 100 / base >= static_cast<uint64_t>(config_.auto_aof_rewrite_percentage)) {
      LogNotice("Starting automatic rewriting of AOF on {}% growth",
                (size - base) * 100 / base);
      std::string err;
      AofRewriteBackground(&err);
    }
  }
}

bool ApplyAppendonly(void* server, std::string* err) {
  auto* s = static_cast<Server*>(server);
  if (!s->started()) return true;  // at start-up the load decides
  if (s->config().appendonly) return s->AofEnable(err);
  s->AofDisable();
  return true;
}

}  // namespace tessera
