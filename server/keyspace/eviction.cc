#include "server/keyspace/eviction.h"

#include <algorithm>
#include <limits>


namespace tessera {

void EvictionPool::Offer(uint64_t idle, int db, std::string_view key) {
  // No duplicate check (as Redis): a key sampled twice is skipped once it has been evicted.
  if (entries_.size() == kSize) {
    if (idle <= entries_.front().idle) return;  // less idle than everything kept
    entries_.erase(entries_.begin());
  }
  auto pos = std::upper_bound(entries_.begin(), entries_.end(), idle,
                              [](uint64_t v, const Entry& e) { return v < e.idle; });
  entries_.insert(pos, Entry{idle, db, std::string(key)});
}

bool EvictionPool::TakeBest(int* db, std::string* key) {
  if (entries_.empty()) return false;
  *db = entries_.back().db;
  *key = std::move(entries_.back().key);
  entries_.pop_back();
  return true;
}

std::vector<uint64_t> EvictionPool::idles() const {
  std::vector<uint64_t> out;
  for (const Entry& e : entries_) out.push_back(e.idle);
  return out;
}

uint64_t Evictor::IdleScore(Keyspace& ks, int policy, const KeyValue* kv, int64_t now_ms) const {
  switch (policy) {
    case kVolatileLru:
    case kAllkeysLru:
      return LruIdleMs(ks.lru_clock, kv->lru());
    case kVolatileLfu:
    case kAllkeysLfu:
      return 255 - ks.LfuCounter(kv, now_ms);  // the least used is the most "idle"
    case kVolatileTtl:
      return std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(kv->expire_ms());
    default:
      return 0;
  }
}

bool Evictor::PickKey(Keyspace& ks, int policy, int samples, int64_t now_ms, int* db,
                      std::string* key) {
  bool volatile_only = policy == kVolatileLru || policy == kVolatileLfu ||
                       policy == kVolatileRandom || policy == kVolatileTtl;
  int dbs = ks.dbnum();
  if (policy == kAllkeysRandom || policy == kVolatileRandom) {
    for (int i = 0; i < dbs; ++i) {
      int id = next_db_;
      next_db_ = (next_db_ + 1) % dbs;
      Db& d = ks.db(id);
      KeyValue* kv = volatile_only ? d.expires().RandomEntry(ks.rng()) : d.keys().RandomEntry(ks.rng());
      if (kv == nullptr) continue;
      *db = id;
      *key = std::string(kv->key());
      return true;
    }
    return false;
  }
  // Pool policies: refill from every database, then take the best candidate that is still
  // there (it may have been deleted since it was sampled).
  std::vector<KeyValue*> sample(static_cast<size_t>(std::max(samples, 1)));
  for (int attempt = 0; attempt < 3; ++attempt) {
    bool any = false;
    for (int id = 0; id < dbs; ++id) {
      Db& d = ks.db(id);
      size_t n = volatile_only ? d.expires().SampleEntries(sample.data(), sample.size(), ks.rng())
                               : d.keys().SampleEntries(sample.data(), sample.size(), ks.rng());
      for (size_t i = 0; i < n; ++i) {
        pool_.Offer(IdleScore(ks, policy, sample[i], now_ms), id, sample[i]->key());
        any = true;
      }
    }
    int cand_db;
    std::string cand;
    while (pool_.TakeBest(&cand_db, &cand)) {
      KeyValue* kv = ks.db(cand_db).Find(cand);
      if (kv == nullptr || (volatile_only && !kv->has_expire())) continue;
      *db = cand_db;
      *key = std::move(cand);
      return true;
    }
    if (!any) return false;
  }
  return false;
}

}  // namespace tessera
