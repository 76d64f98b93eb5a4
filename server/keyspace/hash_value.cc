#include "server/keyspace/hash_value.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "server/ds/listpack.h"
#include "server/keyspace/db.h"

namespace tessera {

HashEntry* HashEntry::New(std::string_view field, std::string_view value) {
  auto* e = static_cast<HashEntry*>(::malloc(sizeof(HashEntry) + field.size() + value.size()));
  if (e == nullptr) throw std::bad_alloc();
  e->next = nullptr;
  e->flen = static_cast<uint32_t>(field.size());
  e->vlen = static_cast<uint32_t>(value.size());
  memcpy(e->data, field.data(), field.size());
  memcpy(e->data + field.size(), value.data(), value.size());
  return e;
}

void HashEntry::Free(HashEntry* e) { ::free(e); }

uint64_t HashEntryTraits::Hash(std::string_view k) { return KeyHash(k); }

namespace hashv {

namespace {

uint8_t* Lp(const KeyValue* kv) { return static_cast<uint8_t*>(kv->ptr()); }
HashTable* Table(const KeyValue* kv) { return static_cast<HashTable*>(kv->ptr()); }

// The value position of field in a listpack hash, or nullptr.
uint8_t* FindValue(uint8_t* lp, std::string_view field) {
  uint8_t* first = lp::First(lp);
  if (first == nullptr) return nullptr;
  uint8_t* f = lp::Find(lp, first, field, 1);
  return f == nullptr ? nullptr : lp::Next(lp, f);
}

}  // namespace

KeyValue* New(std::string_view key) {
  return KeyValue::NewPtr(key, ObjType::kHash, Encoding::kListpack, lp::New(), -1);
}

size_t Length(const KeyValue* kv) {
  if (kv->encoding() == Encoding::kListpack) return lp::Length(Lp(kv)) / 2;
  return Table(kv)->size();
}

bool Get(const KeyValue* kv, std::string_view field, HashValueRef* out) {
  if (kv->encoding() == Encoding::kListpack) {
    uint8_t* v = FindValue(Lp(kv), field);
    if (v == nullptr) return false;
    out->value = lp::Get(v).View(out->buf);
    return true;
  }
  HashEntry* e = Table(kv)->Find(field);
  if (e == nullptr) return false;
  out->value = e->value();
  return true;
}

bool Exists(const KeyValue* kv, std::string_view field) {
  HashValueRef ref;
  return Get(kv, field, &ref);
}

void ConvertToTable(KeyValue* kv) {
  if (kv->encoding() != Encoding::kListpack) return;
  uint8_t* lp = Lp(kv);
  auto* table = new HashTable();
  table->Expand(lp::Length(lp) / 2);
  detail::ForEachListpack(lp, table, [](void* ctx, std::string_view f, std::string_view v) {
    static_cast<HashTable*>(ctx)->Insert(HashEntry::New(f, v));
  });
  lp::Free(lp);
  kv->SetPtrValue(ObjType::kHash, Encoding::kHashtable, table);
}

void ConvertIfTooLong(KeyValue* kv, std::string_view s, const HashLimits& limits) {
  if (kv->encoding() == Encoding::kListpack &&
      s.size() > static_cast<size_t>(limits.max_listpack_value)) {
    ConvertToTable(kv);
  }
}

bool Set(KeyValue* kv, std::string_view field, std::string_view value, const HashLimits& limits) {
  ConvertIfTooLong(kv, field, limits);
  ConvertIfTooLong(kv, value, limits);
  if (kv->encoding() == Encoding::kListpack) {
    uint8_t* lp = Lp(kv);
    uint8_t* v = FindValue(lp, field);
    if (v != nullptr) {
      kv->set_ptr(lp::Insert(lp, value, v, lp::Where::kReplace));
      return false;
    }
    lp = lp::Append(lp, field);
    lp = lp::Append(lp, value);
    kv->set_ptr(lp);
    if (lp::Length(lp) / 2 > static_cast<size_t>(limits.max_listpack_entries)) ConvertToTable(kv);
    return true;
  }
  HashTable* t = Table(kv);
  uint64_t h = HashEntryTraits::Hash(field);
  HashEntry* e = t->Find(field, h);
  if (e != nullptr) {
    if (e->vlen == value.size()) {
      memcpy(e->data + e->flen, value.data(), value.size());
      return false;
    }
    HashEntry* fresh = HashEntry::New(field, value);
    t->Replace(e, fresh);
    HashEntry::Free(e);
    return false;
  }
  t->Insert(HashEntry::New(field, value), h);
  return true;
}

bool Delete(KeyValue* kv, std::string_view field) {
  if (kv->encoding() == Encoding::kListpack) {
    uint8_t* lp = Lp(kv);
    uint8_t* first = lp::First(lp);
    if (first == nullptr) return false;
    uint8_t* f = lp::Find(lp, first, field, 1);
    if (f == nullptr) return false;
    kv->set_ptr(lp::DeleteRange(lp, f, 2));
    return true;
  }
  HashEntry* e = Table(kv)->Remove(field);
  if (e == nullptr) return false;
  HashEntry::Free(e);
  return true;
}

void RandomPair(const KeyValue* kv, ds::Rng& rng, std::string* field, std::string* value) {
  char buf[24];
  if (kv->encoding() == Encoding::kListpack) {
    uint8_t* lp = Lp(kv);
    size_t pairs = lp::Length(lp) / 2;
    uint8_t* f = lp::Seek(lp, static_cast<int64_t>(rng.Below(pairs) * 2));
    field->assign(lp::Get(f).View(buf));
    if (value != nullptr) value->assign(lp::Get(lp::Next(lp, f)).View(buf));
    return;
  }
  HashEntry* e = Table(kv)->FairRandomEntry(rng);
  field->assign(e->field());
  if (value != nullptr) value->assign(e->value());
}

size_t FreeEffort(const KeyValue* kv) {
  return kv->encoding() == Encoding::kListpack ? 1 : Table(kv)->size();
}

void FreePayload(Encoding enc, void* ptr) {
  if (enc == Encoding::kListpack) {
    lp::Free(static_cast<uint8_t*>(ptr));
    return;
  }
  auto* t = static_cast<HashTable*>(ptr);
  t->Clear([](HashEntry* e) { HashEntry::Free(e); });
  delete t;
}

void* ClonePayload(Encoding enc, const void* ptr) {
  if (enc == Encoding::kListpack) return lp::Dup(static_cast<const uint8_t*>(ptr));
  const auto* src = static_cast<const HashTable*>(ptr);
  auto* t = new HashTable();
  t->Expand(src->size());
  src->ForEach([&](HashEntry* e) { t->Insert(HashEntry::New(e->field(), e->value())); });
  return t;
}

size_t PayloadBytes(Encoding enc, const void* ptr, size_t samples) {
  if (enc == Encoding::kListpack) return malloc_usable_size(const_cast<void*>(ptr));
  const auto* t = static_cast<const HashTable*>(ptr);
  return sizeof(HashTable) + t->table_bytes() +
         ds::SampledEntryBytes(*t, samples, [](HashEntry* e) { return malloc_usable_size(e); });
}

namespace detail {
void ForEachListpack(const uint8_t* lp, void* ctx,
                     void (*cb)(void* ctx, std::string_view field, std::string_view value)) {
  auto* l = const_cast<uint8_t*>(lp);
  char fbuf[24], vbuf[24];
  for (uint8_t* p = lp::First(l); p != nullptr;) {
    uint8_t* v = lp::Next(l, p);
    if (v == nullptr) break;
    cb(ctx, lp::Get(p).View(fbuf), lp::Get(v).View(vbuf));
    p = lp::Next(l, v);
  }
}
}  // namespace detail

}  // namespace hashv
}  // namespace tessera
