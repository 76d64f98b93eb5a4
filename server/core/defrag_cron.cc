// Active defragmentation driven by the cron (Redis's activeDefragCycle/computeDefragCycles):
// once a second the allocator's fragmentation decides whether a cycle runs and how much CPU it
// may take (interpolated between active-defrag-cycle-min and -max as fragmentation goes from
// the lower to the upper threshold); a running cycle walks every database with a SCAN cursor
// in time slices and ends after a full pass, to start again if still needed.
#include <algorithm>

#include "common/clock.h"
#include "common/log.h"
#include "server/core/memory_stats.h"
#include "server/core/server.h"

namespace tessera {

bool ApplyActiveDefrag(void* server, std::string* err) {
  auto* s = static_cast<Server*>(server);
  if (s->config().activedefrag && !DefragSupported()) {
    *err = "Active defragmentation cannot be enabled: it requires jemalloc as the allocator, "
           "and this build uses another one";
    return false;
  }
  return true;
}

int64_t Server::defrag_total_ms() const { return defrag_.total_ms + defrag_current_ms(); }

int64_t Server::defrag_current_ms() const {
  return defrag_.running_pct > 0 ? clock_.NowMs() - defrag_.started_ms : 0;
}

void Server::ComputeDefragCycles(int64_t now_ms) {
  Fragmentation f = AllocatorFragmentation();
  const ServerConfig& c = config_;
  if (defrag_.running_pct == 0 &&
      (f.pct < static_cast<double>(c.active_defrag_threshold_lower) ||
       f.bytes < static_cast<size_t>(c.active_defrag_ignore_bytes))) {
    return;
  }
  double lower = static_cast<double>(c.active_defrag_threshold_lower);
  double upper = static_cast<double>(c.active_defrag_threshold_upper);
  double span = upper > lower ? upper - lower : 1.0;
  double pos = (f.pct - lower) / span;
  int pct = static_cast<int>(static_cast<double>(c.active_defrag_cycle_min) +
                             pos * static_cast<double>(c.active_defrag_cycle_max -
                                                       c.active_defrag_cycle_min));
  pct = std::clamp<int>(pct, static_cast<int>(c.active_defrag_cycle_min),
                        static_cast<int>(c.active_defrag_cycle_max));
  // A running cycle may become more aggressive, never less.
  if (pct > defrag_.running_pct) {
    if (defrag_.running_pct == 0) {
      defrag_.started_ms = now_ms;
      defrag_.hits_at_start = defrag_.stats.hits;
      LogVerbose("Starting active defrag, frag={:.0f}%, frag_bytes={}, cpu={}%", f.pct, f.bytes,
                 pct);
    }
    defrag_.running_pct = pct;
  }
}

void Server::ActiveDefragCycle() {
  int64_t now_ms = clock_.NowMs();
  if (!config_.activedefrag) {
    if (defrag_.running_pct > 0) {
      // Switched off mid-cycle: stop, and start from the beginning next time.
      defrag_.total_ms += now_ms - defrag_.started_ms;
      defrag_.running_pct = 0;
      defrag_.db = 0;
      defrag_.cursor = 0;
    }
    return;
  }
  if (now_ms - defrag_.last_check_ms >= 1000) {
    defrag_.last_check_ms = now_ms;
    ComputeDefragCycles(now_ms);
  }
  if (defrag_.running_pct == 0) return;
  int64_t hz = std::max<int64_t>(config_.hz, 1);
  int64_t limit_us = std::max<int64_t>(1, 1000000 * defrag_.running_pct / hz / 100);
  uint64_t start = Clock::Ticks();
  static const DefragAllocator kAlloc{DefragAlloc, DefragFree};
  KeyspaceDefragger walker(kAlloc);
  size_t max_fields = static_cast<size_t>(config_.active_defrag_max_scan_fields);
  uint64_t keys_seen = 0;
  for (;;) {
    Db& db = keyspace_->db(defrag_.db);
    if (db.size() > 0) {
      uint64_t before = defrag_.stats.key_hits + defrag_.stats.key_misses;
      defrag_.cursor = walker.Step(db, defrag_.cursor, max_fields, &defrag_.stats);
      keys_seen += defrag_.stats.key_hits + defrag_.stats.key_misses - before;
    } else {
      defrag_.cursor = 0;
    }
    if (defrag_.cursor == 0) {
      if (++defrag_.db >= keyspace_->dbnum()) {
        // A full pass is over.
        defrag_.db = 0;
        Fragmentation f = AllocatorFragmentation();
        int64_t took = clock_.NowMs() - defrag_.started_ms;
        LogVerbose("Active defrag done in {}ms, reallocated={}, frag={:.0f}%, frag_bytes={}",
                   took, defrag_.stats.hits - defrag_.hits_at_start, f.pct, f.bytes);
        defrag_.total_ms += took;
        defrag_.running_pct = 0;
        // Start another pass right away when fragmentation still calls for one.
        defrag_.last_check_ms = now_ms;
        ComputeDefragCycles(clock_.NowMs());
        if (defrag_.running_pct == 0 || Clock::ElapsedUs(start) > limit_us) break;
      }
    }
    if (keys_seen >= 16) {
      keys_seen = 0;
      if (Clock::ElapsedUs(start) > limit_us) break;
    }
  }
}

}  // namespace tessera
