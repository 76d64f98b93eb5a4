// Hash values: a listpack of field, value pairs while small (hash-max-listpack-entries /
// -value), then a table of single-allocation entries. Conversion is one way, as in Redis.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "server/ds/dict.h"
#include "server/keyspace/kv.h"

namespace tessera {

// One field of a table-encoded hash: chain pointer, lengths, field bytes, value bytes.
struct HashEntry {
  HashEntry* next;
  uint32_t flen;
  uint32_t vlen;
  char data[];

  std::string_view field() const { return {data, flen}; }
  std::string_view value() const { return {data + flen, vlen}; }
  static HashEntry* New(std::string_view field, std::string_view value);
  static void Free(HashEntry* e);
};

struct HashEntryTraits {
  using Entry = HashEntry;
  static HashEntry** NextSlot(HashEntry* e) { return &e->next; }
  static std::string_view Key(const HashEntry* e) { return e->field(); }
  static uint64_t Hash(std::string_view k);
};
using HashTable = ds::Dict<HashEntryTraits>;

struct HashLimits {
  int64_t max_listpack_entries = 512;
  int64_t max_listpack_value = 64;
};

// A field's value: a view into the hash, or into `buf` for listpack integers.
struct HashValueRef {
  char buf[24];
  std::string_view value;
};

namespace hashv {

// A new, empty listpack-encoded hash object under key.
KeyValue* New(std::string_view key);
size_t Length(const KeyValue* kv);
bool Get(const KeyValue* kv, std::string_view field, HashValueRef* out);
bool Exists(const KeyValue* kv, std::string_view field);
// Sets field to value; returns true if the field is new. Converts to a table when the pair is
// too long for a listpack or the hash outgrows it.
bool Set(KeyValue* kv, std::string_view field, std::string_view value, const HashLimits& limits);
// Removes field; returns true if it was there.
bool Delete(KeyValue* kv, std::string_view field);
// Converts to the table encoding if any of the given strings is too long for a listpack.
void ConvertIfTooLong(KeyValue* kv, std::string_view s, const HashLimits& limits);
void ConvertToTable(KeyValue* kv);

// Calls fn(field, value) for every pair (listpack order, or table order).
template <typename Fn>
void ForEach(const KeyValue* kv, Fn&& fn);

// A uniformly random pair (value may be null when only the field is wanted).
void RandomPair(const KeyValue* kv, ds::Rng& rng, std::string* field, std::string* value);

// Allocations a free has to release (lazy-free decisions).
size_t FreeEffort(const KeyValue* kv);

void FreePayload(Encoding enc, void* ptr);
void* ClonePayload(Encoding enc, const void* ptr);
// Bytes held by a hash payload; with samples > 0 the per-entry part is extrapolated from
// that many entries (MEMORY USAGE ... SAMPLES).
size_t PayloadBytes(Encoding enc, const void* ptr, size_t samples = 0);

}  // namespace hashv

// ---- implementation of the template ----

namespace hashv::detail {
void ForEachListpack(const uint8_t* lp, void* ctx,
                     void (*cb)(void* ctx, std::string_view field, std::string_view value));
}

template <typename Fn>
void hashv::ForEach(const KeyValue* kv, Fn&& fn) {
  if (kv->encoding() == Encoding::kListpack) {
    using F = std::remove_reference_t<Fn>;
    detail::ForEachListpack(
        static_cast<const uint8_t*>(kv->ptr()), const_cast<void*>(static_cast<const void*>(&fn)),
        [](void* ctx, std::string_view f, std::string_view v) { (*static_cast<F*>(ctx))(f, v); });
    return;
  }
  static_cast<const HashTable*>(kv->ptr())->ForEach(
      [&](HashEntry* e) { fn(e->field(), e->value()); });
}

}  // namespace tessera
