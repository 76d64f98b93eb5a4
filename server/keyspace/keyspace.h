// All databases plus the policy around them: expiry on access (delete or hide), keyspace
// hit/miss statistics, LRU clock updates, lazy freeing, flushes, and the active expiry cycle.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "server/ds/dict.h"
#include "server/keyspace/db.h"
#include "server/keyspace/lazyfree.h"

namespace tessera {

// Told about deletions the keyspace decides on by itself (expiry), so the server can count,
// notify and propagate them. Called before the object is freed.
class KeyspaceEvents {
 public:
  virtual ~KeyspaceEvents() = default;
  virtual void OnExpired(Db& db, std::string_view key) = 0;
};

struct KeyspaceStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t expired_keys = 0;
  double expired_stale_perc = 0;
  uint64_t expired_time_cap_reached_count = 0;
  uint64_t expire_cycle_cpu_us = 0;
};

enum LookupFlags : uint32_t {
  kLookupRead = 0,           // counts a hit or a miss, updates the LRU clock
  kLookupWrite = 1 << 0,     // no hit/miss statistics
  kLookupNoTouch = 1 << 1,   // does not update the LRU clock
};

class Keyspace {
 public:
  Keyspace(int dbnum, int slot_bits, KeyspaceEvents* events);
  ~Keyspace();

  int dbnum() const { return static_cast<int>(dbs_.size()); }
  Db& db(int i) { return *dbs_[static_cast<size_t>(i)]; }
  LazyFree& lazyfree() { return lazyfree_; }
  KeyspaceStats& stats() { return stats_; }
  ds::Rng& rng() { return rng_; }

  // The live object under key, or nullptr if absent or logically expired. An expired key is
  // deleted (and reported) when expiry deletion is allowed, else only hidden.
  KeyValue* Lookup(Db& db, std::string_view key, int64_t now_ms, uint32_t flags = kLookupRead);
  static bool IsExpired(const KeyValue* kv, int64_t now_ms) {
    return kv->has_expire() && kv->expire_ms() < now_ms;
  }
  // Deletes an expired object found by a lookup or a scan: reports it, then frees it.
  void DeleteExpired(Db& db, KeyValue* kv);

  // Unlinks and frees key; `lazy` hands expensive values to the background thread.
  bool Delete(Db& db, std::string_view key, bool lazy);
  void FreeObject(KeyValue* kv, bool lazy);
  // Empties one database or all of them; `async` frees on the background thread.
  void Flush(Db& db, bool async);
  void FlushAll(bool async);
  void Swap(int a, int b) { dbs_[static_cast<size_t>(a)]->SwapContents(*dbs_[static_cast<size_t>(b)]); }

  // One slice of active expiry (Redis's activeExpireCycle): walks the TTL index of each db
  // in samples of 20, deleting expired keys, repeating on a db while more than 25% of a
  // sample had expired, and stops after `budget_us`. Returns true if it hit the budget.
  bool ActiveExpireCycle(int64_t now_ms, int64_t budget_us);
  // Incremental rehash and shrink of every db's tables for up to `budget_us`.
  void CronRehash(int64_t budget_us, bool active_rehashing);

  // Access tracking (Redis's robj lru field): a 24-bit LRU clock, or under an LFU maxmemory
  // policy a 16-bit minute stamp and an 8-bit logarithmic access counter.
  void InitAccess(KeyValue* kv, int64_t now_ms);
  void Touch(KeyValue* kv, int64_t now_ms);
  // The LFU counter after decay, without counting an access (OBJECT FREQ).
  uint32_t LfuCounter(const KeyValue* kv, int64_t now_ms) const;
  bool lfu = false;
  int64_t lfu_log_factor = 10;
  int64_t lfu_decay_time = 1;

  // Settings the server mirrors from config and state.
  bool expire_deletes = true;         // false: expired keys are hidden but not deleted
  bool active_expire_enabled = true;  // DEBUG SET-ACTIVE-EXPIRE
  bool lazyfree_lazy_expire = false;
  bool lazyfree_lazy_server_del = false;
  uint32_t lru_clock = 0;             // seconds, 24 bits (LRU_CLOCK)

 private:
  KeyspaceEvents* events_;
  std::vector<std::unique_ptr<Db>> dbs_;
  LazyFree lazyfree_;
  KeyspaceStats stats_;
  ds::Rng rng_;
  int expire_db_ = 0;  // where the next active expiry slice starts
};

inline constexpr uint32_t kLfuInitValue = 5;
inline uint32_t LfuMinutes(int64_t now_ms) { return static_cast<uint32_t>(now_ms / 60000) & 65535; }

// The 24-bit LRU clock for a unix time in ms (1 s resolution), as Redis's LRU_CLOCK.
inline uint32_t LruClockAt(int64_t now_ms) {
  return static_cast<uint32_t>(now_ms / 1000) & kLruClockMax;
}
// Estimated idle milliseconds of an object given the current LRU clock.
inline uint64_t LruIdleMs(uint32_t clock, uint32_t obj_lru) {
  if (clock >= obj_lru) return static_cast<uint64_t>(clock - obj_lru) * 1000;
  return static_cast<uint64_t>(clock + (kLruClockMax - obj_lru)) * 1000;
}

}  // namespace tessera
