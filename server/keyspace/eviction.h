// Choosing keys to evict under maxmemory, as Redis approximates it: LRU, LFU and TTL policies
// sample `maxmemory-samples` keys per database into a 16-entry pool ordered by idle score and
// evict the best candidate that still exists; random policies pick a random key, visiting the
// databases in turn. The caller deletes the key and accounts for the memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/keyspace/keyspace.h"

namespace tessera {

// maxmemory-policy values (the order of CONFIG's names).
enum MaxmemoryPolicy {
  kVolatileLru = 0, kVolatileLfu, kVolatileRandom, kVolatileTtl,
  kAllkeysLru, kAllkeysLfu, kAllkeysRandom, kNoEviction
};
inline bool IsLfuPolicy(int p) { return p == kVolatileLfu || p == kAllkeysLfu; }

// The eviction pool (Redis's EVPOOL_SIZE candidates), ascending by idle score.
class EvictionPool {
 public:
  static constexpr size_t kSize = 16;
  // Offers a candidate; it stays if the pool has room or it beats the least idle one.
  void Offer(uint64_t idle, int db, std::string_view key);
  // Takes the most idle candidate out; false when empty.
  bool TakeBest(int* db, std::string* key);
  size_t size() const { return entries_.size(); }
  // For tests: the idle scores, ascending.
  std::vector<uint64_t> idles() const;

 private:
  struct Entry {
    uint64_t idle;
    int db;
    std::string key;
  };
  std::vector<Entry> entries_;
};

class Evictor {
 public:
  // The next key to evict under `policy` (a MaxmemoryPolicy other than noeviction), sampling
  // `samples` keys per database. False when no key qualifies (nothing with a TTL for
  // volatile-*, or an empty keyspace).
  bool PickKey(Keyspace& ks, int policy, int samples, int64_t now_ms, int* db, std::string* key);

 private:
  uint64_t IdleScore(Keyspace& ks, int policy, const KeyValue* kv, int64_t now_ms) const;
  EvictionPool pool_;
  int next_db_ = 0;  // where random policies look next
};

}  // namespace tessera
