// List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LINDEX LINSERT LPOS LRANGE LREM LSET
// LTRIM LMOVE RPOPLPUSH LMPOP and the blocking BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP. Every list
// is a quicklist, as in Redis 7.0.
#include <algorithm>
#include <string>
#include <vector>

#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/core/context.h"
#include "server/keyspace/list_value.h"

namespace tessera {

namespace {

enum class End { kHead, kTail };

ListLimits Limits(CommandContext& ctx) {
  const ServerConfig& c = ctx.server.config();
  return ListLimits{c.list_max_listpack_size, c.list_compress_depth};
}

// LEFT / RIGHT, or a syntax error.
bool ParseEnd(CommandContext& ctx, std::string_view arg, End* end) {
  if (EqualsIgnoreCase(arg, "left")) {
    *end = End::kHead;
  } else if (EqualsIgnoreCase(arg, "right")) {
    *end = End::kTail;
  } else {
    ctx.Syntax();
    return false;
  }
  return true;
}

std::string_view EndName(End e) { return e == End::kHead ? "LEFT" : "RIGHT"; }

// The list at key: nullptr if missing; *wrong set (and WRONGTYPE replied) for another type.
KeyValue* LookupList(CommandContext& ctx, std::string_view key, bool write, bool* wrong) {
  KeyValue* kv = write ? ctx.LookupWrite(key) : ctx.LookupRead(key);
  *wrong = kv != nullptr && kv->type() != ObjType::kList;
  if (*wrong) ctx.WrongType();
  return *wrong ? nullptr : kv;
}

KeyValue* CreateList(CommandContext& ctx, std::string_view key) {
  KeyValue* kv = listv::New(key, Limits(ctx));
  ctx.ks().InitAccess(kv, ctx.now_ms);
  ctx.AddKey(kv);
  return kv;
}

// After elements were removed: the event, the key's deletion when empty, the wake-ups.
void ElementsRemoved(CommandContext& ctx, KeyValue* kv, std::string_view key,
                     std::string_view event, size_t n) {
  ctx.Notify(kNotifyList, event, key);
  if (listv::Q(kv)->size() == 0) {
    ctx.ks().Delete(ctx.db(), key, false);
    ctx.Notify(kNotifyGeneric, "del", key);
  }
  ctx.Modified(key);
  ctx.Dirty(n);
}

// Pops up to n elements from one end, in pop order.
std::vector<std::string> PopElements(ds::Quicklist* q, End end, size_t n) {
  std::vector<std::string> out;
  n = std::min(n, q->size());
  out.reserve(n);
  std::string v;
  for (size_t i = 0; i < n; ++i) {
    if (end == End::kHead ? q->PopFront(&v) : q->PopBack(&v)) out.push_back(std::move(v));
  }
  return out;
}

void ReplyStrings(CommandContext& ctx, const std::vector<std::string>& items) {
  ctx.reply.ArrayHeader(items.size());
  for (const std::string& s : items) ctx.reply.Bulk(s);
}

// Redis's index normalization for LRANGE / LTRIM: [start, end] clipped to the list, or
// false when the range is empty.
bool ClipRange(int64_t len, int64_t* start, int64_t* end) {
  if (*start < 0) *start += len;
  if (*end < 0) *end += len;
  if (*start < 0) *start = 0;
  if (*start > *end || *start >= len) return false;
  if (*end >= len) *end = len - 1;
  return true;
}

// ---- push ----

void PushGeneric(CommandContext& ctx, End end, bool only_existing) {
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = LookupList(ctx, key, true, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    if (only_existing) {
      ctx.reply.Integer(0);
      return;
    }
    kv = CreateList(ctx, key);
  }
  ds::Quicklist* q = listv::Q(kv);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (end == End::kHead) {
      q->PushFront(ctx.argv[i]);
    } else {
      q->PushBack(ctx.argv[i]);
    }
  }
  ctx.Notify(kNotifyList, end == End::kHead ? "lpush" : "rpush", key);
  ctx.Modified(key);
  ctx.Dirty(ctx.argc() - 2);
  ctx.reply.Integer(static_cast<int64_t>(q->size()));
}

void LPush(CommandContext& ctx) { PushGeneric(ctx, End::kHead, false); }
void RPush(CommandContext& ctx) { PushGeneric(ctx, End::kTail, false); }
void LPushX(CommandContext& ctx) { PushGeneric(ctx, End::kHead, true); }
void RPushX(CommandContext& ctx) { PushGeneric(ctx, End::kTail, true); }

// ---- pop ----

void PopGeneric(CommandContext& ctx, End end) {
  if (ctx.argc() > 3) {
    ctx.reply.Error(err::WrongArity(ctx.cmd.fullname));
    return;
  }
  bool has_count = ctx.argc() == 3;
  int64_t count = 0;
  if (has_count && !ParsePositiveCount(ctx, ctx.argv[2], &count)) return;
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = LookupList(ctx, key, true, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    if (has_count) {
      ctx.reply.NullArray();
    } else {
      ctx.reply.Null();
    }
    return;
  }
  if (has_count && count == 0) {
    ctx.reply.EmptyArray();
    return;
  }
  std::vector<std::string> items =
      PopElements(listv::Q(kv), end, has_count ? static_cast<size_t>(count) : 1);
  if (has_count) {
    ReplyStrings(ctx, items);
  } else {
    ctx.reply.Bulk(items.front());
  }
  ElementsRemoved(ctx, kv, key, end == End::kHead ? "lpop" : "rpop", items.size());
}

void LPop(CommandContext& ctx) { PopGeneric(ctx, End::kHead); }
void RPop(CommandContext& ctx) { PopGeneric(ctx, End::kTail); }

// ---- reads ----

void LLen(CommandContext& ctx) {
  bool wrong;
  KeyValue* kv = LookupList(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  ctx.reply.Integer(kv == nullptr ? 0 : static_cast<int64_t>(listv::Q(kv)->size()));
}

void LIndex(CommandContext& ctx) {
  bool wrong;
  KeyValue* kv = LookupList(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ctx.reply.Null();
    return;
  }
  auto index = ParseInt64(ctx.argv[2]);
  if (!index) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  std::string v;
  if (listv::Q(kv)->Get(*index, &v)) {
    ctx.reply.Bulk(v);
  } else {
    ctx.reply.Null();
  }
}

void LRange(CommandContext& ctx) {
  auto start = ParseInt64(ctx.argv[2]);
  auto end = ParseInt64(ctx.argv[3]);
  if (!start || !end) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  bool wrong;
  KeyValue* kv = LookupList(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ctx.reply.EmptyArray();
    return;
  }
  ds::Quicklist* q = listv::Q(kv);
  int64_t s = *start, e = *end;
  if (!ClipRange(static_cast<int64_t>(q->size()), &s, &e)) {
    ctx.reply.EmptyArray();
    return;
  }
  size_t n = static_cast<size_t>(e - s + 1);
  ctx.reply.ArrayHeader(n);
  q->Visit(static_cast<size_t>(s), n, false, [&](std::string_view v) {
    ctx.reply.Bulk(v);
    return true;
  });
}

void LPos(CommandContext& ctx) {
  int64_t rank = 1, count = -1, maxlen = 0;
  for (size_t j = 3; j < ctx.argc(); ++j) {
    std::string_view opt = ctx.argv[j];
    bool more = j + 1 < ctx.argc();
    if (EqualsIgnoreCase(opt, "rank") && more) {
      auto v = ParseInt64(ctx.argv[++j]);
      if (!v) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      if (*v == 0) {
        ctx.reply.Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from "
                        "the second ... or use negative to start from the end of the list");
        return;
      }
      rank = *v;
    } else if (EqualsIgnoreCase(opt, "count") && more) {
      auto v = ParseInt64(ctx.argv[++j]);
      if (!v || *v < 0) {
        ctx.reply.Error("ERR COUNT can't be negative");
        return;
      }
      count = *v;
    } else if (EqualsIgnoreCase(opt, "maxlen") && more) {
      auto v = ParseInt64(ctx.argv[++j]);
      if (!v || *v < 0) {
        ctx.reply.Error("ERR MAXLEN can't be negative");
        return;
      }
      maxlen = *v;
    } else {
      ctx.Syntax();
      return;
    }
  }
  bool wrong;
  KeyValue* kv = LookupList(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    if (count != -1) {
      ctx.reply.EmptyArray();
    } else {
      ctx.reply.Null();
    }
    return;
  }
  ds::Quicklist* q = listv::Q(kv);
  std::string_view element = ctx.argv[2];
  bool reverse = rank < 0;
  // RANK -9223372036854775808: Redis 7.0 negates it into itself, so it starts with the first
  // match from the tail and never reaches COUNT.
  bool rank_min = rank == INT64_MIN;
  int64_t skip = rank_min ? 0 : (reverse ? -rank : rank) - 1;  // matches to pass over first
  if (rank_min) count = count == -1 ? -1 : 0;
  size_t len = q->size();
  size_t scan = maxlen == 0 ? len : std::min(len, static_cast<size_t>(maxlen));
  size_t want = count <= 0 ? SIZE_MAX : static_cast<size_t>(count);  // COUNT 0: all matches
  std::vector<int64_t> found;
  size_t i = 0;
  q->Visit(0, scan, reverse, [&](std::string_view v) {
    size_t pos = reverse ? len - 1 - i : i;
    ++i;
    if (v != element) return true;
    if (skip > 0) {
      --skip;
      return true;
    }
    found.push_back(static_cast<int64_t>(pos));
    return found.size() < want;
  });
  if (count == -1) {
    if (found.empty()) {
      ctx.reply.Null();
    } else {
      ctx.reply.Integer(found.front());
    }
    return;
  }
  ctx.reply.ArrayHeader(found.size());
  for (int64_t p : found) ctx.reply.Integer(p);
}

// ---- in-place writes ----

void LInsert(CommandContext& ctx) {
  bool after;
  if (EqualsIgnoreCase(ctx.argv[2], "after")) {
    after = true;
  } else if (EqualsIgnoreCase(ctx.argv[2], "before")) {
    after = false;
  } else {
    ctx.Syntax();
    return;
  }
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = LookupList(ctx, key, true, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  ds::Quicklist* q = listv::Q(kv);
  if (!q->InsertAt(ctx.argv[3], ctx.argv[4], after)) {
    ctx.reply.Integer(-1);
    return;
  }
  ctx.Notify(kNotifyList, "linsert", key);
  ctx.Modified(key);
  ctx.Dirty();
  ctx.reply.Integer(static_cast<int64_t>(q->size()));
}

void LSet(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = LookupList(ctx, key, true, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ctx.reply.Error("ERR no such key");
    return;
  }
  auto index = ParseInt64(ctx.argv[2]);
  if (!index) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  if (!listv::Q(kv)->Set(*index, ctx.argv[3])) {
    ctx.reply.Error("ERR index out of range");
    return;
  }
  ctx.Notify(kNotifyList, "lset", key);
  ctx.Modified(key);
  ctx.Dirty();
  ctx.reply.Ok();
}

void LRem(CommandContext& ctx) {
  auto count = ParseInt64(ctx.argv[2]);
  if (!count) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = LookupList(ctx, key, true, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  size_t removed = listv::Q(kv)->Remove(ctx.argv[3], *count);
  if (removed > 0) ElementsRemoved(ctx, kv, key, "lrem", removed);
  ctx.reply.Integer(static_cast<int64_t>(removed));
}

void LTrim(CommandContext& ctx) {
  auto start = ParseInt64(ctx.argv[2]);
  auto end = ParseInt64(ctx.argv[3]);
  if (!start || !end) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = LookupList(ctx, key, true, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ctx.reply.Ok();
    return;
  }
  ds::Quicklist* q = listv::Q(kv);
  int64_t len = static_cast<int64_t>(q->size());
  int64_t s = *start, e = *end;
  size_t ltrim, rtrim;
  if (ClipRange(len, &s, &e)) {
    ltrim = static_cast<size_t>(s);
    rtrim = static_cast<size_t>(len - e - 1);
  } else {
    ltrim = static_cast<size_t>(len);
    rtrim = 0;
  }
  q->DeleteRange(0, ltrim);
  if (rtrim > 0) q->DeleteRange(q->size() - rtrim, rtrim);
  ctx.Notify(kNotifyList, "ltrim", key);
  if (q->size() == 0) {
    ctx.ks().Delete(ctx.db(), key, false);
    ctx.Notify(kNotifyGeneric, "del", key);
  }
  ctx.Modified(key);
  ctx.Dirty(ltrim + rtrim);
  ctx.reply.Ok();
}

// ---- moves ----

// Moves one element from src (non-empty) to dst. Replies the element, or WRONGTYPE when dst
// holds another type (nothing moves then).
void MoveElement(CommandContext& ctx, KeyValue* src, std::string_view skey, std::string_view dkey,
                 End from, End to) {
  bool wrong;
  KeyValue* dst = LookupList(ctx, dkey, true, &wrong);
  if (wrong) return;
  std::string value;
  ds::Quicklist* sq = listv::Q(src);
  if (from == End::kHead) {
    sq->PopFront(&value);
  } else {
    sq->PopBack(&value);
  }
  if (dst == nullptr) dst = CreateList(ctx, dkey);
  ds::Quicklist* dq = listv::Q(dst);
  if (to == End::kHead) {
    dq->PushFront(value);
  } else {
    dq->PushBack(value);
  }
  ctx.Modified(dkey);
  ctx.Notify(kNotifyList, to == End::kHead ? "lpush" : "rpush", dkey);
  ctx.reply.Bulk(value);
  // src == dst is a rotation: the list keeps its length and its key.
  ElementsRemoved(ctx, src, skey, from == End::kHead ? "lpop" : "rpop", 1);
}

// LMOVE / RPOPLPUSH and (with a timeout) BLMOVE / BRPOPLPUSH.
void MoveGeneric(CommandContext& ctx, End from, End to, std::string_view timeout_arg,
                 bool blocking) {
  int64_t deadline = 0;
  if (blocking && !ParseBlockTimeout(ctx, timeout_arg, &deadline)) return;
  std::string_view skey = ctx.argv[1], dkey = ctx.argv[2];
  bool wrong;
  KeyValue* src = LookupList(ctx, skey, true, &wrong);
  if (wrong) return;
  if (src == nullptr || listv::Q(src)->size() == 0) {
    if (!blocking) {
      ctx.reply.Null();
    } else if (!ctx.CanBlock()) {
      ctx.reply.Null();  // Redis replies a null bulk here (a timeout gives a null array)
    } else {
      std::string_view keys[] = {skey};
      ctx.Block(keys, deadline, ObjType::kList);
    }
    return;
  }
  MoveElement(ctx, src, skey, dkey, from, to);
  if (blocking) {
    // Replicas must not block: the served call travels as its non-blocking form.
    ctx.PropagateAs({"LMOVE", std::string(skey), std::string(dkey), std::string(EndName(from)),
                     std::string(EndName(to))});
  }
}

void LMove(CommandContext& ctx) {
  End from, to;
  if (!ParseEnd(ctx, ctx.argv[3], &from) || !ParseEnd(ctx, ctx.argv[4], &to)) return;
  MoveGeneric(ctx, from, to, {}, false);
}

void RPopLPush(CommandContext& ctx) { MoveGeneric(ctx, End::kTail, End::kHead, {}, false); }

void BLMove(CommandContext& ctx) {
  End from, to;
  if (!ParseEnd(ctx, ctx.argv[3], &from) || !ParseEnd(ctx, ctx.argv[4], &to)) return;
  MoveGeneric(ctx, from, to, ctx.argv[5], true);
}

void BRPopLPush(CommandContext& ctx) {
  MoveGeneric(ctx, End::kTail, End::kHead, ctx.argv[3], true);
}

// ---- multi-key pops ----

// Serves the first non-empty list among keys: replies [key, element] (BLPOP) or
// [key, [elements...]] (LMPOP). Returns false (nothing replied) when all are empty, and
// also true after a WRONGTYPE reply.
bool PopFirstNonEmpty(CommandContext& ctx, std::span<const std::string_view> keys, End end,
                      size_t count, bool mpop) {
  for (std::string_view key : keys) {
    bool wrong;
    KeyValue* kv = LookupList(ctx, key, true, &wrong);
    if (wrong) return true;
    if (kv == nullptr || listv::Q(kv)->size() == 0) continue;
    std::vector<std::string> items = PopElements(listv::Q(kv), end, mpop ? count : 1);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(key);
    if (mpop) {
      ReplyStrings(ctx, items);
    } else {
      ctx.reply.Bulk(items.front());
    }
    ElementsRemoved(ctx, kv, key, end == End::kHead ? "lpop" : "rpop", items.size());
    std::vector<std::string> prop = {end == End::kHead ? "LPOP" : "RPOP", std::string(key)};
    if (mpop) prop.push_back(std::to_string(items.size()));
    ctx.PropagateAs(std::move(prop));
    return true;
  }
  return false;
}

// BLPOP / BRPOP key [key ...] timeout.
void BlockingPop(CommandContext& ctx, End end) {
  int64_t deadline;
  if (!ParseBlockTimeout(ctx, ctx.argv.back(), &deadline)) return;
  auto keys = ctx.argv.subspan(1, ctx.argc() - 2);
  if (PopFirstNonEmpty(ctx, keys, end, 1, false)) return;
  if (!ctx.CanBlock()) {
    ctx.reply.NullArray();
    return;
  }
  ctx.Block(keys, deadline, ObjType::kList);
}

void BLPop(CommandContext& ctx) { BlockingPop(ctx, End::kHead); }
void BRPop(CommandContext& ctx) { BlockingPop(ctx, End::kTail); }

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count], and BLMPOP with a timeout first.
void MPopGeneric(CommandContext& ctx, size_t numkeys_idx, bool blocking) {
  MPopArgs args;
  if (!ParseMPopArgs(ctx, numkeys_idx, "left", "right", &args)) return;
  size_t n = args.numkeys;
  End end = args.second ? End::kTail : End::kHead;
  int64_t count = args.count;
  int64_t deadline = 0;
  if (blocking && !ParseBlockTimeout(ctx, ctx.argv[1], &deadline)) return;
  auto keys = ctx.argv.subspan(numkeys_idx + 1, n);
  if (PopFirstNonEmpty(ctx, keys, end, static_cast<size_t>(count), true)) return;
  if (!blocking || !ctx.CanBlock()) {
    ctx.reply.NullArray();
    return;
  }
  ctx.Block(keys, deadline, ObjType::kList);
}

void LMPop(CommandContext& ctx) { MPopGeneric(ctx, 1, false); }
void BLMPop(CommandContext& ctx) { MPopGeneric(ctx, 2, true); }

}  // namespace

void RegisterListCommands(CommandTable& t) {
  constexpr uint32_t kRO = kKsRO | kKsAccess;
  const uint64_t L = kAclList;
  auto doc = [](std::string_view summary, std::string_view since, std::string_view complexity,
                std::string_view args) {
    return CommandDoc{summary, since, "list", complexity, args};
  };
  auto push = [&](std::string_view name, CommandHandler h, bool x, std::string_view summary,
                  std::string_view since) {
    return CommandSpec{.name = name, .handler = h, .arity = -3,
                       .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .acl = L,
                       .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsInsert)},
                       .doc = doc(summary, since,
                                  "O(1) for each element added, so O(N) to add N elements when "
                                  "the command is called with multiple arguments.",
                                  x ? "key:key element:string..." : "key:key element:string...")};
  };
  t.Add(push("lpush", LPush, false,
             "Prepends one or more elements to a list. Creates the key if it doesn't exist.",
             "1.0.0"));
  t.Add(push("rpush", RPush, false,
             "Appends one or more elements to a list. Creates the key if it doesn't exist.",
             "1.0.0"));
  t.Add(push("lpushx", LPushX, true,
             "Prepends one or more elements to a list only when the list exists.", "2.2.0"));
  t.Add(push("rpushx", RPushX, true,
             "Appends an element to a list only when the list exists.", "2.2.0"));
  auto pop = [&](std::string_view name, CommandHandler h, std::string_view summary) {
    return CommandSpec{.name = name, .handler = h, .arity = -2, .flags = kCmdWrite | kCmdFast,
                       .acl = L, .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsAccess | kKsDelete)},
                       .doc = doc(summary, "1.0.0",
                                  "O(N) where N is the number of elements returned",
                                  "key:key [count:integer]")};
  };
  t.Add(pop("lpop", LPop,
            "Returns the first elements in a list after removing it. Deletes the list if the "
            "last element was popped."));
  t.Add(pop("rpop", RPop,
            "Returns and removes the last elements of a list. Deletes the list if the last "
            "element was popped."));
  auto ro = [&](std::string_view name, CommandHandler h, int arity, uint64_t extra,
                std::string_view summary, std::string_view since, std::string_view complexity,
                std::string_view args) {
    return CommandSpec{.name = name, .handler = h, .arity = arity,
                       .flags = kCmdReadonly | extra, .acl = L,
                       .keys = {KeySpec::Range(1, 0, 1, kRO)},
                       .doc = doc(summary, since, complexity, args)};
  };
  t.Add({.name = "llen", .handler = LLen, .arity = 2, .flags = kCmdReadonly | kCmdFast, .acl = L,
         .keys = {KeySpec::Range(1, 0, 1, kKsRO)},
         .doc = doc("Returns the length of a list.", "1.0.0", "O(1)", "key:key")});
  t.Add(ro("lindex", LIndex, 3, 0, "Returns an element from a list by its index.", "1.0.0",
           "O(N) where N is the number of elements to traverse to get to the element at index. "
           "This makes asking for the first or the last element of the list O(1).",
           "key:key index:integer"));
  t.Add(ro("lrange", LRange, 4, 0, "Returns a range of elements from a list.", "1.0.0",
           "O(S+N) where S is the distance of start offset from HEAD for small lists, from "
           "nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the "
           "specified range.",
           "key:key start:integer stop:integer"));
  t.Add(ro("lpos", LPos, -3, 0, "Returns the index of matching elements in a list.", "6.0.6",
           "O(N) where N is the number of elements in the list, for the average case. When "
           "searching for elements near the head or the tail of the list, or when the MAXLEN "
           "option is provided, the command may run in constant time.",
           "key:key element:string [RANK rank:integer] [COUNT num-matches:integer] "
           "[MAXLEN len:integer]"));
  t.Add({.name = "linsert", .handler = LInsert, .arity = 5, .flags = kCmdWrite | kCmdDenyOom,
         .acl = L, .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsInsert)},
         .doc = doc("Inserts an element before or after another element in a list.", "2.2.0",
                    "O(N) where N is the number of elements to traverse before seeing the value "
                    "pivot. This means that inserting somewhere on the left end on the list "
                    "(head) can be considered O(1) and inserting somewhere on the right end "
                    "(tail) is O(N).",
                    "key:key where=BEFORE|AFTER pivot:string element:string")});
  t.Add({.name = "lset", .handler = LSet, .arity = 4, .flags = kCmdWrite | kCmdDenyOom, .acl = L,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsUpdate)},
         .doc = doc("Sets the value of an element in a list by its index.", "1.0.0",
                    "O(N) where N is the length of the list. Setting either the first or the "
                    "last element of the list is O(1).",
                    "key:key index:integer element:string")});
  t.Add({.name = "lrem", .handler = LRem, .arity = 4, .flags = kCmdWrite, .acl = L,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsDelete)},
         .doc = doc("Removes elements from a list. Deletes the list if the last element was "
                    "removed.",
                    "1.0.0", "O(N+M) where N is the length of the list and M is the number of "
                    "elements removed.",
                    "key:key count:integer element:string")});
  t.Add({.name = "ltrim", .handler = LTrim, .arity = 4, .flags = kCmdWrite, .acl = L,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsDelete)},
         .doc = doc("Removes elements from both ends a list. Deletes the list if all elements "
                    "were trimmed.",
                    "1.0.0", "O(N) where N is the number of elements to be removed by the "
                    "operation.",
                    "key:key start:integer stop:integer")});
  const uint32_t kSrc = kKsRW | kKsAccess | kKsDelete;
  const uint32_t kDst = kKsRW | kKsInsert;
  t.Add({.name = "lmove", .handler = LMove, .arity = 5, .flags = kCmdWrite | kCmdDenyOom,
         .acl = L, .keys = {KeySpec::Range(1, 0, 1, kSrc), KeySpec::Range(2, 0, 1, kDst)},
         .doc = doc("Returns an element after popping it from one list and pushing it to "
                    "another. Deletes the list if the last element was moved.",
                    "6.2.0", "O(1)",
                    "source:key destination:key wherefrom=LEFT|RIGHT whereto=LEFT|RIGHT")});
  t.Add({.name = "rpoplpush", .handler = RPopLPush, .arity = 3,
         .flags = kCmdWrite | kCmdDenyOom, .acl = L,
         .keys = {KeySpec::Range(1, 0, 1, kSrc), KeySpec::Range(2, 0, 1, kDst)},
         .doc = doc("Returns the last element of a list after removing and pushing it to "
                    "another list. Deletes the list if the last element was popped.",
                    "1.2.0", "O(1)", "source:key destination:key")});
  t.Add({.name = "blmove", .handler = BLMove, .arity = 6,
         .flags = kCmdWrite | kCmdDenyOom | kCmdNoscript | kCmdBlocking, .acl = L | kAclBlocking,
         .keys = {KeySpec::Range(1, 0, 1, kSrc), KeySpec::Range(2, 0, 1, kDst)},
         .doc = doc("Pops an element from a list, pushes it to another list and returns it. "
                    "Blocks until an element is available otherwise. Deletes the list if the "
                    "last element was moved.",
                    "6.2.0", "O(1)",
                    "source:key destination:key wherefrom=LEFT|RIGHT whereto=LEFT|RIGHT "
                    "timeout:double")});
  t.Add({.name = "brpoplpush", .handler = BRPopLPush, .arity = 4,
         .flags = kCmdWrite | kCmdDenyOom | kCmdNoscript | kCmdBlocking, .acl = L | kAclBlocking,
         .keys = {KeySpec::Range(1, 0, 1, kSrc), KeySpec::Range(2, 0, 1, kDst)},
         .doc = doc("Pops an element from a list, pushes it to another list and returns it. "
                    "Block until an element is available otherwise. Deletes the list if the "
                    "last element was popped.",
                    "2.2.0", "O(1)", "source:key destination:key timeout:double")});
  auto bpop = [&](std::string_view name, CommandHandler h, std::string_view summary) {
    return CommandSpec{.name = name, .handler = h, .arity = -3,
                       .flags = kCmdWrite | kCmdNoscript | kCmdBlocking, .acl = L | kAclBlocking,
                       .keys = {KeySpec::Range(1, -2, 1, kSrc)},
                       .doc = doc(summary, "2.0.0", "O(N) where N is the number of provided keys.",
                                  "key:key... timeout:double")};
  };
  t.Add(bpop("blpop", BLPop,
             "Removes and returns the first element in a list. Blocks until an element is "
             "available otherwise. Deletes the list if the last element was popped."));
  t.Add(bpop("brpop", BRPop,
             "Removes and returns the last element in a list. Blocks until an element is "
             "available otherwise. Deletes the list if the last element was popped."));
  t.Add({.name = "lmpop", .handler = LMPop, .arity = -4, .flags = kCmdWrite, .acl = L,
         .keys = {KeySpec::Keynum(1, 0, 1, 1, kSrc)},
         .doc = doc("Returns multiple elements from a list after removing them. Deletes the "
                    "list if the last element was popped.",
                    "7.0.0", "O(N+M) where N is the number of provided keys and M is the number "
                    "of elements returned.",
                    "numkeys:integer key:key... where=LEFT|RIGHT [COUNT count:integer]")});
  t.Add({.name = "blmpop", .handler = BLMPop, .arity = -5, .flags = kCmdWrite | kCmdBlocking,
         .acl = L | kAclBlocking, .keys = {KeySpec::Keynum(2, 0, 1, 1, kSrc)},
         .doc = doc("Pops the first element from one of multiple lists. Blocks until an element "
                    "is available otherwise. Deletes the list if the last element was popped.",
                    "7.0.0", "O(N+M) where N is the number of provided keys and M is the number "
                    "of elements returned.",
                    "timeout:double numkeys:integer key:key... where=LEFT|RIGHT "
                    "[COUNT count:integer]")});
}

}  // namespace tessera
