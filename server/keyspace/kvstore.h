// A set of Dicts indexed by cluster slot: one table in standalone mode, 16384 in cluster
// mode, so keys are counted and listed per slot without extra per-key memory. A Fenwick
// tree over table sizes picks random keys fairly across slots.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "server/ds/dict.h"

namespace tessera {

template <typename Traits>
class KvStore {
 public:
  using Table = ds::Dict<Traits>;
  using Entry = typename Traits::Entry;

  // slot_bits: 0 for one table, 14 for one per cluster slot.
  explicit KvStore(int slot_bits = 0)
      : bits_(slot_bits), tables_(size_t{1} << slot_bits) {
    if (bits_ > 0) fenwick_.assign(tables_.size() + 1, 0);
  }

  int slot_bits() const { return bits_; }
  size_t table_count() const { return tables_.size(); }
  size_t size() const { return size_; }
  size_t SlotSize(int slot) const { return tables_[slot].size(); }
  Table& table(int slot) { return tables_[slot]; }
  const Table& table(int slot) const { return tables_[slot]; }

  Entry* Find(int slot, std::string_view key) { return tables_[slot].Find(key); }
  Entry* Find(int slot, std::string_view key, uint64_t h) { return tables_[slot].Find(key, h); }
  // Links e unless its key is present; returns the entry already there, else nullptr.
  Entry* InsertUnique(int slot, Entry* e, uint64_t h) {
    Entry* there = tables_[slot].InsertUnique(e, h);
    if (there == nullptr) Count(slot, 1);
    return there;
  }
  void Insert(int slot, Entry* e) {
    tables_[slot].Insert(e);
    Count(slot, 1);
  }
  void Insert(int slot, Entry* e, uint64_t h) {
    tables_[slot].Insert(e, h);
    Count(slot, 1);
  }
  Entry* Remove(int slot, std::string_view key) {
    Entry* e = tables_[slot].Remove(key);
    if (e != nullptr) Count(slot, -1);
    return e;
  }
  bool Replace(int slot, Entry* old, Entry* fresh) { return tables_[slot].Replace(old, fresh); }

  // A random entry: a table chosen with probability proportional to its size, then a random
  // entry in it.
  Entry* RandomEntry(ds::Rng& rng) {
    if (size_ == 0) return nullptr;
    return tables_[RandomSlot(rng)].FairRandomEntry(rng);
  }
  size_t SampleEntries(Entry** out, size_t count, ds::Rng& rng) {
    if (size_ == 0) return 0;
    return tables_[RandomSlot(rng)].SampleEntries(out, count, rng);
  }

  // The table holding the k-th entry (0-based) in slot order.
  int SlotOfNth(uint64_t k) const {
    if (bits_ == 0) return 0;
    int pos = 0;
    size_t n = tables_.size();
    int step = 1;
    while (static_cast<size_t>(step) * 2 <= n) step *= 2;
    for (; step > 0; step /= 2) {
      size_t next = static_cast<size_t>(pos + step);
      if (next <= n && fenwick_[next] <= k) {
        pos = static_cast<int>(next);
        k -= fenwick_[next];
      }
    }
    return pos;  // 0-based slot index
  }

  // Scans across tables. The cursor keeps the table index in its low `slot_bits` bits and the
  // table's own cursor above them, so one cursor walks every slot in order.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) {
    uint64_t mask = (uint64_t{1} << bits_) - 1;
    size_t slot = cursor & mask;
    uint64_t inner = cursor >> bits_;
    while (slot < tables_.size() && tables_[slot].empty()) {
      ++slot;
      inner = 0;
    }
    if (slot >= tables_.size()) return 0;
    inner = tables_[slot].Scan(inner, fn);
    if (inner == 0) {
      do {
        ++slot;
      } while (slot < tables_.size() && tables_[slot].empty());
      if (slot >= tables_.size()) return 0;
    }
    return (inner << bits_) | slot;
  }

  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Table& t : tables_) {
      if (!t.empty()) t.ForEach(fn);
    }
  }

  // Incremental rehashing and shrinking from cron: works on tables from a rotating position
  // for at most `us` microseconds. Returns true if some table is still rehashing.
  bool CronRehash(int64_t us) {
    int64_t start = Clock::RealMonotonicUs();
    bool pending = false;
    size_t n = tables_.size();
    for (size_t i = 0; i < n; ++i) {
      Table& t = tables_[cron_pos_];
      cron_pos_ = (cron_pos_ + 1) % n;
      if (t.rehashing()) {
        t.RehashForMicros(us);
        pending |= t.rehashing();
      }
      if (Clock::RealMonotonicUs() - start > us) return true;
    }
    return pending;
  }
  // Starts shrinking tables that are mostly empty (a bounded number per call).
  void CronShrink(size_t max_tables) {
    size_t n = tables_.size();
    for (size_t i = 0; i < max_tables && i < n; ++i) {
      tables_[shrink_pos_].ShrinkIfNeeded();
      shrink_pos_ = (shrink_pos_ + 1) % n;
    }
  }
  bool rehashing() const {
    for (const Table& t : tables_) {
      if (t.rehashing()) return true;
    }
    return false;
  }
  size_t buckets() const {
    size_t b = 0;
    for (const Table& t : tables_) b += t.buckets();
    return b;
  }

  // Empties every table, calling free_fn(entry) for each entry.
  template <typename Fn>
  void Clear(Fn&& free_fn) {
    for (Table& t : tables_) {
      if (t.buckets() > 0) t.Clear(free_fn);
    }
    size_ = 0;
    if (bits_ > 0) fenwick_.assign(tables_.size() + 1, 0);
  }

  void Swap(KvStore& o) {
    std::swap(bits_, o.bits_);
    tables_.swap(o.tables_);
    fenwick_.swap(o.fenwick_);
    std::swap(size_, o.size_);
  }

 private:
  void Count(int slot, int64_t delta) {
    size_ += static_cast<size_t>(delta);
    if (bits_ == 0) return;
    for (size_t i = static_cast<size_t>(slot) + 1; i < fenwick_.size(); i += i & (~i + 1)) {
      fenwick_[i] += static_cast<uint64_t>(delta);
    }
  }
  int RandomSlot(ds::Rng& rng) const {
    if (bits_ == 0) return 0;
    return SlotOfNth(rng.Below(size_));
  }

  int bits_;
  std::vector<Table> tables_;
  std::vector<uint64_t> fenwick_;  // 1-based prefix sums of table sizes
  size_t size_ = 0;
  size_t cron_pos_ = 0;
  size_t shrink_pos_ = 0;
};

}  // namespace tessera
