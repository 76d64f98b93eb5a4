// RDB snapshots from the server's side: SAVE in the foreground, BGSAVE in a forked child,
// save points from the cron, loading at start and DEBUG RELOAD, and the INFO persistence
// figures. The file format itself is server/persistence/rdb_file.
#include <signal.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>

#include "common/clock.h"
#include "common/log.h"
#include "server/core/memory_stats.h"
#include "server/core/replication.h"
#include "server/core/server.h"
#include "server/keyspace/hash_value.h"
#include "server/keyspace/list_value.h"
#include "server/keyspace/set_value.h"
#include "server/keyspace/zset_value.h"
#include "server/persistence/aof_rewrite.h"
#include "server/persistence/rdb_file.h"
#include "server/scripting/lua_engine.h"

namespace tessera {

namespace {

rdb::Access AccessFor(int policy) {
  if (IsLfuPolicy(policy)) return rdb::Access::kLfu;
  if (policy == kVolatileLru || policy == kAllkeysLru) return rdb::Access::kLru;
  return rdb::Access::kNone;
}

}  // namespace

std::string Server::RdbPath() const { return config_.dbfilename; }

rdb::SaveOptions Server::RdbSaveOptions() {
  rdb::SaveOptions o;
  o.compress = config_.rdbcompression;
  o.checksum = config_.rdbchecksum;
  o.access = AccessFor(config_.maxmemory_policy);
  o.now_ms = clock_.NowMs();
  o.key_save_delay = config_.rdb_key_save_delay;
  o.aux = {{"redis-ver", std::string(kRedisVersion)},
           {"redis-bits", "64"},
           {"ctime", std::to_string(o.now_ms / 1000)},
           {"used-mem", std::to_string(UsedMemory())},
           {"aof-base", "0"}};
  repl_->AppendRdbAux(&o.aux);
  for (const auto& [name, lib] : functions_->libraries()) o.functions.push_back(lib.code);
  return o;
}

bool Server::RdbSave(std::string* err) {
  if (rdb_child_pid_ > 0) {
    *err = "ERR Background save already in progress";
    return false;
  }
  std::string why;
  if (!rdb::SaveFile(RdbPath(), *keyspace_, RdbSaveOptions(), &why)) {
    LogWarning("{}", why);
    *err = "ERR " + why;
    rdb_last_bgsave_ok_ = false;
    return false;
  }
  LogNotice("DB saved on disk");
  dirty = 0;
  last_save_time_s = clock_.NowMs() / 1000;
  rdb_last_bgsave_ok_ = true;
  ++rdb_saves_;
  return true;
}

uint64_t Server::TakeChildCowSize() {
  uint64_t cow = 0;
  if (child_info_fd_ >= 0) {
    if (read(child_info_fd_, &cow, sizeof(cow)) != sizeof(cow)) cow = 0;
    close(child_info_fd_);
    child_info_fd_ = -1;
  }
  return cow;
}

pid_t Server::ForkChild(const std::function<bool()>& job) {
  int64_t start_us = Clock::RealMonotonicUs();
  // The child reports its copy-on-write size through a pipe when it is done.
  int info[2] = {-1, -1};
  if (pipe2(info, O_CLOEXEC | O_NONBLOCK) != 0) info[0] = info[1] = -1;
  pid_t pid = fork();
  if (pid < 0) {
    if (info[0] >= 0) close(info[0]), close(info[1]);
    return pid;
  }
  if (pid == 0) {
    // The child: do the job on the snapshot of this moment and leave without destructors.
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    bool ok = job();
    if (ok) {
      uint64_t cow = ProcessPrivateDirty();
      LogNotice("Copy-on-write of the snapshot child: {} MB", cow >> 20);
      if (info[1] >= 0) (void)!write(info[1], &cow, sizeof(cow));
    }
    _exit(ok ? 0 : 1);
  }
  if (info[1] >= 0) close(info[1]);
  if (child_info_fd_ >= 0) close(child_info_fd_);
  child_info_fd_ = info[0];
  rdb_fork_usec_ = Clock::RealMonotonicUs() - start_us;
  if (config_.latency_monitor_threshold > 0) {
    latency_.Add("fork", rdb_fork_usec_ / 1000, config_.latency_monitor_threshold,
                 clock_.NowMs() / 1000);
  }
  ++total_forks_;
  return pid;
}

pid_t Server::ForkSnapshot(const std::string& path, const rdb::SaveOptions& opts,
                           bool as_commands) {
  return ForkChild([&] {
    std::string why;
    bool ok = as_commands ? aof::SaveCommandsFile(path, *keyspace_, opts, &why)
                          : rdb::SaveFile(path, *keyspace_, opts, &why);
    if (ok) {
      LogNotice("DB saved on disk");
    } else {
      LogWarning("{}", why);
    }
    return ok;
  });
}

void Server::AdoptSocketSave(pid_t pid) {
  rdb_child_pid_ = pid;
  rdb_child_socket_ = true;
  rdb_save_start_ms_ = clock_.NowMs();
}

bool Server::RdbBackgroundSave(std::string* err) {
  if (rdb_child_pid_ > 0) {
    *err = "ERR Background save already in progress";
    return false;
  }
  if (aof_child_pid_ > 0) {
    *err = "ERR Another child process is active (AOF?): can't BGSAVE right now";
    return false;
  }
  rdb::SaveOptions opts = RdbSaveOptions();
  uint64_t dirty_before = dirty;
  pid_t pid = ForkSnapshot(RdbPath(), opts);
  if (pid < 0) {
    *err = fmt::format("ERR Can't save in background: fork: {}", strerror(errno));
    rdb_last_bgsave_ok_ = false;
    return false;
  }
  rdb_child_pid_ = pid;
  rdb_dirty_before_bgsave_ = dirty_before;
  rdb_save_start_ms_ = clock_.NowMs();
  last_bgsave_try_s_ = rdb_save_start_ms_ / 1000;
  LogNotice("Background saving started by pid {}", pid);
  return true;
}

void Server::CheckChildDone() {
  if (rdb_child_pid_ <= 0) return;
  int status = 0;
  pid_t r = waitpid(rdb_child_pid_, &status, WNOHANG);
  if (r == 0) return;
  bool ok = r == rdb_child_pid_ && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  rdb_last_cow_size_ = TakeChildCowSize();
  if (rdb_child_socket_) {
    // A diskless replication sync: no file was saved, the save figures stay as they are.
    rdb_child_socket_ = false;
    rdb_child_pid_ = -1;
    LogNotice("Background RDB transfer terminated {}", ok ? "with success" : "with an error");
    repl_->OnBgsaveDone(ok, "");
    return;
  }
  int64_t now_ms = clock_.NowMs();
  rdb_last_bgsave_time_s_ = (now_ms - rdb_save_start_ms_) / 1000;
  if (ok) {
    LogNotice("Background saving terminated with success");
    dirty = dirty > rdb_dirty_before_bgsave_ ? dirty - rdb_dirty_before_bgsave_ : 0;
    last_save_time_s = rdb_save_start_ms_ / 1000;
    rdb_last_bgsave_ok_ = true;
    ++rdb_saves_;
  } else if (WIFSIGNALED(status)) {
    LogWarning("Background saving terminated by signal {}", WTERMSIG(status));
    rdb_last_bgsave_ok_ = WTERMSIG(status) == SIGUSR1;  // killed on purpose: not an error
  } else {
    LogWarning("Background saving error");
    rdb_last_bgsave_ok_ = false;
  }
  rdb_child_pid_ = -1;
  repl_->OnBgsaveDone(ok, RdbPath());
}

void Server::KillRdbChild() {
  if (rdb_child_pid_ <= 0) return;
  kill(rdb_child_pid_, SIGUSR1);
  int status;
  waitpid(rdb_child_pid_, &status, 0);
  rdb_child_pid_ = -1;
}

void Server::SavePointsCron() {
  CheckChildDone();
  if (rdb_child_pid_ > 0 || aof_child_pid_ > 0) return;
  if (rdb_bgsave_scheduled_) {
    rdb_bgsave_scheduled_ = false;
    std::string err;
    if (!RdbBackgroundSave(&err)) LogWarning("Scheduled BGSAVE failed: {}", err);
    return;
  }
  if (config_.save.empty()) return;
  int64_t now_s = clock_.NowMs() / 1000;
  for (const SavePoint& sp : config_.save) {
    // After a failed save, retry no sooner than 5 seconds (CONFIG_BGSAVE_RETRY_DELAY).
    if (dirty >= static_cast<uint64_t>(sp.changes) && now_s - last_save_time_s > sp.seconds &&
        (rdb_last_bgsave_ok_ || now_s - last_bgsave_try_s_ > 5)) {
      LogNotice("{} changes in {} seconds. Saving...", sp.changes, sp.seconds);
      std::string err;
      RdbBackgroundSave(&err);
      break;
    }
  }
}

bool Server::LoadDataAtStart(std::string* err) {
  bool ok = true;
  // `replicaof` in the configuration holds with either kind of persistence.
  if (!config_.replicaof.empty()) {
    size_t sp = config_.replicaof.find(' ');
    repl_->SetMaster(config_.replicaof.substr(0, sp),
                     static_cast<int>(strtol(config_.replicaof.c_str() + sp + 1, nullptr, 10)));
  }
  if (config_.appendonly) {
    // With the AOF on, it is the source of truth (the RDB file is not read).
    ok = AofLoadAtStart(err);
    aof_enabled_ = ok;
  } else {
    rdb::LoadResult res;
    bool missing = false;
    int64_t start = Clock::RealMonotonicUs();
    ok = RdbLoad(&res, &missing, err);
    if (ok && !missing) repl_->RestoreFromRdb(res.aux);
    if (ok && !missing) {
      LogNotice("DB loaded from disk: {:.3f} seconds",
                static_cast<double>(Clock::RealMonotonicUs() - start) / 1e6);
    }
  }
  dirty = 0;
  started_ = true;
  return ok;
}

bool Server::RdbLoad(rdb::LoadResult* res, bool* missing, std::string* err) {
  return RdbLoadFrom(RdbPath(), res, missing, err);
}

bool Server::RdbLoadFrom(const std::string& path, rdb::LoadResult* res, bool* missing,
                         std::string* err, const std::string_view* image, Keyspace* into) {
  HashLimits hl{config_.hash_max_listpack_entries, config_.hash_max_listpack_value};
  SetLimits sl{config_.set_max_intset_entries, config_.set_max_listpack_entries,
               config_.set_max_listpack_value};
  ZsetLimits zl{config_.zset_max_listpack_entries, config_.zset_max_listpack_value};
  ListLimits ll{config_.list_max_listpack_size, config_.list_compress_depth};
  rdb::LoadOptions o;
  o.limits = {&hl, &sl, &zl, &ll};
  o.now_ms = clock_.NowMs();
  o.access = AccessFor(config_.maxmemory_policy);
  o.key_load_delay = config_.key_load_delay;
  o.progress_every = static_cast<size_t>(config_.loading_process_events_interval_bytes);
  // While loading, clients are served between chunks: commands without the `loading` flag get
  // LOADING, INFO shows the progress, and SHUTDOWN stops the load.
  o.progress = [this](size_t done, size_t total) {
    loading_loaded_bytes_ = done;
    loading_total_bytes_ = total;
    if (loop_ != nullptr) loop_->ProcessEventsWhileBlocked();
    return !shutdown_requested;
  };
  // An AOF's RDB base loads inside the AOF load, which stays in the loading state after it.
  bool outer_loading = loading_;
  bool async = into != nullptr;
  (async ? async_loading_ : loading_) = true;
  loading_start_s_ = clock_.NowMs() / 1000;
  loading_loaded_bytes_ = loading_total_bytes_ = 0;
  *missing = false;
  Keyspace& target = async ? *into : *keyspace_;
  bool ok = image != nullptr ? rdb::Load(*image, target, o, res, err)
                             : rdb::LoadFile(path, target, o, res, missing, err);
  if (async) {
    async_loading_ = false;
  } else {
    loading_ = outer_loading;
  }
  if (!ok || *missing) return ok;
  // A loaded dataset replaces the libraries too (a replica's full sync, DEBUG RELOAD).
  if (!async && !ReplaceLibraries(res->functions, err)) {
    keyspace_->FlushAll(false);
    return false;
  }
  rdb_last_load_keys_loaded_ = res->keys_loaded;
  rdb_last_load_keys_expired_ = res->keys_expired;
  return true;
}

bool Server::ReplaceLibraries(const std::vector<std::string>& codes, std::string* err) {
  functions_->FlushLibraries();
  for (const std::string& code : codes) {
    std::string name, why;
    if (!functions_->LoadLibrary(code, true, &name, &why)) {
      *err = "Failed loading library from the RDB file: " + why;
      return false;
    }
  }
  return true;
}

}  // namespace tessera
