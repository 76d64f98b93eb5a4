// DUMP and RESTORE with Redis 7.0's payloads (RDB object + RDB version + CRC64), so values
// move between Tessera and Redis in both directions.
#include <string>

#include "common/strutil.h"
#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/core/command.h"
#include "server/core/context.h"
#include "server/core/errors.h"
#include "server/keyspace/hash_value.h"
#include "server/keyspace/list_value.h"
#include "server/keyspace/set_value.h"
#include "server/keyspace/zset_value.h"
#include "server/persistence/rdb_codec.h"

namespace tessera {

namespace {

void Dump(CommandContext& ctx) {
  KeyValue* kv = ctx.LookupRead(ctx.argv[1]);
  if (kv == nullptr) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(rdb::DumpPayload(kv, true));
}

// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
void Restore(CommandContext& ctx) {
  bool replace = false, absttl = false;
  int64_t idle = -1, freq = -1;
  for (size_t j = 4; j < ctx.argc(); ++j) {
    std::string_view o = ctx.argv[j];
    bool more = j + 1 < ctx.argc();
    if (EqualsIgnoreCase(o, "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(o, "absttl")) {
      absttl = true;
    } else if (EqualsIgnoreCase(o, "idletime") && more && freq == -1) {
      auto v = ParseInt64(ctx.argv[++j]);
      if (!v) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      if (*v < 0) {
        ctx.reply.Error("ERR Invalid IDLETIME value, must be >= 0");
        return;
      }
      idle = *v;
    } else if (EqualsIgnoreCase(o, "freq") && more && idle == -1) {
      auto v = ParseInt64(ctx.argv[++j]);
      if (!v) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      if (*v < 0 || *v > 255) {
        ctx.reply.Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
        return;
      }
      freq = *v;
    } else {
      ctx.reply.Error(err::kSyntax);
      return;
    }
  }
  std::string_view key = ctx.argv[1];
  if (!replace && ctx.LookupWrite(key) != nullptr) {
    ctx.reply.Error("BUSYKEY Target key name already exists.");
    return;
  }
  auto ttl = ParseInt64(ctx.argv[2]);
  if (!ttl) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  if (*ttl < 0) {
    ctx.reply.Error("ERR Invalid TTL value, must be >= 0");
    return;
  }
  std::string_view payload = ctx.argv[3];
  if (!rdb::VerifyPayload(payload)) {
    ctx.reply.Error("ERR DUMP payload version or checksum are wrong");
    return;
  }
  const ServerConfig& c = ctx.server.config();
  HashLimits hl{c.hash_max_listpack_entries, c.hash_max_listpack_value};
  SetLimits sl{c.set_max_intset_entries, c.set_max_listpack_entries, c.set_max_listpack_value};
  ZsetLimits zl{c.zset_max_listpack_entries, c.zset_max_listpack_value};
  ListLimits ll{c.list_max_listpack_size, c.list_compress_depth};
  // As Redis, the object is read from the whole payload: a body may run into the footer.
  std::string_view body = payload;
  KeyValue* kv = nullptr;
  if (!body.empty()) {
    auto type = static_cast<uint8_t>(body[0]);
    body.remove_prefix(1);
    kv = rdb::ReadObject(type, body, key, {&hl, &sl, &zl, &ll});
  }
  if (kv == nullptr) {
    ctx.reply.Error("ERR Bad data format");
    return;
  }
  bool deleted = false;
  if (replace && ctx.LookupWrite(key) != nullptr) {
    deleted = ctx.ks().Delete(ctx.db(), key, c.lazyfree_lazy_server_del);
  }
  int64_t when = *ttl;
  if (when > 0 && !absttl) when += ctx.now_ms;
  if (when > 0 && when <= ctx.now_ms) {
    // Already expired: nothing is stored, but a replaced key is gone.
    KeyValue::Free(kv);
    if (deleted) {
      ctx.PropagateAs({c.lazyfree_lazy_server_del ? "UNLINK" : "DEL", std::string(key)});
      ctx.Modified(key);
      ctx.Notify(kNotifyGeneric, "del", key);
      ctx.Dirty();
    }
    ctx.reply.Ok();
    return;
  }
  ctx.ks().InitAccess(kv, ctx.now_ms);
  if (ctx.ks().lfu) {
    if (freq >= 0) kv->set_lru((LfuMinutes(ctx.now_ms) << 8) | static_cast<uint32_t>(freq));
  } else if (idle >= 0) {
    int64_t clock = ctx.ks().lru_clock;
    int64_t abs = clock - idle;
    if (abs < 0) abs = (clock + kLruClockMax / 2) % kLruClockMax;
    kv->set_lru(static_cast<uint32_t>(abs));
  }
  ctx.AddKey(kv);
  if (when > 0) {
    ctx.db().SetExpire(kv, when);
    if (!absttl) {
      // Replicas and the AOF get the absolute time.
      std::vector<std::string> args;
      for (size_t i = 0; i < ctx.argc(); ++i) args.emplace_back(ctx.argv[i]);
      args[2] = std::to_string(when);
      args.emplace_back("ABSTTL");
      ctx.PropagateAs(std::move(args));
    }
  }
  ctx.Modified(key);
  ctx.Notify(kNotifyGeneric, "restore", key);
  ctx.Dirty();
  ctx.reply.Ok();
}

}  // namespace

void RegisterDumpCommands(CommandTable& t) {
  t.Add({.name = "dump", .handler = Dump, .arity = 2, .flags = kCmdReadonly,
         .acl = kAclKeyspace, .keys = {KeySpec::Range(1, 0, 1, kKsRO | kKsAccess)},
         .tips = "nondeterministic_output",
         .doc = {"Return a serialized version of the value stored at the specified key.", "2.6.0",
                 "generic", "O(1) to access the key and additional O(N*M) to serialize it, where "
                 "N is the number of Redis objects composing the value and M their average size. "
                 "For small string values the time complexity is thus O(1)+O(1*M) where M is "
                 "small, so simply O(1).",
                 "key:key"}});
  t.Add({.name = "restore", .handler = Restore, .arity = -4, .flags = kCmdWrite | kCmdDenyOom,
         .acl = kAclKeyspace | kAclDangerous,
         .keys = {KeySpec::Range(1, 0, 1, kKsOW | kKsUpdate)},
         .doc = {"Create a key using the provided serialized value, previously obtained using DUMP.", "2.6.0",
                 "generic", "O(1) to create the new key and additional O(N*M) to reconstruct "
                 "the serialized value, where N is the number of Redis objects composing the "
                 "value and M their average size. For small string values the time complexity "
                 "is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set "
                 "values the complexity is O(N*M*log(N)) because inserting values into sorted "
                 "sets is O(log(N)).",
                 "key:key ttl:integer serialized-value:string [REPLACE] [ABSTTL] [IDLETIME "
                 "seconds:integer] [FREQ frequency:integer]"}});
}

}  // namespace tessera
