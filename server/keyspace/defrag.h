// Active defragmentation of the keyspace: walks keys with a SCAN cursor and moves their
// allocations (the key object, string buffers, listpacks, hash/set entries, quicklist nodes)
// out of sparsely used allocator pages. The allocator decides what moves (DefragAlloc in
// server/core/memory_stats.h); this walker knows where the references are and swaps them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tessera {

class Db;
class KeyValue;

struct DefragStats {
  uint64_t hits = 0;        // allocations moved
  uint64_t misses = 0;      // allocations looked at and left
  uint64_t key_hits = 0;    // keys with at least one allocation moved
  uint64_t key_misses = 0;  // keys with nothing moved
};

// The allocator's side: `copy` returns a copy of allocation p in a better place, or nullptr
// when p should stay; `release` frees the old one once no reference to it is left.
struct DefragAllocator {
  void* (*copy)(void* p);
  void (*release)(void* p);
};

class KeyspaceDefragger {
 public:
  explicit KeyspaceDefragger(DefragAllocator a) : alloc_(a) {}

  // Defragments the keys of one SCAN step of db from `cursor` (one or a few buckets) and
  // returns the next cursor (0: the db is done). Collections with more than
  // `max_scan_fields` elements keep their inner allocations (as Redis's
  // active-defrag-max-scan-fields bounds a step's work); their top allocation still moves.
  uint64_t Step(Db& db, uint64_t cursor, size_t max_scan_fields, DefragStats* stats);
  // Defragments one key; returns the (possibly moved) object. Counts in *stats.
  KeyValue* DefragKey(Db& db, KeyValue* kv, size_t max_scan_fields, DefragStats* stats);

 private:
  // Copies p elsewhere and frees it (for allocations referenced from one place only).
  void* Move(void* p, DefragStats* stats);
  size_t DefragValue(KeyValue* kv, size_t max_scan_fields, DefragStats* stats);

  DefragAllocator alloc_;
  std::vector<KeyValue*> batch_;
};

}  // namespace tessera
