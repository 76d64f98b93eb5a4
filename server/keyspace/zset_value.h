// Sorted-set values: a listpack of member, score pairs in (score, member) order while small
// (zset-max-listpack-entries / -value), then a member table plus a skiplist sharing one node
// per member. ZIter walks either encoding in order, so range commands are encoding-blind.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/ds/dict.h"
#include "server/ds/skiplist.h"
#include "server/keyspace/kv.h"

namespace tessera {

struct ZNodeTraits {
  using Entry = ds::ZNode;
  static ds::ZNode** NextSlot(ds::ZNode* n) { return &n->hnext; }
  static std::string_view Key(const ds::ZNode* n) { return n->member(); }
  static uint64_t Hash(std::string_view k);
};
using ZMemberTable = ds::Dict<ZNodeTraits>;

struct ZSet {
  ZMemberTable dict;
  ds::Skiplist zsl;
};

struct ZsetLimits {
  int64_t max_listpack_entries = 128;
  int64_t max_listpack_value = 64;
};

// ZADD's options and outcome flags (Redis's ZADD_IN_* / ZADD_OUT_*).
enum ZAddFlags : int {
  kZAddIncr = 1, kZAddNx = 2, kZAddXx = 4, kZAddGt = 8, kZAddLt = 16,
  kZAddOutNop = 1, kZAddOutNan = 2, kZAddOutAdded = 4, kZAddOutUpdated = 8,
};

// The score format of listpack entries and ZSCAN (Redis's d2string): integral values print as
// integers (-0 as 0), others with 17 significant digits, "inf", "-inf".
std::string ScoreToString(double d);

// A position in a sorted set, walkable both ways.
class ZIter {
 public:
  bool Valid() const { return lp_ele_ != nullptr || node_ != nullptr; }
  void Next();
  void Prev();
  std::string_view Member(char* buf) const;  // buf: 24 bytes for integer members
  double Score() const;

 private:
  friend struct ZIterAccess;
  uint8_t* lp_ = nullptr;
  uint8_t* lp_ele_ = nullptr;  // member entry of the current pair
  ds::ZNode* node_ = nullptr;
};

namespace zsetv {

// A new empty sorted set; a listpack if `size_hint` members up to `max_len` bytes fit one.
KeyValue* New(std::string_view key, size_t size_hint, size_t max_len, const ZsetLimits& limits);
size_t Length(const KeyValue* kv);
std::optional<double> Score(const KeyValue* kv, std::string_view member);
// Redis's zsetAdd: adds or updates member per flags; *out gets kZAddOut*; *newscore the
// resulting score. Returns false (kZAddOutNan) if the score would be NaN.
bool Add(KeyValue* kv, double score, std::string_view member, int flags, int* out,
         double* newscore, const ZsetLimits& limits);
bool Remove(KeyValue* kv, std::string_view member);
// 0-based rank (from the lowest score, or the highest with reverse), nullopt if absent.
std::optional<uint64_t> Rank(const KeyValue* kv, std::string_view member, bool reverse);

// Iterators: at a 0-based rank from the low end, or at the ends of a range.
ZIter AtRank(const KeyValue* kv, uint64_t rank);
ZIter FirstInScore(const KeyValue* kv, const ds::ScoreRange& r);
ZIter LastInScore(const KeyValue* kv, const ds::ScoreRange& r);
ZIter FirstInLex(const KeyValue* kv, const ds::LexRange& r);
ZIter LastInLex(const KeyValue* kv, const ds::LexRange& r);

void ConvertToSkiplist(KeyValue* kv);
// Converts a skiplist set that is small enough back to a listpack (for stored results).
void ConvertToListpackIfFits(KeyValue* kv, const ZsetLimits& limits);

size_t FreeEffort(const KeyValue* kv);
void FreePayload(Encoding enc, void* ptr);
void* ClonePayload(Encoding enc, const void* ptr);
// Bytes held by a sorted set payload (samples as hashv::PayloadBytes).
size_t PayloadBytes(Encoding enc, const void* ptr, size_t samples = 0);

}  // namespace zsetv
}  // namespace tessera
