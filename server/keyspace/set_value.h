// Set values in three encodings, switched as Redis 7.2 does: an intset while every member is an
// integer (set-max-intset-entries), a listpack of members while small (set-max-listpack-entries
// / -value), then a table of single-allocation entries. Conversions only go towards the table.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "server/ds/dict.h"
#include "server/keyspace/kv.h"

namespace tessera {

struct SetEntry {
  SetEntry* next;
  uint32_t len;
  char data[];
  std::string_view member() const { return {data, len}; }
  static SetEntry* New(std::string_view member);
  static void Free(SetEntry* e);
};

struct SetEntryTraits {
  using Entry = SetEntry;
  static SetEntry** NextSlot(SetEntry* e) { return &e->next; }
  static std::string_view Key(const SetEntry* e) { return e->member(); }
  static uint64_t Hash(std::string_view k);
};
using SetTable = ds::Dict<SetEntryTraits>;

struct SetLimits {
  int64_t max_intset_entries = 512;
  int64_t max_listpack_entries = 128;
  int64_t max_listpack_value = 64;
};

namespace setv {

// A new empty set whose encoding suits `first` (the first member to be added) and `size_hint`.
KeyValue* New(std::string_view key, std::string_view first, size_t size_hint,
              const SetLimits& limits);
size_t Size(const KeyValue* kv);
bool Contains(const KeyValue* kv, std::string_view member);
// Adds member; returns true if it was new. Converts the encoding when needed.
bool Add(KeyValue* kv, std::string_view member, const SetLimits& limits);
bool Remove(KeyValue* kv, std::string_view member);
// A uniformly random member.
std::string Random(const KeyValue* kv, ds::Rng& rng);
void ConvertToTable(KeyValue* kv);

// Calls fn(member) for every member (integers are formatted into a scratch buffer).
template <typename Fn>
void ForEach(const KeyValue* kv, Fn&& fn);

size_t FreeEffort(const KeyValue* kv);
void FreePayload(Encoding enc, void* ptr);
void* ClonePayload(Encoding enc, const void* ptr);
// Bytes held by a set payload (samples as hashv::PayloadBytes).
size_t PayloadBytes(Encoding enc, const void* ptr, size_t samples = 0);

namespace detail {
void ForEachCompact(const KeyValue* kv, void* ctx, void (*cb)(void* ctx, std::string_view m));
}

template <typename Fn>
void ForEach(const KeyValue* kv, Fn&& fn) {
  if (kv->encoding() == Encoding::kHashtable) {
    static_cast<const SetTable*>(kv->ptr())->ForEach([&](SetEntry* e) { fn(e->member()); });
    return;
  }
  using F = std::remove_reference_t<Fn>;
  detail::ForEachCompact(kv, const_cast<void*>(static_cast<const void*>(&fn)),
                         [](void* ctx, std::string_view m) { (*static_cast<F*>(ctx))(m); });
}

}  // namespace setv
}  // namespace tessera
