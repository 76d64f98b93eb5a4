#include "server/keyspace/db.h"

#include "common/strutil.h"

namespace tessera {

namespace {
uint8_t g_seed[16] = {0x54, 0x65, 0x73, 0x73, 0x65, 0x72, 0x61, 0x21,
                      0x13, 0x57, 0x9b, 0xdf, 0x24, 0x68, 0xac, 0xe0};

// A value Redis would store with the int encoding: a canonical integer of at most 20 chars.
bool AsCanonicalInt(std::string_view v, int64_t* out) {
  if (v.empty() || v.size() > 20) return false;
  auto n = ParseInt64(v);
  if (!n) return false;
  *out = *n;
  return true;
}
}  // namespace

uint64_t KeyHash(std::string_view key) { return SipHash12(key.data(), key.size(), g_seed); }
void SetKeyHashSeed(const uint8_t seed[16]) { memcpy(g_seed, seed, 16); }

Db::~Db() { Clear(); }

void Db::Add(KeyValue* kv) {
  int slot = SlotOf(kv->key());
  keys_.Insert(slot, kv);
  if (kv->has_expire()) {
    expires_.Insert(slot, kv);
  }
}

bool Db::AddUnique(KeyValue* kv, uint64_t hash) {
  int slot = SlotOf(kv->key());
  if (keys_.InsertUnique(slot, kv, hash) != nullptr) return false;
  if (kv->has_expire()) expires_.Insert(slot, kv);
  return true;
}

void Db::Reserve(size_t keys, size_t expires) {
  if (keys_.slot_bits() != 0) return;
  keys_.table(0).Expand(keys);
  expires_.table(0).Expand(expires);
}

KeyValue* Db::Unlink(std::string_view key) {
  int slot = SlotOf(key);
  KeyValue* kv = keys_.Remove(slot, key);
  if (kv != nullptr && kv->has_expire()) {
    expires_.Remove(slot, key);
  }
  return kv;
}

void Db::Relink(KeyValue* old, KeyValue* fresh) {
  if (old == fresh) return;
  int slot = SlotOf(fresh->key());
  if (old->has_expire()) {
    if (fresh->has_expire()) {
      expires_.Replace(slot, old, fresh);
    } else {
      expires_.Remove(slot, old->key());
    }
  } else if (fresh->has_expire()) {
    expires_.Insert(slot, fresh);
  }
  keys_.Replace(slot, old, fresh);
}

KeyValue* Db::SetExpire(KeyValue* kv, int64_t when_ms) {
  if (kv->has_expire()) {
    kv->set_expire_ms(when_ms);
    return kv;
  }
  int slot = SlotOf(kv->key());
  KeyValue* fresh = KeyValue::Rebuild(kv, kv->key(), when_ms);
  keys_.Replace(slot, kv, fresh);
  expires_.Insert(slot, fresh);
  KeyValue::FreeShell(kv);
  return fresh;
}

KeyValue* Db::RemoveExpire(KeyValue* kv) {
  if (!kv->has_expire()) return kv;
  int slot = SlotOf(kv->key());
  expires_.Remove(slot, kv->key());
  KeyValue* fresh = KeyValue::Rebuild(kv, kv->key(), -1);
  keys_.Replace(slot, kv, fresh);
  KeyValue::FreeShell(kv);
  return fresh;
}

KeyValue* Db::MakeString(std::string_view key, std::string_view value, int64_t expire_ms) {
  int64_t n;
  if (AsCanonicalInt(value, &n)) {
    return KeyValue::NewInt(key, n, expire_ms);
  }
  if (value.size() <= kEmbstrMaxLen) {
    return KeyValue::NewString(key, value, expire_ms);
  }
  return KeyValue::NewRaw(key, RawString::New(value), expire_ms);
}

KeyValue* Db::SetStringValue(KeyValue* kv, std::string_view value) {
  ObjType type = kv->type();
  Encoding enc = kv->encoding();
  bool has_payload = enc != Encoding::kEmbstr && enc != Encoding::kInt;
  int64_t n;
  if (AsCanonicalInt(value, &n)) {
    if (has_payload) FreeValuePayload(type, enc, kv->ptr());
    kv->SetIntValue(n);
    return kv;
  }
  if (value.size() <= kEmbstrMaxLen) {
    if (!has_payload && kv->TrySetEmbstr(value)) {
      return kv;
    }
    KeyValue* fresh = KeyValue::NewString(kv->key(), value, kv->expire_ms());
    fresh->set_lru(kv->lru());
    Relink(kv, fresh);
    KeyValue::Free(kv);
    return fresh;
  }
  if (type == ObjType::kString && enc == Encoding::kRaw && kv->raw()->cap() >= value.size() &&
      kv->raw()->cap() <= value.size() * 2) {
    RawString* r = kv->raw();
    memcpy(r->data, value.data(), value.size());
    r->len = value.size();
    r->data[r->len] = '\0';
    return kv;
  }
  if (has_payload) FreeValuePayload(type, enc, kv->ptr());
  kv->SetPtrValue(ObjType::kString, Encoding::kRaw, RawString::New(value));
  return kv;
}

void Db::SwapContents(Db& other) {
  keys_.Swap(other.keys_);
  expires_.Swap(other.expires_);
  std::swap(expire_cursor, other.expire_cursor);
  std::swap(avg_ttl_ms, other.avg_ttl_ms);
}

void Db::DetachInto(Db& out) {
  out.Clear();
  SwapContents(out);
}

void Db::Clear() {
  expires_.Clear([](KeyValue*) {});
  keys_.Clear([](KeyValue* kv) { KeyValue::Free(kv); });
  expire_cursor = 0;
  avg_ttl_ms = 0;
}

}  // namespace tessera
