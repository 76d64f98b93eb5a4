// An intrusive chained hash table with incremental rehashing, as Redis's dict: growing or
// shrinking moves a few buckets per operation (and in time-bounded cron slices), so no single
// command pays for a whole resize. Entries carry their own chain pointer; the table only
// stores entry pointers, so a key-value object costs one allocation plus a bucket slot.
//
// Traits must provide:
//   using Entry = ...;
//   static Entry** NextSlot(Entry*);   // where the entry keeps its chain pointer (aligned)
//   static std::string_view Key(const Entry*);
//   static uint64_t Hash(std::string_view key);
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

#include "common/clock.h"

namespace tessera::ds {

// Whether tables may resize now (Redis's dict_can_resize): kAvoid while a fork child shares
// memory pages, so tables grow only when badly overloaded.
enum class ResizePolicy { kEnable, kAvoid };
ResizePolicy GetResizePolicy();
void SetResizePolicy(ResizePolicy p);
inline constexpr size_t kForceResizeRatio = 5;

// A fast, non-cryptographic generator for sampling (random keys, eviction pools).
class Rng {
 public:
  explicit Rng(uint64_t seed = 0x9e3779b97f4a7c15ULL) : s_(seed ? seed : 1) {}
  uint64_t Next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545F4914F6CDD1DULL;
  }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }

 private:
  uint64_t s_;
};

template <typename Traits>
class Dict {
 public:
  using Entry = typename Traits::Entry;
  static constexpr int kInitialExp = 2;  // 4 buckets

  Dict() = default;
  ~Dict() { FreeTables(); }
  Dict(const Dict&) = delete;
  Dict& operator=(const Dict&) = delete;
  Dict(Dict&& o) noexcept { MoveFrom(o); }
  Dict& operator=(Dict&& o) noexcept {
    if (this != &o) {
      FreeTables();
      MoveFrom(o);
    }
    return *this;
  }

  size_t size() const { return used_[0] + used_[1]; }
  bool empty() const { return size() == 0; }
  size_t buckets() const { return Slots(0) + Slots(1); }
  bool rehashing() const { return rehash_idx_ != -1; }
  // Bytes used by the bucket arrays (not the entries).
  size_t table_bytes() const { return buckets() * sizeof(Entry*); }

  // Finds the entry with this key; advances a pending rehash by one step.
  Entry* Find(std::string_view key) { return Find(key, Traits::Hash(key)); }
  Entry* Find(std::string_view key, uint64_t h) {
    if (size() == 0) return nullptr;
    if (rehashing()) RehashStep();
    for (int t = 0; t <= 1; ++t) {
      if (table_[t] == nullptr) continue;
      for (Entry* e = table_[t][h & Mask(t)]; e != nullptr; e = Next(e)) {
        if (Traits::Key(e) == key) return e;
      }
      if (!rehashing()) break;
    }
    return nullptr;
  }

  // Links e unless its key is present (one hash, one walk of the chain); returns the entry
  // already there, or nullptr when e was linked.
  Entry* InsertUnique(Entry* e) { return InsertUnique(e, Traits::Hash(Traits::Key(e))); }
  Entry* InsertUnique(Entry* e, uint64_t h) {
    std::string_view key = Traits::Key(e);
    if (rehashing()) RehashStep();
    ExpandIfNeeded();
    for (int t = 0; t <= 1; ++t) {
      if (table_[t] == nullptr) continue;
      for (Entry* x = table_[t][h & Mask(t)]; x != nullptr; x = Next(x)) {
        if (Traits::Key(x) == key) return x;
      }
      if (!rehashing()) break;
    }
    int t = rehashing() ? 1 : 0;
    Entry** slot = &table_[t][h & Mask(t)];
    SetNext(e, *slot);
    *slot = e;
    ++used_[t];
    return nullptr;
  }

  // Starts loading the bucket of hash h into the cache (a bulk loader calls this before it
  // parses the value, so the insert that follows does not wait for memory).
  void Prefetch(uint64_t h) const {
    if (table_[0] != nullptr) __builtin_prefetch(&table_[0][h & Mask(0)]);
  }

  // Links a new entry; the key must not be present.
  void Insert(Entry* e) { Insert(e, Traits::Hash(Traits::Key(e))); }
  void Insert(Entry* e, uint64_t h) {
    if (rehashing()) RehashStep();
    ExpandIfNeeded();
    int t = rehashing() ? 1 : 0;
    Entry** slot = &table_[t][h & Mask(t)];
    SetNext(e, *slot);
    *slot = e;
    ++used_[t];
  }

  // Unlinks and returns the entry with this key (nullptr if absent). The caller frees it.
  Entry* Remove(std::string_view key) { return Remove(key, Traits::Hash(key)); }
  Entry* Remove(std::string_view key, uint64_t h) {
    if (size() == 0) return nullptr;
    if (rehashing()) RehashStep();
    for (int t = 0; t <= 1; ++t) {
      if (table_[t] == nullptr) continue;
      Entry** link = &table_[t][h & Mask(t)];
      while (*link != nullptr) {
        Entry* e = *link;
        if (Traits::Key(e) == key) {
          *link = Next(e);
          SetNext(e, nullptr);
          --used_[t];
          return e;
        }
        link = NextLink(e);
      }
      if (!rehashing()) break;
    }
    return nullptr;
  }

  // Puts `fresh` where `old` was linked (same key, e.g. after reallocating an object).
  // Returns false if `old` is not in the table.
  bool Replace(Entry* old, Entry* fresh) {
    std::string_view key = Traits::Key(old);
    uint64_t h = Traits::Hash(key);
    for (int t = 0; t <= 1; ++t) {
      if (table_[t] == nullptr) continue;
      Entry** link = &table_[t][h & Mask(t)];
      while (*link != nullptr) {
        if (*link == old) {
          SetNext(fresh, Next(old));
          *link = fresh;
          return true;
        }
        link = NextLink(*link);
      }
    }
    return false;
  }

  // Grows the table so it holds at least n entries at load factor 1 (starts a rehash).
  bool Expand(size_t n) {
    if (rehashing() || used_[0] > n) return false;
    int exp = NextExp(n);
    if (table_[0] != nullptr && exp == exp_[0]) return false;
    return Resize(exp);
  }
  // Shrinks when less than 10% full (Redis's HASHTABLE_MIN_FILL). Returns true if started.
  bool ShrinkIfNeeded() {
    if (rehashing() || GetResizePolicy() != ResizePolicy::kEnable) return false;
    size_t slots = Slots(0);
    if (slots <= (size_t{1} << kInitialExp) || used_[0] * 100 / slots >= 10) return false;
    int exp = NextExp(used_[0]);
    if (exp >= exp_[0]) return false;
    return Resize(exp);
  }

  // Moves up to n buckets from the old table to the new one, visiting at most 10*n empty
  // buckets. Returns true while more work remains.
  bool Rehash(int n) {
    if (!rehashing() || pause_rehash_ > 0) return rehashing();
    int empty_visits = n * 10;
    while (n-- && used_[0] != 0) {
      while (table_[0][rehash_idx_] == nullptr) {
        ++rehash_idx_;
        if (--empty_visits == 0) return true;
      }
      Entry* e = table_[0][rehash_idx_];
      while (e != nullptr) {
        Entry* next = Next(e);
        uint64_t h = Traits::Hash(Traits::Key(e)) & Mask(1);
        SetNext(e, table_[1][h]);
        table_[1][h] = e;
        --used_[0];
        ++used_[1];
        e = next;
      }
      table_[0][rehash_idx_] = nullptr;
      ++rehash_idx_;
    }
    if (used_[0] == 0) {
      ::free(table_[0]);
      table_[0] = table_[1];
      exp_[0] = exp_[1];
      used_[0] = used_[1];
      table_[1] = nullptr;
      exp_[1] = -1;
      used_[1] = 0;
      rehash_idx_ = -1;
      return false;
    }
    return true;
  }
  void RehashStep() {
    if (pause_rehash_ == 0) Rehash(1);
  }
  // Rehashes in steps of 100 buckets until done or `us` microseconds passed. Returns the
  // number of steps taken.
  int RehashForMicros(int64_t us) {
    if (pause_rehash_ > 0) return 0;
    int64_t start = Clock::RealMonotonicUs();
    int steps = 0;
    while (Rehash(100)) {
      steps += 100;
      if (Clock::RealMonotonicUs() - start > us) break;
    }
    return steps;
  }

  // Calls fn(entry) for the entries of one or more buckets and returns the next cursor (0
  // when done). Every entry present for the whole scan is returned at least once, even
  // across resizes (the reverse-binary cursor of Redis's dictScan). fn must not modify.
  template <typename Fn>
  uint64_t Scan(uint64_t v, Fn&& fn) {
    if (size() == 0) return 0;
    ++pause_rehash_;
    if (!rehashing()) {
      uint64_t m0 = Mask(0);
      EmitBucket(table_[0][v & m0], fn);
      v |= ~m0;
      v = Rev(v);
      ++v;
      v = Rev(v);
    } else {
      int small = 0, large = 1;
      if (Slots(0) > Slots(1)) std::swap(small, large);
      uint64_t m0 = Mask(small), m1 = Mask(large);
      EmitBucket(table_[small][v & m0], fn);
      do {
        EmitBucket(table_[large][v & m1], fn);
        v |= ~m1;
        v = Rev(v);
        ++v;
        v = Rev(v);
      } while (v & (m0 ^ m1));
    }
    --pause_rehash_;
    return v;
  }

  // Active defragmentation: mv(p) returns a new address for the allocation p (after copying
  // it and freeing p) or nullptr to leave it. Applied to every entry and to the bucket
  // arrays; returns how many allocations moved.
  template <typename Mv>
  size_t Defrag(Mv&& mv) {
    size_t moved = 0;
    for (int t = 0; t <= 1; ++t) {
      if (table_[t] == nullptr) continue;
      if (auto* fresh = static_cast<Entry**>(mv(static_cast<void*>(table_[t])))) {
        table_[t] = fresh;
        ++moved;
      }
      size_t slots = Slots(t);
      for (size_t i = 0; i < slots; ++i) {
        for (Entry** link = &table_[t][i]; *link != nullptr; link = NextLink(*link)) {
          if (auto* fresh = static_cast<Entry*>(mv(static_cast<void*>(*link)))) {
            *link = fresh;
            ++moved;
          }
        }
      }
    }
    return moved;
  }

  // Calls fn(entry) until it returns false. fn must not modify the table.
  template <typename Fn>
  void ForEachUntil(Fn&& fn) const {
    for (int t = 0; t <= 1; ++t) {
      if (table_[t] == nullptr) continue;
      size_t slots = Slots(t);
      for (size_t i = 0; i < slots; ++i) {
        for (Entry* e = table_[t][i]; e != nullptr;) {
          Entry* next = Next(e);
          if (!fn(e)) return;
          e = next;
        }
      }
    }
  }

  // Calls fn(entry) for every entry. fn must not modify the table.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    ForEachUntil([&](Entry* e) {
      fn(e);
      return true;
    });
  }

  // A uniformly chosen bucket, then a uniformly chosen entry in its chain (Redis's
  // dictGetRandomKey). nullptr when empty.
  Entry* RandomEntry(Rng& rng) {
    if (size() == 0) return nullptr;
    if (rehashing()) RehashStep();
    Entry* head = nullptr;
    if (rehashing()) {
      size_t s0 = Slots(0), s1 = Slots(1);
      do {
        uint64_t i = static_cast<uint64_t>(rehash_idx_) +
                     rng.Below(s0 + s1 - static_cast<size_t>(rehash_idx_));
        head = i >= s0 ? table_[1][i - s0] : table_[0][i];
      } while (head == nullptr);
    } else {
      uint64_t m = Mask(0);
      do {
        head = table_[0][rng.Next() & m];
      } while (head == nullptr);
    }
    size_t len = 0;
    for (Entry* e = head; e != nullptr; e = Next(e)) ++len;
    size_t pick = rng.Below(len);
    Entry* e = head;
    while (pick--) e = Next(e);
    return e;
  }

  // Redis's dictGetFairRandomKey: RandomEntry favours entries in short chains; picking among
  // a sample of up to 15 neighbouring entries evens that out (HRANDFIELD, SRANDMEMBER,
  // RANDOMKEY rely on it).
  Entry* FairRandomEntry(Rng& rng) {
    Entry* sample[15];
    size_t n = SampleEntries(sample, 15, rng);
    if (n == 0) return RandomEntry(rng);
    return sample[rng.Below(n)];
  }

  // Samples up to `count` entries from consecutive buckets starting at a random one (Redis's
  // dictGetSomeKeys): cheap, not uniform, good enough for eviction and expiry sampling.
  size_t SampleEntries(Entry** out, size_t count, Rng& rng) {
    if (count > size()) count = size();
    if (count == 0) return 0;
    for (size_t j = 0; j < count && rehashing(); ++j) RehashStep();
    int tables = rehashing() ? 2 : 1;
    size_t maxmask = Mask(0);
    if (tables > 1 && Mask(1) > maxmask) maxmask = Mask(1);
    size_t i = rng.Next() & maxmask;
    size_t stored = 0, empty_len = 0, max_steps = count * 10;
    while (stored < count && max_steps--) {
      for (int t = 0; t < tables; ++t) {
        if (tables == 2 && t == 0 && i < static_cast<size_t>(rehash_idx_)) {
          if (i >= Slots(1)) i = static_cast<size_t>(rehash_idx_);
          else continue;
        }
        if (i >= Slots(t)) continue;
        Entry* e = table_[t][i];
        if (e == nullptr) {
          if (++empty_len >= 5 && empty_len > count) {
            i = rng.Next() & maxmask;
            empty_len = 0;
          }
        } else {
          empty_len = 0;
          while (e != nullptr) {
            out[stored++] = e;
            e = Next(e);
            if (stored == count) return stored;
          }
        }
      }
      i = (i + 1) & maxmask;
    }
    return stored;
  }

  // Unlinks everything, calling free_fn(entry) for each (the table becomes empty).
  template <typename Fn>
  void Clear(Fn&& free_fn) {
    for (int t = 0; t <= 1; ++t) {
      if (table_[t] == nullptr) continue;
      size_t slots = Slots(t);
      for (size_t i = 0; i < slots; ++i) {
        Entry* e = table_[t][i];
        while (e != nullptr) {
          Entry* next = Next(e);
          free_fn(e);
          e = next;
        }
      }
    }
    FreeTables();
  }

  void PauseRehash() { ++pause_rehash_; }
  void ResumeRehash() { --pause_rehash_; }

 private:
  static int NextExp(size_t n) {
    int exp = kInitialExp;
    while ((size_t{1} << exp) < n && exp < 62) ++exp;
    return exp;
  }
  size_t Slots(int t) const { return exp_[t] < 0 ? 0 : size_t{1} << exp_[t]; }
  uint64_t Mask(int t) const { return exp_[t] < 0 ? 0 : (uint64_t{1} << exp_[t]) - 1; }
  static uint64_t Rev(uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    return __builtin_bswap64(v);
  }
  static Entry** NextLink(Entry* e) { return Traits::NextSlot(e); }
  static Entry* Next(Entry* e) { return *Traits::NextSlot(e); }
  static void SetNext(Entry* e, Entry* next) { *Traits::NextSlot(e) = next; }
  template <typename Fn>
  static void EmitBucket(Entry* e, Fn& fn) {
    while (e != nullptr) {
      Entry* next = Next(e);
      fn(e);
      e = next;
    }
  }

  void ExpandIfNeeded() {
    if (rehashing()) return;
    if (table_[0] == nullptr) {
      Resize(kInitialExp);
      return;
    }
    size_t slots = Slots(0);
    if (used_[0] >= slots && (GetResizePolicy() == ResizePolicy::kEnable ||
                              used_[0] / slots > kForceResizeRatio)) {
      Resize(NextExp(used_[0] + 1));
    }
  }

  bool Resize(int exp) {
    size_t slots = size_t{1} << exp;
    auto* t = static_cast<Entry**>(::calloc(slots, sizeof(Entry*)));
    if (t == nullptr) throw std::bad_alloc();
    if (table_[0] == nullptr) {
      table_[0] = t;
      exp_[0] = static_cast<int8_t>(exp);
      return true;
    }
    table_[1] = t;
    exp_[1] = static_cast<int8_t>(exp);
    used_[1] = 0;
    rehash_idx_ = 0;
    return true;
  }

  void FreeTables() {
    ::free(table_[0]);
    ::free(table_[1]);
    table_[0] = table_[1] = nullptr;
    exp_[0] = exp_[1] = -1;
    used_[0] = used_[1] = 0;
    rehash_idx_ = -1;
  }

  void MoveFrom(Dict& o) {
    for (int t = 0; t <= 1; ++t) {
      table_[t] = o.table_[t];
      exp_[t] = o.exp_[t];
      used_[t] = o.used_[t];
      o.table_[t] = nullptr;
      o.exp_[t] = -1;
      o.used_[t] = 0;
    }
    rehash_idx_ = o.rehash_idx_;
    pause_rehash_ = o.pause_rehash_;
    o.rehash_idx_ = -1;
    o.pause_rehash_ = 0;
  }

  Entry** table_[2] = {nullptr, nullptr};
  size_t used_[2] = {0, 0};
  int64_t rehash_idx_ = -1;
  int8_t exp_[2] = {-1, -1};
  int16_t pause_rehash_ = 0;
};

// Bytes of a dict's entries, as entry_bytes(entry) summed over all of them, or, when samples
// > 0, over the first `samples` and scaled to the dict's size (MEMORY USAGE SAMPLES).
template <typename D, typename Fn>
size_t SampledEntryBytes(const D& d, size_t samples, Fn&& entry_bytes) {
  size_t seen = 0, bytes = 0;
  d.ForEachUntil([&](auto* e) {
    bytes += entry_bytes(e);
    return samples == 0 || ++seen < samples;
  });
  if (samples != 0 && seen > 0 && seen < d.size()) bytes = bytes * d.size() / seen;
  return bytes;
}

}  // namespace tessera::ds
