// Sorted-set commands: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ZCOUNT ZLEXCOUNT
// ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES) ZRANGESTORE ZREVRANGE ZRANGEBYSCORE
// ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX
// ZUNION ZINTER ZDIFF ZUNIONSTORE ZINTERSTORE ZDIFFSTORE ZINTERCARD ZPOPMIN ZPOPMAX ZMPOP
// ZRANDMEMBER ZSCAN.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <unordered_map>
#include <vector>

#include "common/glob.h"
#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/commands/zset_ops.h"
#include "server/core/context.h"
#include "server/ds/listpack.h"
#include "server/keyspace/set_value.h"
#include "server/keyspace/zset_value.h"

namespace tessera {

namespace {

using ds::LexRange;
using ds::ScoreRange;

ZsetLimits Limits(CommandContext& ctx) {
  const ServerConfig& c = ctx.server.config();
  return ZsetLimits{c.zset_max_listpack_entries, c.zset_max_listpack_value};
}

KeyValue* LookupZset(CommandContext& ctx, std::string_view key, bool write, bool* wrong) {
  KeyValue* kv = write ? ctx.LookupWrite(key) : ctx.LookupRead(key);
  *wrong = kv != nullptr && kv->type() != ObjType::kZset;
  if (*wrong) ctx.WrongType();
  return *wrong ? nullptr : kv;
}

void DeleteIfEmpty(CommandContext& ctx, KeyValue* kv, std::string_view key) {
  DeleteKeyIfEmpty(ctx, key, zsetv::Length(kv));
}

// A score argument as Redis's getDoubleFromObject: the whole string, no leading space, no NaN.
std::optional<double> ParseScore(std::string_view s) { return ParseDouble(s); }

// A range end as Redis's zslParseRange reads it ("(" for exclusive, strtod otherwise).
bool ParseRangeEnd(std::string_view arg, double* v, bool* excl) {
  std::string s(arg);
  const char* p = s.c_str();
  *excl = false;
  if (*p == '(') {
    *excl = true;
    ++p;
  }
  char* end = nullptr;
  *v = strtod(p, &end);
  return *end == '\0' && !std::isnan(*v);
}

bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* r) {
  return ParseRangeEnd(min, &r->min, &r->minex) && ParseRangeEnd(max, &r->max, &r->maxex);
}

bool ParseLexEnd(std::string_view arg, bool is_min, LexRange* r) {
  if (arg == "-" || arg == "+") {
    bool plus = arg == "+";
    if (is_min) {
      (plus ? r->min_minus_inf : r->min_inf) = true;
    } else {
      (plus ? r->max_inf : r->max_plus_inf) = true;
    }
    return true;
  }
  if (arg.empty() || (arg[0] != '[' && arg[0] != '(')) return false;
  bool ex = arg[0] == '(';
  if (is_min) {
    r->min = arg.substr(1);
    r->minex = ex;
  } else {
    r->max = arg.substr(1);
    r->maxex = ex;
  }
  return true;
}

bool ParseLexRange(std::string_view min, std::string_view max, LexRange* r) {
  return ParseLexEnd(min, true, r) && ParseLexEnd(max, false, r);
}

using Pair = zsetcmd::Pair;

// [member, score, ...] in RESP2 and [[member, score], ...] in RESP3 (or always nested when
// `always_nested`, as ZMPOP replies).
void ReplyPairs(CommandContext& ctx, const std::vector<Pair>& pairs, bool withscores,
                bool always_nested = false) {
  bool nested = withscores && (ctx.reply.resp3() || always_nested);
  ctx.reply.ArrayHeader(withscores && !nested ? pairs.size() * 2 : pairs.size());
  for (const Pair& p : pairs) {
    if (nested) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(p.member);
    if (withscores) ctx.reply.Double(p.score);
  }
}

// Stores pairs under dst (replacing what was there); an empty result deletes dst. Returns
// the number stored.
size_t StorePairs(CommandContext& ctx, std::string_view dst, const std::vector<Pair>& pairs,
                  std::string_view event) {
  bool existed = ctx.LookupWrite(dst) != nullptr;
  if (existed) ctx.ks().Delete(ctx.db(), dst, ctx.server.config().lazyfree_lazy_server_del);
  if (!pairs.empty()) {
    ZsetLimits limits = Limits(ctx);
    size_t maxlen = 0;
    for (const Pair& p : pairs) maxlen = std::max(maxlen, p.member.size());
    KeyValue* kv = zsetv::New(dst, pairs.size(), maxlen, limits);
    int out;
    for (const Pair& p : pairs) zsetv::Add(kv, p.score, p.member, 0, &out, nullptr, limits);
    ctx.ks().InitAccess(kv, ctx.now_ms);
    if (existed) {
      ctx.db().Add(kv);  // replaces dst: no "new" event, as Redis's setKey
    } else {
      ctx.AddKey(kv);
    }
    ctx.Notify(kNotifyZset, event, dst);
  } else if (existed) {
    ctx.Notify(kNotifyGeneric, "del", dst);
  }
  ctx.Modified(dst);
  ctx.Dirty();
  return pairs.size();
}

// ---- ZADD / ZINCRBY ----

void ZAddGeneric(CommandContext& ctx, int flags) {
  bool ch = false;
  size_t idx = 2;
  for (; idx < ctx.argc(); ++idx) {
    std::string_view o = ctx.argv[idx];
    if (EqualsIgnoreCase(o, "nx")) flags |= kZAddNx;
    else if (EqualsIgnoreCase(o, "xx")) flags |= kZAddXx;
    else if (EqualsIgnoreCase(o, "gt")) flags |= kZAddGt;
    else if (EqualsIgnoreCase(o, "lt")) flags |= kZAddLt;
    else if (EqualsIgnoreCase(o, "ch")) ch = true;
    else if (EqualsIgnoreCase(o, "incr")) flags |= kZAddIncr;
    else break;
  }
  size_t elements = ctx.argc() - idx;
  if (elements % 2 != 0 || elements == 0) {
    ctx.Syntax();
    return;
  }
  elements /= 2;
  bool incr = flags & kZAddIncr;
  if (incr && elements > 1) {
    ctx.reply.Error("ERR INCR option supports a single increment-element pair");
    return;
  }
  if ((flags & kZAddNx) && (flags & kZAddXx)) {
    ctx.reply.Error("ERR XX and NX options at the same time are not compatible");
    return;
  }
  if (((flags & kZAddGt) && (flags & kZAddNx)) || ((flags & kZAddLt) && (flags & kZAddNx)) ||
      ((flags & kZAddGt) && (flags & kZAddLt))) {
    ctx.reply.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
    return;
  }
  std::vector<double> scores(elements);
  size_t maxlen = 0;
  for (size_t j = 0; j < elements; ++j) {
    auto s = ParseScore(ctx.argv[idx + j * 2]);
    if (!s) {
      ctx.reply.Error(err::kNotFloat);
      return;
    }
    scores[j] = *s;
    maxlen = std::max(maxlen, ctx.argv[idx + j * 2 + 1].size());
  }
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = LookupZset(ctx, key, true, &wrong);
  if (wrong) return;
  ZsetLimits limits = Limits(ctx);
  if (kv == nullptr) {
    if (flags & kZAddXx) {
      if (incr) {
        ctx.reply.Null();
      } else {
        ctx.reply.Integer(0);
      }
      return;
    }
    kv = zsetv::New(key, elements, maxlen, limits);
    ctx.ks().InitAccess(kv, ctx.now_ms);
    ctx.AddKey(kv);
  }
  int64_t added = 0, updated = 0, processed = 0;
  double score = 0;
  for (size_t j = 0; j < elements; ++j) {
    int out;
    double newscore = 0;
    if (!zsetv::Add(kv, scores[j], ctx.argv[idx + j * 2 + 1], flags, &out, &newscore, limits)) {
      ctx.reply.Error("ERR resulting score is not a number (NaN)");
      DeleteIfEmpty(ctx, kv, key);
      return;
    }
    if (out & kZAddOutAdded) ++added;
    if (out & kZAddOutUpdated) ++updated;
    if (!(out & kZAddOutNop)) ++processed;
    score = newscore;
  }
  DeleteIfEmpty(ctx, kv, key);  // an XX-only call on a fresh key leaves nothing behind
  if (added + updated > 0) {
    ctx.Modified(key);
    ctx.Notify(kNotifyZset, incr ? "zincr" : "zadd", key);
  }
  ctx.Dirty(static_cast<uint64_t>(added + updated));
  if (incr) {
    if (processed > 0) {
      ctx.reply.Double(score);
    } else {
      ctx.reply.Null();
    }
  } else {
    ctx.reply.Integer(ch ? added + updated : added);
  }
}

void ZAdd(CommandContext& ctx) { ZAddGeneric(ctx, 0); }

void ZIncrBy(CommandContext& ctx) {
  // ZINCRBY key increment member == ZADD key INCR increment member.
  auto incr = ParseScore(ctx.argv[2]);
  if (!incr) {
    ctx.reply.Error(err::kNotFloat);
    return;
  }
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = LookupZset(ctx, key, true, &wrong);
  if (wrong) return;
  ZsetLimits limits = Limits(ctx);
  if (kv == nullptr) {
    kv = zsetv::New(key, 1, ctx.argv[3].size(), limits);
    ctx.ks().InitAccess(kv, ctx.now_ms);
    ctx.AddKey(kv);
  }
  int out;
  double newscore = 0;
  if (!zsetv::Add(kv, *incr, ctx.argv[3], kZAddIncr, &out, &newscore, limits)) {
    ctx.reply.Error("ERR resulting score is not a number (NaN)");
    DeleteIfEmpty(ctx, kv, key);
    return;
  }
  if (out & (kZAddOutAdded | kZAddOutUpdated)) {  // an increment of 0 changes nothing
    ctx.Modified(key);
    ctx.Notify(kNotifyZset, "zincr", key);
    ctx.Dirty();
  }
  ctx.reply.Double(newscore);
}

void ZRem(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = LookupZset(ctx, key, true, &wrong);
  if (wrong) return;
  RemoveMembers(ctx, kv, kNotifyZset, "zrem", zsetv::Remove, zsetv::Length);
}

void ZCard(CommandContext& ctx) {
  bool wrong;
  KeyValue* kv = LookupZset(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  ctx.reply.Integer(kv == nullptr ? 0 : static_cast<int64_t>(zsetv::Length(kv)));
}

void ZScore(CommandContext& ctx) {
  bool wrong;
  KeyValue* kv = LookupZset(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  auto s = kv == nullptr ? std::nullopt : zsetv::Score(kv, ctx.argv[2]);
  if (s) {
    ctx.reply.Double(*s);
  } else {
    ctx.reply.Null();
  }
}

void ZMScore(CommandContext& ctx) {
  bool wrong;
  KeyValue* kv = LookupZset(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    auto s = kv == nullptr ? std::nullopt : zsetv::Score(kv, ctx.argv[i]);
    if (s) {
      ctx.reply.Double(*s);
    } else {
      ctx.reply.Null();
    }
  }
}

void ZRankGeneric(CommandContext& ctx, bool reverse) {
  bool wrong;
  KeyValue* kv = LookupZset(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  auto r = kv == nullptr ? std::nullopt : zsetv::Rank(kv, ctx.argv[2], reverse);
  if (r) {
    ctx.reply.Integer(static_cast<int64_t>(*r));
  } else {
    ctx.reply.Null();
  }
}

void ZRank(CommandContext& ctx) { ZRankGeneric(ctx, false); }
void ZRevRank(CommandContext& ctx) { ZRankGeneric(ctx, true); }

void ZCount(CommandContext& ctx) {
  ScoreRange r;
  if (!ParseScoreRange(ctx.argv[2], ctx.argv[3], &r)) {
    ctx.reply.Error("ERR min or max is not a float");
    return;
  }
  bool wrong;
  KeyValue* kv = LookupZset(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  int64_t n = 0;
  if (kv != nullptr) {
    for (ZIter it = zsetv::FirstInScore(kv, r); it.Valid() && r.LteMax(it.Score()); it.Next()) ++n;
  }
  ctx.reply.Integer(n);
}

void ZLexCount(CommandContext& ctx) {
  LexRange r;
  if (!ParseLexRange(ctx.argv[2], ctx.argv[3], &r)) {
    ctx.reply.Error("ERR min or max not valid string range item");
    return;
  }
  bool wrong;
  KeyValue* kv = LookupZset(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  int64_t n = 0;
  if (kv != nullptr) {
    char buf[24];
    for (ZIter it = zsetv::FirstInLex(kv, r); it.Valid() && r.LteMax(it.Member(buf)); it.Next()) ++n;
  }
  ctx.reply.Integer(n);
}

// ---- ZRANGE and friends ----

enum class RangeType { kAuto, kRank, kScore, kLex };

struct RangeRequest {
  RangeType type = RangeType::kRank;
  bool reverse = false;
  bool withscores = false;
  int64_t offset = 0;
  int64_t limit = -1;
  std::string_view min, max;  // as given (for REV forms already swapped to min/max order)
};

// Collects the pairs a range request selects from kv.
bool CollectRange(CommandContext& ctx, const KeyValue* kv, const RangeRequest& req,
                  std::vector<Pair>* out) {
  char buf[24];
  if (req.type == RangeType::kRank) {
    auto start = ParseInt64(req.min);
    auto end = ParseInt64(req.max);
    if (!start || !end) {
      ctx.reply.Error(err::kNotInteger);
      return false;
    }
    if (kv == nullptr) return true;
    int64_t len = static_cast<int64_t>(zsetv::Length(kv));
    int64_t a = *start, b = *end;
    if (a < 0) a += len;
    if (b < 0) b += len;
    if (a < 0) a = 0;
    if (a > b || a >= len) return true;
    if (b >= len) b = len - 1;
    int64_t n = b - a + 1;
    uint64_t first = req.reverse ? static_cast<uint64_t>(len - 1 - a) : static_cast<uint64_t>(a);
    ZIter it = zsetv::AtRank(kv, first);
    for (int64_t i = 0; i < n && it.Valid(); ++i) {
      out->push_back({std::string(it.Member(buf)), it.Score()});
      if (req.reverse) {
        it.Prev();
      } else {
        it.Next();
      }
    }
    return true;
  }
  if (req.type == RangeType::kScore) {
    ScoreRange r;
    if (!ParseScoreRange(req.min, req.max, &r)) {
      ctx.reply.Error("ERR min or max is not a float");
      return false;
    }
    // A negative LIMIT offset selects nothing (Redis skips "forever").
    if (kv == nullptr || req.offset < 0) return true;
    ZIter it = req.reverse ? zsetv::LastInScore(kv, r) : zsetv::FirstInScore(kv, r);
    int64_t offset = req.offset;
    while (it.Valid() && offset-- > 0) {
      if (req.reverse) it.Prev(); else it.Next();
    }
    int64_t limit = req.limit;
    while (it.Valid() && limit != 0) {
      double s = it.Score();
      if (req.reverse ? !r.GteMin(s) : !r.LteMax(s)) break;
      out->push_back({std::string(it.Member(buf)), s});
      if (req.reverse) it.Prev(); else it.Next();
      if (limit > 0) --limit;
    }
    return true;
  }
  LexRange r;
  if (!ParseLexRange(req.min, req.max, &r)) {
    ctx.reply.Error("ERR min or max not valid string range item");
    return false;
  }
  if (kv == nullptr || req.offset < 0) return true;
  ZIter it = req.reverse ? zsetv::LastInLex(kv, r) : zsetv::FirstInLex(kv, r);
  int64_t offset = req.offset;
  while (it.Valid() && offset-- > 0) {
    if (req.reverse) it.Prev(); else it.Next();
  }
  int64_t limit = req.limit;
  while (it.Valid() && limit != 0) {
    std::string_view m = it.Member(buf);
    if (req.reverse ? !r.GteMin(m) : !r.LteMax(m)) break;
    out->push_back({std::string(m), it.Score()});
    if (req.reverse) it.Prev(); else it.Next();
    if (limit > 0) --limit;
  }
  return true;
}

// Redis's zrangeGenericCommand: argv[argc_start] and argv[argc_start+1] are the range, then
// options. `type`/`reverse` preset the legacy command forms. `store` names the destination.
void ZRangeGeneric(CommandContext& ctx, size_t key_idx, size_t start_idx, RangeType type,
                   bool reverse, std::string_view store) {
  RangeRequest req;
  req.type = type;
  req.reverse = reverse;
  bool has_limit = false;
  // ZRANGE takes REV and one of BYSCORE/BYLEX once each; a repeat is a syntax error.
  bool direction_open = type == RangeType::kAuto;
  for (size_t j = start_idx + 2; j < ctx.argc(); ++j) {
    size_t left = ctx.argc() - j - 1;
    std::string_view o = ctx.argv[j];
    if (store.empty() && EqualsIgnoreCase(o, "withscores")) {
      req.withscores = true;
    } else if (EqualsIgnoreCase(o, "limit") && left >= 2) {
      auto off = ParseInt64(ctx.argv[j + 1]);
      auto lim = ParseInt64(ctx.argv[j + 2]);
      if (!off || !lim) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      req.offset = *off;
      req.limit = *lim;
      has_limit = true;
      j += 2;
    } else if (direction_open && EqualsIgnoreCase(o, "rev")) {
      req.reverse = true;
      direction_open = false;
    } else if (req.type == RangeType::kAuto && EqualsIgnoreCase(o, "byscore")) {
      req.type = RangeType::kScore;
    } else if (req.type == RangeType::kAuto && EqualsIgnoreCase(o, "bylex")) {
      req.type = RangeType::kLex;
    } else {
      ctx.Syntax();
      return;
    }
  }
  if (req.type == RangeType::kAuto) req.type = RangeType::kRank;
  if (has_limit && req.type == RangeType::kRank) {
    ctx.reply.Error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return;
  }
  if (req.withscores && req.type == RangeType::kLex) {
    ctx.reply.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return;
  }
  // Reverse score/lex ranges are given max first.
  if (req.reverse && req.type != RangeType::kRank) {
    req.min = ctx.argv[start_idx + 1];
    req.max = ctx.argv[start_idx];
  } else {
    req.min = ctx.argv[start_idx];
    req.max = ctx.argv[start_idx + 1];
  }
  bool wrong;
  KeyValue* kv = LookupZset(ctx, ctx.argv[key_idx], false, &wrong);
  if (wrong) return;
  std::vector<Pair> pairs;
  if (!CollectRange(ctx, kv, req, &pairs)) return;
  if (!store.empty()) {
    ctx.reply.Integer(static_cast<int64_t>(StorePairs(ctx, store, pairs, "zrangestore")));
    return;
  }
  ReplyPairs(ctx, pairs, req.withscores);
}

void ZRange(CommandContext& ctx) { ZRangeGeneric(ctx, 1, 2, RangeType::kAuto, false, {}); }
void ZRangeStore(CommandContext& ctx) {
  ZRangeGeneric(ctx, 2, 3, RangeType::kAuto, false, ctx.argv[1]);
}
void ZRevRange(CommandContext& ctx) { ZRangeGeneric(ctx, 1, 2, RangeType::kRank, true, {}); }
void ZRangeByScore(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, 2, RangeType::kScore, false, {});
}
void ZRevRangeByScore(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, 2, RangeType::kScore, true, {});
}
void ZRangeByLex(CommandContext& ctx) { ZRangeGeneric(ctx, 1, 2, RangeType::kLex, false, {}); }
void ZRevRangeByLex(CommandContext& ctx) { ZRangeGeneric(ctx, 1, 2, RangeType::kLex, true, {}); }

void ZRemRangeGeneric(CommandContext& ctx, RangeType type) {
  RangeRequest req;
  req.type = type;
  req.min = ctx.argv[2];
  req.max = ctx.argv[3];
  // Validate the range before looking at the key, as Redis does.
  if (type == RangeType::kScore) {
    ScoreRange r;
    if (!ParseScoreRange(req.min, req.max, &r)) {
      ctx.reply.Error("ERR min or max is not a float");
      return;
    }
  } else if (type == RangeType::kLex) {
    LexRange r;
    if (!ParseLexRange(req.min, req.max, &r)) {
      ctx.reply.Error("ERR min or max not valid string range item");
      return;
    }
  } else if (!ParseInt64(req.min) || !ParseInt64(req.max)) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = LookupZset(ctx, key, true, &wrong);
  if (wrong) return;
  std::vector<Pair> pairs;
  if (!CollectRange(ctx, kv, req, &pairs)) return;
  for (const Pair& p : pairs) zsetv::Remove(kv, p.member);
  if (!pairs.empty()) {
    ctx.Modified(key);
    ctx.Notify(kNotifyZset,
               type == RangeType::kRank    ? "zremrangebyrank"
               : type == RangeType::kScore ? "zremrangebyscore"
                                           : "zremrangebylex",
               key);
    DeleteIfEmpty(ctx, kv, key);
    ctx.Dirty(pairs.size());
  }
  ctx.reply.Integer(static_cast<int64_t>(pairs.size()));
}

void ZRemRangeByRank(CommandContext& ctx) { ZRemRangeGeneric(ctx, RangeType::kRank); }
void ZRemRangeByScore(CommandContext& ctx) { ZRemRangeGeneric(ctx, RangeType::kScore); }
void ZRemRangeByLex(CommandContext& ctx) { ZRemRangeGeneric(ctx, RangeType::kLex); }

// ---- ZUNION / ZINTER / ZDIFF ----

enum class ZOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

// Reads (member, score) pairs from a sorted set or a plain set (score 1).
bool ReadInput(CommandContext& ctx, std::string_view key, bool* present,
               std::vector<Pair>* out) {
  KeyValue* kv = ctx.LookupRead(key);
  *present = kv != nullptr;
  if (kv == nullptr) return true;
  char buf[24];
  if (kv->type() == ObjType::kZset) {
    for (ZIter it = zsetv::AtRank(kv, 0); it.Valid(); it.Next()) {
      out->push_back({std::string(it.Member(buf)), it.Score()});
    }
    return true;
  }
  if (kv->type() == ObjType::kSet) {
    setv::ForEach(kv, [&](std::string_view m) { out->push_back({std::string(m), 1.0}); });
    return true;
  }
  ctx.WrongType();
  return false;
}

double Combine(double a, double b, Aggregate agg) {
  double r;
  switch (agg) {
    case Aggregate::kSum: r = a + b; break;
    case Aggregate::kMin: r = std::min(a, b); break;
    default: r = std::max(a, b); break;
  }
  return std::isnan(r) ? 0.0 : r;  // +inf + -inf is 0, as Redis
}

// The shared body of ZUNION/ZINTER/ZDIFF and their STORE forms. numkeys_idx points at numkeys.
void ZSetOpGeneric(CommandContext& ctx, size_t numkeys_idx, ZOp op, std::string_view dst) {
  auto numkeys = ParseInt64(ctx.argv[numkeys_idx]);
  if (!numkeys) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  if (*numkeys < 1) {
    ctx.reply.Error(fmt::format("ERR at least 1 input key is needed for '{}' command",
                                ctx.cmd.fullname));
    return;
  }
  if (*numkeys > static_cast<int64_t>(ctx.argc() - numkeys_idx - 1)) {
    ctx.Syntax();
    return;
  }
  size_t n = static_cast<size_t>(*numkeys);
  std::vector<double> weights(n, 1.0);
  Aggregate agg = Aggregate::kSum;
  bool withscores = false;
  for (size_t j = numkeys_idx + 1 + n; j < ctx.argc(); ++j) {
    size_t left = ctx.argc() - j - 1;
    std::string_view o = ctx.argv[j];
    if (op != ZOp::kDiff && EqualsIgnoreCase(o, "weights") && left >= n) {
      for (size_t i = 0; i < n; ++i) {
        auto w = ParseScore(ctx.argv[j + 1 + i]);
        if (!w) {
          ctx.reply.Error("ERR weight value is not a float");
          return;
        }
        weights[i] = *w;
      }
      j += n;
    } else if (op != ZOp::kDiff && EqualsIgnoreCase(o, "aggregate") && left >= 1) {
      std::string_view a = ctx.argv[j + 1];
      if (EqualsIgnoreCase(a, "sum")) agg = Aggregate::kSum;
      else if (EqualsIgnoreCase(a, "min")) agg = Aggregate::kMin;
      else if (EqualsIgnoreCase(a, "max")) agg = Aggregate::kMax;
      else {
        ctx.Syntax();
        return;
      }
      ++j;
    } else if (dst.empty() && EqualsIgnoreCase(o, "withscores")) {
      withscores = true;
    } else {
      ctx.Syntax();
      return;
    }
  }
  std::vector<std::vector<Pair>> inputs(n);
  std::vector<bool> present(n);
  for (size_t i = 0; i < n; ++i) {
    bool p;
    if (!ReadInput(ctx, ctx.argv[numkeys_idx + 1 + i], &p, &inputs[i])) return;
    present[i] = p;
    for (Pair& pair : inputs[i]) {
      double s = pair.score * weights[i];
      pair.score = std::isnan(s) ? 0.0 : s;
    }
  }
  std::vector<Pair> result;
  if (op == ZOp::kUnion) {
    std::unordered_map<std::string, double> acc;
    std::vector<std::string> order;
    for (const auto& in : inputs) {
      for (const Pair& p : in) {
        auto [it, fresh] = acc.emplace(p.member, p.score);
        if (fresh) {
          order.push_back(p.member);
        } else {
          it->second = Combine(it->second, p.score, agg);
        }
      }
    }
    for (const std::string& m : order) result.push_back({m, acc[m]});
  } else if (op == ZOp::kInter) {
    bool all_present = std::all_of(present.begin(), present.end(), [](bool b) { return b; });
    if (all_present) {
      std::vector<std::unordered_map<std::string, double>> maps(n);
      for (size_t i = 1; i < n; ++i) {
        for (const Pair& p : inputs[i]) maps[i].emplace(p.member, p.score);
      }
      for (const Pair& p : inputs[0]) {
        double s = p.score;
        bool in_all = true;
        for (size_t i = 1; i < n && in_all; ++i) {
          auto it = maps[i].find(p.member);
          if (it == maps[i].end()) {
            in_all = false;
          } else {
            s = Combine(s, it->second, agg);
          }
        }
        if (in_all) result.push_back({p.member, s});
      }
    }
  } else {
    std::unordered_map<std::string, bool> removed;
    for (size_t i = 1; i < n; ++i) {
      for (const Pair& p : inputs[i]) removed[p.member] = true;
    }
    for (const Pair& p : inputs[0]) {
      if (!removed.count(p.member)) result.push_back(p);
    }
  }
  std::sort(result.begin(), result.end(), [](const Pair& a, const Pair& b) {
    return a.score < b.score || (a.score == b.score && a.member < b.member);
  });
  if (!dst.empty()) {
    std::string_view event = op == ZOp::kUnion   ? "zunionstore"
                             : op == ZOp::kInter ? "zinterstore"
                                                 : "zdiffstore";
    ctx.reply.Integer(static_cast<int64_t>(StorePairs(ctx, dst, result, event)));
    return;
  }
  ReplyPairs(ctx, result, withscores);
}

void ZUnion(CommandContext& ctx) { ZSetOpGeneric(ctx, 1, ZOp::kUnion, {}); }
void ZInter(CommandContext& ctx) { ZSetOpGeneric(ctx, 1, ZOp::kInter, {}); }
void ZDiff(CommandContext& ctx) { ZSetOpGeneric(ctx, 1, ZOp::kDiff, {}); }
void ZUnionStore(CommandContext& ctx) { ZSetOpGeneric(ctx, 2, ZOp::kUnion, ctx.argv[1]); }
void ZInterStore(CommandContext& ctx) { ZSetOpGeneric(ctx, 2, ZOp::kInter, ctx.argv[1]); }
void ZDiffStore(CommandContext& ctx) { ZSetOpGeneric(ctx, 2, ZOp::kDiff, ctx.argv[1]); }

void ZInterCard(CommandContext& ctx) {
  auto numkeys = ParseInt64(ctx.argv[1]);
  if (!numkeys) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  if (*numkeys < 1) {
    ctx.reply.Error("ERR at least 1 input key is needed for 'zintercard' command");
    return;
  }
  if (*numkeys > static_cast<int64_t>(ctx.argc() - 2)) {
    ctx.Syntax();
    return;
  }
  size_t n = static_cast<size_t>(*numkeys);
  int64_t limit = 0;
  for (size_t i = 2 + n; i < ctx.argc(); ++i) {
    if (EqualsIgnoreCase(ctx.argv[i], "limit") && i + 1 < ctx.argc()) {
      auto l = ParseInt64(ctx.argv[i + 1]);
      if (!l || *l < 0) {
        ctx.reply.Error("ERR LIMIT can't be negative");
        return;
      }
      limit = *l;
      ++i;
    } else {
      ctx.Syntax();
      return;
    }
  }
  // Every key is type-checked before a missing one makes the answer 0.
  std::vector<std::vector<Pair>> inputs(n);
  bool all_present = true;
  for (size_t i = 0; i < n; ++i) {
    bool present;
    if (!ReadInput(ctx, ctx.argv[2 + i], &present, &inputs[i])) return;
    all_present = all_present && present;
  }
  if (!all_present) {
    ctx.reply.Integer(0);
    return;
  }
  std::vector<std::unordered_map<std::string, bool>> maps(n);
  for (size_t i = 1; i < n; ++i) {
    for (const Pair& p : inputs[i]) maps[i][p.member] = true;
  }
  int64_t count = 0;
  for (const Pair& p : inputs[0]) {
    bool in_all = true;
    for (size_t i = 1; i < n && in_all; ++i) in_all = maps[i].count(p.member) > 0;
    if (in_all && (++count == limit)) break;
  }
  ctx.reply.Integer(count);
}

// ---- pops, random members, scan ----

// Pops up to count members from the low (min) or high end. Returns them in pop order.
std::vector<Pair> PopMembers(CommandContext& ctx, KeyValue* kv, std::string_view key,
                             int64_t count, bool max) {
  std::vector<Pair> popped;
  char buf[24];
  while (count-- > 0 && zsetv::Length(kv) > 0) {
    ZIter it = zsetv::AtRank(kv, max ? zsetv::Length(kv) - 1 : 0);
    Pair p{std::string(it.Member(buf)), it.Score()};
    zsetv::Remove(kv, p.member);
    popped.push_back(std::move(p));
  }
  if (!popped.empty()) {
    ctx.Modified(key);
    ctx.Notify(kNotifyZset, max ? "zpopmax" : "zpopmin", key);
    DeleteIfEmpty(ctx, kv, key);
    ctx.Dirty(popped.size());
    // Propagated as ZREM of exactly what was popped (deterministic on replicas).
    std::vector<std::string> args = {"ZREM", std::string(key)};
    for (const Pair& p : popped) args.push_back(p.member);
    ctx.PropagateAs(std::move(args));
  } else {
    ctx.PreventPropagation();
  }
  return popped;
}

void ZPopGeneric(CommandContext& ctx, bool max) {
  int64_t count = 1;
  bool has_count = ctx.argc() == 3;
  if (ctx.argc() > 3) {
    ctx.Syntax();
    return;
  }
  if (has_count && !ParsePositiveCount(ctx, ctx.argv[2], &count)) return;
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = LookupZset(ctx, key, true, &wrong);
  if (wrong) return;
  std::vector<Pair> popped;
  if (kv != nullptr && count > 0) popped = PopMembers(ctx, kv, key, count, max);
  // Without a count, RESP3 gets a flat [member, score]; with one, an array of pairs.
  if (!has_count) {
    ctx.reply.ArrayHeader(popped.empty() ? 0 : 2);
    for (const Pair& p : popped) {
      ctx.reply.Bulk(p.member);
      ctx.reply.Double(p.score);
    }
    return;
  }
  ReplyPairs(ctx, popped, true);
}

void ZPopMin(CommandContext& ctx) { ZPopGeneric(ctx, false); }
void ZPopMax(CommandContext& ctx) { ZPopGeneric(ctx, true); }

// Pops from the first non-empty sorted set among keys and replies [key, [[member, score]...]]
// (ZMPOP) or [key, member, score] (BZPOPMIN/BZPOPMAX). Returns false (nothing replied) when
// all are empty, true after serving or after a WRONGTYPE reply.
bool PopFirstNonEmpty(CommandContext& ctx, std::span<const std::string_view> keys, bool max,
                      int64_t count, bool mpop) {
  for (std::string_view key : keys) {
    bool wrong;
    KeyValue* kv = LookupZset(ctx, key, true, &wrong);
    if (wrong) return true;
    if (kv == nullptr || zsetv::Length(kv) == 0) continue;
    std::vector<Pair> popped = PopMembers(ctx, kv, key, count, max);
    if (mpop) {
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(key);
      ReplyPairs(ctx, popped, true, true);
    } else {
      ctx.reply.ArrayHeader(3);
      ctx.reply.Bulk(key);
      ctx.reply.Bulk(popped.front().member);
      ctx.reply.Double(popped.front().score);
    }
    return true;
  }
  return false;
}

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count], and BZMPOP with a timeout first.
void ZMPopGeneric(CommandContext& ctx, size_t numkeys_idx, bool blocking) {
  MPopArgs args;
  if (!ParseMPopArgs(ctx, numkeys_idx, "min", "max", &args)) return;
  size_t n = args.numkeys;
  bool max = args.second;
  int64_t count = args.count;
  int64_t deadline = 0;
  if (blocking && !ParseBlockTimeout(ctx, ctx.argv[1], &deadline)) return;
  auto keys = ctx.argv.subspan(numkeys_idx + 1, n);
  if (PopFirstNonEmpty(ctx, keys, max, count, true)) return;
  ctx.PreventPropagation();
  if (!blocking || !ctx.CanBlock()) {
    ctx.reply.NullArray();
    return;
  }
  ctx.Block(keys, deadline, ObjType::kZset);
}

void ZMPop(CommandContext& ctx) { ZMPopGeneric(ctx, 1, false); }
void BZMPop(CommandContext& ctx) { ZMPopGeneric(ctx, 2, true); }

// BZPOPMIN / BZPOPMAX key [key ...] timeout.
void BZPopGeneric(CommandContext& ctx, bool max) {
  int64_t deadline;
  if (!ParseBlockTimeout(ctx, ctx.argv.back(), &deadline)) return;
  auto keys = ctx.argv.subspan(1, ctx.argc() - 2);
  if (PopFirstNonEmpty(ctx, keys, max, 1, false)) return;
  if (!ctx.CanBlock()) {
    ctx.reply.NullArray();
    return;
  }
  ctx.Block(keys, deadline, ObjType::kZset);
}

void BZPopMin(CommandContext& ctx) { BZPopGeneric(ctx, false); }
void BZPopMax(CommandContext& ctx) { BZPopGeneric(ctx, true); }

void ZRandMember(CommandContext& ctx) {
  bool wrong;
  if (ctx.argc() == 2) {
    KeyValue* kv = LookupZset(ctx, ctx.argv[1], false, &wrong);
    if (wrong) return;
    if (kv == nullptr) {
      ctx.reply.Null();
      return;
    }
    char buf[24];
    ZIter it = zsetv::AtRank(kv, ctx.ks().rng().Below(zsetv::Length(kv)));
    ctx.reply.Bulk(it.Member(buf));
    return;
  }
  int64_t count;
  bool withscores;
  if (!ParseRandomCount(ctx, "withscores", &count, &withscores)) return;
  KeyValue* kv = LookupZset(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  if (kv == nullptr || count == 0) {
    ctx.reply.EmptyArray();
    return;
  }
  ds::Rng& rng = ctx.ks().rng();
  size_t size = zsetv::Length(kv);
  char buf[24];
  std::vector<Pair> out;
  if (count < 0) {
    for (int64_t i = 0; i < -count; ++i) {
      ZIter it = zsetv::AtRank(kv, rng.Below(size));
      out.push_back({std::string(it.Member(buf)), it.Score()});
    }
  } else {
    for (ZIter it = zsetv::AtRank(kv, 0); it.Valid(); it.Next()) {
      out.push_back({std::string(it.Member(buf)), it.Score()});
    }
    if (static_cast<size_t>(count) < size) {
      for (size_t i = 0; i < static_cast<size_t>(count); ++i) {
        std::swap(out[i], out[i + rng.Below(out.size() - i)]);
      }
      out.resize(static_cast<size_t>(count));
    }
  }
  ReplyPairs(ctx, out, withscores);
}

void ZScan(CommandContext& ctx) {
  ScanArgs args;
  if (!ParseScanCursor(ctx, 2, &args.cursor)) return;
  bool wrong;
  KeyValue* kv = LookupZset(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ReplyScan(ctx, 0, {});
    return;
  }
  if (!ParseScanOptions(ctx, 3, false, &args)) return;
  std::vector<std::string> items;
  uint64_t cursor = 0;
  auto add = [&](std::string_view m, std::string_view score) {
    if (args.use_pattern && !GlobMatch(args.pattern, m)) return;
    items.emplace_back(m);
    items.emplace_back(score);
  };
  if (kv == nullptr) {
  } else if (kv->encoding() == Encoding::kListpack) {
    // Small sets are returned whole; scores as stored.
    char mbuf[24], sbuf[24];
    auto* lp = static_cast<uint8_t*>(kv->ptr());
    for (uint8_t* p = lp::First(lp); p != nullptr;) {
      uint8_t* sp = lp::Next(lp, p);
      add(lp::Get(p).View(mbuf), lp::Get(sp).View(sbuf));
      p = lp::Next(lp, sp);
    }
  } else {
    auto* z = static_cast<ZSet*>(kv->ptr());
    cursor = args.cursor;
    int64_t max_iterations = args.count * 10;
    size_t seen = 0;
    do {
      cursor = z->dict.Scan(cursor, [&](ds::ZNode* n) {
        ++seen;
        add(n->member(), ScoreToString(n->score));
      });
    } while (cursor != 0 && max_iterations-- > 0 && static_cast<int64_t>(seen) < args.count);
  }
  ReplyScan(ctx, cursor, items);
}

constexpr uint32_t kRO = kKsRO | kKsAccess;

}  // namespace

namespace zsetcmd {
size_t Store(CommandContext& ctx, std::string_view dst, const std::vector<Pair>& pairs,
             std::string_view event) {
  return StorePairs(ctx, dst, pairs, event);
}
void Add(CommandContext& ctx) { ZAdd(ctx); }
}  // namespace zsetcmd

void RegisterZsetCommands(CommandTable& t) {
  const uint64_t Z = kAclSortedSet;
  auto doc = [](std::string_view summary, std::string_view since, std::string_view complexity,
                std::string_view args) {
    return CommandDoc{summary, since, "sorted-set", complexity, args};
  };
  auto ro = [&](std::string_view name, CommandHandler h, int arity, uint64_t extra,
                std::string_view summary, std::string_view since, std::string_view complexity,
                std::string_view args, std::string_view tips = "") {
    return CommandSpec{.name = name, .handler = h, .arity = arity,
                       .flags = kCmdReadonly | extra, .acl = Z,
                       .keys = {KeySpec::Range(1, 0, 1, kRO)}, .tips = tips,
                       .doc = doc(summary, since, complexity, args)};
  };
  t.Add({.name = "zadd", .handler = ZAdd, .arity = -4,
         .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .acl = Z,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsUpdate)},
         .doc = doc("Adds one or more members to a sorted set, or updates their scores. Creates "
                    "the key if it doesn't exist.",
                    "1.2.0", "O(log(N)) for each item added, where N is the number of elements "
                    "in the sorted set.",
                    "key:key [condition=NX|XX] [comparison=GT|LT] [CH] [INCR] "
                    "(data=score:double member:string)...")});
  t.Add({.name = "zincrby", .handler = ZIncrBy, .arity = 4,
         .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .acl = Z,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsAccess | kKsUpdate)},
         .doc = doc("Increments the score of a member in a sorted set.", "1.2.0",
                    "O(log(N)) where N is the number of elements in the sorted set.",
                    "key:key increment:integer member:string")});
  t.Add({.name = "zrem", .handler = ZRem, .arity = -3, .flags = kCmdWrite | kCmdFast, .acl = Z,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsDelete)},
         .doc = doc("Removes one or more members from a sorted set. Deletes the sorted set if all "
                    "members were removed.",
                    "1.2.0", "O(M*log(N)) with N being the number of elements in the sorted set "
                    "and M the number of elements to be removed.",
                    "key:key member:string...")});
  t.Add({.name = "zcard", .handler = ZCard, .arity = 2, .flags = kCmdReadonly | kCmdFast, .acl = Z,
         .keys = {KeySpec::Range(1, 0, 1, kKsRO)},
         .doc = doc("Returns the number of members in a sorted set.", "1.2.0", "O(1)",
                    "key:key")});
  t.Add(ro("zscore", ZScore, 3, kCmdFast, "Returns the score of a member in a sorted set.",
           "1.2.0", "O(1)", "key:key member:string"));
  t.Add(ro("zmscore", ZMScore, -3, kCmdFast,
           "Returns the score of one or more members in a sorted set.", "6.2.0",
           "O(N) where N is the number of members being requested.", "key:key member:string..."));
  t.Add(ro("zrank", ZRank, 3, kCmdFast,
           "Returns the index of a member in a sorted set ordered by ascending scores.", "2.0.0",
           "O(log(N))", "key:key member:string"));
  t.Add(ro("zrevrank", ZRevRank, 3, kCmdFast,
           "Returns the index of a member in a sorted set ordered by descending scores.", "2.0.0",
           "O(log(N))", "key:key member:string"));
  t.Add(ro("zcount", ZCount, 4, kCmdFast,
           "Returns the count of members in a sorted set that have scores within a range.",
           "2.0.0", "O(log(N)) with N being the number of elements in the sorted set.",
           "key:key min:double max:double"));
  t.Add(ro("zlexcount", ZLexCount, 4, kCmdFast,
           "Returns the number of members in a sorted set within a lexicographical range.",
           "2.8.9", "O(log(N)) with N being the number of elements in the sorted set.",
           "key:key min:string max:string"));
  t.Add(ro("zrange", ZRange, -4, 0, "Returns members in a sorted set within a range of indexes.",
           "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the "
           "number of elements returned.",
           "key:key start:string stop:string [sortby=BYSCORE|BYLEX] [REV] [LIMIT offset:integer "
           "count:integer] [WITHSCORES]"));
  t.Add({.name = "zrangestore", .handler = ZRangeStore, .arity = -5,
         .flags = kCmdWrite | kCmdDenyOom, .acl = Z,
         .keys = {KeySpec::Range(1, 0, 1, kKsOW | kKsUpdate), KeySpec::Range(2, 0, 1, kRO)},
         .doc = doc("Stores a range of members from sorted set in a key.", "6.2.0",
                    "O(log(N)+M) with N being the number of elements in the sorted set and M the "
                    "number of elements stored into the destination key.",
                    "dst:key src:key min:string max:string [sortby=BYSCORE|BYLEX] [REV] [LIMIT "
                    "offset:integer count:integer]")});
  t.Add(ro("zrevrange", ZRevRange, -4, 0,
           "Returns members in a sorted set within a range of indexes in reverse order.", "1.2.0",
           "O(log(N)+M) with N being the number of elements in the sorted set and M the number "
           "of elements returned.",
           "key:key start:integer stop:integer [WITHSCORES]"));
  t.Add(ro("zrangebyscore", ZRangeByScore, -4, 0,
           "Returns members in a sorted set within a range of scores.", "1.0.5",
           "O(log(N)+M) with N being the number of elements in the sorted set and M the number "
           "of elements being returned.",
           "key:key min:double max:double [WITHSCORES] [LIMIT offset:integer count:integer]"));
  t.Add(ro("zrevrangebyscore", ZRevRangeByScore, -4, 0,
           "Returns members in a sorted set within a range of scores in reverse order.", "2.2.0",
           "O(log(N)+M) with N being the number of elements in the sorted set and M the number "
           "of elements being returned.",
           "key:key max:double min:double [WITHSCORES] [LIMIT offset:integer count:integer]"));
  t.Add(ro("zrangebylex", ZRangeByLex, -4, 0,
           "Returns members in a sorted set within a lexicographical range.", "2.8.9",
           "O(log(N)+M) with N being the number of elements in the sorted set and M the number "
           "of elements being returned.",
           "key:key min:string max:string [LIMIT offset:integer count:integer]"));
  t.Add(ro("zrevrangebylex", ZRevRangeByLex, -4, 0,
           "Returns members in a sorted set within a lexicographical range in reverse order.",
           "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the "
           "number of elements being returned.",
           "key:key max:string min:string [LIMIT offset:integer count:integer]"));
  auto remrange = [&](std::string_view name, CommandHandler h, std::string_view summary,
                      std::string_view since, std::string_view args) {
    return CommandSpec{.name = name, .handler = h, .arity = 4, .flags = kCmdWrite, .acl = Z,
                       .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsDelete)},
                       .doc = doc(summary, since,
                                  "O(log(N)+M) with N being the number of elements in the "
                                  "sorted set and M the number of elements removed by the "
                                  "operation.",
                                  args)};
  };
  t.Add(remrange("zremrangebyrank", ZRemRangeByRank,
                 "Removes members in a sorted set within a range of indexes. Deletes the sorted "
                 "set if all members were removed.",
                 "2.0.0", "key:key start:integer stop:integer"));
  t.Add(remrange("zremrangebyscore", ZRemRangeByScore,
                 "Removes members in a sorted set within a range of scores. Deletes the sorted "
                 "set if all members were removed.",
                 "1.2.0", "key:key min:double max:double"));
  t.Add(remrange("zremrangebylex", ZRemRangeByLex,
                 "Removes members in a sorted set within a lexicographical range. Deletes the "
                 "sorted set if all members were removed.",
                 "2.8.9", "key:key min:string max:string"));
  auto setop = [&](std::string_view name, CommandHandler h, std::string_view summary,
                   std::string_view since, std::string_view args) {
    return CommandSpec{.name = name, .handler = h, .arity = -3, .flags = kCmdReadonly, .acl = Z,
                       .keys = {KeySpec::Keynum(1, 0, 1, 1, kRO)},
                       .doc = doc(summary, since,
                                  "O(N)+O(M*log(M)) with N being the sum of the sizes of the "
                                  "input sorted sets, and M being the number of elements in the "
                                  "resulting sorted set.",
                                  args)};
  };
  auto setopstore = [&](std::string_view name, CommandHandler h, std::string_view summary,
                        std::string_view since, std::string_view args) {
    return CommandSpec{.name = name, .handler = h, .arity = -4,
                       .flags = kCmdWrite | kCmdDenyOom, .acl = Z,
                       .keys = {KeySpec::Range(1, 0, 1, kKsOW | kKsUpdate),
                                KeySpec::Keynum(2, 0, 1, 1, kRO)},
                       .doc = doc(summary, since,
                                  "O(N)+O(M log(M)) with N being the sum of the sizes of the "
                                  "input sorted sets, and M being the number of elements in the "
                                  "resulting sorted set.",
                                  args)};
  };
  const char* kStoreWeights =
      "destination:key numkeys:integer key:key... [WEIGHTS weight:integer...] [AGGREGATE "
      "aggregate=SUM|MIN|MAX]";
  t.Add(setop("zunion", ZUnion, "Returns the union of multiple sorted sets.", "6.2.0",
              "numkeys:integer key:key... [WEIGHTS weight:integer...] [AGGREGATE "
              "aggregate=SUM|MIN|MAX] [WITHSCORES]"));
  t.Add(setop("zinter", ZInter, "Returns the intersect of multiple sorted sets.", "6.2.0",
              "numkeys:integer key:key... [WEIGHTS weight:integer...] [AGGREGATE "
              "aggregate=SUM|MIN|MAX] [WITHSCORES]"));
  t.Add(setop("zdiff", ZDiff, "Returns the difference between multiple sorted sets.", "6.2.0",
              "numkeys:integer key:key... [WITHSCORES]"));
  t.Add(setopstore("zunionstore", ZUnionStore,
                   "Stores the union of multiple sorted sets in a key.", "2.0.0", kStoreWeights));
  t.Add(setopstore("zinterstore", ZInterStore,
                   "Stores the intersect of multiple sorted sets in a key.", "2.0.0",
                   kStoreWeights));
  t.Add(setopstore("zdiffstore", ZDiffStore,
                   "Stores the difference of multiple sorted sets in a key.", "6.2.0",
                   "destination:key numkeys:integer key:key..."));
  t.Add({.name = "zintercard", .handler = ZInterCard, .arity = -3, .flags = kCmdReadonly,
         .acl = Z, .keys = {KeySpec::Keynum(1, 0, 1, 1, kRO)},
         .doc = doc("Returns the number of members of the intersect of multiple sorted sets.",
                    "7.0.0", "O(N*K) worst case with N being the smallest input sorted set, K "
                    "being the number of input sorted sets.",
                    "numkeys:integer key:key... [LIMIT limit:integer]")});
  auto pop = [&](std::string_view name, CommandHandler h, std::string_view summary) {
    return CommandSpec{.name = name, .handler = h, .arity = -2, .flags = kCmdWrite | kCmdFast,
                       .acl = Z, .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsAccess | kKsDelete)},
                       .doc = doc(summary, "5.0.0",
                                  "O(log(N)*M) with N being the number of elements in the sorted "
                                  "set, and M being the number of elements popped.",
                                  "key:key [count:integer]")};
  };
  t.Add(pop("zpopmin", ZPopMin,
            "Returns the lowest-scoring members from a sorted set after removing them. Deletes "
            "the sorted set if the last member was popped."));
  t.Add(pop("zpopmax", ZPopMax,
            "Returns the highest-scoring members from a sorted set after removing them. Deletes "
            "the sorted set if the last member was popped."));
  t.Add({.name = "zmpop", .handler = ZMPop, .arity = -4, .flags = kCmdWrite, .acl = Z,
         .keys = {KeySpec::Keynum(1, 0, 1, 1, kKsRW | kKsAccess | kKsDelete)},
         .doc = doc("Returns the highest- or lowest-scoring members from one or more sorted sets "
                    "after removing them. Deletes the sorted set if the last member was popped.",
                    "7.0.0", "O(K) + O(M*log(N)) where K is the number of provided keys, N being "
                    "the number of elements in the sorted set, and M being the number of "
                    "elements popped.",
                    "numkeys:integer key:key... where=MIN|MAX [COUNT count:integer]")});
  t.Add({.name = "bzmpop", .handler = BZMPop, .arity = -5, .flags = kCmdWrite | kCmdBlocking,
         .acl = Z | kAclBlocking, .keys = {KeySpec::Keynum(2, 0, 1, 1, kKsRW | kKsAccess | kKsDelete)},
         .doc = doc("Removes and returns a member by score from one or more sorted sets. Blocks "
                    "until a member is available otherwise. Deletes the sorted set if the last "
                    "element was popped.",
                    "7.0.0", "O(K) + O(M*log(N)) where K is the number of provided keys, N being "
                    "the number of elements in the sorted set, and M being the number of "
                    "elements popped.",
                    "timeout:double numkeys:integer key:key... where=MIN|MAX "
                    "[COUNT count:integer]")});
  auto bpop = [&](std::string_view name, CommandHandler h, std::string_view summary) {
    return CommandSpec{.name = name, .handler = h, .arity = -3,
                       .flags = kCmdWrite | kCmdNoscript | kCmdBlocking | kCmdFast,
                       .acl = Z | kAclBlocking,
                       .keys = {KeySpec::Range(1, -2, 1, kKsRW | kKsAccess | kKsDelete)},
                       .doc = doc(summary, "5.0.0",
                                  "O(log(N)) with N being the number of elements in the sorted "
                                  "set.",
                                  "key:key... timeout:double")};
  };
  t.Add(bpop("bzpopmin", BZPopMin,
             "Removes and returns the member with the lowest score from one or more sorted "
             "sets. Blocks until a member is available otherwise. Deletes the sorted set if the "
             "last element was popped."));
  t.Add(bpop("bzpopmax", BZPopMax,
             "Removes and returns the member with the highest score from one or more sorted "
             "sets. Blocks until a member available otherwise.  Deletes the sorted set if the "
             "last element was popped."));
  t.Add(ro("zrandmember", ZRandMember, -2, 0, "Returns one or more random members from a sorted set.",
           "6.2.0", "O(N) where N is the number of members returned",
           "key:key [options=count:integer [WITHSCORES]]", "nondeterministic_output"));
  t.Add(ro("zscan", ZScan, -3, 0,
           "Iterates over members and scores of a sorted set.", "2.8.0",
           "O(1) for every call. O(N) for a complete iteration, including enough command calls "
           "for the cursor to return back to 0. N is the number of elements inside the "
           "collection.",
           "key:key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]",
           "nondeterministic_output"));
}

}  // namespace tessera
