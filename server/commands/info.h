// INFO: the report with Redis's section and field names, filled from real figures.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {

class Server;

// Builds the INFO text for the requested sections ("default", "all", "everything" or names).
std::string BuildInfo(Server& server, std::span<const std::string_view> sections);

// Samples the startup figure (first call) and the peak (every cron turn).
void SampleMemoryPeak(Server& server);

// The breakdown of used memory that INFO memory, MEMORY STATS and MEMORY DOCTOR report
// (Redis's redisMemOverhead), computed from live figures.
struct MemoryOverview {
  size_t used = 0;        // UsedMemory(): what maxmemory compares with
  size_t peak = 0;
  size_t startup = 0;
  size_t rss = 0;
  size_t clients_normal = 0;
  size_t clients_replicas = 0;
  size_t repl_backlog = 0;
  size_t not_counted_for_evict = 0;  // replica buffers beyond the backlog, the AOF buffer
  size_t aof_buffer = 0;
  size_t lua_caches = 0;  // EVAL script cache
  size_t functions_caches = 0;
  struct DbOverhead {
    int id;
    size_t main;     // bucket arrays of the keys table
    size_t expires;  // bucket arrays of the TTL index
  };
  std::vector<DbOverhead> dbs;  // databases holding keys
  size_t overhead = 0;          // everything above except rss/peak, plus startup
  size_t keys = 0;
  size_t dataset = 0;           // used - overhead
  double dataset_perc = 0;      // of used - startup
  double peak_perc = 0;
  size_t allocator_allocated = 0, allocator_active = 0, allocator_resident = 0;
  double allocator_frag = 0, allocator_rss = 0, rss_extra = 0, total_frag = 0;
  int64_t allocator_frag_bytes = 0, allocator_rss_bytes = 0, rss_extra_bytes = 0,
          total_frag_bytes = 0;
  std::string allocator;
};
MemoryOverview ComputeMemoryOverview(Server& server);
// MEMORY DOCTOR's report.
std::string MemoryDoctorReport(Server& server);

}  // namespace tessera
