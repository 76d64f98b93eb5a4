#include "server/keyspace/set_value.h"

#include <malloc.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <new>

#include "server/ds/intset.h"
#include "server/ds/listpack.h"
#include "server/keyspace/db.h"

namespace tessera {

SetEntry* SetEntry::New(std::string_view member) {
  auto* e = static_cast<SetEntry*>(::malloc(sizeof(SetEntry) + member.size()));
  if (e == nullptr) throw std::bad_alloc();
  e->next = nullptr;
  e->len = static_cast<uint32_t>(member.size());
  memcpy(e->data, member.data(), member.size());
  return e;
}

void SetEntry::Free(SetEntry* e) { ::free(e); }

uint64_t SetEntryTraits::Hash(std::string_view k) { return KeyHash(k); }

namespace setv {

namespace {

uint8_t* Buf(const KeyValue* kv) { return static_cast<uint8_t*>(kv->ptr()); }
SetTable* Table(const KeyValue* kv) { return static_cast<SetTable*>(kv->ptr()); }

bool AsInt(std::string_view s, int64_t* v) { return lp::StringToInt(s, v); }

size_t Digits(int64_t v) {
  char buf[24];
  return static_cast<size_t>(std::to_chars(buf, buf + sizeof(buf), v).ptr - buf);
}

void ToTable(KeyValue* kv, size_t hint) {
  auto* t = new SetTable();
  t->Expand(hint);
  ForEach(kv, [&](std::string_view m) { t->Insert(SetEntry::New(m)); });
  FreePayload(kv->encoding(), kv->ptr());
  kv->SetPtrValue(ObjType::kSet, Encoding::kHashtable, t);
}

void IntsetToListpack(KeyValue* kv) {
  uint8_t* is = Buf(kv);
  uint8_t* lp = lp::New();
  size_t n = intset::Length(is);
  for (size_t i = 0; i < n; ++i) lp = lp::AppendInt(lp, intset::Get(is, i));
  intset::Free(is);
  kv->SetPtrValue(ObjType::kSet, Encoding::kListpack, lp);
}

}  // namespace

KeyValue* New(std::string_view key, std::string_view first, size_t size_hint,
              const SetLimits& limits) {
  int64_t v;
  if (AsInt(first, &v) && size_hint <= static_cast<size_t>(limits.max_intset_entries)) {
    return KeyValue::NewPtr(key, ObjType::kSet, Encoding::kIntset, intset::New(), -1);
  }
  if (size_hint <= static_cast<size_t>(limits.max_listpack_entries) &&
      first.size() <= static_cast<size_t>(limits.max_listpack_value)) {
    return KeyValue::NewPtr(key, ObjType::kSet, Encoding::kListpack, lp::New(), -1);
  }
  auto* t = new SetTable();
  t->Expand(size_hint);
  return KeyValue::NewPtr(key, ObjType::kSet, Encoding::kHashtable, t, -1);
}

size_t Size(const KeyValue* kv) {
  switch (kv->encoding()) {
    case Encoding::kIntset: return intset::Length(Buf(kv));
    case Encoding::kListpack: return lp::Length(Buf(kv));
    default: return Table(kv)->size();
  }
}

bool Contains(const KeyValue* kv, std::string_view member) {
  switch (kv->encoding()) {
    case Encoding::kIntset: {
      int64_t v;
      return AsInt(member, &v) && intset::Contains(Buf(kv), v);
    }
    case Encoding::kListpack: {
      uint8_t* lp = Buf(kv);
      uint8_t* first = lp::First(lp);
      return first != nullptr && lp::Find(lp, first, member, 0) != nullptr;
    }
    default:
      return Table(kv)->Find(member) != nullptr;
  }
}

bool Add(KeyValue* kv, std::string_view member, const SetLimits& limits) {
  if (kv->encoding() == Encoding::kIntset) {
    int64_t v;
    uint8_t* is = Buf(kv);
    if (AsInt(member, &v)) {
      bool added;
      is = intset::Add(is, v, &added);
      kv->set_ptr(is);
      if (added && intset::Length(is) > static_cast<size_t>(limits.max_intset_entries)) {
        ToTable(kv, intset::Length(is));
      }
      return added;
    }
    // A non-integer member: a listpack if everything fits one, else a table.
    size_t n = intset::Length(is);
    size_t longest = n == 0 ? 0 : std::max(Digits(intset::Get(is, 0)), Digits(intset::Max(is)));
    if (n < static_cast<size_t>(limits.max_listpack_entries) &&
        member.size() <= static_cast<size_t>(limits.max_listpack_value) &&
        longest <= static_cast<size_t>(limits.max_listpack_value)) {
      IntsetToListpack(kv);
    } else {
      ToTable(kv, n + 1);
    }
  }
  if (kv->encoding() == Encoding::kListpack) {
    if (Contains(kv, member)) return false;
    uint8_t* lp = Buf(kv);
    if (lp::Length(lp) < static_cast<size_t>(limits.max_listpack_entries) &&
        member.size() <= static_cast<size_t>(limits.max_listpack_value)) {
      kv->set_ptr(lp::Append(lp, member));
      return true;
    }
    ToTable(kv, lp::Length(lp) + 1);
  }
  SetTable* t = Table(kv);
  uint64_t h = SetEntryTraits::Hash(member);
  if (t->Find(member, h) != nullptr) return false;
  t->Insert(SetEntry::New(member), h);
  return true;
}

bool Remove(KeyValue* kv, std::string_view member) {
  switch (kv->encoding()) {
    case Encoding::kIntset: {
      int64_t v;
      if (!AsInt(member, &v)) return false;
      bool removed;
      kv->set_ptr(intset::Remove(Buf(kv), v, &removed));
      return removed;
    }
    case Encoding::kListpack: {
      uint8_t* lp = Buf(kv);
      uint8_t* first = lp::First(lp);
      uint8_t* p = first == nullptr ? nullptr : lp::Find(lp, first, member, 0);
      if (p == nullptr) return false;
      kv->set_ptr(lp::Delete(lp, p));
      return true;
    }
    default: {
      SetEntry* e = Table(kv)->Remove(member);
      if (e == nullptr) return false;
      SetEntry::Free(e);
      return true;
    }
  }
}

std::string Random(const KeyValue* kv, ds::Rng& rng) {
  switch (kv->encoding()) {
    case Encoding::kIntset: {
      uint8_t* is = Buf(kv);
      return std::to_string(intset::Get(is, rng.Below(intset::Length(is))));
    }
    case Encoding::kListpack: {
      uint8_t* lp = Buf(kv);
      char buf[24];
      uint8_t* p = lp::Seek(lp, static_cast<int64_t>(rng.Below(lp::Length(lp))));
      return std::string(lp::Get(p).View(buf));
    }
    default:
      return std::string(Table(kv)->FairRandomEntry(rng)->member());
  }
}

void ConvertToTable(KeyValue* kv) {
  if (kv->encoding() != Encoding::kHashtable) ToTable(kv, Size(kv));
}

size_t FreeEffort(const KeyValue* kv) {
  return kv->encoding() == Encoding::kHashtable ? Table(kv)->size() : 1;
}

void FreePayload(Encoding enc, void* ptr) {
  switch (enc) {
    case Encoding::kIntset: intset::Free(static_cast<uint8_t*>(ptr)); return;
    case Encoding::kListpack: lp::Free(static_cast<uint8_t*>(ptr)); return;
    default: {
      auto* t = static_cast<SetTable*>(ptr);
      t->Clear([](SetEntry* e) { SetEntry::Free(e); });
      delete t;
    }
  }
}

void* ClonePayload(Encoding enc, const void* ptr) {
  switch (enc) {
    case Encoding::kIntset: return intset::Dup(static_cast<const uint8_t*>(ptr));
    case Encoding::kListpack: return lp::Dup(static_cast<const uint8_t*>(ptr));
    default: {
      const auto* src = static_cast<const SetTable*>(ptr);
      auto* t = new SetTable();
      t->Expand(src->size());
      src->ForEach([&](SetEntry* e) { t->Insert(SetEntry::New(e->member())); });
      return t;
    }
  }
}

size_t PayloadBytes(Encoding enc, const void* ptr, size_t samples) {
  if (enc != Encoding::kHashtable) return malloc_usable_size(const_cast<void*>(ptr));
  const auto* t = static_cast<const SetTable*>(ptr);
  return sizeof(SetTable) + t->table_bytes() +
         ds::SampledEntryBytes(*t, samples, [](SetEntry* e) { return malloc_usable_size(e); });
}

namespace detail {
void ForEachCompact(const KeyValue* kv, void* ctx, void (*cb)(void* ctx, std::string_view m)) {
  char buf[24];
  if (kv->encoding() == Encoding::kIntset) {
    uint8_t* is = Buf(kv);
    size_t n = intset::Length(is);
    for (size_t i = 0; i < n; ++i) {
      auto r = std::to_chars(buf, buf + sizeof(buf), intset::Get(is, i));
      cb(ctx, std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
    }
    return;
  }
  uint8_t* lp = Buf(kv);
  for (uint8_t* p = lp::First(lp); p != nullptr; p = lp::Next(lp, p)) {
    cb(ctx, lp::Get(p).View(buf));
  }
}
}  // namespace detail

}  // namespace setv
}  // namespace tessera
