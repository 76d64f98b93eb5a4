#include "server/keyspace/keyspace.h"

#include <algorithm>

#include "common/clock.h"
#include "common/hash.h"
#include "server/keyspace/hash_value.h"
#include "server/keyspace/list_value.h"
#include "server/keyspace/stream.h"
#include "server/keyspace/set_value.h"
#include "server/keyspace/zset_value.h"

namespace tessera {

namespace {
constexpr size_t kExpireKeysPerLoop = 20;
constexpr size_t kExpireRepeatPercent = 25;  // as the EXPIRE documentation describes
constexpr size_t kLazyFreeThreshold = 64;

// Work needed to free a value, in allocations (Redis's lazyfreeGetFreeEffort).
size_t FreeEffort(const KeyValue* kv) {
  switch (kv->type()) {
    case ObjType::kHash:
      return hashv::FreeEffort(kv);
    case ObjType::kSet:
      return setv::FreeEffort(kv);
    case ObjType::kZset:
      return zsetv::FreeEffort(kv);
    case ObjType::kList:
      return listv::FreeEffort(kv);
    case ObjType::kStream:
      return streamv::FreeEffort(kv);
    default:
      return 1;
  }
}

void FreeDetachedDb(void* arg) { delete static_cast<Db*>(arg); }
void FreeDetachedObject(void* arg) { KeyValue::Free(static_cast<KeyValue*>(arg)); }
}  // namespace

Keyspace::Keyspace(int dbnum, int slot_bits, KeyspaceEvents* events) : events_(events) {
  uint64_t seed;
  RandomBytes(&seed, sizeof(seed));
  rng_ = ds::Rng(seed);
  for (int i = 0; i < dbnum; ++i) {
    dbs_.push_back(std::make_unique<Db>(i, slot_bits));
  }
}

Keyspace::~Keyspace() = default;

KeyValue* Keyspace::Lookup(Db& db, std::string_view key, int64_t now_ms, uint32_t flags) {
  KeyValue* kv = db.Find(key);
  if (kv != nullptr && IsExpired(kv, now_ms)) {
    if (expire_deletes) {
      DeleteExpired(db, kv);
      kv = nullptr;
    } else if (!(flags & kLookupWrite)) {
      // Expiry is on hold (a replica, or a write pause): a read sees the key as gone, while a
      // write (the master's stream) still finds it, as Redis's expireIfNeeded does; the
      // master's DEL removes it.
      kv = nullptr;
    }
  }
  if (kv == nullptr) {
    if (!(flags & kLookupWrite)) ++stats_.misses;
    return nullptr;
  }
  if (!(flags & kLookupNoTouch)) Touch(kv, now_ms);
  if (!(flags & kLookupWrite)) ++stats_.hits;
  return kv;
}

void Keyspace::InitAccess(KeyValue* kv, int64_t now_ms) {
  kv->set_lru(lfu ? (LfuMinutes(now_ms) << 8) | kLfuInitValue : lru_clock);
}

uint32_t Keyspace::LfuCounter(const KeyValue* kv, int64_t now_ms) const {
  uint32_t ldt = kv->lru() >> 8;
  uint32_t counter = kv->lru() & 255;
  uint32_t now = LfuMinutes(now_ms);
  uint32_t elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
  uint32_t periods = lfu_decay_time > 0 ? elapsed / static_cast<uint32_t>(lfu_decay_time) : 0;
  if (periods > 0) counter = periods > counter ? 0 : counter - periods;
  return counter;
}

void Keyspace::Touch(KeyValue* kv, int64_t now_ms) {
  if (!lfu) {
    kv->set_lru(lru_clock);
    return;
  }
  // Logarithmic increment: the higher the counter, the less likely one access bumps it.
  uint32_t counter = LfuCounter(kv, now_ms);
  if (counter < 255) {
    double r = static_cast<double>(rng_.Next() >> 11) / static_cast<double>(1ULL << 53);
    double base = counter > kLfuInitValue ? counter - kLfuInitValue : 0;
    double p = 1.0 / (base * static_cast<double>(lfu_log_factor) + 1);
    if (r < p) ++counter;
  }
  kv->set_lru((LfuMinutes(now_ms) << 8) | counter);
}

void Keyspace::DeleteExpired(Db& db, KeyValue* kv) {
  // Copy the key: the object is unlinked and freed below.
  std::string key(kv->key());
  events_->OnExpired(db, key);
  KeyValue* unlinked = db.Unlink(key);
  ++stats_.expired_keys;
  if (unlinked != nullptr) FreeObject(unlinked, lazyfree_lazy_expire);
}

bool Keyspace::Delete(Db& db, std::string_view key, bool lazy) {
  KeyValue* kv = db.Unlink(key);
  if (kv == nullptr) return false;
  FreeObject(kv, lazy);
  return true;
}

void Keyspace::FreeObject(KeyValue* kv, bool lazy) {
  size_t effort = FreeEffort(kv);
  if (lazy && effort > kLazyFreeThreshold) {
    lazyfree_.Submit(FreeDetachedObject, kv, 1);
  } else {
    KeyValue::Free(kv);
  }
}

void Keyspace::Flush(Db& db, bool async) {
  if (async && db.size() > 0) {
    auto* detached = new Db(db.id(), db.keys().slot_bits());
    size_t n = db.size();
    db.DetachInto(*detached);
    lazyfree_.Submit(FreeDetachedDb, detached, n);
  } else {
    db.Clear();
  }
}

void Keyspace::FlushAll(bool async) {
  for (auto& d : dbs_) Flush(*d, async);
}

bool Keyspace::ActiveExpireCycle(int64_t now_ms, int64_t budget_us) {
  if (!active_expire_enabled || !expire_deletes) return false;
  int64_t start = Clock::RealMonotonicUs();
  bool timed_out = false;
  size_t total_sampled = 0, total_expired = 0;
  std::vector<KeyValue*> expired;
  int dbs = dbnum();
  for (int n = 0; n < dbs && !timed_out; ++n) {
    Db& db = *dbs_[static_cast<size_t>(expire_db_)];
    expire_db_ = (expire_db_ + 1) % dbs;
    size_t iteration = 0;
    while (true) {
      if (db.expires_size() == 0) break;
      size_t sampled = 0, ttl_samples = 0;
      long double ttl_sum = 0;  // TTLs near INT64_MAX would overflow an integer sum
      size_t checked_buckets = 0;
      expired.clear();
      while (sampled < kExpireKeysPerLoop && checked_buckets < kExpireKeysPerLoop * 20) {
        db.expire_cursor = db.expires().Scan(db.expire_cursor, [&](KeyValue* kv) {
          ++sampled;
          if (IsExpired(kv, now_ms)) {
            expired.push_back(kv);
          } else {
            ttl_sum += static_cast<long double>(kv->expire_ms() - now_ms);
            ++ttl_samples;
          }
        });
        ++checked_buckets;
        if (db.expire_cursor == 0) break;
      }
      for (KeyValue* kv : expired) DeleteExpired(db, kv);
      total_sampled += sampled;
      total_expired += expired.size();
      if (ttl_samples > 0) {
        auto avg = static_cast<int64_t>(ttl_sum / static_cast<long double>(ttl_samples));
        db.avg_ttl_ms = db.avg_ttl_ms == 0 ? avg : (db.avg_ttl_ms / 50) * 49 + avg / 50;
      }
      if ((++iteration & 15) == 0 || sampled == 0) {
        if (Clock::RealMonotonicUs() - start > budget_us) {
          timed_out = true;
          ++stats_.expired_time_cap_reached_count;
          break;
        }
      }
      if (sampled == 0 || expired.size() * 100 / sampled <= kExpireRepeatPercent) break;
      if (Clock::RealMonotonicUs() - start > budget_us) {
        timed_out = true;
        ++stats_.expired_time_cap_reached_count;
        break;
      }
    }
  }
  int64_t elapsed = Clock::RealMonotonicUs() - start;
  stats_.expire_cycle_cpu_us += static_cast<uint64_t>(elapsed);
  double perc = total_sampled ? static_cast<double>(total_expired) / total_sampled : 0;
  stats_.expired_stale_perc = perc * 0.05 + stats_.expired_stale_perc * 0.95;
  return timed_out;
}

void Keyspace::CronRehash(int64_t budget_us, bool active_rehashing) {
  for (auto& d : dbs_) {
    d->keys().CronShrink(16);
    d->expires().CronShrink(16);
  }
  if (!active_rehashing) return;
  int64_t start = Clock::RealMonotonicUs();
  for (auto& d : dbs_) {
    int64_t left = budget_us - (Clock::RealMonotonicUs() - start);
    if (left <= 0) break;
    if (d->keys().CronRehash(left)) break;
    left = budget_us - (Clock::RealMonotonicUs() - start);
    if (left <= 0) break;
    if (d->expires().CronRehash(left)) break;
  }
}

}  // namespace tessera
