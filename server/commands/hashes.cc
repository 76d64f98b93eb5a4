// Hash commands: HSET HSETNX HMSET HGET HMGET HDEL HEXISTS HLEN HSTRLEN HKEYS HVALS HGETALL
// HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN. Small hashes are listpacks, large ones tables
// (hash-max-listpack-entries / -value), as in Redis 7.0.
#include <cmath>
#include <vector>

#include "common/glob.h"
#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/core/context.h"
#include "server/keyspace/hash_value.h"

namespace tessera {

namespace {

HashLimits Limits(CommandContext& ctx) {
  const ServerConfig& c = ctx.server.config();
  return HashLimits{c.hash_max_listpack_entries, c.hash_max_listpack_value};
}

// The hash at key for reading: nullptr if missing; *wrong set (and WRONGTYPE replied) when the
// key holds another type.
KeyValue* ReadHash(CommandContext& ctx, std::string_view key, bool* wrong) {
  KeyValue* kv = ctx.LookupRead(key);
  *wrong = kv != nullptr && kv->type() != ObjType::kHash;
  if (*wrong) ctx.WrongType();
  return *wrong ? nullptr : kv;
}

// The hash at key for writing, created empty if missing; nullptr (WRONGTYPE replied) when the
// key holds another type.
KeyValue* WriteHash(CommandContext& ctx, std::string_view key) {
  KeyValue* kv = ctx.LookupWrite(key);
  if (kv != nullptr) {
    if (kv->type() != ObjType::kHash) {
      ctx.WrongType();
      return nullptr;
    }
    return kv;
  }
  kv = hashv::New(key);
  ctx.ks().InitAccess(kv, ctx.now_ms);
  ctx.AddKey(kv);
  return kv;
}

void HSetGeneric(CommandContext& ctx, bool hmset) {
  if (ctx.argc() % 2 == 1) {
    ctx.reply.Error(err::WrongArity(ctx.cmd.fullname));
    return;
  }
  std::string_view key = ctx.argv[1];
  KeyValue* kv = WriteHash(ctx, key);
  if (kv == nullptr) return;
  HashLimits limits = Limits(ctx);
  for (size_t i = 2; i < ctx.argc(); ++i) hashv::ConvertIfTooLong(kv, ctx.argv[i], limits);
  int64_t created = 0;
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    if (hashv::Set(kv, ctx.argv[i], ctx.argv[i + 1], limits)) ++created;
  }
  ctx.Modified(key);
  ctx.Notify(kNotifyHash, "hset", key);
  ctx.Dirty((ctx.argc() - 2) / 2);
  if (hmset) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Integer(created);
  }
}

void HSet(CommandContext& ctx) { HSetGeneric(ctx, false); }
void HMSet(CommandContext& ctx) { HSetGeneric(ctx, true); }

void HSetNx(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  KeyValue* kv = WriteHash(ctx, key);
  if (kv == nullptr) return;
  if (hashv::Exists(kv, ctx.argv[2])) {
    ctx.reply.Integer(0);
    return;
  }
  hashv::Set(kv, ctx.argv[2], ctx.argv[3], Limits(ctx));
  ctx.Modified(key);
  ctx.Notify(kNotifyHash, "hset", key);
  ctx.Dirty();
  ctx.reply.Integer(1);
}

void HGet(CommandContext& ctx) {
  bool wrong;
  KeyValue* kv = ReadHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  HashValueRef ref;
  if (kv == nullptr || !hashv::Get(kv, ctx.argv[2], &ref)) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(ref.value);
  }
}

void HMGet(CommandContext& ctx) {
  bool wrong;
  KeyValue* kv = ReadHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    HashValueRef ref;
    if (kv == nullptr || !hashv::Get(kv, ctx.argv[i], &ref)) {
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(ref.value);
    }
  }
}

void HDel(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  KeyValue* kv = ctx.LookupWrite(key);
  if (kv == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (kv->type() != ObjType::kHash) {
    ctx.WrongType();
    return;
  }
  RemoveMembers(ctx, kv, kNotifyHash, "hdel", hashv::Delete, hashv::Length);
}

void HLen(CommandContext& ctx) {
  bool wrong;
  KeyValue* kv = ReadHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  ctx.reply.Integer(kv == nullptr ? 0 : static_cast<int64_t>(hashv::Length(kv)));
}

void HStrLen(CommandContext& ctx) {
  bool wrong;
  KeyValue* kv = ReadHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  HashValueRef ref;
  bool found = kv != nullptr && hashv::Get(kv, ctx.argv[2], &ref);
  ctx.reply.Integer(found ? static_cast<int64_t>(ref.value.size()) : 0);
}

void HExists(CommandContext& ctx) {
  bool wrong;
  KeyValue* kv = ReadHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  ctx.reply.Integer(kv != nullptr && hashv::Exists(kv, ctx.argv[2]) ? 1 : 0);
}

enum GetAllFlags { kFields = 1, kValues = 2 };

void HGetAllGeneric(CommandContext& ctx, int what) {
  bool wrong;
  KeyValue* kv = ReadHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  size_t n = kv == nullptr ? 0 : hashv::Length(kv);
  if (what == (kFields | kValues)) {
    ctx.reply.MapHeader(n);
  } else {
    ctx.reply.ArrayHeader(n);
  }
  if (kv == nullptr) return;
  hashv::ForEach(kv, [&](std::string_view f, std::string_view v) {
    if (what & kFields) ctx.reply.Bulk(f);
    if (what & kValues) ctx.reply.Bulk(v);
  });
}

void HKeys(CommandContext& ctx) { HGetAllGeneric(ctx, kFields); }
void HVals(CommandContext& ctx) { HGetAllGeneric(ctx, kValues); }
void HGetAll(CommandContext& ctx) { HGetAllGeneric(ctx, kFields | kValues); }

void HIncrBy(CommandContext& ctx) {
  auto incr = ParseInt64(ctx.argv[3]);
  if (!incr) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  std::string_view key = ctx.argv[1];
  KeyValue* kv = WriteHash(ctx, key);
  if (kv == nullptr) return;
  int64_t value = 0;
  HashValueRef ref;
  if (hashv::Get(kv, ctx.argv[2], &ref)) {
    auto v = ParseInt64(ref.value);
    if (!v) {
      ctx.reply.Error("ERR hash value is not an integer");
      return;
    }
    value = *v;
  }
  if ((*incr < 0 && value < 0 && *incr < INT64_MIN - value) ||
      (*incr > 0 && value > 0 && *incr > INT64_MAX - value)) {
    ctx.reply.Error(err::kOverflow);
    return;
  }
  value += *incr;
  hashv::Set(kv, ctx.argv[2], Int64ToString(value), Limits(ctx));
  ctx.Modified(key);
  ctx.Notify(kNotifyHash, "hincrby", key);
  ctx.Dirty();
  ctx.reply.Integer(value);
}

void HIncrByFloat(CommandContext& ctx) {
  auto incr = ParseLongDouble(ctx.argv[3]);
  if (!incr) {
    ctx.reply.Error(err::kNotFloat);
    return;
  }
  if (std::isnan(*incr) || std::isinf(*incr)) {
    ctx.reply.Error("ERR value is NaN or Infinity");
    return;
  }
  std::string_view key = ctx.argv[1];
  KeyValue* kv = WriteHash(ctx, key);
  if (kv == nullptr) return;
  long double value = 0;
  HashValueRef ref;
  if (hashv::Get(kv, ctx.argv[2], &ref)) {
    auto v = ParseLongDouble(ref.value);
    if (!v) {
      ctx.reply.Error("ERR hash value is not a float");
      return;
    }
    value = *v;
  }
  value += *incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.reply.Error(err::kNanOrInf);
    return;
  }
  std::string out = FormatLongDoubleHuman(value);
  hashv::Set(kv, ctx.argv[2], out, Limits(ctx));
  ctx.Modified(key);
  ctx.Notify(kNotifyHash, "hincrbyfloat", key);
  ctx.Dirty();
  ctx.reply.Bulk(out);
  // Replicate the result, not the increment: float formatting may differ between peers.
  ctx.PropagateAs({"HSET", std::string(key), std::string(ctx.argv[2]), out});
}

void ReplyPair(CommandContext& ctx, std::string_view f, std::string_view v, bool withvalues) {
  if (withvalues && ctx.reply.resp3()) ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(f);
  if (withvalues) ctx.reply.Bulk(v);
}

void HRandFieldWithCount(CommandContext& ctx, int64_t count, bool withvalues) {
  bool wrong;
  KeyValue* kv = ReadHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (kv == nullptr || count == 0) {
    ctx.reply.EmptyArray();
    return;
  }
  bool unique = count >= 0;
  if (count < 0) count = -count;
  size_t size = hashv::Length(kv);
  ds::Rng& rng = ctx.ks().rng();
  auto header = [&](size_t n) { ctx.reply.ArrayHeader(withvalues && !ctx.reply.resp3() ? n * 2 : n); };
  std::string f, v;
  // Repeats allowed (negative count) or a single element: independent random picks.
  if (!unique || count == 1) {
    header(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
      hashv::RandomPair(kv, rng, &f, withvalues ? &v : nullptr);
      ReplyPair(ctx, f, v, withvalues);
    }
    return;
  }
  // The whole hash.
  if (static_cast<size_t>(count) >= size) {
    header(size);
    hashv::ForEach(kv, [&](std::string_view field, std::string_view value) {
      ReplyPair(ctx, field, value, withvalues);
    });
    return;
  }
  // Distinct elements: shuffle-pick from a copy of the pairs.
  std::vector<std::pair<std::string, std::string>> pairs;
  pairs.reserve(size);
  hashv::ForEach(kv, [&](std::string_view field, std::string_view value) {
    pairs.emplace_back(std::string(field), withvalues ? std::string(value) : std::string());
  });
  header(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    size_t j = static_cast<size_t>(i) + rng.Below(pairs.size() - static_cast<size_t>(i));
    std::swap(pairs[static_cast<size_t>(i)], pairs[j]);
    ReplyPair(ctx, pairs[static_cast<size_t>(i)].first, pairs[static_cast<size_t>(i)].second,
              withvalues);
  }
}

void HRandField(CommandContext& ctx) {
  if (ctx.argc() >= 3) {
    int64_t count;
    bool withvalues;
    if (!ParseRandomCount(ctx, "withvalues", &count, &withvalues)) return;
    HRandFieldWithCount(ctx, count, withvalues);
    return;
  }
  bool wrong;
  KeyValue* kv = ReadHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ctx.reply.Null();
    return;
  }
  std::string f;
  hashv::RandomPair(kv, ctx.ks().rng(), &f, nullptr);
  ctx.reply.Bulk(f);
}

void HScan(CommandContext& ctx) {
  ScanArgs args;
  if (!ParseScanCursor(ctx, 2, &args.cursor)) return;
  bool wrong;
  KeyValue* kv = ReadHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ReplyScan(ctx, 0, {});
    return;
  }
  if (!ParseScanOptions(ctx, 3, false, &args)) return;
  std::vector<std::string> items;
  uint64_t cursor = 0;
  auto add = [&](std::string_view f, std::string_view v) {
    if (args.use_pattern && !GlobMatch(args.pattern, f)) return;
    items.emplace_back(f);
    items.emplace_back(v);
  };
  if (kv == nullptr) {
    // Missing key: an empty scan.
  } else if (kv->encoding() == Encoding::kListpack) {
    hashv::ForEach(kv, add);  // small encodings are returned whole, cursor 0
  } else {
    auto* table = static_cast<HashTable*>(kv->ptr());
    cursor = args.cursor;
    int64_t max_iterations = args.count * 10;
    size_t seen = 0;
    do {
      cursor = table->Scan(cursor, [&](HashEntry* e) {
        ++seen;
        add(e->field(), e->value());
      });
    } while (cursor != 0 && max_iterations-- > 0 && static_cast<int64_t>(seen) < args.count);
  }
  ReplyScan(ctx, cursor, items);
}

constexpr uint32_t kRO = kKsRO | kKsAccess;
constexpr uint32_t kRWUpdate = kKsRW | kKsUpdate;

}  // namespace

void RegisterHashCommands(CommandTable& t) {
  const uint64_t H = kAclHash;
  auto doc = [](std::string_view summary, std::string_view since, std::string_view complexity,
                std::string_view args) {
    return CommandDoc{summary, since, "hash", complexity, args};
  };
  t.Add({.name = "hset", .handler = HSet, .arity = -4, .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
         .acl = H, .keys = {KeySpec::Range(1, 0, 1, kRWUpdate)},
         .doc = doc("Creates or modifies the value of a field in a hash.", "2.0.0",
                    "O(1) for each field/value pair added, so O(N) to add N field/value pairs "
                    "when the command is called with multiple field/value pairs.",
                    "key:key (data=field:string value:string)...")});
  t.Add({.name = "hsetnx", .handler = HSetNx, .arity = 4,
         .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .acl = H,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsInsert)},
         .doc = doc("Sets the value of a field in a hash only when the field doesn't exist.",
                    "2.0.0", "O(1)", "key:key field:string value:string")});
  t.Add({.name = "hmset", .handler = HMSet, .arity = -4,
         .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .acl = H,
         .keys = {KeySpec::Range(1, 0, 1, kRWUpdate)},
         .doc = doc("Sets the values of multiple fields.", "2.0.0",
                    "O(N) where N is the number of fields being set.",
                    "key:key (data=field:string value:string)...")});
  t.Add({.name = "hget", .handler = HGet, .arity = 3, .flags = kCmdReadonly | kCmdFast, .acl = H,
         .keys = {KeySpec::Range(1, 0, 1, kRO)},
         .doc = doc("Returns the value of a field in a hash.", "2.0.0", "O(1)",
                    "key:key field:string")});
  t.Add({.name = "hmget", .handler = HMGet, .arity = -3, .flags = kCmdReadonly | kCmdFast,
         .acl = H, .keys = {KeySpec::Range(1, 0, 1, kRO)},
         .doc = doc("Returns the values of all fields in a hash.", "2.0.0",
                    "O(N) where N is the number of fields being requested.",
                    "key:key field:string...")});
  t.Add({.name = "hdel", .handler = HDel, .arity = -3, .flags = kCmdWrite | kCmdFast, .acl = H,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsDelete)},
         .doc = doc("Deletes one or more fields and their values from a hash. Deletes the hash "
                    "if no fields remain.",
                    "2.0.0", "O(N) where N is the number of fields to be removed.",
                    "key:key field:string...")});
  t.Add({.name = "hexists", .handler = HExists, .arity = 3, .flags = kCmdReadonly | kCmdFast,
         .acl = H, .keys = {KeySpec::Range(1, 0, 1, kKsRO)},
         .doc = doc("Determines whether a field exists in a hash.", "2.0.0", "O(1)",
                    "key:key field:string")});
  t.Add({.name = "hlen", .handler = HLen, .arity = 2, .flags = kCmdReadonly | kCmdFast, .acl = H,
         .keys = {KeySpec::Range(1, 0, 1, kKsRO)},
         .doc = doc("Returns the number of fields in a hash.", "2.0.0", "O(1)", "key:key")});
  t.Add({.name = "hstrlen", .handler = HStrLen, .arity = 3, .flags = kCmdReadonly | kCmdFast,
         .acl = H, .keys = {KeySpec::Range(1, 0, 1, kKsRO)},
         .doc = doc("Returns the length of the value of a field.", "3.2.0", "O(1)",
                    "key:key field:string")});
  t.Add({.name = "hkeys", .handler = HKeys, .arity = 2, .flags = kCmdReadonly, .acl = H,
         .keys = {KeySpec::Range(1, 0, 1, kRO)}, .tips = "nondeterministic_output_order",
         .doc = doc("Returns all fields in a hash.", "2.0.0",
                    "O(N) where N is the size of the hash.", "key:key")});
  t.Add({.name = "hvals", .handler = HVals, .arity = 2, .flags = kCmdReadonly, .acl = H,
         .keys = {KeySpec::Range(1, 0, 1, kRO)}, .tips = "nondeterministic_output_order",
         .doc = doc("Returns all values in a hash.", "2.0.0",
                    "O(N) where N is the size of the hash.", "key:key")});
  t.Add({.name = "hgetall", .handler = HGetAll, .arity = 2, .flags = kCmdReadonly, .acl = H,
         .keys = {KeySpec::Range(1, 0, 1, kRO)}, .tips = "nondeterministic_output_order",
         .doc = doc("Returns all fields and values in a hash.", "2.0.0",
                    "O(N) where N is the size of the hash.", "key:key")});
  const uint32_t kIncr = kKsRW | kKsAccess | kKsUpdate;
  t.Add({.name = "hincrby", .handler = HIncrBy, .arity = 4,
         .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .acl = H,
         .keys = {KeySpec::Range(1, 0, 1, kIncr)},
         .doc = doc("Increments the integer value of a field in a hash by a number. Uses 0 as "
                    "initial value if the field doesn't exist.",
                    "2.0.0", "O(1)", "key:key field:string increment:integer")});
  t.Add({.name = "hincrbyfloat", .handler = HIncrByFloat, .arity = 4,
         .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .acl = H,
         .keys = {KeySpec::Range(1, 0, 1, kIncr)},
         .doc = doc("Increments the floating point value of a field by a number. Uses 0 as "
                    "initial value if the field doesn't exist.",
                    "2.6.0", "O(1)", "key:key field:string increment:double")});
  t.Add({.name = "hrandfield", .handler = HRandField, .arity = -2, .flags = kCmdReadonly,
         .acl = H, .keys = {KeySpec::Range(1, 0, 1, kRO)}, .tips = "nondeterministic_output",
         .doc = doc("Returns one or more random fields from a hash.", "6.2.0",
                    "O(N) where N is the number of fields returned",
                    "key:key [options=count:integer [WITHVALUES]]")});
  t.Add({.name = "hscan", .handler = HScan, .arity = -3, .flags = kCmdReadonly, .acl = H,
         .keys = {KeySpec::Range(1, 0, 1, kRO)}, .tips = "nondeterministic_output",
         .doc = doc("Iterates over fields and values of a hash.", "2.8.0",
                    "O(1) for every call. O(N) for a complete iteration, including enough "
                    "command calls for the cursor to return back to 0. N is the number of "
                    "elements inside the collection.",
                    "key:key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]")});
}

}  // namespace tessera
