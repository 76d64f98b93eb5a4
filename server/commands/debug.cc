// DEBUG (behind enable-debug-command, as in Redis 7): SLEEP, SET-ACTIVE-EXPIRE, OBJECT, DIGEST,
// DIGEST-VALUE, PROTOCOL, LOG, HELP. Part of the server family's table.
#include <fmt/core.h>
#include <liblzf/lzf.h>
#include <unistd.h>

#include <thread>

#include "common/log.h"
#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/core/context.h"
#include "server/ds/quicklist.h"
#include "server/keyspace/digest.h"

namespace tessera {

namespace {

size_t RdbLenBytes(uint64_t len) {
  if (len < (1 << 6)) return 1;
  if (len < (1 << 14)) return 2;
  if (len <= UINT32_MAX) return 5;
  return 9;
}

// Bytes an integer takes with RDB's integer string encoding, or 0 if it does not fit.
size_t RdbIntBytes(int64_t v) {
  if (v >= INT8_MIN && v <= INT8_MAX) return 2;
  if (v >= INT16_MIN && v <= INT16_MAX) return 3;
  if (v >= INT32_MIN && v <= INT32_MAX) return 5;
  return 0;
}

// The length RDB would use to save a string value (rdbSavedObjectLen for strings): integer
// encoding when the text is a canonical small integer, LZF when it helps, else length+bytes.
size_t SerializedStringLength(std::string_view s, bool compression) {
  if (s.size() <= 11) {
    auto v = ParseInt64(s);
    if (v) {
      size_t n = RdbIntBytes(*v);
      if (n) return n;
    }
  }
  if (compression && s.size() > 20) {
    std::string out(s.size() - 4, '\0');
    unsigned int clen = lzf_compress(s.data(), static_cast<unsigned>(s.size()), out.data(),
                                     static_cast<unsigned>(out.size()));
    if (clen > 0) return 1 + RdbLenBytes(clen) + RdbLenBytes(s.size()) + clen;
  }
  return RdbLenBytes(s.size()) + s.size();
}

void DebugObject(CommandContext& ctx) {
  KeyValue* kv = ctx.ks().Lookup(ctx.db(), ctx.argv[2], ctx.now_ms, kLookupNoTouch);
  if (kv == nullptr) {
    ctx.reply.Error(err::kNoSuchKey);
    return;
  }
  size_t serialized = 0;
  if (kv->type() == ObjType::kString) {
    char buf[24];
    serialized = SerializedStringLength(StringValue(kv, buf), true);
  }
  bool shared = kv->shared_int();
  ctx.reply.SimpleString(fmt::format(
      "Value at:{} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
      static_cast<const void*>(kv), shared ? INT32_MAX : 1, EncodingName(kv->encoding()),
      serialized, kv->lru(), LruIdleMs(ctx.ks().lru_clock, kv->lru()) / 1000));
}

void DebugProtocol(CommandContext& ctx) {
  std::string_view name = ctx.argv[2];
  auto& r = ctx.reply;
  if (EqualsIgnoreCase(name, "string")) {
    r.Bulk("Hello World");
  } else if (EqualsIgnoreCase(name, "integer")) {
    r.Integer(12345);
  } else if (EqualsIgnoreCase(name, "double")) {
    r.Double(3.141);
  } else if (EqualsIgnoreCase(name, "bignum")) {
    r.BigNumber("1234567999999999999999999999999999999");
  } else if (EqualsIgnoreCase(name, "null")) {
    r.Null();
  } else if (EqualsIgnoreCase(name, "array")) {
    r.ArrayHeader(3);
    for (int j = 0; j < 3; ++j) r.Integer(j);
  } else if (EqualsIgnoreCase(name, "set")) {
    r.SetHeader(3);
    for (int j = 0; j < 3; ++j) r.Integer(j);
  } else if (EqualsIgnoreCase(name, "map")) {
    r.MapHeader(3);
    for (int j = 0; j < 3; ++j) {
      r.Integer(j);
      r.Bool(j == 1);
    }
  } else if (EqualsIgnoreCase(name, "attrib")) {
    if (r.resp3()) {
      r.AttributeHeader(1);
      r.Bulk("key-popularity");
      r.ArrayHeader(2);
      r.Bulk("key:123");
      r.Integer(90);
    }
    r.Bulk("Some real reply following the attribute");
  } else if (EqualsIgnoreCase(name, "push")) {
    if (!r.resp3()) {
      r.Error("ERR RESP2 is not supported by this command");
      return;
    }
    r.PushHeader(2);
    r.Bulk("server-cpu-usage");
    r.Integer(42);
    r.Bulk("Some real reply following the push reply");
  } else if (EqualsIgnoreCase(name, "true")) {
    r.Bool(true);
  } else if (EqualsIgnoreCase(name, "false")) {
    r.Bool(false);
  } else if (EqualsIgnoreCase(name, "verbatim")) {
    r.Verbatim("This is a verbatim\nstring");
  } else {
    r.Error("ERR Wrong protocol type name. Please use one of the following: "
            "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
  }
}

void DebugHelp(CommandContext& ctx) {
  const std::string_view lines[] = {
      "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DIGEST",
      "    Return a digest of the whole dataset (all zeros when empty).",
      "DIGEST-VALUE <key> [<key> ...]",
      "    Return a digest of the value of each key.",
      "LOG <message>",
      "    Write <message> to the server log.",
      "OBJECT <key>",
      "    Show low-level details of the value of <key>.",
      "RELOAD [NOSAVE]",
      "    Save the RDB file (unless NOSAVE), empty the dataset and load the file back.",
      "POPULATE <count> [<prefix>] [<size>]",
      "    Create <count> string keys <prefix>:0.. (default prefix \"key\") holding value:N,",
      "    cut or zero-padded to <size> bytes when given. Existing keys are left alone.",
      "PROTOCOL <type>",
      "    Reply with a sample of a RESP type: string|integer|double|bignum|null|array|set|",
      "    map|attrib|push|verbatim|true|false.",
      "QUICKLIST-PACKED-THRESHOLD <size>",
      "    Elements of at least <size> bytes get a list node of their own (0: 1gb).",
      "SET-ACTIVE-EXPIRE <0|1>",
      "    Turn the active expiry cycle off or on (expired keys are still removed on access).",
      "SLEEP <seconds>",
      "    Block the server for <seconds> (a decimal number).",
      "HELP",
      "    Print this help.",
  };
  ReplyLines(ctx.reply, lines);
}

// DEBUG POPULATE count [prefix] [size]: keys prefix:0..count-1 (existing ones are skipped)
// holding "value:N", cut or zero-padded to `size` bytes when given.
void DebugPopulate(CommandContext& ctx) {
  int64_t count = 0, size = 0;
  if (!ParsePositiveCount(ctx, ctx.argv[2], &count)) return;
  if (ctx.argc() == 5 && !ParsePositiveCount(ctx, ctx.argv[4], &size)) return;
  std::string prefix = ctx.argc() >= 4 ? std::string(ctx.argv[3]) : "key";
  Db& db = ctx.db();
  std::string key, value;
  for (int64_t j = 0; j < count; ++j) {
    key = prefix + ":" + std::to_string(j);
    if (ctx.ks().Lookup(db, key, ctx.now_ms, kLookupWrite) != nullptr) continue;
    value = "value:" + std::to_string(j);
    if (size > 0) value.resize(static_cast<size_t>(size), '\0');
    KeyValue* kv = value.size() <= kEmbstrMaxLen
                       ? KeyValue::NewString(key, value, -1)
                       : KeyValue::NewRaw(key, RawString::New(value), -1);
    ctx.ks().InitAccess(kv, ctx.now_ms);
    ctx.AddKey(kv);
    ctx.Modified(key);
  }
  ctx.reply.Ok();
}

void Debug(CommandContext& ctx) {
  std::string_view sub = ctx.argv[1];
  size_t argc = ctx.argc();
  auto is = [&](std::string_view name) { return EqualsIgnoreCase(sub, name); };
  if (is("help") && argc == 2) {
    DebugHelp(ctx);
  } else if (is("sleep") && argc == 3) {
    double secs = strtod(std::string(ctx.argv[2]).c_str(), nullptr);
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(secs * 1e6)));
    ctx.reply.Ok();
  } else if (is("set-active-expire") && argc == 3) {
    ctx.ks().active_expire_enabled = ParseInt64(ctx.argv[2]).value_or(0) != 0;
    ctx.reply.Ok();
  } else if (is("reload") && (argc == 2 || (argc == 3 && EqualsIgnoreCase(ctx.argv[2], "nosave")))) {
    // Save (unless NOSAVE), empty the keyspace, load the file back.
    if (ctx.server.loading()) {
      ctx.reply.Error("LOADING Redis is loading the dataset in memory");
      return;
    }
    std::string err;
    if (argc == 2 && !ctx.server.RdbSave(&err)) {
      ctx.reply.Error(err);
      return;
    }
    ctx.ks().FlushAll(false);
    rdb::LoadResult res;
    bool missing = false;
    if (!ctx.server.RdbLoad(&res, &missing, &err) || missing) {
      LogWarning("Error trying to load the RDB dump: {}", missing ? "no such file" : err);
      ctx.reply.Error("ERR Error trying to load the RDB dump, check server logs.");
      return;
    }
    ctx.reply.Ok();
  } else if (is("populate") && argc >= 3 && argc <= 5) {
    DebugPopulate(ctx);
  } else if (is("object") && argc == 3) {
    DebugObject(ctx);
  } else if (is("digest") && argc == 2) {
    ctx.reply.SimpleString(DigestHex(DatasetDigest(ctx.ks())));
  } else if (is("digest-value") && argc >= 2) {
    ctx.reply.ArrayHeader(argc - 2);
    for (size_t i = 2; i < argc; ++i) {
      KeyValue* kv = ctx.ks().Lookup(ctx.db(), ctx.argv[i], ctx.now_ms, kLookupNoTouch);
      ctx.reply.SimpleString(kv == nullptr ? std::string(40, '0') : DigestHex(ValueDigest(kv)));
    }
  } else if (is("protocol") && argc == 3) {
    DebugProtocol(ctx);
  } else if (is("quicklist-packed-threshold") && argc == 3) {
    auto bytes = ParseMemory(ctx.argv[2]);
    if (!bytes || !ds::Quicklist::SetPackedThreshold(static_cast<uint64_t>(*bytes))) {
      ctx.reply.Error("ERR argument must be a memory value bigger than 1 and smaller than 4gb");
      return;
    }
    ctx.reply.Ok();
  } else if (is("log") && argc == 3) {
    LogWarning("DEBUG LOG: {}", ctx.argv[2]);
    ctx.reply.Ok();
  } else {
    ctx.reply.Error(fmt::format(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.", sub));
  }
}

}  // namespace

void RegisterDebugCommand(CommandTable& t) {
  t.Add({.name = "debug", .handler = Debug, .arity = -2,
         .flags = kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale | kCmdProtected,
         .doc = {"A container for debugging commands.", "1.0.0", "server",
                 "Depends on subcommand.", ""}});
}

}  // namespace tessera
