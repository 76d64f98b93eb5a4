#include "server/core/server_config.h"

#include <algorithm>
#include <utility>

#include "common/strutil.h"

namespace tessera {

namespace {

using config::EnumName;
using config::OptionDef;
using Kind = config::OptionDef::Kind;

const EnumName kLogLevels[] = {
    {"debug", 0}, {"verbose", 1}, {"notice", 2}, {"warning", 3}};
const EnumName kFsyncPolicies[] = {{"always", 0}, {"everysec", 1}, {"no", 2}};
const EnumName kDebugModes[] = {{"no", 0}, {"yes", 1}, {"local", 2}};
const EnumName kPolicies[] = {
    {"volatile-lru", kVolatileLru},     {"volatile-lfu", kVolatileLfu},
    {"volatile-random", kVolatileRandom}, {"volatile-ttl", kVolatileTtl},
    {"allkeys-lru", kAllkeysLru},       {"allkeys-lfu", kAllkeysLfu},
    {"allkeys-random", kAllkeysRandom}, {"noeviction", kNoEviction}};

bool SetBind(void* target, std::span<const std::string> args, std::string* err) {
  auto* v = static_cast<std::vector<std::string>*>(target);
  if (args.empty() || (args.size() == 1 && args[0].empty())) {
    *err = "Too few bind addresses specified.";
    return false;
  }
  if (args.size() > 16) {
    *err = "Too many bind addresses specified.";
    return false;
  }
  v->assign(args.begin(), args.end());
  return true;
}

std::string GetBind(const void* target) {
  const auto* v = static_cast<const std::vector<std::string>*>(target);
  std::string s;
  for (const auto& a : *v) {
    if (!s.empty()) s.push_back(' ');
    s += a;
  }
  return s;
}

bool SetClientsLimit(void* target, std::span<const std::string> args, std::string* err) {
  auto* v = static_cast<ServerConfig::ClientsLimit*>(target);
  const std::string& a = args.empty() ? std::string() : args[0];
  if (!a.empty() && a.back() == '%') {
    auto p = ParseInt64(std::string_view(a).substr(0, a.size() - 1));
    if (!p || *p < 0) {
      *err = "argument must be a memory or percent value";
      return false;
    }
    if (*p > 100) {
      *err = "percentage argument must be less or equal to 100";
      return false;
    }
    *v = {*p, true};
    return true;
  }
  auto m = ParseMemory(a);
  if (!m || *m < 0) {
    *err = "argument must be a memory or percent value";
    return false;
  }
  *v = {*m, false};
  return true;
}

std::string GetClientsLimit(const void* target) {
  const auto* v = static_cast<const ServerConfig::ClientsLimit*>(target);
  return std::to_string(v->value) + (v->percent ? "%" : "");
}

// replicaof <host> <port> (or "no one"); stored as "host port", empty for none.
bool SetReplicaOf(void* target, std::span<const std::string> args, std::string* err) {
  auto* v = static_cast<std::string*>(target);
  if (args.empty() || (args.size() == 1 && args[0].empty())) {
    v->clear();
    return true;
  }
  if (args.size() == 2 && EqualsIgnoreCase(args[0], "no") && EqualsIgnoreCase(args[1], "one")) {
    v->clear();
    return true;
  }
  auto port = args.size() == 2 ? ParseInt64(args[1]) : std::nullopt;
  if (!port || *port < 0 || *port > 65535) {
    *err = "Invalid master port";
    return false;
  }
  *v = args[0] + " " + args[1];
  return true;
}

std::string GetReplicaOf(const void* target) { return *static_cast<const std::string*>(target); }

bool SetSave(void* target, std::span<const std::string> args, std::string* err) {
  auto* v = static_cast<std::vector<SavePoint>*>(target);
  if (args.empty() || (args.size() == 1 && args[0].empty())) {
    v->clear();
    return true;
  }
  if (args.size() % 2 != 0) {
    *err = "Invalid save parameters";
    return false;
  }
  std::vector<SavePoint> points;
  for (size_t i = 0; i < args.size(); i += 2) {
    auto s = ParseInt64(args[i]);
    auto c = ParseInt64(args[i + 1]);
    if (!s || !c || *s < 1 || *c < 0) {
      *err = "Invalid save parameters";
      return false;
    }
    points.push_back({*s, *c});
  }
  *v = std::move(points);
  return true;
}

std::string GetSave(const void* target) {
  const auto* v = static_cast<const std::vector<SavePoint>*>(target);
  std::string s;
  for (const auto& p : *v) {
    if (!s.empty()) s.push_back(' ');
    s += Int64ToString(p.seconds) + " " + Int64ToString(p.changes);
  }
  return s;
}

bool SetObufLimits(void* target, std::span<const std::string> args, std::string* err) {
  auto* limits = static_cast<OutputBufferLimit*>(target);
  if (args.empty() || args.size() % 4 != 0) {
    *err = "Wrong number of arguments in buffer limit configuration.";
    return false;
  }
  OutputBufferLimit updated[kClassCount];
  for (int i = 0; i < kClassCount; ++i) updated[i] = limits[i];
  for (size_t i = 0; i < args.size(); i += 4) {
    std::string cls = ToLower(args[i]);
    int idx;
    if (cls == "normal") idx = kClassNormal;
    else if (cls == "replica" || cls == "slave") idx = kClassReplica;
    else if (cls == "pubsub") idx = kClassPubsub;
    else {
      *err = "Invalid client class specified in buffer limit configuration.";
      return false;
    }
    auto hard = ParseMemory(args[i + 1]);
    auto soft = ParseMemory(args[i + 2]);
    auto secs = ParseInt64(args[i + 3]);
    if (!hard || !soft || !secs || *hard < 0 || *soft < 0 || *secs < 0) {
      *err = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
      return false;
    }
    updated[idx] = {*hard, *soft, *secs};
  }
  for (int i = 0; i < kClassCount; ++i) limits[i] = updated[i];
  return true;
}

std::string GetObufLimits(const void* target) {
  const auto* l = static_cast<const OutputBufferLimit*>(target);
  static const char* kNames[] = {"normal", "slave", "pubsub"};
  std::string s;
  for (int i = 0; i < kClassCount; ++i) {
    if (i) s.push_back(' ');
    s += std::string(kNames[i]) + " " + Int64ToString(l[i].hard) + " " +
         Int64ToString(l[i].soft) + " " + Int64ToString(l[i].soft_seconds);
  }
  return s;
}

bool SetUnixPerm(void* target, std::span<const std::string> args, std::string* err) {
  if (args.size() != 1) {
    *err = "wrong number of arguments";
    return false;
  }
  char* end = nullptr;
  long v = strtol(args[0].c_str(), &end, 8);
  if (args[0].empty() || *end != '\0' || v < 0 || v > 0777) {
    *err = "argument must be an octal number between 0 and 777";
    return false;
  }
  *static_cast<int64_t*>(target) = v;
  return true;
}

std::string GetUnixPerm(const void* target) {
  char buf[16];
  snprintf(buf, sizeof(buf), "%lo", static_cast<long>(*static_cast<const int64_t*>(target)));
  return buf;
}

bool SetHz(void* target, std::span<const std::string> args, std::string* err) {
  if (args.size() != 1) {
    *err = "wrong number of arguments";
    return false;
  }
  auto v = ParseInt64(args[0]);
  if (!v) {
    *err = "argument couldn't be parsed into an integer";
    return false;
  }
  if (*v < 0 || *v > INT32_MAX) {
    *err = "argument must be between 0 and 2147483647 inclusive";
    return false;
  }
  // As Redis: out-of-range values are clamped to 1..500.
  *static_cast<int64_t*>(target) = std::clamp<int64_t>(*v, 1, 500);
  return true;
}

bool SetPercentiles(void* target, std::span<const std::string> args, std::string* err) {
  std::vector<double> v;
  for (const std::string& a : args) {
    if (a.empty()) continue;
    auto d = ParseDouble(a);
    if (!d || *d < 0 || *d > 100) {
      *err = "latency-tracking-info-percentiles must be a list of numbers between 0 and 100";
      return false;
    }
    v.push_back(*d);
  }
  *static_cast<std::vector<double>*>(target) = v;
  return true;
}

std::string GetPercentiles(const void* target) {
  std::string s;
  for (double d : *static_cast<const std::vector<double>*>(target)) {
    char buf[32];
    snprintf(buf, sizeof(buf), "%f", d);
    std::string one = buf;
    while (one.find('.') != std::string::npos && (one.back() == '0' || one.back() == '.')) {
      bool dot = one.back() == '.';
      one.pop_back();
      if (dot) break;
    }
    s += (s.empty() ? "" : " ") + one;
  }
  return s;
}

std::string GetInt(const void* target) { return Int64ToString(*static_cast<const int64_t*>(target)); }

OptionDef Bool(std::string_view name, bool* target, std::string_view def, uint32_t flags = 0,
               bool (*apply)(void*, std::string*) = nullptr, std::string_view alias = "") {
  OptionDef d;
  d.name = name;
  d.alias = alias;
  d.kind = Kind::kBool;
  d.flags = flags;
  d.default_value = def;
  d.target = target;
  d.apply = apply;
  return d;
}

OptionDef Int(std::string_view name, int64_t* target, std::string_view def, int64_t min,
              int64_t max, uint32_t flags = 0, bool (*apply)(void*, std::string*) = nullptr,
              std::string_view alias = "") {
  OptionDef d;
  d.name = name;
  d.alias = alias;
  d.kind = Kind::kInt;
  d.flags = flags;
  d.default_value = def;
  d.target = target;
  d.min = min;
  d.max = max;
  d.apply = apply;
  return d;
}

OptionDef Mem(std::string_view name, int64_t* target, std::string_view def, int64_t min,
              int64_t max, uint32_t flags = 0, bool (*apply)(void*, std::string*) = nullptr,
              std::string_view alias = "") {
  OptionDef d = Int(name, target, def, min, max, flags, apply, alias);
  d.kind = Kind::kMemory;
  return d;
}

OptionDef Str(std::string_view name, std::string* target, std::string_view def,
              uint32_t flags = 0, bool (*apply)(void*, std::string*) = nullptr) {
  OptionDef d;
  d.name = name;
  d.kind = Kind::kString;
  d.flags = flags;
  d.default_value = def;
  d.target = target;
  d.apply = apply;
  return d;
}

// dbfilename, appendfilename and appenddirname name a file in `dir`, never a path (Redis 7).
bool CheckFileName(std::string_view name, std::string_view v, std::string* err) {
  if (v.find('/') == std::string_view::npos) return true;
  *err = std::string(name) + " can't be a path, just a filename";
  return false;
}

bool CheckDirName(std::string_view name, std::string_view v, std::string* err) {
  if (v.find('/') == std::string_view::npos) return true;
  *err = std::string(name) + " can't be a path, just a dirname";
  return false;
}

OptionDef Checked(OptionDef d, bool (*check)(std::string_view, std::string_view, std::string*)) {
  d.check = check;
  return d;
}

OptionDef Enum(std::string_view name, int* target, std::string_view def,
               std::span<const EnumName> names, uint32_t flags = 0,
               bool (*apply)(void*, std::string*) = nullptr) {
  OptionDef d;
  d.name = name;
  d.kind = Kind::kEnum;
  d.flags = flags;
  d.default_value = def;
  d.target = target;
  d.enum_names = names;
  d.apply = apply;
  return d;
}

OptionDef Custom(std::string_view name, void* target, std::string_view def,
                 bool (*set)(void*, std::span<const std::string>, std::string*),
                 std::string (*get)(const void*), uint32_t flags = 0,
                 bool (*apply)(void*, std::string*) = nullptr) {
  OptionDef d;
  d.name = name;
  d.kind = Kind::kCustom;
  d.flags = flags;
  d.default_value = def;
  d.target = target;
  d.custom_set = set;
  d.custom_get = get;
  d.apply = apply;
  return d;
}

bool SetNotifyEvents(void* target, std::span<const std::string> args, std::string* err) {
  int64_t flags = args.size() == 1 ? KeyspaceEventsFromString(args[0]) : -1;
  if (args.size() != 1) {
    *err = "wrong number of arguments";
    return false;
  }
  if (flags < 0) {
    *err = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
    return false;
  }
  *static_cast<uint32_t*>(target) = static_cast<uint32_t>(flags);
  return true;
}

std::string GetNotifyEvents(const void* target) {
  return KeyspaceEventsToString(*static_cast<const uint32_t*>(target));
}

}  // namespace

int64_t KeyspaceEventsFromString(std::string_view s) {
  int64_t flags = 0;
  for (char ch : s) {
    switch (ch) {
      case 'A': flags |= kNotifyAllClasses; break;
      case 'g': flags |= 1 << 2; break;
      case '$': flags |= 1 << 3; break;
      case 'l': flags |= 1 << 4; break;
      case 's': flags |= 1 << 5; break;
      case 'h': flags |= 1 << 6; break;
      case 'z': flags |= 1 << 7; break;
      case 'x': flags |= 1 << 8; break;
      case 'e': flags |= 1 << 9; break;
      case 't': flags |= 1 << 10; break;
      case 'm': flags |= 1 << 11; break;
      case 'd': flags |= 1 << 13; break;
      case 'n': flags |= 1 << 14; break;
      case 'K': flags |= kNotifyKeyspace; break;
      case 'E': flags |= kNotifyKeyevent; break;
      default: return -1;
    }
  }
  return flags;
}

std::string KeyspaceEventsToString(uint32_t flags) {
  std::string res;
  if ((flags & kNotifyAllClasses) == kNotifyAllClasses) {
    res += 'A';
  } else {
    static constexpr std::pair<uint32_t, char> kLetters[] = {
        {1 << 2, 'g'}, {1 << 3, '$'}, {1 << 4, 'l'}, {1 << 5, 's'}, {1 << 6, 'h'},
        {1 << 7, 'z'}, {1 << 8, 'x'}, {1 << 9, 'e'}, {1 << 10, 't'}, {1 << 13, 'd'}};
    for (const auto& [bit, letter] : kLetters) {
      if (flags & bit) res += letter;
    }
    // As Redis 7.0 prints it: 'n' only without 'A' (with 'A' it is set but not shown).
    if (flags & (1 << 14)) res += 'n';
  }
  if (flags & kNotifyKeyspace) res += 'K';
  if (flags & kNotifyKeyevent) res += 'E';
  if (flags & (1 << 11)) res += 'm';
  return res;
}

void RegisterServerConfig(config::Registry& reg, ServerConfig& c) {
  using namespace config;
  constexpr int64_t kIntMax = INT32_MAX;
  constexpr int64_t kLongMax = INT64_MAX;
  // Network
  reg.Add(Int("port", &c.port, "6379", 0, 65535, 0, ApplyListeners));
  reg.Add(Custom("bind", &c.bind, "127.0.0.1 -::1", SetBind, GetBind, kMultiArg, ApplyListeners));
  reg.Add(Str("unixsocket", &c.unixsocket, "", kImmutable));
  reg.Add(Custom("unixsocketperm", &c.unixsocketperm, "0", SetUnixPerm, GetUnixPerm, kImmutable));
  reg.Add(Int("tcp-backlog", &c.tcp_backlog, "511", 0, kIntMax, kImmutable));
  reg.Add(Int("tcp-keepalive", &c.tcp_keepalive, "300", 0, kIntMax));
  reg.Add(Int("timeout", &c.timeout, "0", 0, kIntMax));
  reg.Add(Bool("protected-mode", &c.protected_mode, "yes"));
  reg.Add(Int("maxclients", &c.maxclients, "10000", 1, kIntMax, 0, ApplyMaxclients));
  reg.Add(Str("requirepass", &c.requirepass, "", kSensitive));
  // General
  reg.Add(Bool("daemonize", &c.daemonize, "no", kImmutable));
  reg.Add(Str("pidfile", &c.pidfile, "", kImmutable));
  reg.Add(Str("dir", &c.dir, "", kProtected, ApplyDir));
  reg.Add(Int("databases", &c.databases, "16", 1, kIntMax, kImmutable));
  reg.Add(Custom("hz", &c.hz, "10", SetHz, GetInt, 0, ApplyRuntime));
  reg.Add(Enum("loglevel", &c.loglevel, "notice", kLogLevels, 0, ApplyLogging));
  reg.Add(Str("logfile", &c.logfile, "", kImmutable));
  reg.Add(Enum("enable-debug-command", &c.enable_debug_command, "no", kDebugModes, kImmutable));
  reg.Add(Enum("enable-protected-configs", &c.enable_protected_configs, "no", kDebugModes,
               kImmutable));
  reg.Add(Bool("activerehashing", &c.activerehashing, "yes"));
  reg.Add(Int("active-expire-effort", &c.active_expire_effort, "1", 1, 10));
  // Limits
  reg.Add(Mem("proto-max-bulk-len", &c.proto_max_bulk_len, "512mb", 1024 * 1024, kLongMax, 0,
              ApplyRuntime));
  reg.Add(Mem("client-query-buffer-limit", &c.client_query_buffer_limit, "1gb", 1024 * 1024,
              kLongMax));
  reg.Add(Custom("client-output-buffer-limit", c.obuf_limits,
                 "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60", SetObufLimits,
                 GetObufLimits, kMultiArg));
  // Observability
  reg.Add(Int("slowlog-log-slower-than", &c.slowlog_log_slower_than, "10000", -1, kLongMax));
  reg.Add(Int("slowlog-max-len", &c.slowlog_max_len, "128", 0, kLongMax, 0, ApplyRuntime));
  reg.Add(Int("latency-monitor-threshold", &c.latency_monitor_threshold, "0", 0, kLongMax));
  reg.Add(Bool("latency-tracking", &c.latency_tracking, "yes"));
  reg.Add(Custom("latency-tracking-info-percentiles", &c.latency_tracking_percentiles, "50 99 99.9",
                 SetPercentiles, GetPercentiles, kMultiArg));
  // Encodings
  reg.Add(Int("hash-max-listpack-entries", &c.hash_max_listpack_entries, "512", 0, kLongMax, 0,
              nullptr, "hash-max-ziplist-entries"));
  reg.Add(Mem("hash-max-listpack-value", &c.hash_max_listpack_value, "64", 0, kLongMax, 0,
              nullptr, "hash-max-ziplist-value"));
  reg.Add(Int("set-max-intset-entries", &c.set_max_intset_entries, "512", 0, kLongMax));
  reg.Add(Int("set-max-listpack-entries", &c.set_max_listpack_entries, "128", 0, kLongMax));
  reg.Add(Mem("set-max-listpack-value", &c.set_max_listpack_value, "64", 0, kLongMax));
  reg.Add(Int("zset-max-listpack-entries", &c.zset_max_listpack_entries, "128", 0, kLongMax, 0,
              nullptr, "zset-max-ziplist-entries"));
  reg.Add(Mem("zset-max-listpack-value", &c.zset_max_listpack_value, "64", 0, kLongMax, 0,
              nullptr, "zset-max-ziplist-value"));
  reg.Add(Int("list-max-listpack-size", &c.list_max_listpack_size, "-2", INT32_MIN, kIntMax, 0,
              nullptr, "list-max-ziplist-size"));
  reg.Add(Int("list-compress-depth", &c.list_compress_depth, "0", 0, kIntMax));
  reg.Add(Mem("hll-sparse-max-bytes", &c.hll_sparse_max_bytes, "3000", 0, kLongMax));
  reg.Add(Mem("stream-node-max-bytes", &c.stream_node_max_bytes, "4096", 0, kLongMax));
  reg.Add(Int("stream-node-max-entries", &c.stream_node_max_entries, "100", 0, kLongMax));
  // Memory
  reg.Add(Mem("maxmemory", &c.maxmemory, "0", 0, kLongMax, 0, ApplyMaxmemory));
  reg.Add(Enum("maxmemory-policy", &c.maxmemory_policy, "noeviction", kPolicies, 0, ApplyRuntime));
  reg.Add(Int("maxmemory-samples", &c.maxmemory_samples, "5", 1, 64));
  reg.Add(Int("maxmemory-eviction-tenacity", &c.maxmemory_eviction_tenacity, "10", 0, 100));
  reg.Add(Int("lfu-log-factor", &c.lfu_log_factor, "10", 0, kIntMax, 0, ApplyRuntime));
  reg.Add(Int("lfu-decay-time", &c.lfu_decay_time, "1", 0, kIntMax, 0, ApplyRuntime));
  reg.Add(Custom("maxmemory-clients", &c.maxmemory_clients, "0", SetClientsLimit,
                 GetClientsLimit, 0, ApplyRuntime));
  // Active defragmentation
  reg.Add(Bool("activedefrag", &c.activedefrag, "no", 0, ApplyActiveDefrag));
  reg.Add(Mem("active-defrag-ignore-bytes", &c.active_defrag_ignore_bytes, "100mb", 1,
              kLongMax));
  reg.Add(Int("active-defrag-threshold-lower", &c.active_defrag_threshold_lower, "10", 0,
              1000));
  reg.Add(Int("active-defrag-threshold-upper", &c.active_defrag_threshold_upper, "100", 0,
              1000));
  reg.Add(Int("active-defrag-cycle-min", &c.active_defrag_cycle_min, "1", 1, 99));
  reg.Add(Int("active-defrag-cycle-max", &c.active_defrag_cycle_max, "25", 1, 99));
  reg.Add(Int("active-defrag-max-scan-fields", &c.active_defrag_max_scan_fields, "1000", 1,
              kLongMax));
  // Persistence
  reg.Add(Custom("save", &c.save, "3600 1 300 100 60 10000", SetSave, GetSave,
                 kMultiArg | kAppendLines));
  reg.Add(Checked(Str("dbfilename", &c.dbfilename, "dump.rdb", kProtected), CheckFileName));
  reg.Add(Bool("rdbcompression", &c.rdbcompression, "yes"));
  reg.Add(Bool("rdbchecksum", &c.rdbchecksum, "yes"));
  reg.Add(Bool("stop-writes-on-bgsave-error", &c.stop_writes_on_bgsave_error, "yes"));
  reg.Add(Bool("appendonly", &c.appendonly, "no", 0, ApplyAppendonly));
  reg.Add(Checked(Str("appendfilename", &c.appendfilename, "appendonly.aof", kImmutable),
                  CheckFileName));
  reg.Add(Checked(Str("appenddirname", &c.appenddirname, "appendonlydir", kImmutable),
                  CheckDirName));
  reg.Add(Bool("rdb-del-sync-files", &c.rdb_del_sync_files, "no"));
  // Replication.
  OptionDef replicaof = Custom("replicaof", &c.replicaof, "", SetReplicaOf, GetReplicaOf,
                               kMultiArg | kImmutable);
  replicaof.alias = "slaveof";
  reg.Add(replicaof);
  reg.Add(Str("masterauth", &c.masterauth, "", kSensitive));
  reg.Add(Str("masteruser", &c.masteruser, ""));
  reg.Add(Bool("replica-read-only", &c.replica_read_only, "yes", 0, nullptr, "slave-read-only"));
  reg.Add(Bool("repl-disable-tcp-nodelay", &c.repl_disable_tcp_nodelay, "no"));
  static constexpr EnumName kDisklessLoad[] = {
      {"disabled", 0}, {"on-empty-db", 1}, {"swapdb", 2}};
  reg.Add(Enum("repl-diskless-load", &c.repl_diskless_load, "disabled", kDisklessLoad));
  reg.Add(Bool("repl-diskless-sync", &c.repl_diskless_sync, "yes"));
  reg.Add(Int("repl-diskless-sync-delay", &c.repl_diskless_sync_delay, "5", 0, kIntMax));
  reg.Add(Int("repl-diskless-sync-max-replicas", &c.repl_diskless_sync_max_replicas, "0", 0,
              kIntMax));
  reg.Add(Bool("replica-serve-stale-data", &c.replica_serve_stale_data, "yes", 0, nullptr,
               "slave-serve-stale-data"));
  reg.Add(Bool("replica-accept-empty-master", &c.replica_accept_empty_master, "no"));
  reg.Add(Int("replica-priority", &c.replica_priority, "100", 0, kIntMax, 0, nullptr,
              "slave-priority"));
  OptionDef announce_ip = Str("replica-announce-ip", &c.replica_announce_ip, "");
  announce_ip.alias = "slave-announce-ip";
  reg.Add(announce_ip);
  reg.Add(Int("replica-announce-port", &c.replica_announce_port, "0", 0, 65535, 0, nullptr,
              "slave-announce-port"));
  reg.Add(Bool("replica-announced", &c.replica_announced, "yes"));
  reg.Add(Int("min-replicas-to-write", &c.min_replicas_to_write, "0", 0, kIntMax, 0, nullptr,
              "min-slaves-to-write"));
  reg.Add(Int("min-replicas-max-lag", &c.min_replicas_max_lag, "10", 0, kIntMax, 0, nullptr,
              "min-slaves-max-lag"));
  // Tessera's synchronous mode: a write's reply waits for this many replicas' ACKs.
  reg.Add(Int("min-sync-replicas", &c.min_sync_replicas, "0", 0, kIntMax));
  reg.Add(Mem("repl-backlog-size", &c.repl_backlog_size, "1mb", 1, kLongMax));
  reg.Add(Int("repl-backlog-ttl", &c.repl_backlog_ttl, "3600", 0, kIntMax));
  reg.Add(Int("repl-timeout", &c.repl_timeout, "60", 1, kIntMax));
  reg.Add(Int("repl-ping-replica-period", &c.repl_ping_replica_period, "10", 1, kIntMax, 0,
              nullptr, "repl-ping-slave-period"));
  reg.Add(Enum("appendfsync", &c.appendfsync, "everysec", kFsyncPolicies));
  reg.Add(Bool("aof-use-rdb-preamble", &c.aof_use_rdb_preamble, "yes"));
  reg.Add(Bool("aof-load-truncated", &c.aof_load_truncated, "yes"));
  reg.Add(Bool("aof-timestamp-enabled", &c.aof_timestamp_enabled, "no"));
  reg.Add(Bool("no-appendfsync-on-rewrite", &c.no_appendfsync_on_rewrite, "no"));
  reg.Add(Bool("aof-rewrite-incremental-fsync", &c.aof_rewrite_incremental_fsync, "yes"));
  reg.Add(Bool("aof-disable-auto-gc", &c.aof_disable_auto_gc, "no", 0, ApplyAofAutoGc));
  reg.Add(Int("auto-aof-rewrite-percentage", &c.auto_aof_rewrite_percentage, "100", 0,
              INT32_MAX));
  reg.Add(Mem("auto-aof-rewrite-min-size", &c.auto_aof_rewrite_min_size, "64mb", 0, kLongMax));
  reg.Add(Int("key-load-delay", &c.key_load_delay, "0", INT32_MIN, INT32_MAX));
  reg.Add(Int("rdb-key-save-delay", &c.rdb_key_save_delay, "0", INT32_MIN, INT32_MAX));
  reg.Add(Int("loading-process-events-interval-bytes",
              &c.loading_process_events_interval_bytes, "2097152", 1024, INT32_MAX));
  // Lazy freeing
  reg.Add(Bool("lazyfree-lazy-eviction", &c.lazyfree_lazy_eviction, "no"));
  reg.Add(Bool("lazyfree-lazy-expire", &c.lazyfree_lazy_expire, "no", 0, ApplyRuntime));
  reg.Add(Bool("lazyfree-lazy-server-del", &c.lazyfree_lazy_server_del, "no", 0, ApplyRuntime));
  reg.Add(Bool("lazyfree-lazy-user-del", &c.lazyfree_lazy_user_del, "no"));
  reg.Add(Bool("lazyfree-lazy-user-flush", &c.lazyfree_lazy_user_flush, "no"));
  // Events, scripting
  reg.Add(Custom("notify-keyspace-events", &c.notify_keyspace_events, "", SetNotifyEvents,
                 GetNotifyEvents));
  reg.Add(Int("tracking-table-max-keys", &c.tracking_table_max_keys, "1000000", 0, kLongMax));
  reg.Add(Int("busy-reply-threshold", &c.busy_reply_threshold, "5000", 0, kLongMax, 0, nullptr,
              "lua-time-limit"));
}

}  // namespace tessera
