// Generic keyspace commands: DEL UNLINK EXISTS TYPE RENAME RENAMENX MOVE COPY RANDOMKEY KEYS
// SCAN TOUCH OBJECT, the TTL family (EXPIRE PEXPIRE EXPIREAT PEXPIREAT with NX XX GT LT, TTL
// PTTL EXPIRETIME PEXPIRETIME PERSIST) and database commands (SELECT SWAPDB DBSIZE FLUSHDB
// FLUSHALL).
#include <cerrno>
#include <cstdlib>
#include <vector>

#include "common/glob.h"
#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/core/context.h"

namespace tessera {

namespace {

bool ParseDbIndex(CommandContext& ctx, std::string_view arg, int* out,
                  std::string_view not_int_error = err::kNotInteger) {
  auto v = ParseInt64(arg);
  if (!v || *v < INT32_MIN || *v > INT32_MAX) {
    ctx.reply.Error(not_int_error);
    return false;
  }
  if (*v < 0 || *v >= ctx.ks().dbnum()) {
    ctx.reply.Error(err::kDbOutOfRange);
    return false;
  }
  *out = static_cast<int>(*v);
  return true;
}

void DelGeneric(CommandContext& ctx, bool lazy) {
  int64_t deleted = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string_view key = ctx.argv[i];
    if (ctx.LookupWrite(key) == nullptr) continue;  // applies expiry first
    if (ctx.ks().Delete(ctx.db(), key, lazy)) {
      ctx.Modified(key);
      ctx.Notify(kNotifyGeneric, "del", key);
      ctx.Dirty();
      ++deleted;
    }
  }
  ctx.reply.Integer(deleted);
}

void Del(CommandContext& ctx) { DelGeneric(ctx, ctx.server.config().lazyfree_lazy_user_del); }
void Unlink(CommandContext& ctx) { DelGeneric(ctx, true); }

void Exists(CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (ctx.LookupRead(ctx.argv[i], kLookupNoTouch) != nullptr) ++n;
  }
  ctx.reply.Integer(n);
}

void Touch(CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (ctx.LookupRead(ctx.argv[i]) != nullptr) ++n;
  }
  ctx.reply.Integer(n);
}

void Type(CommandContext& ctx) {
  KeyValue* kv = ctx.LookupRead(ctx.argv[1], kLookupNoTouch);
  ctx.reply.SimpleString(kv == nullptr ? "none" : TypeName(kv->type()));
}

void RenameGeneric(CommandContext& ctx, bool nx) {
  std::string_view src = ctx.argv[1];
  std::string_view dst = ctx.argv[2];
  KeyValue* kv = ctx.LookupWrite(src);
  if (kv == nullptr) {
    ctx.reply.Error(err::kNoSuchKey);
    return;
  }
  if (src == dst) {
    if (nx) {
      ctx.reply.Integer(0);
    } else {
      ctx.reply.Ok();
    }
    return;
  }
  if (ctx.LookupWrite(dst) != nullptr) {
    if (nx) {
      ctx.reply.Integer(0);
      return;
    }
    ctx.ks().Delete(ctx.db(), dst, ctx.server.config().lazyfree_lazy_server_del);
  }
  Db& db = ctx.db();
  kv = db.Unlink(src);
  KeyValue* moved = KeyValue::Rebuild(kv, dst, kv->expire_ms());
  KeyValue::FreeShell(kv);
  ctx.AddKey(moved);
  ctx.Modified(src);
  ctx.Modified(dst);
  ctx.Notify(kNotifyGeneric, "rename_from", src);
  ctx.Notify(kNotifyGeneric, "rename_to", dst);
  ctx.Dirty();
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

void Rename(CommandContext& ctx) { RenameGeneric(ctx, false); }
void RenameNx(CommandContext& ctx) { RenameGeneric(ctx, true); }

void Move(CommandContext& ctx) {
  int dbid;
  if (!ParseDbIndex(ctx, ctx.argv[2], &dbid)) return;
  Db& src = ctx.db();
  Db& dst = ctx.ks().db(dbid);
  if (&src == &dst) {
    ctx.reply.Error(err::kSameObject);
    return;
  }
  std::string_view key = ctx.argv[1];
  if (ctx.LookupWrite(key) == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (ctx.ks().Lookup(dst, key, ctx.now_ms, kLookupWrite) != nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  KeyValue* kv = src.Unlink(key);
  ctx.AddKey(kv, &dst);
  ctx.Modified(key);
  ctx.ModifiedIn(dbid, key);
  ctx.Notify(kNotifyGeneric, "move_from", key);
  ctx.NotifyIn(dbid, kNotifyGeneric, "move_to", key);
  ctx.Dirty();
  ctx.reply.Integer(1);
}

void Copy(CommandContext& ctx) {
  Db* dst = &ctx.db();
  bool replace = false;
  for (size_t j = 3; j < ctx.argc(); ++j) {
    size_t additional = ctx.argc() - j - 1;
    if (EqualsIgnoreCase(ctx.argv[j], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(ctx.argv[j], "db") && additional > 0) {
      int dbid;
      if (!ParseDbIndex(ctx, ctx.argv[j + 1], &dbid)) return;
      dst = &ctx.ks().db(dbid);
      ++j;
    } else {
      ctx.Syntax();
      return;
    }
  }
  std::string_view key = ctx.argv[1];
  std::string_view newkey = ctx.argv[2];
  if (dst == &ctx.db() && key == newkey) {
    ctx.reply.Error(err::kSameObject);
    return;
  }
  KeyValue* kv = ctx.LookupRead(key);
  if (kv == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (ctx.ks().Lookup(*dst, newkey, ctx.now_ms, kLookupWrite) != nullptr) {
    if (!replace) {
      ctx.reply.Integer(0);
      return;
    }
    ctx.ks().Delete(*dst, newkey, ctx.server.config().lazyfree_lazy_server_del);
  }
  KeyValue* copy = KeyValue::Clone(kv, newkey, kv->expire_ms());
  if (copy->encoding() == Encoding::kInt) copy->mark_unshared();  // Redis duplicates the object
  ctx.AddKey(copy, dst);
  ctx.ModifiedIn(dst->id(), newkey);
  ctx.NotifyIn(dst->id(), kNotifyGeneric, "copy_to", newkey);
  ctx.Dirty();
  ctx.reply.Integer(1);
}

void RandomKey(CommandContext& ctx) {
  Db& db = ctx.db();
  // Expired keys met on the way are deleted; give up on them after a bounded number of tries
  // when deletion is not allowed (then an expired key may be returned, as Redis does).
  for (int tries = 0; tries < 100 && db.size() > 0; ++tries) {
    KeyValue* kv = db.keys().RandomEntry(ctx.ks().rng());
    if (kv == nullptr) break;
    if (Keyspace::IsExpired(kv, ctx.now_ms) && ctx.ks().expire_deletes) {
      ctx.ks().DeleteExpired(db, kv);
      continue;
    }
    ctx.reply.Bulk(kv->key());
    return;
  }
  ctx.reply.Null();
}

void Keys(CommandContext& ctx) {
  std::string_view pattern = ctx.argv[1];
  bool all = pattern == "*";
  void* len = ctx.reply.DeferLen();
  size_t n = 0;
  ctx.db().keys().ForEach([&](const KeyValue* kv) {
    std::string_view k = kv->key();
    if ((all || GlobMatch(pattern, k)) && !Keyspace::IsExpired(kv, ctx.now_ms)) {
      ctx.reply.Bulk(k);
      ++n;
    }
  });
  ctx.reply.SetDeferredLen(len, resp::ReplyBuilder::Agg::kArray, n);
}

void Scan(CommandContext& ctx) {
  ScanArgs args;
  if (!ParseScanArgs(ctx, 1, true, &args)) return;
  std::vector<std::string> keys;
  uint64_t cursor = args.cursor;
  int64_t max_iterations = args.count * 10;
  do {
    cursor = ctx.db().keys().Scan(cursor, [&](KeyValue* kv) { keys.emplace_back(kv->key()); });
  } while (cursor != 0 && max_iterations-- > 0 && static_cast<int64_t>(keys.size()) < args.count);
  std::vector<std::string> out;
  out.reserve(keys.size());
  for (std::string& k : keys) {
    if (args.use_pattern && !GlobMatch(args.pattern, k)) continue;
    if (args.use_type) {
      KeyValue* kv = ctx.LookupRead(k, kLookupNoTouch);
      std::string_view t = kv == nullptr ? "none" : TypeName(kv->type());
      if (!EqualsIgnoreCase(t, args.type)) continue;
    }
    // Expired keys are deleted here and not returned.
    if (ctx.LookupWrite(k) == nullptr) continue;
    out.push_back(std::move(k));
  }
  ReplyScan(ctx, cursor, out);
}

void ObjectEncoding(CommandContext& ctx) {
  KeyValue* kv = ctx.ks().Lookup(ctx.db(), ctx.argv[2], ctx.now_ms, kLookupNoTouch);  // no keymiss
  if (kv == nullptr) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(EncodingName(kv->encoding()));
  }
}

void ObjectRefcount(CommandContext& ctx) {
  KeyValue* kv = ctx.ks().Lookup(ctx.db(), ctx.argv[2], ctx.now_ms, kLookupNoTouch);  // no keymiss
  if (kv == nullptr) {
    ctx.reply.Null();
    return;
  }
  // Redis shares small integers (0..9999) between keys and reports them as INT_MAX.
  ctx.reply.Integer(kv->shared_int() ? INT32_MAX : 1);
}

void ObjectIdletime(CommandContext& ctx) {
  KeyValue* kv = ctx.ks().Lookup(ctx.db(), ctx.argv[2], ctx.now_ms, kLookupNoTouch);  // no keymiss
  if (kv == nullptr) {
    ctx.reply.Null();
    return;
  }
  if (ctx.ks().lfu) {
    ctx.reply.Error(err::kLfuIdle);
    return;
  }
  ctx.reply.Integer(static_cast<int64_t>(LruIdleMs(ctx.ks().lru_clock, kv->lru()) / 1000));
}

void ObjectFreq(CommandContext& ctx) {
  KeyValue* kv = ctx.ks().Lookup(ctx.db(), ctx.argv[2], ctx.now_ms, kLookupNoTouch);  // no keymiss
  if (kv == nullptr) {
    ctx.reply.Null();
    return;
  }
  if (!ctx.ks().lfu) {
    ctx.reply.Error(err::kLfuFreq);
    return;
  }
  ctx.reply.Integer(ctx.ks().LfuCounter(kv, ctx.now_ms));
}

void ObjectHelp(CommandContext& ctx) {
  ReplyLines(ctx.reply,
            {"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
             "ENCODING <key>",
             "    Return the internal representation of the value stored at <key>.",
             "FREQ <key>",
             "    Return the logarithmic access frequency counter of <key> (LFU policies only).",
             "IDLETIME <key>",
             "    Return the seconds since <key> was last read or written (LRU policies).",
             "REFCOUNT <key>", "    Return how many references the value of <key> has.",
             "HELP", "    Print this help."});
}

// ---- TTL family ----

void ExpireGeneric(CommandContext& ctx, int64_t basetime, TimeUnit unit) {
  enum { kNx = 1, kXx = 2, kGt = 4, kLt = 8 };
  int flags = 0;
  for (size_t j = 3; j < ctx.argc(); ++j) {
    std::string_view o = ctx.argv[j];
    if (EqualsIgnoreCase(o, "nx")) flags |= kNx;
    else if (EqualsIgnoreCase(o, "xx")) flags |= kXx;
    else if (EqualsIgnoreCase(o, "gt")) flags |= kGt;
    else if (EqualsIgnoreCase(o, "lt")) flags |= kLt;
    else {
      ctx.reply.Error("ERR Unsupported option " + std::string(o));
      return;
    }
  }
  if ((flags & kNx) && (flags & (kXx | kGt | kLt))) {
    ctx.reply.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return;
  }
  if ((flags & kGt) && (flags & kLt)) {
    ctx.reply.Error("ERR GT and LT options at the same time are not compatible");
    return;
  }
  auto v = ParseInt64(ctx.argv[2]);
  if (!v) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  int64_t when = *v;
  if (unit == TimeUnit::kSeconds) {
    if (when > INT64_MAX / 1000 || when < INT64_MIN / 1000) {
      ctx.reply.Error(err::InvalidExpire(ctx.cmd.fullname));
      return;
    }
    when *= 1000;
  }
  if (when > INT64_MAX - basetime) {
    ctx.reply.Error(err::InvalidExpire(ctx.cmd.fullname));
    return;
  }
  when += basetime;
  std::string_view key = ctx.argv[1];
  KeyValue* kv = ctx.LookupWrite(key);
  if (kv == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  int64_t current = kv->expire_ms();
  if (((flags & kNx) && current != -1) || ((flags & kXx) && current == -1) ||
      ((flags & kGt) && (when <= current || current == -1)) ||
      ((flags & kLt) && current != -1 && when >= current)) {
    ctx.reply.Integer(0);
    return;
  }
  if (when <= ctx.now_ms) {
    bool lazy = ctx.server.config().lazyfree_lazy_expire;
    ctx.ks().Delete(ctx.db(), key, lazy);
    ctx.Dirty();
    ctx.Modified(key);
    ctx.Notify(kNotifyGeneric, "del", key);
    ctx.PropagateAs({lazy ? "UNLINK" : "DEL", std::string(key)});
    ctx.reply.Integer(1);
    return;
  }
  ctx.db().SetExpire(kv, when);
  ctx.Dirty();
  ctx.Modified(key);
  ctx.Notify(kNotifyGeneric, "expire", key);
  std::vector<std::string> args(ctx.argv.begin(), ctx.argv.end());
  args[0] = "PEXPIREAT";
  args[2] = Int64ToString(when);
  ctx.PropagateAs(std::move(args));
  ctx.reply.Integer(1);
}

void Expire(CommandContext& ctx) { ExpireGeneric(ctx, ctx.now_ms, TimeUnit::kSeconds); }
void PExpire(CommandContext& ctx) { ExpireGeneric(ctx, ctx.now_ms, TimeUnit::kMilliseconds); }
void ExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, 0, TimeUnit::kSeconds); }
void PExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, 0, TimeUnit::kMilliseconds); }

// TTL-style replies: -2 missing, -1 no TTL, else the value.
void TtlGeneric(CommandContext& ctx, bool ms, bool absolute) {
  KeyValue* kv = ctx.LookupRead(ctx.argv[1], kLookupNoTouch);
  if (kv == nullptr) {
    ctx.reply.Integer(-2);
    return;
  }
  int64_t expire = kv->expire_ms();
  if (expire == -1) {
    ctx.reply.Integer(-1);
    return;
  }
  if (absolute) {
    // Rounded in unsigned arithmetic so that times near INT64_MAX do not overflow.
    ctx.reply.Integer(ms ? expire : static_cast<int64_t>((static_cast<uint64_t>(expire) + 500) / 1000));
    return;
  }
  int64_t ttl = expire - ctx.now_ms;
  if (ttl < 0) ttl = 0;
  ctx.reply.Integer(ms ? ttl : static_cast<int64_t>((static_cast<uint64_t>(ttl) + 500) / 1000));
}

void Ttl(CommandContext& ctx) { TtlGeneric(ctx, false, false); }
void PTtl(CommandContext& ctx) { TtlGeneric(ctx, true, false); }
void ExpireTime(CommandContext& ctx) { TtlGeneric(ctx, false, true); }
void PExpireTime(CommandContext& ctx) { TtlGeneric(ctx, true, true); }

void Persist(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  KeyValue* kv = ctx.LookupWrite(key);
  if (kv == nullptr || !kv->has_expire()) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.db().RemoveExpire(kv);
  ctx.Dirty();
  ctx.Modified(key);
  ctx.Notify(kNotifyGeneric, "persist", key);
  ctx.reply.Integer(1);
}

// ---- databases ----

void Select(CommandContext& ctx) {
  auto v = ParseInt64(ctx.argv[1]);
  if (!v || *v < INT32_MIN || *v > INT32_MAX) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  if (*v < 0 || *v >= ctx.ks().dbnum()) {
    ctx.reply.Error(err::kDbOutOfRange);
    return;
  }
  ctx.client.db_index = static_cast<int>(*v);
  ctx.client.db = &ctx.ks().db(ctx.client.db_index);
  ctx.reply.Ok();
}

void SwapDb(CommandContext& ctx) {
  int a, b;
  auto va = ParseInt64(ctx.argv[1]);
  if (!va || *va < INT32_MIN || *va > INT32_MAX) {
    ctx.reply.Error(err::kInvalidFirstDb);
    return;
  }
  auto vb = ParseInt64(ctx.argv[2]);
  if (!vb || *vb < INT32_MIN || *vb > INT32_MAX) {
    ctx.reply.Error(err::kInvalidSecondDb);
    return;
  }
  if (*va < 0 || *va >= ctx.ks().dbnum() || *vb < 0 || *vb >= ctx.ks().dbnum()) {
    ctx.reply.Error(err::kDbOutOfRange);
    return;
  }
  a = static_cast<int>(*va);
  b = static_cast<int>(*vb);
  if (a != b) {
    ctx.server.watches().TouchDb(ctx.ks().db(a), &ctx.ks().db(b), ctx.now_ms);
    ctx.server.watches().TouchDb(ctx.ks().db(b), &ctx.ks().db(a), ctx.now_ms);
    ctx.ks().Swap(a, b);
    ctx.Dirty();
    ctx.server.SignalAllBlockedKeys(a);
    ctx.server.SignalAllBlockedKeys(b);
  }
  ctx.reply.Ok();
}

void DbSize(CommandContext& ctx) { ctx.reply.Integer(static_cast<int64_t>(ctx.db().size())); }

// FLUSHDB/FLUSHALL [ASYNC|SYNC]; without an argument lazyfree-lazy-user-flush decides.
bool FlushMode(CommandContext& ctx, bool* async) {
  *async = ctx.server.config().lazyfree_lazy_user_flush;
  if (ctx.argc() > 2) {
    ctx.Syntax();
    return false;
  }
  if (ctx.argc() == 2) {
    if (EqualsIgnoreCase(ctx.argv[1], "sync")) {
      *async = false;
    } else if (EqualsIgnoreCase(ctx.argv[1], "async")) {
      *async = true;
    } else {
      ctx.Syntax();
      return false;
    }
  }
  return true;
}

void FlushDb(CommandContext& ctx) {
  bool async;
  if (!FlushMode(ctx, &async)) return;
  size_t n = ctx.db().size();
  ctx.server.watches().TouchDb(ctx.db(), nullptr, ctx.now_ms);
  ctx.server.TrackingFlush();
  ctx.ks().Flush(ctx.db(), async);
  ctx.Dirty(n);
  ctx.reply.Ok();
}

void FlushAll(CommandContext& ctx) {
  bool async;
  if (!FlushMode(ctx, &async)) return;
  size_t n = 0;
  for (int i = 0; i < ctx.ks().dbnum(); ++i) {
    n += ctx.ks().db(i).size();
    ctx.server.watches().TouchDb(ctx.ks().db(i), nullptr, ctx.now_ms);
  }
  ctx.server.TrackingFlush();
  ctx.ks().FlushAll(async);
  ctx.Dirty(n + 1);
  ctx.reply.Ok();
}

constexpr uint32_t kRO = kKsRO | kKsAccess;

}  // namespace

void RegisterKeyspaceCommands(CommandTable& t) {
  const uint64_t K = kAclKeyspace;
  t.Add({.name = "del", .handler = Del, .arity = -2, .flags = kCmdWrite, .acl = K,
         .keys = {KeySpec::Range(1, -1, 1, kKsRM | kKsDelete)},
         .tips = "request_policy:multi_shard response_policy:agg_sum",
         .doc = {"Deletes one or more keys.", "1.0.0", "generic",
                 "O(N) where N is the number of keys that will be removed.", "key:key..."}});
  t.Add({.name = "unlink", .handler = Unlink, .arity = -2, .flags = kCmdWrite | kCmdFast,
         .acl = K, .keys = {KeySpec::Range(1, -1, 1, kKsRM | kKsDelete)},
         .tips = "request_policy:multi_shard response_policy:agg_sum",
         .doc = {"Asynchronously deletes one or more keys.", "4.0.0", "generic",
                 "O(1) for each key removed regardless of its size.", "key:key..."}});
  t.Add({.name = "exists", .handler = Exists, .arity = -2, .flags = kCmdReadonly | kCmdFast,
         .acl = K, .keys = {KeySpec::Range(1, -1, 1, kKsRO)},
         .tips = "request_policy:multi_shard response_policy:agg_sum",
         .doc = {"Determines whether one or more keys exist.", "1.0.0", "generic",
                 "O(N) where N is the number of keys to check.", "key:key..."}});
  t.Add({.name = "touch", .handler = Touch, .arity = -2, .flags = kCmdReadonly | kCmdFast,
         .acl = K, .keys = {KeySpec::Range(1, -1, 1, kKsRO)},
         .tips = "request_policy:multi_shard response_policy:agg_sum",
         .doc = {"Returns the number of existing keys out of those specified after updating the "
                 "time they were last accessed.",
                 "3.2.1", "generic", "O(N) where N is the number of keys that will be touched.",
                 "key:key..."}});
  t.Add({.name = "type", .handler = Type, .arity = 2, .flags = kCmdReadonly | kCmdFast, .acl = K,
         .keys = {KeySpec::Range(1, 0, 1, kKsRO)},
         .doc = {"Determines the type of value stored at a key.", "1.0.0", "generic", "O(1)",
                 "key:key"}});
  t.Add({.name = "rename", .handler = Rename, .arity = 3, .flags = kCmdWrite, .acl = K,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsAccess | kKsDelete),
                  KeySpec::Range(2, 0, 1, kKsOW | kKsUpdate)},
         .doc = {"Renames a key and overwrites the destination.", "1.0.0", "generic", "O(1)",
                 "key:key newkey:key"}});
  t.Add({.name = "renamenx", .handler = RenameNx, .arity = 3, .flags = kCmdWrite | kCmdFast,
         .acl = K,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsAccess | kKsDelete),
                  KeySpec::Range(2, 0, 1, kKsOW | kKsInsert)},
         .doc = {"Renames a key only when the target key name doesn't exist.", "1.0.0", "generic",
                 "O(1)", "key:key newkey:key"}});
  t.Add({.name = "move", .handler = Move, .arity = 3, .flags = kCmdWrite | kCmdFast, .acl = K,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsAccess | kKsUpdate)},
         .doc = {"Moves a key to another database.", "1.0.0", "generic", "O(1)",
                 "key:key db:integer"}});
  t.Add({.name = "copy", .handler = Copy, .arity = -3, .flags = kCmdWrite | kCmdDenyOom,
         .acl = K,
         .keys = {KeySpec::Range(1, 0, 1, kKsRO | kKsAccess),
                  KeySpec::Range(2, 0, 1, kKsOW | kKsUpdate)},
         .doc = {"Copies the value of a key to a new key.", "6.2.0", "generic",
                 "O(N) worst case for collections, where N is the number of nested items. O(1) "
                 "for string values.",
                 "source:key destination:key [DB destination-db:integer] [REPLACE]"}});
  t.Add({.name = "randomkey", .handler = RandomKey, .arity = 1, .flags = kCmdReadonly,
         .acl = K, .tips = "request_policy:all_shards nondeterministic_output",
         .doc = {"Returns a random key name from the database.", "1.0.0", "generic", "O(1)", ""}});
  t.Add({.name = "keys", .handler = Keys, .arity = 2, .flags = kCmdReadonly,
         .acl = K | kAclDangerous, .tips = "request_policy:all_shards nondeterministic_output_order",
         .doc = {"Returns all key names that match a pattern.", "1.0.0", "generic",
                 "O(N) with N being the number of keys in the database, under the assumption "
                 "that the key names in the database and the given pattern have limited length.",
                 "pattern:pattern"}});
  t.Add({.name = "scan", .handler = Scan, .arity = -2, .flags = kCmdReadonly, .acl = K,
         .tips = "nondeterministic_output request_policy:special",
         .doc = {"Iterates over the key names in the database.", "2.8.0", "generic",
                 "O(1) for every call. O(N) for a complete iteration, including enough command "
                 "calls for the cursor to return back to 0. N is the number of elements inside "
                 "the collection.",
                 "cursor:integer [MATCH pattern:pattern] [COUNT count:integer] [TYPE "
                 "type:string]"}});
  const uint32_t kObj = kKsRO;
  t.Add({.name = "object",
         .arity = -2,
         .doc = {"A container for object introspection commands.", "2.2.3", "generic",
                 "Depends on subcommand.", ""},
         .subcommands = {
             {.name = "encoding", .handler = ObjectEncoding, .arity = 3, .flags = kCmdReadonly,
              .acl = K, .keys = {KeySpec::Range(2, 0, 1, kObj)},
              .tips = "nondeterministic_output",
              .doc = {"Returns the internal encoding of a Redis object.", "2.2.3", "generic",
                      "O(1)", "key:key"}},
             {.name = "freq", .handler = ObjectFreq, .arity = 3, .flags = kCmdReadonly, .acl = K,
              .keys = {KeySpec::Range(2, 0, 1, kObj)}, .tips = "nondeterministic_output",
              .doc = {"Returns the logarithmic access frequency counter of a Redis object.",
                      "4.0.0", "generic", "O(1)", "key:key"}},
             {.name = "help", .handler = ObjectHelp, .arity = 2,
              .flags = kCmdLoading | kCmdStale, .acl = K,
              .doc = {"Returns helpful text about the different subcommands.", "6.2.0", "generic",
                      "O(1)", ""}},
             {.name = "idletime", .handler = ObjectIdletime, .arity = 3, .flags = kCmdReadonly,
              .acl = K, .keys = {KeySpec::Range(2, 0, 1, kObj)},
              .tips = "nondeterministic_output",
              .doc = {"Returns the time since the last access to a Redis object.", "2.2.3",
                      "generic", "O(1)", "key:key"}},
             {.name = "refcount", .handler = ObjectRefcount, .arity = 3, .flags = kCmdReadonly,
              .acl = K, .keys = {KeySpec::Range(2, 0, 1, kObj)},
              .tips = "nondeterministic_output",
              .doc = {"Returns the reference count of a value of a key.", "2.2.3", "generic",
                      "O(1)", "key:key"}},
         }});
  const uint32_t kExp = kKsRW | kKsUpdate;
  auto expire_doc = [&](std::string_view summary, std::string_view since, std::string_view args) {
    return CommandDoc{summary, since, "generic", "O(1)", args};
  };
  t.Add({.name = "expire", .handler = Expire, .arity = -3, .flags = kCmdWrite | kCmdFast,
         .acl = K, .keys = {KeySpec::Range(1, 0, 1, kExp)},
         .doc = expire_doc("Sets the expiration time of a key in seconds.", "1.0.0",
                           "key:key seconds:integer [condition=NX|XX|GT|LT]")});
  t.Add({.name = "pexpire", .handler = PExpire, .arity = -3, .flags = kCmdWrite | kCmdFast,
         .acl = K, .keys = {KeySpec::Range(1, 0, 1, kExp)},
         .doc = expire_doc("Sets the expiration time of a key in milliseconds.", "2.6.0",
                           "key:key milliseconds:integer [condition=NX|XX|GT|LT]")});
  t.Add({.name = "expireat", .handler = ExpireAt, .arity = -3, .flags = kCmdWrite | kCmdFast,
         .acl = K, .keys = {KeySpec::Range(1, 0, 1, kExp)},
         .doc = expire_doc("Sets the expiration time of a key to a Unix timestamp.", "1.2.0",
                           "key:key unix-time-seconds:unix-time [condition=NX|XX|GT|LT]")});
  t.Add({.name = "pexpireat", .handler = PExpireAt, .arity = -3, .flags = kCmdWrite | kCmdFast,
         .acl = K, .keys = {KeySpec::Range(1, 0, 1, kExp)},
         .doc = expire_doc("Sets the expiration time of a key to a Unix milliseconds timestamp.",
                           "2.6.0",
                           "key:key unix-time-milliseconds:unix-time [condition=NX|XX|GT|LT]")});
  t.Add({.name = "ttl", .handler = Ttl, .arity = 2, .flags = kCmdReadonly | kCmdFast, .acl = K,
         .keys = {KeySpec::Range(1, 0, 1, kRO)}, .tips = "nondeterministic_output",
         .doc = expire_doc("Returns the expiration time in seconds of a key.", "1.0.0",
                           "key:key")});
  t.Add({.name = "pttl", .handler = PTtl, .arity = 2, .flags = kCmdReadonly | kCmdFast, .acl = K,
         .keys = {KeySpec::Range(1, 0, 1, kRO)}, .tips = "nondeterministic_output",
         .doc = expire_doc("Returns the expiration time in milliseconds of a key.", "2.6.0",
                           "key:key")});
  t.Add({.name = "expiretime", .handler = ExpireTime, .arity = 2,
         .flags = kCmdReadonly | kCmdFast, .acl = K, .keys = {KeySpec::Range(1, 0, 1, kRO)},
         .doc = expire_doc("Returns the expiration time of a key as a Unix timestamp.", "7.0.0",
                           "key:key")});
  t.Add({.name = "pexpiretime", .handler = PExpireTime, .arity = 2,
         .flags = kCmdReadonly | kCmdFast, .acl = K, .keys = {KeySpec::Range(1, 0, 1, kRO)},
         .doc = expire_doc("Returns the expiration time of a key as a Unix milliseconds "
                           "timestamp.",
                           "7.0.0", "key:key")});
  t.Add({.name = "persist", .handler = Persist, .arity = 2, .flags = kCmdWrite | kCmdFast,
         .acl = K, .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsUpdate)},
         .doc = expire_doc("Removes the expiration time of a key.", "2.2.0", "key:key")});
  t.Add({.name = "select", .handler = Select, .arity = 2,
         .flags = kCmdLoading | kCmdStale | kCmdFast, .acl = kAclConnection,
         .doc = {"Changes the selected database.", "1.0.0", "connection", "O(1)",
                 "index:integer"}});
  t.Add({.name = "swapdb", .handler = SwapDb, .arity = 3, .flags = kCmdWrite | kCmdFast,
         .acl = K | kAclDangerous,
         .doc = {"Swaps two Redis databases.", "4.0.0", "server",
                 "O(N) where N is the count of clients watching or blocking on keys from both "
                 "databases.",
                 "index1:integer index2:integer"}});
  t.Add({.name = "dbsize", .handler = DbSize, .arity = 1, .flags = kCmdReadonly | kCmdFast,
         .acl = K, .tips = "request_policy:all_shards response_policy:agg_sum",
         .doc = {"Returns the number of keys in the database.", "1.0.0", "server", "O(1)", ""}});
  t.Add({.name = "flushdb", .handler = FlushDb, .arity = -1, .flags = kCmdWrite,
         .acl = K | kAclDangerous,
         .tips = "request_policy:all_shards response_policy:all_succeeded",
         .doc = {"Remove all keys from the current database.", "1.0.0", "server",
                 "O(N) where N is the number of keys in the selected database",
                 "[flush-type=ASYNC|SYNC]"}});
  t.Add({.name = "flushall", .handler = FlushAll, .arity = -1, .flags = kCmdWrite,
         .acl = K | kAclDangerous,
         .tips = "request_policy:all_shards response_policy:all_succeeded",
         .doc = {"Removes all keys from all databases.", "1.0.0", "server",
                 "O(N) where N is the total number of keys in all databases",
                 "[flush-type=ASYNC|SYNC]"}});
}

}  // namespace tessera
