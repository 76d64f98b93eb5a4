#include "server/commands/info.h"

#include <fmt/core.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "common/strutil.h"
#include "server/core/aof_log.h"
#include "server/core/memory_stats.h"
#include "server/core/replication.h"
#include "server/core/server.h"
#include "server/scripting/lua_engine.h"

namespace tessera {

namespace {

size_t g_peak = 0;
size_t g_startup = 0;

struct Section {
  std::string_view name;
  bool in_default;
  bool in_all;
};

constexpr Section kSections[] = {
    {"server", true, true},       {"clients", true, true},       {"memory", true, true},
    {"persistence", true, true},  {"stats", true, true},         {"replication", true, true},
    {"cpu", true, true},          {"modules", true, true},       {"commandstats", false, true},
    {"errorstats", true, true},   {"latencystats", false, true}, {"cluster", true, true},
    {"keyspace", true, true},
};

double Seconds(const struct timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

void AppendServer(Server& s, std::string& o) {
  struct utsname name;
  uname(&name);
  int64_t now_us = s.clock().NowUs();
  int64_t uptime = (Clock::RealMonotonicUs() - s.stats().start_monotonic_us) / 1000000;
  std::vector<std::string> addrs;
  if (s.loop() != nullptr) addrs = s.loop()->ListeningAddresses();
  o += fmt::format(
      "# Server\r\nredis_version:{}\r\ntessera_version:{}\r\nredis_git_sha1:00000000\r\n"
      "redis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:standalone\r\nos:{} {} {}\r\n"
      "arch_bits:64\r\nmonotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\n"
      "atomicvar_api:c11-builtin\r\ngcc_version:{}.{}.{}\r\nprocess_id:{}\r\n"
      "process_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\n"
      "uptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\nconfigured_hz:{}\r\n"
      "lru_clock:{}\r\nexecutable:{}\r\nconfig_file:{}\r\nio_threads_active:0\r\n",
      kRedisVersion, kTesseraVersion, name.sysname, name.release, name.machine, __GNUC__,
      __GNUC_MINOR__, __GNUC_PATCHLEVEL__, getpid(), s.run_id(), s.config().port, now_us, uptime,
      uptime / 86400, s.config().hz, s.config().hz, s.keyspace().lru_clock, s.executable(),
      s.registry().config_file());
}

void AppendClients(Server& s, std::string& o) {
  size_t connected = 0, max_in = 0, max_out = 0, blocked = 0;
  for (const auto& [id, c] : s.clients()) {
    if (c->Has(kClientFake)) continue;
    ++connected;
    max_in = std::max(max_in, c->qbuf.pending());
    max_out = std::max(max_out, c->out.allocated());
    if (c->Has(kClientPostponed | kClientBlocked)) ++blocked;
  }
  o += fmt::format(
      "# Clients\r\nconnected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\n"
      "client_recent_max_input_buffer:{}\r\nclient_recent_max_output_buffer:{}\r\n"
      "blocked_clients:{}\r\ntracking_clients:{}\r\nclients_in_timeout_table:{}\r\n",
      connected, s.config().maxclients, max_in, max_out, blocked,
      s.tracking().tracking_clients(), s.clients_in_timeout_table());
}

void AppendMemory(Server& s, std::string& o) {
  MemoryOverview m = ComputeMemoryOverview(s);
  size_t sysmem = TotalSystemMemory();
  size_t lua_vm = s.lua().lua_memory();
  size_t net = m.used > m.startup ? m.used - m.startup : 0;
  (void)net;
  o += fmt::format(
      "# Memory\r\nused_memory:{}\r\nused_memory_human:{}\r\nused_memory_rss:{}\r\n"
      "used_memory_rss_human:{}\r\nused_memory_peak:{}\r\nused_memory_peak_human:{}\r\n"
      "used_memory_peak_perc:{:.2f}%\r\nused_memory_overhead:{}\r\nused_memory_startup:{}\r\n"
      "used_memory_dataset:{}\r\nused_memory_dataset_perc:{:.2f}%\r\nallocator_allocated:{}\r\n"
      "allocator_active:{}\r\nallocator_resident:{}\r\ntotal_system_memory:{}\r\n"
      "total_system_memory_human:{}\r\nused_memory_lua:{}\r\nused_memory_vm_eval:{}\r\n"
      "used_memory_lua_human:{}\r\nused_memory_scripts_eval:{}\r\nnumber_of_cached_scripts:{}\r\n"
      "number_of_functions:0\r\nnumber_of_libraries:0\r\nused_memory_vm_functions:0\r\n"
      "used_memory_vm_total:{}\r\nused_memory_vm_total_human:{}\r\nused_memory_functions:0\r\n"
      "used_memory_scripts:{}\r\nused_memory_scripts_human:{}\r\nmaxmemory:{}\r\n"
      "maxmemory_human:{}\r\nmaxmemory_policy:{}\r\nallocator_frag_ratio:{:.2f}\r\n"
      "allocator_frag_bytes:{}\r\nallocator_rss_ratio:{:.2f}\r\nallocator_rss_bytes:{}\r\n"
      "rss_overhead_ratio:{:.2f}\r\nrss_overhead_bytes:{}\r\nmem_fragmentation_ratio:{:.2f}\r\n"
      "mem_fragmentation_bytes:{}\r\nmem_not_counted_for_evict:{}\r\nmem_replication_backlog:{}\r\n"
      "mem_total_replication_buffers:{}\r\nmem_clients_slaves:{}\r\nmem_clients_normal:{}\r\n"
      "mem_cluster_links:0\r\nmem_aof_buffer:{}\r\nmem_allocator:{}\r\n"
      "active_defrag_running:{}\r\nlazyfree_pending_objects:{}\r\nlazyfreed_objects:{}\r\n",
      m.used, BytesToHuman(m.used), m.rss, BytesToHuman(m.rss), m.peak, BytesToHuman(m.peak),
      m.peak_perc, m.overhead, m.startup, m.dataset, m.dataset_perc, m.allocator_allocated,
      m.allocator_active, m.allocator_resident, sysmem, BytesToHuman(sysmem), lua_vm, lua_vm,
      BytesToHuman(lua_vm), m.lua_caches, s.lua().script_count(), lua_vm, BytesToHuman(lua_vm),
      m.lua_caches, BytesToHuman(m.lua_caches), s.config().maxmemory,
      BytesToHuman(static_cast<size_t>(s.config().maxmemory)),
      s.registry().GetValue("maxmemory-policy"), m.allocator_frag, m.allocator_frag_bytes,
      m.allocator_rss, m.allocator_rss_bytes, m.rss_extra, m.rss_extra_bytes, m.total_frag,
      m.total_frag_bytes, m.not_counted_for_evict, m.repl_backlog,
      m.repl_backlog + m.clients_replicas, m.clients_replicas, m.clients_normal, m.aof_buffer,
      m.allocator, s.defrag_running_pct(), s.keyspace().lazyfree().pending_objects(),
      s.keyspace().lazyfree().freed_objects());
}

void AppendPersistence(Server& s, std::string& o) {
  o += fmt::format("# Persistence\r\nloading:{}\r\nasync_loading:{}\r\n", s.loading() ? 1 : 0,
                   s.async_loading() ? 1 : 0);
  if (s.loading() || s.async_loading()) {
    int64_t elapsed = s.clock().NowMs() / 1000 - s.loading_start_s();
    size_t done = s.loading_loaded_bytes(), total = s.loading_total_bytes();
    double perc = total == 0 ? 0.0 : 100.0 * static_cast<double>(done) / static_cast<double>(total);
    int64_t eta = done == 0 || elapsed == 0
                      ? 1
                      : static_cast<int64_t>(static_cast<double>(total - done) /
                                             (static_cast<double>(done) / elapsed));
    o += fmt::format(
        "loading_start_time:{}\r\nloading_total_bytes:{}\r\nloading_rdb_used_mem:0\r\n"
        "loading_loaded_bytes:{}\r\nloading_loaded_perc:{:.2f}\r\nloading_eta_seconds:{}\r\n",
        s.loading_start_s(), total, done, perc, eta);
  }
  o += fmt::format(
      "current_cow_peak:0\r\n"
      "current_cow_size:0\r\ncurrent_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\n"
      "current_save_keys_processed:0\r\ncurrent_save_keys_total:0\r\n"
      "rdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{}\r\nrdb_last_save_time:{}\r\n"
      "rdb_last_bgsave_status:{}\r\nrdb_last_bgsave_time_sec:{}\r\n"
      "rdb_current_bgsave_time_sec:{}\r\nrdb_saves:{}\r\nrdb_last_cow_size:{}\r\n"
      "rdb_last_load_keys_expired:{}\r\nrdb_last_load_keys_loaded:{}\r\naof_enabled:{}\r\n"
      "aof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\naof_last_rewrite_time_sec:{}\r\n"
      "aof_current_rewrite_time_sec:{}\r\naof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\n"
      "aof_rewrites_consecutive_failures:0\r\naof_last_write_status:{}\r\naof_last_cow_size:{}\r\n"
      "module_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n",
      s.dirty, s.rdb_child_pid() > 0 ? 1 : 0, s.last_save_time_s,
      s.rdb_last_bgsave_ok() ? "ok" : "err", s.rdb_last_bgsave_time_s(),
      s.rdb_child_pid() > 0 ? (s.clock().NowMs() - s.rdb_save_start_ms()) / 1000 : -1,
      s.rdb_saves(), s.rdb_last_cow_size(), s.rdb_last_load_keys_expired(), s.rdb_last_load_keys_loaded(),
      s.aof_enabled() ? 1 : 0, s.aof_child_pid() > 0 ? 1 : 0, s.aof_rewrite_scheduled() ? 1 : 0,
      s.aof_last_rewrite_time_s(),
      s.aof_child_pid() > 0 ? (s.clock().NowMs() - s.aof_rewrite_start_ms()) / 1000 : -1,
      s.aof_last_rewrite_ok() ? "ok" : "err", s.aof_rewrites(),
      s.aof() == nullptr || s.aof()->last_write_ok() ? "ok" : "err", s.aof_last_cow_size());
  if (s.aof_enabled() && s.aof() != nullptr) {
    const AofLog& a = *s.aof();
    o += fmt::format(
        "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:{}\r\n"
        "aof_buffer_length:{}\r\naof_pending_bio_fsync:0\r\naof_delayed_fsync:{}\r\n",
        a.base_size() + a.current_size(), a.base_size(), s.aof_rewrite_scheduled() ? 1 : 0,
        a.buffered(), a.delayed_fsync());
  }
}

void AppendStats(Server& s, std::string& o) {
  const ServerStats& st = s.stats();
  const KeyspaceStats& ks = s.keyspace().stats();
  o += fmt::format(
      "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\n"
      "instantaneous_ops_per_sec:{}\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\n"
      "total_net_repl_input_bytes:0\r\ntotal_net_repl_output_bytes:0\r\n"
      "instantaneous_input_kbps:{:.2f}\r\ninstantaneous_output_kbps:{:.2f}\r\n"
      "instantaneous_input_repl_kbps:0.00\r\ninstantaneous_output_repl_kbps:0.00\r\n"
      "rejected_connections:{}\r\nsync_full:{}\r\nsync_partial_ok:{}\r\nsync_partial_err:{}\r\n"
      "expired_keys:{}\r\nexpired_stale_perc:{:.2f}\r\nexpired_time_cap_reached_count:{}\r\n"
      "expire_cycle_cpu_milliseconds:{}\r\nevicted_keys:{}\r\nevicted_clients:{}\r\n"
      "total_eviction_exceeded_time:0\r\ncurrent_eviction_exceeded_time:0\r\n"
      "keyspace_hits:{}\r\nkeyspace_misses:{}\r\npubsub_channels:{}\r\npubsub_patterns:{}\r\n"
      "pubsubshard_channels:{}\r\nlatest_fork_usec:{}\r\ntotal_forks:{}\r\n"
      "migrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\nactive_defrag_hits:{}\r\n"
      "active_defrag_misses:{}\r\nactive_defrag_key_hits:{}\r\nactive_defrag_key_misses:{}\r\n"
      "total_active_defrag_time:{}\r\ncurrent_active_defrag_time:{}\r\ntracking_total_keys:{}\r\n"
      "tracking_total_items:{}\r\ntracking_total_prefixes:{}\r\nunexpected_error_replies:{}\r\n"
      "total_error_replies:{}\r\ndump_payload_sanitizations:0\r\ntotal_reads_processed:{}\r\n"
      "total_writes_processed:{}\r\nio_threaded_reads_processed:0\r\n"
      "io_threaded_writes_processed:0\r\nclient_query_buffer_limit_disconnections:{}\r\n"
      "client_output_buffer_limit_disconnections:{}\r\nreply_buffer_shrinks:0\r\n"
      "reply_buffer_expands:0\r\n",
      st.total_connections_received, st.total_commands_processed,
      static_cast<int64_t>(st.ops_per_sec.Rate()), st.net_input_bytes, st.net_output_bytes,
      st.input_kbps.Rate() / 1024, st.output_kbps.Rate() / 1024, st.rejected_connections, st.sync_full,
      st.sync_partial_ok, st.sync_partial_err,
      ks.expired_keys, ks.expired_stale_perc * 100, ks.expired_time_cap_reached_count,
      ks.expire_cycle_cpu_us / 1000, s.evicted_keys(), s.evicted_clients(), ks.hits, ks.misses,
      s.pubsub().channels(PubSubKind::kChannel).size(), s.pubsub().patterns().size(),
      s.pubsub().channels(PubSubKind::kShard).size(), s.rdb_fork_usec(), s.total_forks(),
      s.defrag_stats().hits,
      s.defrag_stats().misses, s.defrag_stats().key_hits, s.defrag_stats().key_misses,
      s.defrag_total_ms(), s.defrag_current_ms(), s.tracking().total_keys(),
      s.tracking().total_items(), s.tracking().total_prefixes(), st.unexpected_error_replies,
      st.total_error_replies, st.total_reads_processed, st.total_writes_processed,
      st.client_qbuf_limit_disconnections, st.client_outbuf_limit_disconnections);
}

void AppendReplication(Server& s, std::string& o) {
  const Replication& r = s.replication();
  if (r.is_replica()) {
    const ReplicaLink& l = r.link();
    bool up = r.LinkStreaming();
    int64_t io = r.master_client() != nullptr
                     ? (s.clock().NowMs() - r.master_client()->last_interaction_ms) / 1000
                     : -1;
    o += fmt::format(
        "# Replication\r\nrole:slave\r\nmaster_host:{}\r\nmaster_port:{}\r\n"
        "master_link_status:{}\r\nmaster_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\n"
        "slave_read_repl_offset:{}\r\nslave_repl_offset:{}\r\n",
        r.master_host(), r.master_port(), up ? "up" : "down", up ? io : -1,
        l.state() == ReplicaLink::State::kTransfer ? 1 : 0, r.offset(), r.offset());
    if (l.state() == ReplicaLink::State::kTransfer) {
      o += fmt::format("master_sync_total_bytes:{}\r\nmaster_sync_read_bytes:{}\r\n"
                       "master_sync_left_bytes:{}\r\nmaster_sync_last_io_seconds_ago:{}\r\n",
                       l.transfer_size(), l.transfer_read(),
                       l.transfer_size() < 0 ? -1 : l.transfer_size() - l.transfer_read(),
                       (s.clock().NowMs() - l.last_io_ms()) / 1000);
    }
    if (!up) {
      o += fmt::format("master_link_down_since_seconds:{}\r\n",
                       r.link_down_since_ms() == 0
                           ? -1
                           : (s.clock().NowMs() - r.link_down_since_ms()) / 1000);
    }
    o += fmt::format("slave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:{}\r\n",
                     s.config().replica_priority, s.config().replica_read_only ? 1 : 0,
                     s.config().replica_announced ? 1 : 0);
  } else {
    o += "# Replication\r\nrole:master\r\n";
  }
  o += fmt::format("connected_slaves:{}\r\n", r.replicas().size());
  if (s.config().min_replicas_to_write > 0 && s.config().min_replicas_max_lag > 0) {
    o += fmt::format("min_slaves_good_slaves:{}\r\n", r.GoodReplicas());
  }
  int i = 0;
  int64_t now = s.clock().NowMs();
  for (const Client* c : r.replicas()) {
    const ReplicaInfo& ri = *c->repl;
    o += fmt::format("slave{}:ip={},port={},state={},offset={},lag={}\r\n", i++,
                     Replication::ReplicaIp(*c),
                     ri.listening_port, Replication::StateName(ri), ri.ack_offset,
                     (now - ri.ack_time_ms) / 1000);
  }
  const ReplBacklog* b = r.backlog();
  o += fmt::format(
      "master_failover_state:{}\r\nmaster_replid:{}\r\nmaster_replid2:{}\r\n"
      "master_repl_offset:{}\r\nsecond_repl_offset:{}\r\nrepl_backlog_active:{}\r\n"
      "repl_backlog_size:{}\r\nrepl_backlog_first_byte_offset:{}\r\nrepl_backlog_histlen:{}\r\n"
      "repl_backlog_too_small:{}\r\n",
      r.FailoverStateName(), r.replid(), r.replid2(), r.offset(), r.second_offset(),
      b != nullptr ? 1 : 0,
      s.config().repl_backlog_size, b != nullptr ? b->first_offset() : 0,
      b != nullptr ? b->histlen() : 0, r.backlog_too_small() ? 1 : 0);
}

void AppendCpu(std::string& o) {
  struct rusage self, children, thread;
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  getrusage(RUSAGE_THREAD, &thread);
  o += fmt::format(
      "# CPU\r\nused_cpu_sys:{:.6f}\r\nused_cpu_user:{:.6f}\r\nused_cpu_sys_children:{:.6f}\r\n"
      "used_cpu_user_children:{:.6f}\r\nused_cpu_sys_main_thread:{:.6f}\r\n"
      "used_cpu_user_main_thread:{:.6f}\r\n",
      Seconds(self.ru_stime), Seconds(self.ru_utime), Seconds(children.ru_stime),
      Seconds(children.ru_utime), Seconds(thread.ru_stime), Seconds(thread.ru_utime));
}

void AppendCommandStats(Server& s, std::string& o) {
  o += "# Commandstats\r\n";
  auto one = [&](const Command& c) {
    const CommandStats& st = c.stats;
    if (st.calls == 0 && st.failed == 0 && st.rejected == 0) return;
    o += fmt::format("cmdstat_{}:calls={},usec={},usec_per_call={:.2f},rejected_calls={},"
                     "failed_calls={}\r\n",
                     c.fullname, st.calls, st.usec,
                     st.calls ? static_cast<double>(st.usec) / st.calls : 0.0, st.rejected,
                     st.failed);
  };
  for (const auto& c : s.commands().all()) {
    one(*c);
    for (const auto& sub : c->subcommands) one(*sub);
  }
}

void AppendErrorStats(Server& s, std::string& o) {
  o += "# Errorstats\r\n";
  for (const auto& [code, count] : s.stats().error_codes) {
    o += fmt::format("errorstat_{}:count={}\r\n", code, count);
  }
}

void AppendLatencyStats(Server& s, std::string& o) {
  o += "# Latencystats\r\n";
  auto one = [&](const Command& c) {
    const LatencyHistogram& h = c.stats.latency;
    if (h.total() == 0) return;
    std::string line = "latency_percentiles_usec_" + c.fullname + ":";
    bool first = true;
    for (double p : s.config().latency_tracking_percentiles) {
      line += fmt::format("{}p{}={:.3f}", first ? "" : ",", p,
                          static_cast<double>(h.ValueAtPercentile(p)) / 1000.0);
      first = false;
    }
    o += line + "\r\n";
  };
  for (const auto& c : s.commands().all()) {
    one(*c);
    for (const auto& sub : c->subcommands) one(*sub);
  }
}

void AppendKeyspace(Server& s, std::string& o) {
  o += "# Keyspace\r\n";
  for (int i = 0; i < s.keyspace().dbnum(); ++i) {
    Db& db = s.keyspace().db(i);
    if (db.size() == 0) continue;
    o += fmt::format("db{}:keys={},expires={},avg_ttl={}\r\n", i, db.size(), db.expires_size(),
                     db.avg_ttl_ms);
  }
}

}  // namespace

void SampleMemoryPeak(Server& server) {
  (void)server;
  size_t used = UsedMemory();
  if (g_startup == 0) g_startup = used;
  g_peak = std::max(g_peak, used);
}

MemoryOverview ComputeMemoryOverview(Server& s) {
  MemoryOverview m;
  m.used = UsedMemory();
  g_peak = std::max(g_peak, m.used);
  m.peak = g_peak;
  m.startup = g_startup;
  m.rss = ProcessRss();
  for (const auto& [id, c] : s.clients()) {
    if (c->Has(kClientReplica)) {
      m.clients_replicas += c->MemoryUsage();
    } else {
      m.clients_normal += c->MemoryUsage();
    }
  }
  m.lua_caches = s.lua().scripts_memory();
  if (const ReplBacklog* b = s.replication().backlog()) m.repl_backlog = b->allocated();
  m.not_counted_for_evict = s.replication().MemoryNotCountedForEvict() + m.aof_buffer;
  m.overhead = m.startup + m.clients_normal + m.clients_replicas + m.repl_backlog +
               m.aof_buffer + m.lua_caches + m.functions_caches;
  for (int i = 0; i < s.keyspace().dbnum(); ++i) {
    Db& db = s.keyspace().db(i);
    m.keys += db.size();
    if (db.size() == 0) continue;
    MemoryOverview::DbOverhead d{i, db.keys().buckets() * sizeof(void*),
                                 db.expires().buckets() * sizeof(void*)};
    m.overhead += d.main + d.expires;
    m.dbs.push_back(d);
  }
  if (m.overhead > m.used) m.overhead = m.used;
  m.dataset = m.used - m.overhead;
  size_t net = m.used > m.startup ? m.used - m.startup : 0;
  auto ratio = [](size_t a, size_t b) { return b == 0 ? 0.0 : static_cast<double>(a) / b; };
  auto diff = [](size_t a, size_t b) { return static_cast<int64_t>(a) - static_cast<int64_t>(b); };
  m.dataset_perc = ratio(m.dataset, net) * 100;
  m.peak_perc = ratio(m.used, m.peak) * 100;
  MemoryStats a = ReadMemoryStats();
  m.allocator_allocated = a.allocated;
  m.allocator_active = a.active;
  m.allocator_resident = a.resident;
  m.allocator = a.allocator;
  m.allocator_frag = ratio(a.active, a.allocated);
  m.allocator_frag_bytes = diff(a.active, a.allocated);
  m.allocator_rss = ratio(a.resident, a.active);
  m.allocator_rss_bytes = diff(a.resident, a.active);
  m.rss_extra = ratio(m.rss, a.resident);
  m.rss_extra_bytes = diff(m.rss, a.resident);
  m.total_frag = ratio(m.rss, m.used);
  m.total_frag_bytes = diff(m.rss, m.used);
  return m;
}

std::string MemoryDoctorReport(Server& s) {
  MemoryOverview m = ComputeMemoryOverview(s);
  constexpr size_t kMb = 1024 * 1024;
  if (m.used < 5 * kMb) {
    return "This instance uses less than 5 MB of memory, too little for the memory doctor to "
           "tell a problem from normal start-up overhead. Load some data and ask again.\n";
  }
  std::vector<std::string> found;
  if (m.peak > m.used * 3 / 2) {
    found.push_back(fmt::format(
        "Peak memory: used memory ({}) once peaked at {}, more than 150% of what it is now. The "
        "allocator keeps some of the freed memory, so the RSS may stay near the peak; MEMORY "
        "PURGE can return part of it to the system.",
        BytesToHuman(m.used), BytesToHuman(m.peak)));
  }
  if (m.total_frag > 1.4 && m.total_frag_bytes > static_cast<int64_t>(10 * kMb)) {
    found.push_back(fmt::format(
        "High total RSS: the process RSS is {:.2f} times used memory ({} more). Look at the "
        "allocator figures below to see where it goes.",
        m.total_frag, BytesToHuman(static_cast<size_t>(m.total_frag_bytes))));
  }
  if (m.allocator_frag > 1.1 && m.allocator_frag_bytes > static_cast<int64_t>(10 * kMb)) {
    found.push_back(fmt::format(
        "High allocator fragmentation: pages with live data hold {:.2f} times the bytes in use "
        "({} in partly used pages). Enabling active defragmentation (CONFIG SET activedefrag "
        "yes) moves live values out of sparse pages.",
        m.allocator_frag, BytesToHuman(static_cast<size_t>(m.allocator_frag_bytes))));
  }
  if (m.allocator_rss > 1.1 && m.allocator_rss_bytes > static_cast<int64_t>(10 * kMb)) {
    found.push_back(fmt::format(
        "High allocator RSS overhead: the allocator keeps {} resident that no allocation uses "
        "(ratio {:.2f}), usually after a peak; MEMORY PURGE returns it.",
        BytesToHuman(static_cast<size_t>(m.allocator_rss_bytes)), m.allocator_rss));
  }
  if (m.rss_extra > 1.1 && m.rss_extra_bytes > static_cast<int64_t>(10 * kMb)) {
    found.push_back(fmt::format(
        "High process RSS overhead: {} of the RSS ({:.2f} times the allocator's resident "
        "memory) is outside the allocator: code, thread stacks, memory-mapped files or a "
        "forked child's copy-on-write pages.",
        BytesToHuman(static_cast<size_t>(m.rss_extra_bytes)), m.rss_extra));
  }
  size_t normal = 0, replicas = 0;
  for (const auto& [id, c] : s.clients()) (c->Has(kClientReplica) ? replicas : normal)++;
  if (normal > 0 && m.clients_normal / normal > 200 * 1024) {
    found.push_back(fmt::format(
        "Big client buffers: {} normal clients use {} on average. Check CLIENT LIST for large "
        "qbuf or omem, and consider client-output-buffer-limit or maxmemory-clients.",
        normal, BytesToHuman(m.clients_normal / normal)));
  }
  if (replicas > 0 && m.clients_replicas / replicas > 10 * kMb) {
    found.push_back(fmt::format(
        "Big replica buffers: each replica link holds {} on average. The replicas are slow to "
        "read, or the link is slow; client-output-buffer-limit replica bounds it.",
        BytesToHuman(m.clients_replicas / replicas)));
  }
  if (s.lua().script_count() > 1000) {
    found.push_back(fmt::format(
        "Many cached scripts: the EVAL cache holds {} scripts ({}). Scripts built with their "
        "arguments inlined make a new script each time; pass values as ARGV and run SCRIPT "
        "FLUSH.",
        s.lua().script_count(), BytesToHuman(m.lua_caches)));
  }
  if (found.empty()) {
    return "No memory issue found. The checks cover what the server can measure itself: peak "
           "versus current use, allocator fragmentation and overhead, process RSS, client and "
           "replica buffers, and the script cache.\n";
  }
  std::string out = fmt::format("The memory doctor found {} issue{}:\n\n", found.size(),
                                found.size() == 1 ? "" : "s");
  for (const auto& f : found) out += " * " + f + "\n\n";
  return out;
}

std::string BuildInfo(Server& s, std::span<const std::string_view> args) {
  std::set<std::string> want;
  bool everything = false;
  if (args.empty()) {
    want.insert("default");
  }
  for (std::string_view a : args) want.insert(ToLower(a));
  if (want.count("everything")) everything = true;
  bool all = everything || want.count("all");
  bool def = want.count("default") > 0;
  auto selected = [&](const Section& sec) {
    return everything || (all && sec.in_all) ||
           (def && sec.in_default) || want.count(std::string(sec.name));
  };
  std::string o;
  for (const Section& sec : kSections) {
    if (!selected(sec)) continue;
    if (!o.empty()) o += "\r\n";
    if (sec.name == "server") AppendServer(s, o);
    else if (sec.name == "clients") AppendClients(s, o);
    else if (sec.name == "memory") AppendMemory(s, o);
    else if (sec.name == "persistence") AppendPersistence(s, o);
    else if (sec.name == "stats") AppendStats(s, o);
    else if (sec.name == "replication") AppendReplication(s, o);
    else if (sec.name == "cpu") AppendCpu(o);
    else if (sec.name == "modules") o += "# Modules\r\n";
    else if (sec.name == "commandstats") AppendCommandStats(s, o);
    else if (sec.name == "errorstats") AppendErrorStats(s, o);
    else if (sec.name == "latencystats") AppendLatencyStats(s, o);
    else if (sec.name == "cluster") o += "# Cluster\r\ncluster_enabled:0\r\n";
    else if (sec.name == "keyspace") AppendKeyspace(s, o);
  }
  return o;
}

}  // namespace tessera
