// Set commands: SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS SRANDMEMBER SPOP SMOVE SINTER
// SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN.
#include <algorithm>
#include <set>
#include <unordered_set>
#include <vector>

#include "common/glob.h"
#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/core/context.h"
#include "server/keyspace/set_value.h"

namespace tessera {

namespace {

SetLimits Limits(CommandContext& ctx) {
  const ServerConfig& c = ctx.server.config();
  return SetLimits{c.set_max_intset_entries, c.set_max_listpack_entries,
                   c.set_max_listpack_value};
}

// Looks a key up as a set: *wrong (with WRONGTYPE replied) when it holds another type.
KeyValue* LookupSet(CommandContext& ctx, std::string_view key, bool write, bool* wrong) {
  KeyValue* kv = write ? ctx.LookupWrite(key) : ctx.LookupRead(key);
  *wrong = kv != nullptr && kv->type() != ObjType::kSet;
  if (*wrong) ctx.WrongType();
  return *wrong ? nullptr : kv;
}

void DeleteIfEmpty(CommandContext& ctx, KeyValue* kv, std::string_view key) {
  DeleteKeyIfEmpty(ctx, key, setv::Size(kv));
}

void ReplyMembers(CommandContext& ctx, const std::vector<std::string>& members) {
  ctx.reply.SetHeader(members.size());
  for (const std::string& m : members) ctx.reply.Bulk(m);
}

void SAdd(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = LookupSet(ctx, key, true, &wrong);
  if (wrong) return;
  SetLimits limits = Limits(ctx);
  if (kv == nullptr) {
    kv = setv::New(key, ctx.argv[2], ctx.argc() - 2, limits);
    ctx.ks().InitAccess(kv, ctx.now_ms);
    ctx.AddKey(kv);
  }
  int64_t added = 0;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (setv::Add(kv, ctx.argv[i], limits)) ++added;
  }
  if (added > 0) {
    ctx.Modified(key);
    ctx.Notify(kNotifySet, "sadd", key);
  }
  ctx.Dirty(static_cast<uint64_t>(added));
  ctx.reply.Integer(added);
}

void SRem(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = LookupSet(ctx, key, true, &wrong);
  if (wrong) return;
  RemoveMembers(ctx, kv, kNotifySet, "srem", setv::Remove, setv::Size);
}

void SCard(CommandContext& ctx) {
  bool wrong;
  KeyValue* kv = LookupSet(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  ctx.reply.Integer(kv == nullptr ? 0 : static_cast<int64_t>(setv::Size(kv)));
}

void SIsMember(CommandContext& ctx) {
  bool wrong;
  KeyValue* kv = LookupSet(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  ctx.reply.Integer(kv != nullptr && setv::Contains(kv, ctx.argv[2]) ? 1 : 0);
}

void SMIsMember(CommandContext& ctx) {
  bool wrong;
  KeyValue* kv = LookupSet(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    ctx.reply.Integer(kv != nullptr && setv::Contains(kv, ctx.argv[i]) ? 1 : 0);
  }
}

void SMembers(CommandContext& ctx) {
  bool wrong;
  KeyValue* kv = LookupSet(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ctx.reply.SetHeader(0);
    return;
  }
  ctx.reply.SetHeader(setv::Size(kv));
  setv::ForEach(kv, [&](std::string_view m) { ctx.reply.Bulk(m); });
}

// Every member, in iteration order.
std::vector<std::string> AllMembers(const KeyValue* kv) {
  std::vector<std::string> out;
  out.reserve(setv::Size(kv));
  setv::ForEach(kv, [&](std::string_view m) { out.emplace_back(m); });
  return out;
}

// `count` distinct random members (count < size), by a partial shuffle.
std::vector<std::string> DistinctRandom(const KeyValue* kv, size_t count, ds::Rng& rng) {
  std::vector<std::string> all = AllMembers(kv);
  for (size_t i = 0; i < count; ++i) {
    std::swap(all[i], all[i + rng.Below(all.size() - i)]);
  }
  all.resize(count);
  return all;
}

void SRandMember(CommandContext& ctx) {
  if (ctx.argc() > 3) {
    ctx.Syntax();
    return;
  }
  bool wrong;
  if (ctx.argc() == 3) {
    auto count = ParseInt64(ctx.argv[2]);
    if (!count) {
      ctx.reply.Error(err::kNotInteger);
      return;
    }
    if (*count < -INT64_MAX) {
      ctx.reply.Error(
          "ERR value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
      return;
    }
    KeyValue* kv = LookupSet(ctx, ctx.argv[1], false, &wrong);
    if (wrong) return;
    if (kv == nullptr || *count == 0) {
      ctx.reply.EmptyArray();
      return;
    }
    ds::Rng& rng = ctx.ks().rng();
    if (*count < 0) {  // repeats allowed
      int64_t n = -*count;
      ctx.reply.ArrayHeader(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) ctx.reply.Bulk(setv::Random(kv, rng));
      return;
    }
    size_t size = setv::Size(kv);
    std::vector<std::string> members = static_cast<size_t>(*count) >= size
                                           ? AllMembers(kv)
                                           : DistinctRandom(kv, static_cast<size_t>(*count), rng);
    ctx.reply.ArrayHeader(members.size());
    for (const std::string& m : members) ctx.reply.Bulk(m);
    return;
  }
  KeyValue* kv = LookupSet(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(setv::Random(kv, ctx.ks().rng()));
}

// Propagates removed members as SREM commands of at most 1024 members each.
void PropagateSrem(CommandContext& ctx, std::string_view key,
                   const std::vector<std::string>& members) {
  if (!ctx.server.propagating()) return;
  for (size_t i = 0; i < members.size(); i += 1024) {
    std::vector<std::string> args = {"SREM", std::string(key)};
    for (size_t j = i; j < members.size() && j < i + 1024; ++j) args.push_back(members[j]);
    ctx.AlsoPropagate(std::move(args));
  }
}

void SPop(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  bool wrong;
  if (ctx.argc() > 3) {
    ctx.Syntax();
    return;
  }
  if (ctx.argc() == 3) {
    int64_t n;
    if (!ParsePositiveCount(ctx, ctx.argv[2], &n)) return;
    std::optional<int64_t> count = n;
    KeyValue* kv = LookupSet(ctx, key, true, &wrong);
    if (wrong) return;
    if (kv == nullptr || *count == 0) {
      ctx.reply.SetHeader(0);
      return;
    }
    ctx.PreventPropagation();
    ctx.Notify(kNotifySet, "spop", key);
    size_t size = setv::Size(kv);
    if (static_cast<size_t>(*count) >= size) {
      std::vector<std::string> all = AllMembers(kv);
      ReplyMembers(ctx, all);
      bool lazy = ctx.server.config().lazyfree_lazy_server_del;
      ctx.ks().Delete(ctx.db(), key, lazy);
      ctx.Notify(kNotifyGeneric, "del", key);
      ctx.AlsoPropagate({lazy ? "UNLINK" : "DEL", std::string(key)});
    } else {
      std::vector<std::string> popped =
          DistinctRandom(kv, static_cast<size_t>(*count), ctx.ks().rng());
      for (const std::string& m : popped) setv::Remove(kv, m);
      ReplyMembers(ctx, popped);
      PropagateSrem(ctx, key, popped);
    }
    ctx.Modified(key);
    ctx.Dirty(static_cast<uint64_t>(std::min<int64_t>(*count, static_cast<int64_t>(size))));
    return;
  }
  KeyValue* kv = LookupSet(ctx, key, true, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ctx.reply.Null();
    return;
  }
  std::string m = setv::Random(kv, ctx.ks().rng());
  setv::Remove(kv, m);
  ctx.Notify(kNotifySet, "spop", key);
  ctx.reply.Bulk(m);
  ctx.PropagateAs({"SREM", std::string(key), m});
  DeleteIfEmpty(ctx, kv, key);
  ctx.Modified(key);
  ctx.Dirty();
}

void SMove(CommandContext& ctx) {
  std::string_view src_key = ctx.argv[1], dst_key = ctx.argv[2], member = ctx.argv[3];
  bool wrong;
  // As Redis: a missing source answers 0 before the destination's type is checked.
  if (ctx.LookupWrite(src_key) == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  KeyValue* src = LookupSet(ctx, src_key, true, &wrong);
  if (wrong) return;
  KeyValue* dst = LookupSet(ctx, dst_key, true, &wrong);
  if (wrong) return;
  if (src == dst) {
    ctx.reply.Integer(setv::Contains(src, member) ? 1 : 0);
    return;
  }
  if (!setv::Remove(src, member)) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.Notify(kNotifySet, "srem", src_key);
  DeleteIfEmpty(ctx, src, src_key);
  SetLimits limits = Limits(ctx);
  if (dst == nullptr) {
    dst = setv::New(dst_key, member, 1, limits);
    ctx.ks().InitAccess(dst, ctx.now_ms);
    ctx.AddKey(dst);
  }
  if (setv::Add(dst, member, limits)) {
    ctx.Dirty();
    ctx.Notify(kNotifySet, "sadd", dst_key);
  }
  ctx.Modified(src_key);
  ctx.Modified(dst_key);
  ctx.Dirty();
  ctx.reply.Integer(1);
}

enum class SetOp { kInter, kUnion, kDiff };

// Computes the operation over keys (WRONGTYPE replied and false returned on a non-set).
// A missing key is an empty set. `limit` stops an intersection early (0: no limit).
bool Compute(CommandContext& ctx, std::span<const std::string_view> keys, SetOp op,
             std::vector<std::string>* out, size_t limit = 0) {
  std::vector<KeyValue*> sets;
  for (std::string_view k : keys) {
    bool wrong;
    KeyValue* kv = LookupSet(ctx, k, false, &wrong);
    if (wrong) return false;
    sets.push_back(kv);
  }
  out->clear();
  if (op == SetOp::kInter) {
    for (KeyValue* kv : sets) {
      if (kv == nullptr) return true;  // an empty set empties the intersection
    }
    std::vector<KeyValue*> by_size = sets;
    std::sort(by_size.begin(), by_size.end(),
              [](KeyValue* a, KeyValue* b) { return setv::Size(a) < setv::Size(b); });
    bool done = false;
    setv::ForEach(by_size[0], [&](std::string_view m) {
      if (done) return;
      for (size_t i = 1; i < by_size.size(); ++i) {
        if (by_size[i] != by_size[0] && !setv::Contains(by_size[i], m)) return;
      }
      out->emplace_back(m);
      if (limit != 0 && out->size() >= limit) done = true;
    });
    return true;
  }
  if (op == SetOp::kUnion) {
    std::unordered_set<std::string> seen;
    for (KeyValue* kv : sets) {
      if (kv == nullptr) continue;
      setv::ForEach(kv, [&](std::string_view m) {
        if (seen.emplace(m).second) out->emplace_back(m);
      });
    }
    return true;
  }
  if (sets[0] == nullptr) return true;
  setv::ForEach(sets[0], [&](std::string_view m) {
    for (size_t i = 1; i < sets.size(); ++i) {
      if (sets[i] != nullptr && setv::Contains(sets[i], m)) return;
    }
    out->emplace_back(m);
  });
  return true;
}

void SetOpCommand(CommandContext& ctx, SetOp op) {
  std::vector<std::string> result;
  if (!Compute(ctx, ctx.argv.subspan(1), op, &result)) return;
  ReplyMembers(ctx, result);
}

void SInter(CommandContext& ctx) { SetOpCommand(ctx, SetOp::kInter); }
void SUnion(CommandContext& ctx) { SetOpCommand(ctx, SetOp::kUnion); }
void SDiff(CommandContext& ctx) { SetOpCommand(ctx, SetOp::kDiff); }

void SetOpStore(CommandContext& ctx, SetOp op, std::string_view event) {
  std::string_view dst = ctx.argv[1];
  std::vector<std::string> result;
  if (!Compute(ctx, ctx.argv.subspan(2), op, &result)) return;
  bool existed = ctx.LookupWrite(dst) != nullptr;
  if (existed) ctx.ks().Delete(ctx.db(), dst, ctx.server.config().lazyfree_lazy_server_del);
  if (!result.empty()) {
    SetLimits limits = Limits(ctx);
    KeyValue* kv = setv::New(dst, result[0], result.size(), limits);
    for (const std::string& m : result) setv::Add(kv, m, limits);
    ctx.ks().InitAccess(kv, ctx.now_ms);
    if (existed) {
      ctx.db().Add(kv);  // replaces dst: no "new" event, as Redis's setKey
    } else {
      ctx.AddKey(kv);
    }
    ctx.Notify(kNotifySet, event, dst);
  } else if (existed) {
    ctx.Notify(kNotifyGeneric, "del", dst);
  }
  ctx.Modified(dst);
  ctx.Dirty();
  ctx.reply.Integer(static_cast<int64_t>(result.size()));
}

void SInterStore(CommandContext& ctx) { SetOpStore(ctx, SetOp::kInter, "sinterstore"); }
void SUnionStore(CommandContext& ctx) { SetOpStore(ctx, SetOp::kUnion, "sunionstore"); }
void SDiffStore(CommandContext& ctx) { SetOpStore(ctx, SetOp::kDiff, "sdiffstore"); }

void SInterCard(CommandContext& ctx) {
  auto numkeys = ParseInt64(ctx.argv[1]);
  if (!numkeys || *numkeys <= 0) {
    ctx.reply.Error("ERR numkeys should be greater than 0");
    return;
  }
  if (*numkeys > static_cast<int64_t>(ctx.argc() - 2)) {
    ctx.reply.Error("ERR Number of keys can't be greater than number of args");
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
  std::vector<std::string> result;
  if (!Compute(ctx, ctx.argv.subspan(2, n), SetOp::kInter, &result,
               static_cast<size_t>(limit))) {
    return;
  }
  ctx.reply.Integer(static_cast<int64_t>(result.size()));
}

void SScan(CommandContext& ctx) {
  ScanArgs args;
  if (!ParseScanCursor(ctx, 2, &args.cursor)) return;
  bool wrong;
  KeyValue* kv = LookupSet(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ReplyScan(ctx, 0, {});
    return;
  }
  if (!ParseScanOptions(ctx, 3, false, &args)) return;
  std::vector<std::string> items;
  uint64_t cursor = 0;
  auto add = [&](std::string_view m) {
    if (!args.use_pattern || GlobMatch(args.pattern, m)) items.emplace_back(m);
  };
  if (kv == nullptr) {
  } else if (kv->encoding() != Encoding::kHashtable) {
    setv::ForEach(kv, add);  // compact encodings are returned whole
  } else {
    auto* table = static_cast<SetTable*>(kv->ptr());
    cursor = args.cursor;
    int64_t max_iterations = args.count * 10;
    size_t seen = 0;
    do {
      cursor = table->Scan(cursor, [&](SetEntry* e) {
        ++seen;
        add(e->member());
      });
    } while (cursor != 0 && max_iterations-- > 0 && static_cast<int64_t>(seen) < args.count);
  }
  ReplyScan(ctx, cursor, items);
}

constexpr uint32_t kRO = kKsRO | kKsAccess;

}  // namespace

void RegisterSetCommands(CommandTable& t) {
  const uint64_t S = kAclSet;
  auto doc = [](std::string_view summary, std::string_view since, std::string_view complexity,
                std::string_view args) {
    return CommandDoc{summary, since, "set", complexity, args};
  };
  t.Add({.name = "sadd", .handler = SAdd, .arity = -3, .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
         .acl = S, .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsInsert)},
         .doc = doc("Adds one or more members to a set. Creates the key if it doesn't exist.",
                    "1.0.0", "O(1) for each element added, so O(N) to add N elements when the "
                    "command is called with multiple arguments.",
                    "key:key member:string...")});
  t.Add({.name = "srem", .handler = SRem, .arity = -3, .flags = kCmdWrite | kCmdFast, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsDelete)},
         .doc = doc("Removes one or more members from a set. Deletes the set if the last member "
                    "was removed.",
                    "1.0.0", "O(N) where N is the number of members to be removed.",
                    "key:key member:string...")});
  t.Add({.name = "scard", .handler = SCard, .arity = 2, .flags = kCmdReadonly | kCmdFast,
         .acl = S, .keys = {KeySpec::Range(1, 0, 1, kKsRO)},
         .doc = doc("Returns the number of members in a set.", "1.0.0", "O(1)", "key:key")});
  t.Add({.name = "sismember", .handler = SIsMember, .arity = 3, .flags = kCmdReadonly | kCmdFast,
         .acl = S, .keys = {KeySpec::Range(1, 0, 1, kKsRO)},
         .doc = doc("Determines whether a member belongs to a set.", "1.0.0", "O(1)",
                    "key:key member:string")});
  t.Add({.name = "smismember", .handler = SMIsMember, .arity = -3,
         .flags = kCmdReadonly | kCmdFast, .acl = S, .keys = {KeySpec::Range(1, 0, 1, kRO)},
         .doc = doc("Determines whether multiple members belong to a set.", "6.2.0",
                    "O(N) where N is the number of elements being checked for membership",
                    "key:key member:string...")});
  t.Add({.name = "smembers", .handler = SMembers, .arity = 2, .flags = kCmdReadonly, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kRO)}, .tips = "nondeterministic_output_order",
         .doc = doc("Returns all members of a set.", "1.0.0",
                    "O(N) where N is the set cardinality.", "key:key")});
  t.Add({.name = "srandmember", .handler = SRandMember, .arity = -2, .flags = kCmdReadonly,
         .acl = S, .keys = {KeySpec::Range(1, 0, 1, kRO)}, .tips = "nondeterministic_output",
         .doc = doc("Get one or multiple random members from a set", "1.0.0",
                    "Without the count argument O(1), otherwise O(N) where N is the absolute "
                    "value of the passed count.",
                    "key:key [count:integer]")});
  t.Add({.name = "spop", .handler = SPop, .arity = -2, .flags = kCmdWrite | kCmdFast, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsAccess | kKsDelete)},
         .tips = "nondeterministic_output",
         .doc = doc("Returns one or more random members from a set after removing them. Deletes "
                    "the set if the last member was popped.",
                    "1.0.0",
                    "Without the count argument O(1), otherwise O(N) where N is the value of the "
                    "passed count.",
                    "key:key [count:integer]")});
  t.Add({.name = "smove", .handler = SMove, .arity = 4, .flags = kCmdWrite | kCmdFast, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsAccess | kKsDelete),
                  KeySpec::Range(2, 0, 1, kKsRW | kKsInsert)},
         .doc = doc("Moves a member from one set to another.", "1.0.0", "O(1)",
                    "source:key destination:key member:string")});
  auto multi = [&](std::string_view name, CommandHandler h, std::string_view summary,
                   std::string_view complexity) {
    return CommandSpec{.name = name, .handler = h, .arity = -2, .flags = kCmdReadonly, .acl = S,
                       .keys = {KeySpec::Range(1, -1, 1, kRO)},
                       .tips = "nondeterministic_output_order",
                       .doc = doc(summary, "1.0.0", complexity, "key:key...")};
  };
  // Redis 7.0 marks SINTERSTORE's destination RW (the others OW).
  auto store = [&](std::string_view name, CommandHandler h, std::string_view summary,
                   std::string_view complexity, uint32_t ow_flags = kKsOW | kKsUpdate) {
    return CommandSpec{.name = name, .handler = h, .arity = -3,
                       .flags = kCmdWrite | kCmdDenyOom, .acl = S,
                       .keys = {KeySpec::Range(1, 0, 1, ow_flags),
                                KeySpec::Range(2, -1, 1, kRO)},
                       .doc = doc(summary, "1.0.0", complexity, "destination:key key:key...")};
  };
  t.Add(multi("sinter", SInter, "Returns the intersect of multiple sets.",
              "O(N*M) worst case where N is the cardinality of the smallest set and M is the "
              "number of sets."));
  t.Add(multi("sunion", SUnion, "Returns the union of multiple sets.",
              "O(N) where N is the total number of elements in all given sets."));
  t.Add(multi("sdiff", SDiff, "Returns the difference of multiple sets.",
              "O(N) where N is the total number of elements in all given sets."));
  t.Add(store("sinterstore", SInterStore, "Stores the intersect of multiple sets in a key.",
              "O(N*M) worst case where N is the cardinality of the smallest set and M is the "
              "number of sets.", kKsRW | kKsUpdate));
  t.Add(store("sunionstore", SUnionStore, "Stores the union of multiple sets in a key.",
              "O(N) where N is the total number of elements in all given sets."));
  t.Add(store("sdiffstore", SDiffStore, "Stores the difference of multiple sets in a key.",
              "O(N) where N is the total number of elements in all given sets."));
  t.Add({.name = "sintercard", .handler = SInterCard, .arity = -3,
         .flags = kCmdReadonly, .acl = S,
         .keys = {KeySpec::Keynum(1, 0, 1, 1, kRO)},
         .doc = doc("Returns the number of members of the intersect of multiple sets.", "7.0.0",
                    "O(N*M) worst case where N is the cardinality of the smallest set and M is "
                    "the number of sets.",
                    "numkeys:integer key:key... [LIMIT limit:integer]")});
  t.Add({.name = "sscan", .handler = SScan, .arity = -3, .flags = kCmdReadonly, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kRO)}, .tips = "nondeterministic_output",
         .doc = doc("Iterates over members of a set.", "2.8.0",
                    "O(1) for every call. O(N) for a complete iteration, including enough "
                    "command calls for the cursor to return back to 0. N is the number of "
                    "elements inside the collection.",
                    "key:key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]")});
}

}  // namespace tessera
