#include "server/keyspace/zset_value.h"

#include <malloc.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/strutil.h"
#include "server/ds/listpack.h"
#include "server/keyspace/db.h"

namespace tessera {

uint64_t ZNodeTraits::Hash(std::string_view k) { return KeyHash(k); }

std::string ScoreToString(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == 0) return "0";  // Redis 7.0 stores -0 as 0 (seen in DUMP payloads)
  if (d > -4503599627370495.0 && d < 4503599627370496.0 &&
      d == static_cast<double>(static_cast<int64_t>(d))) {
    return Int64ToString(static_cast<int64_t>(d));
  }
  char buf[64];
  int n = snprintf(buf, sizeof(buf), "%.17g", d);
  return std::string(buf, static_cast<size_t>(n));
}

struct ZIterAccess {
  static ZIter Lp(uint8_t* lp, uint8_t* ele) {
    ZIter it;
    it.lp_ = lp;
    it.lp_ele_ = ele;
    return it;
  }
  static ZIter Node(ds::ZNode* n) {
    ZIter it;
    it.node_ = n;
    return it;
  }
};

namespace {

double LpScore(const uint8_t* p) {
  lp::Value v = lp::Get(p);
  if (v.is_int) return static_cast<double>(v.ival);
  std::string s(v.sval);
  return strtod(s.c_str(), nullptr);
}

uint8_t* Lp(const KeyValue* kv) { return static_cast<uint8_t*>(kv->ptr()); }
ZSet* Z(const KeyValue* kv) { return static_cast<ZSet*>(kv->ptr()); }

// Finds member in a listpack set; returns its member entry and *score.
uint8_t* LpFind(uint8_t* lp, std::string_view member, double* score) {
  uint8_t* first = lp::First(lp);
  if (first == nullptr) return nullptr;
  uint8_t* p = lp::Find(lp, first, member, 1);
  if (p != nullptr && score != nullptr) *score = LpScore(lp::Next(lp, p));
  return p;
}

// Inserts (member, score) at its ordered place.
uint8_t* LpInsert(uint8_t* lp, std::string_view member, double score) {
  char buf[24];
  std::string s = ScoreToString(score);
  for (uint8_t* p = lp::First(lp); p != nullptr;) {
    uint8_t* sp = lp::Next(lp, p);
    double cur = LpScore(sp);
    if (cur > score || (cur == score && lp::Get(p).View(buf) > member)) {
      size_t off = static_cast<size_t>(p - lp);
      lp = lp::Insert(lp, member, p, lp::Where::kBefore);
      uint8_t* mp = lp + off;
      return lp::Insert(lp, s, lp::Next(lp, mp), lp::Where::kBefore);
    }
    p = lp::Next(lp, sp);
  }
  lp = lp::Append(lp, member);
  return lp::Append(lp, s);
}

ds::Rng& LevelRng() {
  static ds::Rng rng(0x5EED);
  return rng;
}

ZSet* NewZSet(size_t hint) {
  auto* z = new ZSet();
  z->dict.Expand(hint);
  return z;
}

}  // namespace

void ZIter::Next() {
  if (lp_ele_ != nullptr) {
    uint8_t* s = lp::Next(lp_, lp_ele_);
    lp_ele_ = s == nullptr ? nullptr : lp::Next(lp_, s);
  } else if (node_ != nullptr) {
    node_ = node_->levels()[0].forward;
  }
}

void ZIter::Prev() {
  if (lp_ele_ != nullptr) {
    uint8_t* s = lp::Prev(lp_, lp_ele_);
    lp_ele_ = s == nullptr ? nullptr : lp::Prev(lp_, s);
  } else if (node_ != nullptr) {
    node_ = node_->backward;
  }
}

std::string_view ZIter::Member(char* buf) const {
  if (lp_ele_ != nullptr) return lp::Get(lp_ele_).View(buf);
  return node_->member();
}

double ZIter::Score() const {
  if (lp_ele_ != nullptr) return LpScore(lp::Next(lp_, lp_ele_));
  return node_->score;
}

namespace zsetv {

KeyValue* New(std::string_view key, size_t size_hint, size_t max_len, const ZsetLimits& limits) {
  if (limits.max_listpack_entries > 0 && size_hint <= static_cast<size_t>(limits.max_listpack_entries) &&
      max_len <= static_cast<size_t>(limits.max_listpack_value)) {
    return KeyValue::NewPtr(key, ObjType::kZset, Encoding::kListpack, lp::New(), -1);
  }
  return KeyValue::NewPtr(key, ObjType::kZset, Encoding::kSkiplist, NewZSet(size_hint), -1);
}

size_t Length(const KeyValue* kv) {
  if (kv->encoding() == Encoding::kListpack) return lp::Length(Lp(kv)) / 2;
  return Z(kv)->zsl.length();
}

std::optional<double> Score(const KeyValue* kv, std::string_view member) {
  if (kv->encoding() == Encoding::kListpack) {
    double s;
    if (LpFind(Lp(kv), member, &s) == nullptr) return std::nullopt;
    return s;
  }
  ds::ZNode* n = Z(kv)->dict.Find(member);
  if (n == nullptr) return std::nullopt;
  return n->score;
}

void ConvertToSkiplist(KeyValue* kv) {
  if (kv->encoding() != Encoding::kListpack) return;
  uint8_t* lp = Lp(kv);
  ZSet* z = NewZSet(lp::Length(lp) / 2);
  char buf[24];
  for (uint8_t* p = lp::First(lp); p != nullptr;) {
    uint8_t* sp = lp::Next(lp, p);
    ds::ZNode* n = z->zsl.Insert(LpScore(sp), lp::Get(p).View(buf), LevelRng());
    z->dict.Insert(n);
    p = lp::Next(lp, sp);
  }
  lp::Free(lp);
  kv->SetPtrValue(ObjType::kZset, Encoding::kSkiplist, z);
}

void ConvertToListpackIfFits(KeyValue* kv, const ZsetLimits& limits) {
  if (kv->encoding() != Encoding::kSkiplist) return;
  ZSet* z = Z(kv);
  if (z->zsl.length() > static_cast<uint64_t>(limits.max_listpack_entries)) return;
  for (ds::ZNode* n = z->zsl.first(); n != nullptr; n = n->levels()[0].forward) {
    if (n->len > static_cast<uint64_t>(limits.max_listpack_value)) return;
  }
  uint8_t* lp = lp::New();
  for (ds::ZNode* n = z->zsl.first(); n != nullptr; n = n->levels()[0].forward) {
    lp = lp::Append(lp, n->member());
    lp = lp::Append(lp, ScoreToString(n->score));
  }
  FreePayload(Encoding::kSkiplist, z);
  kv->SetPtrValue(ObjType::kZset, Encoding::kListpack, lp);
}

bool Add(KeyValue* kv, double score, std::string_view member, int flags, int* out,
         double* newscore, const ZsetLimits& limits) {
  bool incr = flags & kZAddIncr, nx = flags & kZAddNx, xx = flags & kZAddXx;
  bool gt = flags & kZAddGt, lt = flags & kZAddLt;
  *out = 0;
  if (std::isnan(score)) {
    *out = kZAddOutNan;
    return false;
  }
  // Updates an existing member's score per the options (shared by both encodings).
  auto update = [&](double cur, auto&& apply) -> bool {
    if (nx) {
      *out |= kZAddOutNop;
      return true;
    }
    if (incr) {
      score += cur;
      if (std::isnan(score)) {
        *out |= kZAddOutNan;
        return false;
      }
    }
    if ((lt && score >= cur) || (gt && score <= cur)) {
      *out |= kZAddOutNop;
      return true;
    }
    if (newscore != nullptr) *newscore = score;
    if (score != cur) {
      apply();
      *out |= kZAddOutUpdated;
    }
    return true;
  };
  if (kv->encoding() == Encoding::kListpack) {
    uint8_t* lp = Lp(kv);
    double cur;
    uint8_t* p = LpFind(lp, member, &cur);
    if (p != nullptr) {
      return update(cur, [&] {
        lp = lp::DeleteRange(lp, p, 2);
        kv->set_ptr(LpInsert(lp, member, score));
      });
    }
    if (xx) {
      *out |= kZAddOutNop;
      return true;
    }
    if (lp::Length(lp) / 2 + 1 > static_cast<size_t>(limits.max_listpack_entries) ||
        member.size() > static_cast<size_t>(limits.max_listpack_value)) {
      ConvertToSkiplist(kv);
    } else {
      kv->set_ptr(LpInsert(lp, member, score));
      if (newscore != nullptr) *newscore = score;
      *out |= kZAddOutAdded;
      return true;
    }
  }
  ZSet* z = Z(kv);
  uint64_t h = ZNodeTraits::Hash(member);
  ds::ZNode* n = z->dict.Find(member, h);
  if (n != nullptr) {
    return update(n->score, [&] { z->zsl.UpdateScore(n, score); });
  }
  if (xx) {
    *out |= kZAddOutNop;
    return true;
  }
  n = z->zsl.Insert(score, member, LevelRng());
  z->dict.Insert(n, h);
  if (newscore != nullptr) *newscore = score;
  *out |= kZAddOutAdded;
  return true;
}

bool Remove(KeyValue* kv, std::string_view member) {
  if (kv->encoding() == Encoding::kListpack) {
    uint8_t* lp = Lp(kv);
    uint8_t* p = LpFind(lp, member, nullptr);
    if (p == nullptr) return false;
    kv->set_ptr(lp::DeleteRange(lp, p, 2));
    return true;
  }
  ZSet* z = Z(kv);
  ds::ZNode* n = z->dict.Remove(member);
  if (n == nullptr) return false;
  ds::ZNode* unlinked = z->zsl.Unlink(n->score, member);
  ds::Skiplist::FreeNode(unlinked);
  return true;
}

std::optional<uint64_t> Rank(const KeyValue* kv, std::string_view member, bool reverse) {
  size_t len = Length(kv);
  if (kv->encoding() == Encoding::kListpack) {
    uint8_t* lp = Lp(kv);
    uint64_t rank = 0;
    char buf[24];
    for (uint8_t* p = lp::First(lp); p != nullptr; ++rank) {
      if (lp::Get(p).View(buf) == member) return reverse ? len - 1 - rank : rank;
      p = lp::Next(lp, lp::Next(lp, p));
    }
    return std::nullopt;
  }
  ZSet* z = Z(kv);
  ds::ZNode* n = z->dict.Find(member);
  if (n == nullptr) return std::nullopt;
  uint64_t r = z->zsl.Rank(n->score, member) - 1;
  return reverse ? len - 1 - r : r;
}

ZIter AtRank(const KeyValue* kv, uint64_t rank) {
  if (kv->encoding() == Encoding::kListpack) {
    uint8_t* lp = Lp(kv);
    return ZIterAccess::Lp(lp, lp::Seek(lp, static_cast<int64_t>(rank * 2)));
  }
  return ZIterAccess::Node(Z(kv)->zsl.ByRank(rank + 1));
}

ZIter FirstInScore(const KeyValue* kv, const ds::ScoreRange& r) {
  if (kv->encoding() != Encoding::kListpack) return ZIterAccess::Node(Z(kv)->zsl.FirstInRange(r));
  uint8_t* lp = Lp(kv);
  if (r.Empty()) return ZIterAccess::Lp(lp, nullptr);
  for (uint8_t* p = lp::First(lp); p != nullptr;) {
    uint8_t* sp = lp::Next(lp, p);
    double s = LpScore(sp);
    if (r.GteMin(s)) return ZIterAccess::Lp(lp, r.LteMax(s) ? p : nullptr);
    p = lp::Next(lp, sp);
  }
  return ZIterAccess::Lp(lp, nullptr);
}

ZIter LastInScore(const KeyValue* kv, const ds::ScoreRange& r) {
  if (kv->encoding() != Encoding::kListpack) return ZIterAccess::Node(Z(kv)->zsl.LastInRange(r));
  uint8_t* lp = Lp(kv);
  if (r.Empty()) return ZIterAccess::Lp(lp, nullptr);
  for (uint8_t* sp = lp::Last(lp); sp != nullptr;) {
    uint8_t* p = lp::Prev(lp, sp);
    double s = LpScore(sp);
    if (r.LteMax(s)) return ZIterAccess::Lp(lp, r.GteMin(s) ? p : nullptr);
    sp = lp::Prev(lp, p);
  }
  return ZIterAccess::Lp(lp, nullptr);
}

ZIter FirstInLex(const KeyValue* kv, const ds::LexRange& r) {
  if (kv->encoding() != Encoding::kListpack) return ZIterAccess::Node(Z(kv)->zsl.FirstInLex(r));
  uint8_t* lp = Lp(kv);
  if (r.Empty()) return ZIterAccess::Lp(lp, nullptr);
  char buf[24];
  for (uint8_t* p = lp::First(lp); p != nullptr; p = lp::Next(lp, lp::Next(lp, p))) {
    std::string_view m = lp::Get(p).View(buf);
    if (r.GteMin(m)) return ZIterAccess::Lp(lp, r.LteMax(m) ? p : nullptr);
  }
  return ZIterAccess::Lp(lp, nullptr);
}

ZIter LastInLex(const KeyValue* kv, const ds::LexRange& r) {
  if (kv->encoding() != Encoding::kListpack) return ZIterAccess::Node(Z(kv)->zsl.LastInLex(r));
  uint8_t* lp = Lp(kv);
  if (r.Empty()) return ZIterAccess::Lp(lp, nullptr);
  char buf[24];
  for (uint8_t* sp = lp::Last(lp); sp != nullptr;) {
    uint8_t* p = lp::Prev(lp, sp);
    std::string_view m = lp::Get(p).View(buf);
    if (r.LteMax(m)) return ZIterAccess::Lp(lp, r.GteMin(m) ? p : nullptr);
    sp = lp::Prev(lp, p);
  }
  return ZIterAccess::Lp(lp, nullptr);
}

size_t FreeEffort(const KeyValue* kv) {
  return kv->encoding() == Encoding::kListpack ? 1 : Z(kv)->zsl.length();
}

void FreePayload(Encoding enc, void* ptr) {
  if (enc == Encoding::kListpack) {
    lp::Free(static_cast<uint8_t*>(ptr));
    return;
  }
  auto* z = static_cast<ZSet*>(ptr);
  z->dict.Clear([](ds::ZNode*) {});  // nodes belong to the skiplist, freed by its destructor
  delete z;
}

void* ClonePayload(Encoding enc, const void* ptr) {
  if (enc == Encoding::kListpack) return lp::Dup(static_cast<const uint8_t*>(ptr));
  const auto* src = static_cast<const ZSet*>(ptr);
  ZSet* z = NewZSet(src->zsl.length());
  for (ds::ZNode* n = src->zsl.first(); n != nullptr; n = n->levels()[0].forward) {
    z->dict.Insert(z->zsl.Insert(n->score, n->member(), LevelRng()));
  }
  return z;
}

size_t PayloadBytes(Encoding enc, const void* ptr, size_t samples) {
  if (enc == Encoding::kListpack) return malloc_usable_size(const_cast<void*>(ptr));
  const auto* z = static_cast<const ZSet*>(ptr);
  size_t nodes = 0, node_bytes = 0;
  for (ds::ZNode* n = z->zsl.first(); n != nullptr && (samples == 0 || nodes < samples);
       n = n->levels()[0].forward) {
    node_bytes += malloc_usable_size(n);
    ++nodes;
  }
  size_t total = z->dict.size();
  if (nodes > 0 && nodes < total) node_bytes = node_bytes * total / nodes;
  return sizeof(ZSet) + z->dict.table_bytes() + node_bytes;
}

}  // namespace zsetv
}  // namespace tessera
