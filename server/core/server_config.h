// The server's configuration values, bound to the registry with Redis's directive names,
// defaults, ranges and mutability. Handlers read these fields directly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/registry.h"
#include "server/keyspace/eviction.h"

namespace tessera {

struct SavePoint {
  int64_t seconds;
  int64_t changes;
};

struct OutputBufferLimit {
  int64_t hard = 0;
  int64_t soft = 0;
  int64_t soft_seconds = 0;
};

enum class DebugCommandMode { kNo = 0, kYes = 1, kLocal = 2 };
enum ClientClass { kClassNormal = 0, kClassReplica = 1, kClassPubsub = 2, kClassCount = 3 };

struct ServerConfig {
  // Network
  int64_t port = 6379;
  std::vector<std::string> bind;
  std::string unixsocket;
  int64_t unixsocketperm = 0;
  int64_t tcp_backlog = 511;
  int64_t tcp_keepalive = 300;
  int64_t timeout = 0;
  bool protected_mode = true;
  int64_t maxclients = 10000;
  std::string requirepass;
  // General
  bool daemonize = false;
  std::string pidfile;
  std::string dir;
  int64_t databases = 16;
  int64_t hz = 10;
  int loglevel = 2;  // LogLevel
  std::string logfile;
  int enable_debug_command = 0;  // DebugCommandMode
  int enable_protected_configs = 0;
  bool activerehashing = true;
  int64_t active_expire_effort = 1;
  // Limits
  int64_t proto_max_bulk_len = 512LL * 1024 * 1024;
  int64_t client_query_buffer_limit = 1024LL * 1024 * 1024;
  OutputBufferLimit obuf_limits[kClassCount] = {
      {0, 0, 0}, {256LL * 1024 * 1024, 64LL * 1024 * 1024, 60}, {32LL * 1024 * 1024, 8LL * 1024 * 1024, 60}};
  // Observability
  int64_t slowlog_log_slower_than = 10000;
  int64_t slowlog_max_len = 128;
  int64_t latency_monitor_threshold = 0;
  bool latency_tracking = true;
  std::vector<double> latency_tracking_percentiles = {50, 99, 99.9};
  // Encodings of small values.
  int64_t hash_max_listpack_entries = 512;
  int64_t hash_max_listpack_value = 64;
  int64_t set_max_intset_entries = 512;
  int64_t set_max_listpack_entries = 128;
  int64_t set_max_listpack_value = 64;
  int64_t zset_max_listpack_entries = 128;
  int64_t zset_max_listpack_value = 64;
  int64_t list_max_listpack_size = -2;
  int64_t list_compress_depth = 0;
  int64_t hll_sparse_max_bytes = 3000;
  int64_t stream_node_max_bytes = 4096;
  int64_t stream_node_max_entries = 100;
  // Memory: the policy chooses LRU or LFU access tracking now; limits and eviction arrive
  // with maxmemory.
  int64_t maxmemory = 0;     // bytes; 0: no limit
  int maxmemory_policy = 7;  // MaxmemoryPolicy
  int64_t maxmemory_samples = 5;
  int64_t maxmemory_eviction_tenacity = 10;
  int64_t lfu_log_factor = 10;
  int64_t lfu_decay_time = 1;
  // Client memory limit: bytes, or a percentage of maxmemory when `maxmemory_clients_pct`.
  struct ClientsLimit {
    int64_t value = 0;  // 0: no client eviction
    bool percent = false;
  } maxmemory_clients;
  // Active defragmentation.
  bool activedefrag = false;
  int64_t active_defrag_ignore_bytes = 100 << 20;
  int64_t active_defrag_threshold_lower = 10;
  int64_t active_defrag_threshold_upper = 100;
  int64_t active_defrag_cycle_min = 1;
  int64_t active_defrag_cycle_max = 25;
  int64_t active_defrag_max_scan_fields = 1000;
  // Persistence
  std::vector<SavePoint> save;
  std::string dbfilename = "dump.rdb";
  bool rdbcompression = true;
  bool rdbchecksum = true;
  bool stop_writes_on_bgsave_error = true;
  int64_t key_load_delay = 0;  // hidden test knob, as Redis's
  int64_t rdb_key_save_delay = 0;
  bool rdb_del_sync_files = false;
  int64_t repl_backlog_size = 1 << 20;
  bool repl_diskless_sync = true;
  int repl_diskless_load = 0;  // 0 disabled, 1 on-empty-db, 2 swapdb
  int64_t repl_backlog_ttl = 3600;
  int64_t repl_diskless_sync_delay = 5;
  int64_t repl_diskless_sync_max_replicas = 0;
  std::string replicaof;  // "host port" from the config, empty for none
  std::string masterauth, masteruser;
  bool replica_read_only = true;
  bool replica_serve_stale_data = true;
  bool replica_accept_empty_master = false;
  int64_t replica_priority = 100;
  std::string replica_announce_ip;
  int64_t replica_announce_port = 0;
  bool replica_announced = true;
  int64_t min_replicas_to_write = 0;
  int64_t min_sync_replicas = 0;
  int64_t min_replicas_max_lag = 10;
  bool repl_disable_tcp_nodelay = false;
  int64_t repl_timeout = 60;
  int64_t repl_ping_replica_period = 10;  // acts with replication: RDBs made only for a sync  // likewise, for the saving child
  // Append-only file
  bool appendonly = false;
  std::string appendfilename = "appendonly.aof";
  std::string appenddirname = "appendonlydir";
  int appendfsync = 1;  // AppendFsync: always, everysec, no
  bool aof_use_rdb_preamble = true;
  bool aof_load_truncated = true;
  bool aof_timestamp_enabled = false;
  bool no_appendfsync_on_rewrite = false;
  bool aof_rewrite_incremental_fsync = true;
  bool aof_disable_auto_gc = false;
  int64_t auto_aof_rewrite_percentage = 100;
  int64_t auto_aof_rewrite_min_size = 64 << 20;
  int64_t loading_process_events_interval_bytes = 2 << 20;
  // Lazy freeing
  bool lazyfree_lazy_eviction = false;
  bool lazyfree_lazy_expire = false;
  bool lazyfree_lazy_server_del = false;
  bool lazyfree_lazy_user_del = false;
  bool lazyfree_lazy_user_flush = false;
  // Events, scripting
  uint32_t notify_keyspace_events = 0;  // NotifyClass bits plus kNotifyKeyspace/Keyevent
  int64_t busy_reply_threshold = 5000;  // ms a script runs before others get BUSY
  int64_t tracking_table_max_keys = 1000000;
};

inline constexpr uint32_t kNotifyKeyspace = 1 << 0;  // K
inline constexpr uint32_t kNotifyKeyevent = 1 << 1;  // E
// The classes 'A' stands for (g$lshzxetd; not m or n), as Redis's NOTIFY_ALL.
inline constexpr uint32_t kNotifyAllClasses = (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) |
                                              (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) |
                                              (1 << 10) | (1 << 13);
// notify-keyspace-events letters <-> flags; -1 for an unknown letter.
int64_t KeyspaceEventsFromString(std::string_view s);
std::string KeyspaceEventsToString(uint32_t flags);

// Registers every directive of `cfg` in `reg`. `apply_ctx` (the Server) is passed to apply
// hooks that must act on a runtime change (bind, logging, limits ...).
void RegisterServerConfig(config::Registry& reg, ServerConfig& cfg);

// Hooks the server implements for runtime changes (defined in server.cc).
bool ApplyListeners(void* server, std::string* err);
bool ApplyLogging(void* server, std::string* err);
bool ApplyMaxclients(void* server, std::string* err);
bool ApplyRuntime(void* server, std::string* err);
bool ApplyDir(void* server, std::string* err);
bool ApplyMaxmemory(void* server, std::string* err);
bool ApplyActiveDefrag(void* server, std::string* err);  // defrag_cron.cc
bool ApplyAppendonly(void* server, std::string* err);    // aof.cc
bool ApplyAofAutoGc(void* server, std::string* err);     // aof.cc

}  // namespace tessera
