// One logical database: the keys table and the index of keys with a TTL, both per cluster
// slot. This is storage only; expiry policy, statistics and propagation live in Keyspace.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/hash.h"
#include "server/ds/dict.h"
#include "server/keyspace/kv.h"
#include "server/keyspace/kvstore.h"

namespace tessera {

// SipHash-1-2 of a key with the process's random seed (set once at start).
uint64_t KeyHash(std::string_view key);
void SetKeyHashSeed(const uint8_t seed[16]);

struct KeysTraits {
  using Entry = KeyValue;
  static KeyValue** NextSlot(KeyValue* e) { return e->next_slot(); }
  static std::string_view Key(const KeyValue* e) { return e->key(); }
  static uint64_t Hash(std::string_view k) { return KeyHash(k); }
};
struct ExpiresTraits {
  using Entry = KeyValue;
  static KeyValue** NextSlot(KeyValue* e) { return e->expire_next_slot(); }
  static std::string_view Key(const KeyValue* e) { return e->key(); }
  static uint64_t Hash(std::string_view k) { return KeyHash(k); }
};

using KeysStore = KvStore<KeysTraits>;
using ExpiresStore = KvStore<ExpiresTraits>;

class Db {
 public:
  Db(int id, int slot_bits) : id_(id), keys_(slot_bits), expires_(slot_bits) {}
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  int id() const { return id_; }
  size_t size() const { return keys_.size(); }
  size_t expires_size() const { return expires_.size(); }
  int SlotOf(std::string_view key) const {
    return keys_.slot_bits() ? KeyHashSlot(key) : 0;
  }

  // The object under key, ignoring TTLs (callers apply expiry).
  KeyValue* Find(std::string_view key) { return keys_.Find(SlotOf(key), key); }

  // Links a new object (key absent) and indexes its TTL.
  void Add(KeyValue* kv);
  // Links kv and indexes its TTL unless the key is present (then nothing changes and the
  // caller keeps kv); false in that case.
  // `hash` is KeyHash(key), as PrefetchKey returned it.
  bool AddUnique(KeyValue* kv, uint64_t hash);
  // Starts fetching the bucket `key` goes to; returns the key's hash for AddUnique.
  uint64_t PrefetchKey(std::string_view key) {
    uint64_t h = KeyHash(key);
    keys_.table(SlotOf(key)).Prefetch(h);
    return h;
  }
  // Sizes the tables for this many keys and TTLs up front (RDB's RESIZEDB), so loading does
  // not rehash as it goes. Only for the single-table layout (cluster tables grow per slot).
  void Reserve(size_t keys, size_t expires);
  // Unlinks key from both indexes; returns the object for the caller to free, or nullptr.
  KeyValue* Unlink(std::string_view key);
  // Puts `fresh` in the place of `old` (same key) in both indexes. Frees nothing.
  void Relink(KeyValue* old, KeyValue* fresh);

  // Gives kv a TTL (absolute unix ms) or changes it; returns the object (it may move).
  KeyValue* SetExpire(KeyValue* kv, int64_t when_ms);
  // Drops kv's TTL; returns the object (it may move).
  KeyValue* RemoveExpire(KeyValue* kv);

  // Stores a string value into an existing string-or-other object, reusing its allocation
  // where possible (int and raw always fit; an embstr only if the slot has room). Returns
  // the object (it may move). The old value payload is released.
  KeyValue* SetStringValue(KeyValue* kv, std::string_view value);
  // Creates a string object with the right encoding (int, embstr or raw), as Redis's
  // tryObjectEncoding would choose for a SET.
  static KeyValue* MakeString(std::string_view key, std::string_view value, int64_t expire_ms);

  KeysStore& keys() { return keys_; }
  ExpiresStore& expires() { return expires_; }
  const KeysStore& keys() const { return keys_; }

  // Swaps contents with another database (SWAPDB). Ids stay.
  void SwapContents(Db& other);
  // Detaches all contents into `out` (for freeing elsewhere), leaving this db empty.
  void DetachInto(Db& out);
  // Frees everything now.
  void Clear();

  // State of the active expiry cycle for this db.
  uint64_t expire_cursor = 0;
  int64_t avg_ttl_ms = 0;

 private:
  int id_;
  KeysStore keys_;
  ExpiresStore expires_;
};

}  // namespace tessera
