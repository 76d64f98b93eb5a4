// The data node's core: configuration, keyspace, command table, clients, statistics and the
// dispatcher that every command goes through. Nothing here knows about sockets: the network
// layer (network.cc) feeds bytes in and writes the output buffers out, and in-process tests
// drive the same object with fake clients.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/config/registry.h"
#include "common/resp/request_parser.h"
#include "server/core/client.h"
#include "server/core/command.h"
#include "server/core/pubsub.h"
#include "server/core/server_config.h"
#include "server/core/slowlog.h"
#include "server/core/tracking.h"
#include "server/core/watch.h"
#include "server/keyspace/defrag.h"
#include "server/persistence/rdb_file.h"
#include "server/keyspace/eviction.h"
#include "server/keyspace/keyspace.h"

namespace tessera {

class LuaEngine;
class CommandContext;

inline constexpr std::string_view kRedisVersion = "7.0.15";  // the compatibility level
inline constexpr std::string_view kTesseraVersion = "0.1.0";

// What the core asks of the event loop. Implemented by the network layer; absent in tests.
class LoopControl {
 public:
  virtual ~LoopControl() = default;
  // Runs the server's before-sleep work once the handlers that are ready now have run.
  virtual void ScheduleBeforeSleep() = 0;
  // Re-creates the TCP listeners after `bind`/`port` changed.
  virtual bool RebindListeners(std::string* err) = 0;
  // Leaves the event loop (after SHUTDOWN or a signal).
  virtual void Stop() = 0;
  // Closes a client's connection and destroys the client now.
  virtual void CloseClient(Client* c) = 0;
  // Runs the before-sleep work at (or soon after) deadline_ms (blocked clients' timeouts).
  virtual void WakeAt(int64_t deadline_ms) = 0;
  // Listening addresses, for INFO and logs.
  virtual std::vector<std::string> ListeningAddresses() const = 0;
  // Reads and serves ready clients from inside a long script (they get BUSY), and writes
  // their replies; the script's own client is left alone.
  virtual void ProcessEventsWhileBlocked() = 0;
  // Starts a non-blocking TCP connection (to our master) with a client for it; the
  // replication layer hears when it is up. Null with *err when it cannot start.
  virtual Client* ConnectTo(const std::string& host, int port, std::string* err) {
    (void)host;
    (void)port;
    *err = "no event loop";
    return nullptr;
  }
};

// Where the effects of write commands go (AOF, replicas). Fed once per execution unit, with
// MULTI/EXEC around units of more than one command.
class PropagationSink {
 public:
  virtual ~PropagationSink() = default;
  virtual void Feed(int dbid, std::span<const std::string> argv) = 0;
};

// A rolling per-second rate over the last 16 samples (INFO instantaneous_*).
class InstantaneousMetric {
 public:
  void Sample(int64_t now_ms, uint64_t counter);
  double Rate() const;

 private:
  double samples_[16] = {};
  int idx_ = 0;
  int64_t last_ms_ = 0;
  uint64_t last_counter_ = 0;
  bool started_ = false;
};

struct ServerStats {
  int64_t start_time_ms = 0;
  int64_t start_monotonic_us = 0;
  uint64_t total_connections_received = 0;
  uint64_t total_commands_processed = 0;
  uint64_t rejected_connections = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t total_reads_processed = 0;
  uint64_t total_writes_processed = 0;
  uint64_t total_error_replies = 0;
  uint64_t unexpected_error_replies = 0;
  uint64_t client_qbuf_limit_disconnections = 0;
  uint64_t client_outbuf_limit_disconnections = 0;
  uint64_t sync_full = 0, sync_partial_ok = 0, sync_partial_err = 0;
  std::map<std::string, uint64_t, std::less<>> error_codes;  // errorstat_<CODE>
  InstantaneousMetric ops_per_sec;
  InstantaneousMetric input_kbps;
  InstantaneousMetric output_kbps;
};

enum class PauseType { kNone, kWrite, kAll };
class AofLog;
class Replication;
namespace aof {
struct Manifest;
}
enum class AppendFsync;

// SHUTDOWN's modifiers (PrepareShutdown flags).
enum ShutdownFlag { kShutdownNoSave = 1, kShutdownSave = 2, kShutdownForce = 4 };

class Server : public KeyspaceEvents {
 public:
  Server();
  ~Server() override;

  // Called once the configuration is final: builds the keyspace and the command table.
  bool Init(std::string* err);
  void set_loop(LoopControl* loop) { loop_ = loop; }
  LoopControl* loop() { return loop_; }

  ServerConfig& config() { return config_; }
  config::Registry& registry() { return registry_; }
  Clock& clock() { return clock_; }
  Keyspace& keyspace() { return *keyspace_; }
  CommandTable& commands() { return commands_; }
  ServerStats& stats() { return stats_; }
  SlowLog& slowlog() { return slowlog_; }
  LatencyMonitor& latency() { return latency_; }
  const resp::RequestLimits& request_limits() const { return limits_; }
  const std::string& run_id() const { return run_id_; }
  const std::string& executable() const { return executable_; }
  void set_executable(std::string path) { executable_ = std::move(path); }

  // ---- clients ----
  Client* CreateClient(int fd, std::string addr, std::string laddr, bool unix_socket,
                       bool local);
  Client* CreateFakeClient();
  // Unlinks and deletes a client now (the network layer calls this once the socket is gone).
  void DestroyClient(Client* c);
  // Closes a client at the next before-sleep (safe to call from inside a command).
  void ScheduleClose(Client* c, bool flush_output);
  // CLIENT KILL: closes another client at once (as Redis does, before replying to the killer);
  // the client running the current command is closed once its reply is written.
  void KillClient(Client* c);
  const std::map<uint64_t, std::unique_ptr<Client>>& clients() const { return clients_; }
  Client* FindClient(uint64_t id);
  // Connected clients (not the fake ones scripts and tests use).
  size_t client_count() const { return clients_.size() - fake_clients_; }
  std::vector<Client*> TakeClientsToClose();
  // True when a password is set and the client has not authenticated.
  bool AuthRequired(const Client& c) const {
    return !config_.requirepass.empty() && !c.authenticated;
  }

  // ---- input and dispatch ----
  // Parses and executes the commands in data[0, len) for client c. Returns the number of
  // bytes consumed; the caller keeps the rest (a partial command, or input left because the
  // client was paused or is closing).
  size_t ProcessInput(Client& c, const char* data, size_t len);
  // The full path of one command: lookup, arity, auth, (ACL, cluster redirection, OOM, MULTI
  // queueing as they arrive), client pause, then Call. Returns false if the client must not
  // process more input now (postponed or closing).
  bool ExecuteCommand(Client& c, std::span<const std::string_view> argv);
  // Runs a command that passed the checks: handler, statistics, slowlog, latency, MONITOR,
  // propagation.
  void Call(Client& c, const Command& cmd, std::span<const std::string_view> argv);
  // Whether cmd has `flag`, or is an EXEC whose queue holds a command with it (a write, a
  // denyoom command).
  bool CommandOrQueueIs(const Client& c, const Command& cmd, uint64_t flag) const;

  // ---- output ----
  // Marks a client as having output to flush at the next before-sleep.
  void QueueWrite(Client& c);
  std::vector<Client*>& pending_writes() { return pending_writes_; }
  // Checks the output-buffer limits after output was added; schedules closing if over.
  void CheckOutputLimits(Client& c);

  // ---- propagation ----
  void AddSink(PropagationSink* sink) { sinks_.push_back(sink); }
  void RemoveSink(PropagationSink* sink);
  bool propagating() const { return !sinks_.empty(); }
  // Queues a command for propagation in the current execution unit.
  void Propagate(int dbid, std::vector<std::string> argv);
  void FlushPropagation();

  // ---- blocking commands ----
  // Blocks c on keys until one becomes ready or deadline_ms (0: never) passes; the current
  // command (argv) is re-run then. While re-running, an empty result keeps the client blocked
  // in its place.
  void BlockClient(Client& c, std::span<const std::string_view> keys,
                   std::span<const std::string_view> argv, int64_t deadline_ms, int type);
  // Ends the block: with `timed_out` the timeout reply is sent; with `error` that error.
  // count_failure: count the blocked command as failed (CLIENT UNBLOCK does).
  void UnblockClient(Client& c, bool timed_out, std::string_view error = {},
                     bool count_failure = false);
  size_t clients_in_timeout_table() const { return block_deadlines_.size(); }
  // A write touched key in db: clients blocked on it get another try after this command.
  void KeyModified(int db, std::string_view key);
  void SignalAllBlockedKeys(int db);
  bool reprocessing() const { return reprocessing_; }
  size_t blocked_client_count() const { return blocked_count_; }
  // Serves ready keys, times out expired blocks (called after commands and before sleep).
  void HandleBlockedClients();

  // ---- transactions ----
  WatchTable& watches() { return watches_; }
  // Leaves MULTI state (EXEC, DISCARD, RESET): drops the queue and the WATCHes.
  void DiscardTransaction(Client& c);
  // Marks an open transaction as failed (a command was rejected while queueing).
  static void FlagTransaction(Client& c) {
    if (c.Has(kClientMulti)) c.flags |= kClientDirtyExec;
  }
  bool in_exec() const { return in_exec_; }
  void set_in_exec(bool on) { in_exec_ = on; }

  // ---- client-side caching ----
  TrackingTable& tracking() { return tracking_; }
  // FLUSHDB/FLUSHALL: tells every tracking client to drop its cache.
  void TrackingFlush() { tracking_.InvalidateAll(current_client_); }
  // The client a script runs for (its keys are tracked for it), or null.
  Client* ScriptCaller() const;
  CommandContext* ScriptContext() const;

  // ---- scripting ----
  LuaEngine& lua() { return *lua_; }
  LuaEngine& functions() { return *functions_; }
  // The BUSY error when a script or function has run past busy-reply-threshold, else empty.
  std::string_view BusyError() const;
  // SCRIPT KILL (is_eval) / FUNCTION KILL: empty if the running one will stop, else the error.
  std::string KillScript(bool is_eval);
  bool in_script() const { return in_script_; }
  void set_in_script(bool on) { in_script_ = on; }
  // While set, commands run now are not propagated (a script's redis.set_repl(REPL_NONE)).
  void set_propagation_suppressed(bool on) { propagation_suppressed_ = on; }
  // After a script that timed out: serves the clients that sent input meanwhile.
  void ResumeAfterScript();

  // ---- pub/sub and keyspace notifications ----
  PubSubRegistry& pubsub() { return pubsub_; }
  // Delivers message to the subscribers of channel (and of matching patterns unless shard);
  // returns how many clients received it.
  size_t Publish(std::string_view channel, std::string_view message, bool shard = false);
  // Sends the subscribe/unsubscribe confirmation for one channel to c. `name` null: the
  // "unsubscribed from nothing" reply.
  static void ReplySubscription(Client& c, std::string_view kind, const std::string* name,
                                size_t count);
  // Drops every subscription of c of one kind, confirming each when `notify`.
  void UnsubscribeAll(Client& c, PubSubKind kind, bool notify);
  // Publishes a keyspace event if notify-keyspace-events enables its class.
  void NotifyKeyspaceEvent(uint32_t cls, std::string_view event, std::string_view key, int db) {
    if ((config_.notify_keyspace_events & cls) != 0) PublishKeyspaceEvent(event, key, db);
  }
  uint32_t notify_flags() const { return config_.notify_keyspace_events; }

  // ---- memory limit ----
  enum class EvictResult { kOk, kRunning, kFail };
  // Evicts keys until used memory is under maxmemory, for at most one time slice
  // (maxmemory-eviction-tenacity); kRunning: the rest continues in the background.
  EvictResult PerformEvictions();
  uint64_t evicted_keys() const { return evicted_keys_; }
  // True when the last check before a command found the server out of memory.
  bool oom_state() const { return pre_command_oom_; }

  // ---- active defragmentation ----
  // CPU percent the running defrag cycle may use (0: not running); INFO active_defrag_running.
  int defrag_running_pct() const { return defrag_.running_pct; }
  const DefragStats& defrag_stats() const { return defrag_.stats; }
  int64_t defrag_total_ms() const;    // total_active_defrag_time
  int64_t defrag_current_ms() const;  // current_active_defrag_time
  // One cron slice of active defragmentation (Redis's activeDefragCycle).
  void ActiveDefragCycle();

  // ---- client memory ----
  // Sum of the evictable clients' MemoryUsage() as last accounted (maxmemory-clients).
  size_t clients_memory() const { return clients_mem_total_; }
  // Re-measures c and updates the total.
  void AccountClientMemory(Client& c);
  // Closes the biggest evictable clients while their memory exceeds maxmemory-clients.
  void EvictClients();
  uint64_t evicted_clients() const { return evicted_clients_; }
  // The maxmemory-clients limit in bytes now (0: none).
  size_t ClientsMemoryLimit() const;

  // ---- replication (replication.cc) ----
  Replication& replication() { return *repl_; }
  // A diskless sync's child streams the RDB to replica sockets: it counts as the running RDB
  // child (one child at a time) but saves no file.
  void AdoptSocketSave(pid_t pid);
  // Forks a child that runs `job` on the dataset of this moment and exits 0 when it returns
  // true (reporting its copy-on-write size); records the fork latency. -1 with errno.
  pid_t ForkChild(const std::function<bool()>& job);
  rdb::SaveOptions RdbSaveOptionsForReplication() { return RdbSaveOptions(); }

  // ---- RDB snapshots (persistence.cc) ----
  bool RdbSave(std::string* err);            // SAVE
  bool RdbBackgroundSave(std::string* err);  // BGSAVE: forks a child
  pid_t rdb_child_pid() const { return rdb_child_pid_; }
  void ScheduleBgsave() { rdb_bgsave_scheduled_ = true; }
  // Loads dbfilename at start (a missing file is fine).
  bool LoadDataAtStart(std::string* err);
  // Loads dbfilename into the (empty) keyspace and the function libraries.
  bool RdbLoad(rdb::LoadResult* res, bool* missing, std::string* err);
  // With `image`, loads those bytes instead of the file (a diskless replication load). With
  // `into`, loads into that keyspace while clients go on being served from ours (async
  // loading: only commands flagged no-async-loading get LOADING), and leaves the function
  // libraries in res->functions to the caller.
  bool RdbLoadFrom(const std::string& path, rdb::LoadResult* res, bool* missing,
                   std::string* err, const std::string_view* image = nullptr,
                   Keyspace* into = nullptr);
  bool async_loading() const { return async_loading_; }
  // Replaces the function libraries with these (after a load); false with *err on failure.
  bool ReplaceLibraries(const std::vector<std::string>& codes, std::string* err);
  // Whether start-up loading is over (runtime config changes act from then on).
  bool started() const { return started_; }

  // ---- append-only file (aof.cc) ----
  bool AofLoadAtStart(std::string* err);
  bool AofEnable(std::string* err);   // CONFIG SET appendonly yes
  void AofDisable();                  // CONFIG SET appendonly no
  bool AofRewriteBackground(std::string* err);  // BGREWRITEAOF
  void ScheduleAofRewrite() { aof_rewrite_scheduled_ = true; }
  // Writes buffered AOF records (and fsyncs per appendfsync) before replies leave.
  void AofFlush();
  void KillAofChild();
  // Removes the history files (replaced by a rewrite) from the manifest and the disk.
  void AofDeleteHistory();
  bool aof_enabled() const { return aof_enabled_; }
  AofLog* aof() { return aof_.get(); }
  pid_t aof_child_pid() const { return aof_child_pid_; }
  bool aof_rewrite_scheduled() const { return aof_rewrite_scheduled_; }
  bool aof_last_rewrite_ok() const { return aof_last_rewrite_ok_; }
  int64_t aof_last_rewrite_time_s() const { return aof_last_rewrite_time_s_; }
  int64_t aof_rewrite_start_ms() const { return aof_rewrite_start_ms_; }
  uint64_t aof_rewrites() const { return aof_rewrites_; }
  AppendFsync aof_fsync_policy() const;
  // Stops a running BGSAVE child (shutdown, FLUSHALL).
  void KillRdbChild();
  bool loading() const { return loading_; }
  int64_t loading_start_s() const { return loading_start_s_; }
  size_t loading_loaded_bytes() const { return loading_loaded_bytes_; }
  size_t loading_total_bytes() const { return loading_total_bytes_; }
  bool rdb_last_bgsave_ok() const { return rdb_last_bgsave_ok_; }
  int64_t rdb_last_bgsave_time_s() const { return rdb_last_bgsave_time_s_; }
  int64_t rdb_save_start_ms() const { return rdb_save_start_ms_; }
  uint64_t rdb_saves() const { return rdb_saves_; }
  int64_t rdb_fork_usec() const { return rdb_fork_usec_; }
  uint64_t total_forks() const { return total_forks_; }
  uint64_t rdb_last_cow_size() const { return rdb_last_cow_size_; }
  uint64_t aof_last_cow_size() const { return aof_last_cow_size_; }
  uint64_t rdb_last_load_keys_loaded() const { return rdb_last_load_keys_loaded_; }
  uint64_t rdb_last_load_keys_expired() const { return rdb_last_load_keys_expired_; }

  // ---- pause ----
  void Pause(PauseType type, int64_t until_ms);
  void Unpause();
  PauseType pause_type() const { return pause_type_; }
  int64_t pause_until_ms() const { return pause_until_ms_; }

  // ---- periodic work ----
  void Cron();         // hz times per second
  void BeforeSleep();  // before the loop waits for events
  int64_t cron_loops() const { return cron_loops_; }

  // ---- state shared with commands ----
  uint64_t dirty = 0;  // changes since the last save (rdb_changes_since_last_save)
  int64_t last_save_time_s = 0;
  bool shutdown_requested = false;
  int shutdown_flags = 0;
  std::vector<Client*>& monitors() { return monitors_; }
  void FeedMonitors(const Client& c, std::span<const std::string_view> argv);
  // Counts an error reply (errorstats, total_error_replies).
  void CountError(std::string_view error);
  // Restart the statistics (CONFIG RESETSTAT).
  void ResetStats();

  // KeyspaceEvents
  void OnExpired(Db& db, std::string_view key) override;

  // Applies config values that are mirrored elsewhere (limits, keyspace flags, logging).
  void ApplyRuntimeConfig();
  // Shuts down as SHUTDOWN/SIGTERM would; returns false (with the reason) if refused.
  bool PrepareShutdown(int flags, std::string* why);

 private:
  void RegisterCommands();
  void RejectCommand(Client& c, const Command* cmd, std::string_view error);
  void ClientsCron(int64_t now_ms);
  bool BlockedByPause(const Command& cmd) const;
  void ResumePostponed();
  void PublishKeyspaceEvent(std::string_view event, std::string_view key, int db);
  bool QueueInMulti(Client& c, const Command& cmd, std::span<const std::string_view> argv);

  ServerConfig config_;
  config::Registry registry_{this};
  Clock clock_;
  std::unique_ptr<Keyspace> keyspace_;
  CommandTable commands_;
  ServerStats stats_;
  SlowLog slowlog_;
  LatencyMonitor latency_;
  resp::RequestLimits limits_;
  std::string run_id_;
  std::string executable_;
  LoopControl* loop_ = nullptr;
  Client* current_client_ = nullptr;  // the client whose input is being processed

  std::map<uint64_t, std::unique_ptr<Client>> clients_;
  uint64_t next_client_id_ = 1;
  size_t fake_clients_ = 0;
  uint64_t cron_client_cursor_ = 0;
  std::vector<Client*> pending_writes_;
  std::vector<Client*> to_close_;
  std::vector<Client*> monitors_;
  std::vector<Client*> postponed_;

  std::unique_ptr<LuaEngine> lua_;
  std::unique_ptr<LuaEngine> functions_;
  bool in_script_ = false;
  Evictor evictor_;
  uint64_t evicted_keys_ = 0;
  bool pre_command_oom_ = false;
  bool eviction_pending_ = false;  // a slice ran out of time: continue from the cron
  std::string RdbPath() const;
  // Forks a child that writes an RDB snapshot of this moment to `path` and exits (0 on
  // success); records the fork's latency. Returns the child's pid, or -1 with errno.
  // Forks a child that writes the dataset to `path`: an RDB image, or commands (an AOF base
  // without RDB preamble) when `as_commands`.
  pid_t ForkSnapshot(const std::string& path, const rdb::SaveOptions& opts,
                     bool as_commands = false);
  // The copy-on-write bytes the finished child reported (0 if it did not).
  uint64_t TakeChildCowSize();
  rdb::SaveOptions RdbSaveOptions();
  void CheckChildDone();
  void SavePointsCron();
  bool AofReplay(const std::string& path, bool last, Client* fake, std::string* err);
  bool AofCreateFromDataset(std::string* err);
  void CheckAofChild();
  // Makes `next` the AOF manifest, on disk first; false (and the old one kept) on failure.
  bool ReplaceManifest(aof::Manifest next);
  void AofCron();
  bool started_ = false;
  std::unique_ptr<AofLog> aof_;
  bool aof_enabled_ = false;
  pid_t aof_child_pid_ = -1;
  bool aof_rewrite_scheduled_ = false;
  bool aof_last_rewrite_ok_ = true;
  int64_t aof_last_rewrite_time_s_ = -1;
  int64_t aof_rewrite_start_ms_ = 0;
  uint64_t aof_rewrites_ = 0;
  std::string aof_rewrite_base_, aof_rewrite_tmp_;
  int64_t aof_rewrite_incr_seq_ = 0;
  pid_t rdb_child_pid_ = -1;
  bool rdb_child_socket_ = false;
  bool rdb_bgsave_scheduled_ = false;
  bool rdb_last_bgsave_ok_ = true;
  bool loading_ = false;
  bool async_loading_ = false;
  int64_t loading_start_s_ = 0;
  size_t loading_loaded_bytes_ = 0;
  size_t loading_total_bytes_ = 0;
  uint64_t rdb_dirty_before_bgsave_ = 0;
  int64_t rdb_save_start_ms_ = 0;
  int64_t rdb_last_bgsave_time_s_ = -1;
  int64_t last_bgsave_try_s_ = 0;
  uint64_t rdb_saves_ = 0;
  int64_t rdb_fork_usec_ = 0;
  uint64_t total_forks_ = 0;
  int child_info_fd_ = -1;  // read end of the running child's report pipe
  uint64_t rdb_last_cow_size_ = 0, aof_last_cow_size_ = 0;
  uint64_t rdb_last_load_keys_loaded_ = 0;
  uint64_t rdb_last_load_keys_expired_ = 0;
  size_t clients_mem_total_ = 0;
  uint64_t evicted_clients_ = 0;
  struct DefragState {
    int running_pct = 0;
    int db = 0;
    uint64_t cursor = 0;
    int64_t last_check_ms = 0;
    int64_t started_ms = 0;   // when the running cycle started
    int64_t total_ms = 0;     // finished cycles' time
    uint64_t hits_at_start = 0;
    DefragStats stats;
  } defrag_;
  void ComputeDefragCycles(int64_t now_ms);
  bool propagation_suppressed_ = false;
  PubSubRegistry pubsub_;
  TrackingTable tracking_{*this};
  WatchTable watches_;
  bool in_exec_ = false;

  std::vector<PropagationSink*> sinks_;
  std::unique_ptr<Replication> repl_;
  struct PendingOp {
    int dbid;
    std::vector<std::string> argv;
  };
  std::vector<PendingOp> pending_ops_;
  int call_depth_ = 0;

  std::map<std::pair<int, std::string>, std::vector<uint64_t>, std::less<>> blocking_keys_;
  std::vector<std::pair<int, std::string>> ready_keys_;
  std::multimap<int64_t, uint64_t> block_deadlines_;
  std::vector<uint64_t> unblocked_;  // clients whose buffered input must be processed
  size_t blocked_count_ = 0;
  bool reprocessing_ = false;
  bool still_blocked_ = false;
  bool handling_blocked_ = false;
  void ServeReadyKeys();
  void RecordCall(Client& c, const Command& cmd, std::span<const std::string_view> argv,
                  int64_t now_ms, int64_t duration_us, uint64_t errors_before);
  void RerunBlocked(Client& c);
  void UnregisterBlocked(Client& c);

  PauseType pause_type_ = PauseType::kNone;
  int64_t pause_until_ms_ = 0;
  int64_t cron_loops_ = 0;
  int64_t last_cron_ms_ = 0;
  bool last_expire_timed_out_ = false;
  int64_t last_fast_expire_us_ = 0;
};

}  // namespace tessera
