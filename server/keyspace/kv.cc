#include "server/keyspace/kv.h"

#include <malloc.h>

#include "server/keyspace/hash_value.h"
#include "server/keyspace/list_value.h"
#include "server/keyspace/stream.h"
#include "server/keyspace/set_value.h"
#include "server/keyspace/zset_value.h"

#include <cstdlib>
#include <new>

namespace tessera {

std::string_view TypeName(ObjType t) {
  switch (t) {
    case ObjType::kString: return "string";
    case ObjType::kList: return "list";
    case ObjType::kSet: return "set";
    case ObjType::kZset: return "zset";
    case ObjType::kHash: return "hash";
    case ObjType::kModule: return "module";
    case ObjType::kStream: return "stream";
  }
  return "unknown";
}

std::string_view EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kRaw: return "raw";
    case Encoding::kInt: return "int";
    case Encoding::kHashtable: return "hashtable";
    case Encoding::kZipmap: return "zipmap";
    case Encoding::kLinkedlist: return "linkedlist";
    case Encoding::kZiplist: return "ziplist";
    case Encoding::kIntset: return "intset";
    case Encoding::kSkiplist: return "skiplist";
    case Encoding::kEmbstr: return "embstr";
    case Encoding::kQuicklist: return "quicklist";
    case Encoding::kStream: return "stream";
    case Encoding::kListpack: return "listpack";
  }
  return "unknown";
}

RawString* RawString::New(std::string_view s, size_t cap) {
  if (cap < s.size()) cap = s.size();
  auto* r = static_cast<RawString*>(::malloc(sizeof(RawString) + cap + 1));
  if (r == nullptr) throw std::bad_alloc();
  r->len = s.size();
  if (!s.empty()) memcpy(r->data, s.data(), s.size());
  r->data[s.size()] = '\0';
  return r;
}

size_t RawString::cap() const {
  return malloc_usable_size(const_cast<RawString*>(this)) - sizeof(RawString) - 1;
}

RawString* RawString::Reserve(RawString* r, size_t extra) {
  size_t need = r->len + extra;
  if (need <= r->cap()) return r;
  // Grow as Redis's sds: double below 1 MB, then by 1 MB.
  size_t cap = need < 1024 * 1024 ? need * 2 : need + 1024 * 1024;
  auto* n = static_cast<RawString*>(::realloc(r, sizeof(RawString) + cap + 1));
  if (n == nullptr) throw std::bad_alloc();
  return n;
}

void RawString::Free(RawString* r) { ::free(r); }

KeyValue* KeyValue::Alloc(std::string_view key, size_t value_bytes, int64_t expire_ms,
                          size_t* value_off) {
  bool has_expire = expire_ms >= 0;
  bool long_key = key.size() >= 255;
  size_t key_off = has_expire ? 32 : 14;
  size_t key_bytes_off = key_off + (long_key ? 4 : 0);
  size_t voff = key_bytes_off + key.size();
  if (value_bytes < 8) value_bytes = 8;
  size_t total = voff + value_bytes;
  char* mem = static_cast<char*>(::malloc(total));
  if (mem == nullptr) throw std::bad_alloc();
  memset(mem, 0, key_off);
  mem[12] = static_cast<char>((has_expire ? kHasExpire : 0) | (long_key ? kLongKey : 0));
  if (long_key) {
    uint32_t n = static_cast<uint32_t>(key.size());
    memcpy(mem + key_off, &n, 4);
  } else {
    mem[13] = static_cast<char>(key.size());
  }
  if (has_expire) {
    memcpy(mem + 16, &expire_ms, 8);
  }
  memcpy(mem + key_bytes_off, key.data(), key.size());
  *value_off = voff;
  return reinterpret_cast<KeyValue*>(mem);
}

KeyValue* KeyValue::NewString(std::string_view key, std::string_view value, int64_t expire_ms) {
  size_t voff;
  KeyValue* kv = Alloc(key, 1 + value.size(), expire_ms, &voff);
  char* p = reinterpret_cast<char*>(kv) + voff;
  p[0] = static_cast<char>(value.size());
  memcpy(p + 1, value.data(), value.size());
  kv->set_meta(static_cast<uint32_t>(ObjType::kString) |
               (static_cast<uint32_t>(Encoding::kEmbstr) << 4));
  return kv;
}

KeyValue* KeyValue::NewInt(std::string_view key, int64_t value, int64_t expire_ms) {
  size_t voff;
  KeyValue* kv = Alloc(key, 8, expire_ms, &voff);
  memcpy(reinterpret_cast<char*>(kv) + voff, &value, 8);
  kv->set_meta(static_cast<uint32_t>(ObjType::kString) |
               (static_cast<uint32_t>(Encoding::kInt) << 4));
  return kv;
}

KeyValue* KeyValue::NewRaw(std::string_view key, RawString* value, int64_t expire_ms) {
  return NewPtr(key, ObjType::kString, Encoding::kRaw, value, expire_ms);
}

KeyValue* KeyValue::NewPtr(std::string_view key, ObjType type, Encoding enc, void* ptr,
                           int64_t expire_ms) {
  size_t voff;
  KeyValue* kv = Alloc(key, 8, expire_ms, &voff);
  memcpy(reinterpret_cast<char*>(kv) + voff, &ptr, sizeof(ptr));
  kv->set_meta(static_cast<uint32_t>(type) | (static_cast<uint32_t>(enc) << 4));
  return kv;
}

KeyValue* KeyValue::Clone(const KeyValue* src, std::string_view key, int64_t expire_ms) {
  KeyValue* kv;
  switch (src->encoding()) {
    case Encoding::kEmbstr:
      kv = NewString(key, src->embstr(), expire_ms);
      break;
    case Encoding::kInt:
      kv = NewInt(key, src->int_value(), expire_ms);
      break;
    default:
      kv = NewPtr(key, src->type(), src->encoding(),
                  CloneValuePayload(src->type(), src->encoding(), src->ptr()), expire_ms);
      break;
  }
  kv->set_lru(src->lru());
  return kv;
}

KeyValue* KeyValue::Rebuild(const KeyValue* old, std::string_view key, int64_t expire_ms) {
  KeyValue* kv;
  switch (old->encoding()) {
    case Encoding::kEmbstr:
      kv = NewString(key, old->embstr(), expire_ms);
      break;
    case Encoding::kInt:
      kv = NewInt(key, old->int_value(), expire_ms);
      if (old->flags() & kUnsharedInt) kv->mark_unshared();
      break;
    default:
      kv = NewPtr(key, old->type(), old->encoding(), old->ptr(), expire_ms);
      break;
  }
  kv->set_lru(old->lru());
  return kv;
}

bool KeyValue::TrySetEmbstr(std::string_view v) {
  if (v.size() > kEmbstrMaxLen) return false;
  size_t voff = value_offset();
  if (voff + 1 + v.size() > AllocSize()) return false;
  if (encoding() != Encoding::kEmbstr && encoding() != Encoding::kInt) return false;
  char* p = reinterpret_cast<char*>(this) + voff;
  p[0] = static_cast<char>(v.size());
  memcpy(p + 1, v.data(), v.size());
  set_meta((meta() & ~0xffu) | static_cast<uint32_t>(ObjType::kString) |
           (static_cast<uint32_t>(Encoding::kEmbstr) << 4));
  return true;
}

size_t KeyValue::AllocSize() const { return malloc_usable_size(const_cast<KeyValue*>(this)); }

void KeyValue::Free(KeyValue* kv) {
  Encoding enc = kv->encoding();
  if (enc != Encoding::kEmbstr && enc != Encoding::kInt) {
    FreeValuePayload(kv->type(), enc, kv->ptr());
  }
  ::free(kv);
}

void KeyValue::FreeShell(KeyValue* kv) { ::free(kv); }

void FreeValuePayload(ObjType type, Encoding enc, void* ptr) {
  switch (type) {
    case ObjType::kString:
      if (enc == Encoding::kRaw) RawString::Free(static_cast<RawString*>(ptr));
      return;
    case ObjType::kHash:
      hashv::FreePayload(enc, ptr);
      return;
    case ObjType::kSet:
      setv::FreePayload(enc, ptr);
      return;
    case ObjType::kZset:
      zsetv::FreePayload(enc, ptr);
      return;
    case ObjType::kList:
      listv::FreePayload(ptr);
      return;
    case ObjType::kStream:
      streamv::FreePayload(ptr);
      return;
    default:
      return;
  }
}

void* CloneValuePayload(ObjType type, Encoding enc, const void* ptr) {
  switch (type) {
    case ObjType::kString:
      if (enc == Encoding::kRaw) return RawString::New(static_cast<const RawString*>(ptr)->view());
      return nullptr;
    case ObjType::kHash:
      return hashv::ClonePayload(enc, ptr);
    case ObjType::kSet:
      return setv::ClonePayload(enc, ptr);
    case ObjType::kZset:
      return zsetv::ClonePayload(enc, ptr);
    case ObjType::kList:
      return listv::ClonePayload(ptr);
    case ObjType::kStream:
      return streamv::ClonePayload(ptr);
    default:
      return nullptr;
  }
}

size_t ValuePayloadBytes(ObjType type, Encoding enc, const void* ptr, size_t samples) {
  switch (type) {
    case ObjType::kString:
      return enc == Encoding::kRaw ? malloc_usable_size(const_cast<void*>(ptr)) : 0;
    case ObjType::kHash:
      return hashv::PayloadBytes(enc, ptr, samples);
    case ObjType::kSet:
      return setv::PayloadBytes(enc, ptr, samples);
    case ObjType::kZset:
      return zsetv::PayloadBytes(enc, ptr, samples);
    case ObjType::kList:
      return listv::PayloadBytes(ptr, samples);
    case ObjType::kStream:
      return streamv::PayloadBytes(ptr);
    default:
      return 0;
  }
}

}  // namespace tessera
