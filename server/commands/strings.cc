// String commands: GET SET (all options) SETNX SETEX PSETEX MGET MSET MSETNX GETSET GETDEL
// GETEX APPEND STRLEN INCR DECR INCRBY DECRBY INCRBYFLOAT GETRANGE SUBSTR SETRANGE LCS.
// Values are stored with Redis's encodings (int, embstr, raw) and the same size limit
// (proto-max-bulk-len).
#include <cmath>
#include <cstring>
#include <vector>

#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/core/context.h"

namespace tessera {

namespace {

enum SetFlags : uint32_t {
  kSetNx = 1 << 0,
  kSetXx = 1 << 1,
  kSetGet = 1 << 2,
  kSetKeepTtl = 1 << 3,
  kSetPersist = 1 << 4,
  kSetEx = 1 << 5,
  kSetPx = 1 << 6,
  kSetExat = 1 << 7,
  kSetPxat = 1 << 8,
};
constexpr uint32_t kAnyExpire = kSetEx | kSetPx | kSetExat | kSetPxat;

enum class Family { kSet, kGet };

// Parses SET/GETEX options as Redis's parseExtendedStringArgumentsOrReply (the same
// precedence rules: NX/XX exclusive, one expiry style, PERSIST only for GETEX).
bool ParseStringOptions(CommandContext& ctx, size_t start, Family fam, uint32_t* flags,
                        std::string_view* expire) {
  for (size_t j = start; j < ctx.argc(); ++j) {
    std::string_view opt = ctx.argv[j];
    bool has_next = j + 1 < ctx.argc();
    auto is = [&](std::string_view w) { return EqualsIgnoreCase(opt, w); };
    if (is("nx") && !(*flags & kSetXx) && fam == Family::kSet) {
      *flags |= kSetNx;
    } else if (is("xx") && !(*flags & kSetNx) && fam == Family::kSet) {
      *flags |= kSetXx;
    } else if (is("get") && fam == Family::kSet) {
      *flags |= kSetGet;
    } else if (is("keepttl") && !(*flags & (kSetPersist | kAnyExpire)) && fam == Family::kSet) {
      *flags |= kSetKeepTtl;
    } else if (is("persist") && fam == Family::kGet && !(*flags & (kAnyExpire | kSetKeepTtl))) {
      *flags |= kSetPersist;
    } else if (is("ex") && !(*flags & (kSetKeepTtl | kSetPersist | kSetExat | kSetPx | kSetPxat)) &&
               has_next) {
      *flags |= kSetEx;
      *expire = ctx.argv[++j];
    } else if (is("px") && !(*flags & (kSetKeepTtl | kSetPersist | kSetEx | kSetExat | kSetPxat)) &&
               has_next) {
      *flags |= kSetPx;
      *expire = ctx.argv[++j];
    } else if (is("exat") && !(*flags & (kSetKeepTtl | kSetPersist | kSetEx | kSetPx | kSetPxat)) &&
               has_next) {
      *flags |= kSetExat;
      *expire = ctx.argv[++j];
    } else if (is("pxat") && !(*flags & (kSetKeepTtl | kSetPersist | kSetEx | kSetExat | kSetPx)) &&
               has_next) {
      *flags |= kSetPxat;
      *expire = ctx.argv[++j];
    } else {
      ctx.Syntax();
      return false;
    }
  }
  return true;
}

std::optional<int64_t> ExpireFromFlags(CommandContext& ctx, uint32_t flags,
                                       std::string_view arg) {
  TimeUnit unit = (flags & (kSetEx | kSetExat)) ? TimeUnit::kSeconds : TimeUnit::kMilliseconds;
  bool relative = (flags & (kSetEx | kSetPx)) != 0;
  return ParseExpireArg(ctx, arg, unit, relative, ctx.cmd.spec.name);
}

// Stores `value` under `key`, overwriting any value of any type. expire_ms >= 0 sets a TTL,
// -1 removes it, and keep_ttl keeps the current one. Returns the stored object.
KeyValue* StoreString(CommandContext& ctx, KeyValue* existing, std::string_view key,
                      std::string_view value, int64_t expire_ms, bool keep_ttl) {
  Db& db = ctx.db();
  if (existing == nullptr) {
    KeyValue* kv = Db::MakeString(key, value, expire_ms);
    ctx.ks().InitAccess(kv, ctx.now_ms);
    ctx.AddKey(kv);
    return kv;
  }
  int64_t target = keep_ttl ? existing->expire_ms() : expire_ms;
  if (existing->has_expire() != (target >= 0)) {
    KeyValue* kv = Db::MakeString(key, value, target);
    ctx.ks().InitAccess(kv, ctx.now_ms);
    db.Relink(existing, kv);
    KeyValue::Free(existing);
    return kv;
  }
  KeyValue* kv = db.SetStringValue(existing, value);
  if (target >= 0) kv->set_expire_ms(target);
  return kv;
}

void ReplyValue(CommandContext& ctx, const KeyValue* kv) {
  if (kv->encoding() == Encoding::kInt) {
    ctx.reply.BulkInt(kv->int_value());
  } else {
    char buf[24];
    ctx.reply.Bulk(StringValue(kv, buf));
  }
}

void SetGeneric(CommandContext& ctx, uint32_t flags, std::string_view key, std::string_view value,
                std::string_view expire_arg, bool reply_int) {
  std::optional<int64_t> expire_ms;
  if (flags & kAnyExpire) {
    expire_ms = ExpireFromFlags(ctx, flags, expire_arg);
    if (!expire_ms) return;
  }
  // With GET the old value is read as GET reads it (hit/miss statistics, keymiss event).
  KeyValue* kv = (flags & kSetGet) ? ctx.LookupRead(key) : ctx.LookupWrite(key);
  if (flags & kSetGet) {
    if (kv != nullptr && kv->type() != ObjType::kString) {
      ctx.WrongType();
      return;
    }
    if (kv == nullptr) {
      ctx.reply.Null();
    } else {
      ReplyValue(ctx, kv);
    }
  }
  bool found = kv != nullptr;
  if (((flags & kSetNx) && found) || ((flags & kSetXx) && !found)) {
    if (!(flags & kSetGet)) {
      if (reply_int) {
        ctx.reply.Integer(0);
      } else {
        ctx.reply.Null();
      }
    }
    return;
  }
  StoreString(ctx, kv, key, value, expire_ms.value_or(-1), (flags & kSetKeepTtl) != 0);
  ctx.Dirty();
  ctx.Modified(key);
  ctx.Notify(kNotifyString, "set", key);
  if (expire_ms) {
    ctx.Notify(kNotifyGeneric, "expire", key);
    // Relative and second-based TTLs are propagated as an absolute PXAT.
    ctx.PropagateAs({"SET", std::string(key), std::string(value), "PXAT", Int64ToString(*expire_ms)});
  } else if (flags & kSetGet) {
    std::vector<std::string> args;
    for (size_t i = 0; i < ctx.argc(); ++i) {
      if (i >= 3 && EqualsIgnoreCase(ctx.argv[i], "get")) continue;
      args.emplace_back(ctx.argv[i]);
    }
    ctx.PropagateAs(std::move(args));
  }
  if (!(flags & kSetGet)) {
    if (reply_int) {
      ctx.reply.Integer(1);
    } else {
      ctx.reply.Ok();
    }
  }
}

void Set(CommandContext& ctx) {
  uint32_t flags = 0;
  std::string_view expire;
  if (!ParseStringOptions(ctx, 3, Family::kSet, &flags, &expire)) return;
  SetGeneric(ctx, flags, ctx.argv[1], ctx.argv[2], expire, false);
}

void SetNx(CommandContext& ctx) { SetGeneric(ctx, kSetNx, ctx.argv[1], ctx.argv[2], {}, true); }

void SetEx(CommandContext& ctx) { SetGeneric(ctx, kSetEx, ctx.argv[1], ctx.argv[3], ctx.argv[2], false); }

void PSetEx(CommandContext& ctx) {
  SetGeneric(ctx, kSetPx, ctx.argv[1], ctx.argv[3], ctx.argv[2], false);
}

void Get(CommandContext& ctx) {
  KeyValue* kv = ctx.LookupRead(ctx.argv[1]);
  if (kv == nullptr) {
    ctx.reply.Null();
  } else if (kv->type() != ObjType::kString) {
    ctx.WrongType();
  } else {
    ReplyValue(ctx, kv);
  }
}

void GetSet(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  KeyValue* kv = ctx.LookupRead(key);
  if (kv != nullptr && kv->type() != ObjType::kString) {
    ctx.WrongType();
    return;
  }
  if (kv == nullptr) {
    ctx.reply.Null();
  } else {
    ReplyValue(ctx, kv);
  }
  StoreString(ctx, kv, key, ctx.argv[2], -1, false);
  ctx.Dirty();
  ctx.Modified(key);
  ctx.Notify(kNotifyString, "set", key);
  ctx.PropagateAs({"SET", std::string(key), std::string(ctx.argv[2])});
}

void GetDel(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  KeyValue* kv = ctx.LookupRead(key);
  if (kv == nullptr) {
    ctx.reply.Null();
    return;
  }
  if (kv->type() != ObjType::kString) {
    ctx.WrongType();
    return;
  }
  ReplyValue(ctx, kv);
  bool lazy = ctx.server.config().lazyfree_lazy_user_del;
  ctx.ks().Delete(ctx.db(), key, lazy);
  ctx.Dirty();
  ctx.Modified(key);
  ctx.Notify(kNotifyGeneric, "del", key);
  ctx.PropagateAs({lazy ? "UNLINK" : "DEL", std::string(key)});
}

void GetEx(CommandContext& ctx) {
  uint32_t flags = 0;
  std::string_view expire_arg;
  if (!ParseStringOptions(ctx, 2, Family::kGet, &flags, &expire_arg)) return;
  std::string_view key = ctx.argv[1];
  KeyValue* kv = ctx.LookupRead(key);
  if (kv == nullptr) {
    ctx.reply.Null();
    return;
  }
  if (kv->type() != ObjType::kString) {
    ctx.WrongType();
    return;
  }
  // As Redis, the expire value is validated only once the key is known to exist.
  std::optional<int64_t> expire_ms;
  if (flags & kAnyExpire) {
    expire_ms = ExpireFromFlags(ctx, flags, expire_arg);
    if (!expire_ms) return;
  }
  ReplyValue(ctx, kv);
  if ((flags & (kSetExat | kSetPxat)) && *expire_ms <= ctx.now_ms) {
    bool lazy = ctx.server.config().lazyfree_lazy_expire;
    ctx.ks().Delete(ctx.db(), key, lazy);
    ctx.Dirty();
    ctx.Modified(key);
    ctx.Notify(kNotifyGeneric, "del", key);
    ctx.PropagateAs({lazy ? "UNLINK" : "DEL", std::string(key)});
  } else if (expire_ms) {
    ctx.db().SetExpire(kv, *expire_ms);
    ctx.Dirty();
    ctx.Modified(key);
    ctx.Notify(kNotifyGeneric, "expire", key);
    ctx.PropagateAs({"PEXPIREAT", std::string(key), Int64ToString(*expire_ms)});
  } else if (flags & kSetPersist) {
    if (kv->has_expire()) {
      ctx.db().RemoveExpire(kv);
      ctx.Dirty();
      ctx.Modified(key);
      ctx.Notify(kNotifyGeneric, "persist", key);
      ctx.PropagateAs({"PERSIST", std::string(key)});
    }
  }
}

void MGet(CommandContext& ctx) {
  ctx.reply.ArrayHeader(ctx.argc() - 1);
  for (size_t i = 1; i < ctx.argc(); ++i) {
    KeyValue* kv = ctx.LookupRead(ctx.argv[i]);
    if (kv == nullptr || kv->type() != ObjType::kString) {
      ctx.reply.Null();
    } else {
      ReplyValue(ctx, kv);
    }
  }
}

void MSetGeneric(CommandContext& ctx, bool nx) {
  if (ctx.argc() % 2 == 0) {
    ctx.reply.Error(err::WrongArity(ctx.cmd.fullname));
    return;
  }
  if (nx) {
    for (size_t i = 1; i < ctx.argc(); i += 2) {
      if (ctx.LookupWrite(ctx.argv[i]) != nullptr) {
        ctx.reply.Integer(0);
        return;
      }
    }
  }
  for (size_t i = 1; i < ctx.argc(); i += 2) {
    std::string_view key = ctx.argv[i];
    StoreString(ctx, ctx.LookupWrite(key), key, ctx.argv[i + 1], -1, false);
    ctx.Modified(key);
    ctx.Notify(kNotifyString, "set", key);
  }
  ctx.Dirty((ctx.argc() - 1) / 2);
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

void MSet(CommandContext& ctx) { MSetGeneric(ctx, false); }
void MSetNx(CommandContext& ctx) { MSetGeneric(ctx, true); }

void Append(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  std::string_view add = ctx.argv[2];
  KeyValue* kv = ctx.LookupWrite(key);
  size_t total;
  if (kv == nullptr) {
    kv = Db::MakeString(key, add, -1);
    ctx.ks().InitAccess(kv, ctx.now_ms);
    ctx.AddKey(kv);
    total = add.size();
  } else {
    if (kv->type() != ObjType::kString) {
      ctx.WrongType();
      return;
    }
    char buf[24];
    std::string_view cur = StringValue(kv, buf);
    if (cur.size() + add.size() > static_cast<size_t>(ctx.server.config().proto_max_bulk_len)) {
      ctx.reply.Error(err::kStringTooLong);
      return;
    }
    // APPEND always leaves a raw string, growable in place (as Redis).
    if (kv->encoding() != Encoding::kRaw) {
      RawString* r = RawString::New(cur, cur.size() + add.size());
      kv->SetPtrValue(ObjType::kString, Encoding::kRaw, r);
    }
    RawString* r = RawString::Reserve(kv->raw(), add.size());
    memcpy(r->data + r->len, add.data(), add.size());
    r->len += add.size();
    r->data[r->len] = '\0';
    kv->set_ptr(r);
    total = r->len;
  }
  ctx.Dirty();
  ctx.Modified(key);
  ctx.Notify(kNotifyString, "append", key);
  ctx.reply.Integer(static_cast<int64_t>(total));
}

void StrLen(CommandContext& ctx) {
  KeyValue* kv = ctx.LookupRead(ctx.argv[1]);
  if (kv == nullptr) {
    ctx.reply.Integer(0);
  } else if (kv->type() != ObjType::kString) {
    ctx.WrongType();
  } else {
    ctx.reply.Integer(static_cast<int64_t>(StringLength(kv)));
  }
}

void IncrDecr(CommandContext& ctx, int64_t incr) {
  std::string_view key = ctx.argv[1];
  KeyValue* kv = ctx.LookupWrite(key);
  int64_t value = 0;
  if (kv != nullptr) {
    if (kv->type() != ObjType::kString) {
      ctx.WrongType();
      return;
    }
    if (kv->encoding() == Encoding::kInt) {
      value = kv->int_value();
    } else {
      char buf[24];
      auto v = ParseInt64(StringValue(kv, buf));
      if (!v) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      value = *v;
    }
  }
  if ((incr < 0 && value < 0 && incr < INT64_MIN - value) ||
      (incr > 0 && value > 0 && incr > INT64_MAX - value)) {
    ctx.reply.Error(err::kOverflow);
    return;
  }
  value += incr;
  if (kv == nullptr) {
    kv = KeyValue::NewInt(key, value, -1);
    ctx.ks().InitAccess(kv, ctx.now_ms);
    ctx.AddKey(kv);
  } else {
    if (kv->encoding() == Encoding::kRaw) FreeValuePayload(ObjType::kString, Encoding::kRaw, kv->ptr());
    kv->SetIntValue(value);
  }
  ctx.Dirty();
  ctx.Modified(key);
  ctx.Notify(kNotifyString, "incrby", key);
  ctx.reply.Integer(value);
}

void Incr(CommandContext& ctx) { IncrDecr(ctx, 1); }
void Decr(CommandContext& ctx) { IncrDecr(ctx, -1); }

void IncrBy(CommandContext& ctx) {
  auto v = ParseInt64(ctx.argv[2]);
  if (!v) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  IncrDecr(ctx, *v);
}

void DecrBy(CommandContext& ctx) {
  auto v = ParseInt64(ctx.argv[2]);
  if (!v) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  if (*v == INT64_MIN) {
    ctx.reply.Error("ERR decrement would overflow");
    return;
  }
  IncrDecr(ctx, -*v);
}

void IncrByFloat(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  KeyValue* kv = ctx.LookupWrite(key);
  long double value = 0;
  if (kv != nullptr) {
    if (kv->type() != ObjType::kString) {
      ctx.WrongType();
      return;
    }
    char buf[24];
    auto v = ParseLongDouble(StringValue(kv, buf));
    if (!v) {
      ctx.reply.Error(err::kNotFloat);
      return;
    }
    value = *v;
  }
  auto incr = ParseLongDouble(ctx.argv[2]);
  if (!incr) {
    ctx.reply.Error(err::kNotFloat);
    return;
  }
  value += *incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.reply.Error(err::kNanOrInf);
    return;
  }
  std::string out = FormatLongDoubleHuman(value);
  // Redis stores the result as a string object (embstr when short), never as int.
  if (kv == nullptr) {
    kv = out.size() <= kEmbstrMaxLen ? KeyValue::NewString(key, out, -1)
                                     : KeyValue::NewRaw(key, RawString::New(out), -1);
    ctx.ks().InitAccess(kv, ctx.now_ms);
    ctx.AddKey(kv);
  } else {
    if (out.size() <= kEmbstrMaxLen && kv->encoding() != Encoding::kRaw && kv->TrySetEmbstr(out)) {
      // stored in place
    } else if (out.size() <= kEmbstrMaxLen) {
      KeyValue* fresh = KeyValue::NewString(key, out, kv->expire_ms());
      fresh->set_lru(kv->lru());
      ctx.db().Relink(kv, fresh);
      KeyValue::Free(kv);
    } else {
      if (kv->encoding() == Encoding::kRaw) FreeValuePayload(ObjType::kString, Encoding::kRaw, kv->ptr());
      kv->SetPtrValue(ObjType::kString, Encoding::kRaw, RawString::New(out));
    }
  }
  ctx.Dirty();
  ctx.Modified(key);
  ctx.Notify(kNotifyString, "incrbyfloat", key);
  ctx.reply.Bulk(out);
  // Float formatting may differ between peers: propagate the result itself.
  ctx.PropagateAs({"SET", std::string(key), out, "KEEPTTL"});
}

void GetRange(CommandContext& ctx) {
  auto start = ParseInt64(ctx.argv[2]);
  auto end = ParseInt64(ctx.argv[3]);
  if (!start || !end) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  KeyValue* kv = ctx.LookupRead(ctx.argv[1]);
  if (kv == nullptr) {
    ctx.reply.Bulk("");
    return;
  }
  if (kv->type() != ObjType::kString) {
    ctx.WrongType();
    return;
  }
  char buf[24];
  std::string_view s = StringValue(kv, buf);
  int64_t len = static_cast<int64_t>(s.size());
  int64_t a = *start, b = *end;
  if (a < 0 && b < 0 && a > b) {
    ctx.reply.Bulk("");
    return;
  }
  if (a < 0) a = len + a;
  if (b < 0) b = len + b;
  if (a < 0) a = 0;
  if (b < 0) b = 0;
  if (b >= len) b = len - 1;
  if (a > b || len == 0) {
    ctx.reply.Bulk("");
  } else {
    ctx.reply.Bulk(s.substr(static_cast<size_t>(a), static_cast<size_t>(b - a + 1)));
  }
}

void SetRange(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  std::string_view value = ctx.argv[3];
  auto offset = ParseInt64(ctx.argv[2]);
  if (!offset) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  if (*offset < 0) {
    ctx.reply.Error(err::kOffsetOutOfRange);
    return;
  }
  KeyValue* kv = ctx.LookupWrite(key);
  if (kv != nullptr && kv->type() != ObjType::kString) {
    ctx.WrongType();
    return;
  }
  size_t cur_len = kv == nullptr ? 0 : StringLength(kv);
  if (value.empty()) {
    ctx.reply.Integer(static_cast<int64_t>(cur_len));
    return;
  }
  uint64_t need = static_cast<uint64_t>(*offset) + value.size();
  if (need > static_cast<uint64_t>(ctx.server.config().proto_max_bulk_len)) {
    ctx.reply.Error(err::kStringTooLong);
    return;
  }
  bool grew;
  RawString* r = WritableString(ctx, key, kv, need, &grew);
  memcpy(r->data + *offset, value.data(), value.size());
  ctx.Dirty();
  ctx.Modified(key);
  ctx.Notify(kNotifyString, "setrange", key);
  ctx.reply.Integer(static_cast<int64_t>(r->len));
}

void Lcs(CommandContext& ctx) {
  // As Redis: the keys' types are checked before the options are read.
  KeyValue* oa = ctx.LookupRead(ctx.argv[1]);
  KeyValue* ob = ctx.LookupRead(ctx.argv[2]);
  if ((oa && oa->type() != ObjType::kString) || (ob && ob->type() != ObjType::kString)) {
    ctx.reply.Error("ERR The specified keys must contain string values");
    return;
  }
  bool getlen = false, getidx = false, withmatchlen = false;
  int64_t minmatchlen = 0;
  for (size_t j = 3; j < ctx.argc(); ++j) {
    std::string_view opt = ctx.argv[j];
    bool more = j + 1 < ctx.argc();
    if (EqualsIgnoreCase(opt, "idx")) {
      getidx = true;
    } else if (EqualsIgnoreCase(opt, "len")) {
      getlen = true;
    } else if (EqualsIgnoreCase(opt, "withmatchlen")) {
      withmatchlen = true;
    } else if (EqualsIgnoreCase(opt, "minmatchlen") && more) {
      auto v = ParseInt64(ctx.argv[++j]);
      if (!v) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      minmatchlen = *v < 0 ? 0 : *v;
    } else {
      ctx.Syntax();
      return;
    }
  }
  if (getidx && getlen) {
    ctx.reply.Error("ERR If you want both the length and indexes, please just use IDX.");
    return;
  }
  char ba[24], bb[24];
  std::string_view a = oa ? StringValue(oa, ba) : std::string_view();
  std::string_view b = ob ? StringValue(ob, bb) : std::string_view();
  size_t alen = a.size(), blen = b.size();
  uint64_t cells = static_cast<uint64_t>(alen + 1) * (blen + 1);
  if (cells * sizeof(uint32_t) > static_cast<uint64_t>(ctx.server.config().proto_max_bulk_len)) {
    ctx.reply.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  std::vector<uint32_t> table(cells, 0);
  auto at = [&](size_t i, size_t j) -> uint32_t& { return table[j + i * (blen + 1)]; };
  for (size_t i = 1; i <= alen; ++i) {
    for (size_t j = 1; j <= blen; ++j) {
      if (a[i - 1] == b[j - 1]) {
        at(i, j) = at(i - 1, j - 1) + 1;
      } else {
        at(i, j) = std::max(at(i - 1, j), at(i, j - 1));
      }
    }
  }
  uint32_t idx = at(alen, blen);
  bool compute = getidx || !getlen;
  std::string result(compute ? idx : 0, '\0');
  struct Match {
    uint32_t as, ae, bs, be, len;
  };
  std::vector<Match> matches;
  size_t astart = alen, aend = 0, bstart = 0, bend = 0;
  size_t i = alen, j = blen;
  while (compute && i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (astart == alen) {
        astart = aend = i - 1;
        bstart = bend = j - 1;
      } else if (astart == i && bstart == j) {
        --astart;
        --bstart;
      } else {
        emit = true;
      }
      if (astart == 0 || bstart == 0) emit = true;
      --idx;
      --i;
      --j;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (astart != alen) emit = true;
    }
    if (emit) {
      uint32_t mlen = static_cast<uint32_t>(aend - astart + 1);
      if (minmatchlen == 0 || mlen >= minmatchlen) {
        matches.push_back({static_cast<uint32_t>(astart), static_cast<uint32_t>(aend),
                           static_cast<uint32_t>(bstart), static_cast<uint32_t>(bend), mlen});
      }
      astart = alen;
    }
  }
  if (getidx) {
    ctx.reply.MapHeader(2);
    ctx.reply.Bulk("matches");
    ctx.reply.ArrayHeader(matches.size());
    for (const Match& m : matches) {
      ctx.reply.ArrayHeader(withmatchlen ? 3 : 2);
      ctx.reply.ArrayHeader(2);
      ctx.reply.Integer(m.as);
      ctx.reply.Integer(m.ae);
      ctx.reply.ArrayHeader(2);
      ctx.reply.Integer(m.bs);
      ctx.reply.Integer(m.be);
      if (withmatchlen) ctx.reply.Integer(m.len);
    }
    ctx.reply.Bulk("len");
    ctx.reply.Integer(at(alen, blen));
  } else if (getlen) {
    ctx.reply.Integer(at(alen, blen));
  } else {
    ctx.reply.Bulk(result);
  }
}

constexpr uint32_t kRO = kKsRO | kKsAccess;

// SET reads the old value only with GET; otherwise it just overwrites.
void SetKeyFlags(std::span<const std::string_view> argv, std::vector<KeyRef>* keys) {
  bool get = false;
  for (size_t i = 3; i < argv.size(); ++i) get |= EqualsIgnoreCase(argv[i], "get");
  for (KeyRef& k : *keys) {
    k.flags = get ? (kKsRW | kKsAccess | kKsUpdate) : (kKsOW | kKsUpdate);
  }
}

}  // namespace

void RegisterStringCommands(CommandTable& t) {
  const uint64_t S = kAclString;
  t.Add({.name = "get", .handler = Get, .arity = 2, .flags = kCmdReadonly | kCmdFast, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kRO)},
         .doc = {"Returns the string value of a key.", "1.0.0", "string", "O(1)", "key:key"}});
  {
    KeySpec ks = KeySpec::Range(1, 0, 1, kKsRW | kKsAccess | kKsUpdate | kKsVariableFlags);
    ks.notes = "RW and ACCESS due to the optional `GET` argument";
    t.Add({.name = "set", .handler = Set, .arity = -3, .flags = kCmdWrite | kCmdDenyOom, .acl = S,
           .keys = {ks},
           .doc = {"Sets the string value of a key, ignoring its type. The key is created if it "
                   "doesn't exist.",
                   "1.0.0", "string", "O(1)",
                   "key:key value:string [condition=NX|XX] [GET] [expiration=EX seconds:integer|"
                   "PX milliseconds:integer|EXAT unix-time-seconds:unix-time|PXAT "
                   "unix-time-milliseconds:unix-time|KEEPTTL]"},
           .resolve_key_flags = SetKeyFlags});
  }
  t.Add({.name = "setnx", .handler = SetNx, .arity = 3,
         .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kKsOW | kKsInsert)},
         .doc = {"Sets the string value of a key only when the key doesn't exist.", "1.0.0",
                 "string", "O(1)", "key:key value:string"}});
  t.Add({.name = "setex", .handler = SetEx, .arity = 4, .flags = kCmdWrite | kCmdDenyOom,
         .acl = S, .keys = {KeySpec::Range(1, 0, 1, kKsOW | kKsUpdate)},
         .doc = {"Sets the string value and expiration time of a key. Creates the key if it "
                 "doesn't exist.",
                 "2.0.0", "string", "O(1)", "key:key seconds:integer value:string"}});
  t.Add({.name = "psetex", .handler = PSetEx, .arity = 4, .flags = kCmdWrite | kCmdDenyOom,
         .acl = S, .keys = {KeySpec::Range(1, 0, 1, kKsOW | kKsUpdate)},
         .doc = {"Sets both string value and expiration time in milliseconds of a key. The key "
                 "is created if it doesn't exist.",
                 "2.6.0", "string", "O(1)", "key:key milliseconds:integer value:string"}});
  t.Add({.name = "getset", .handler = GetSet, .arity = 3,
         .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsAccess | kKsUpdate)},
         .doc = {"Returns the previous string value of a key after setting it to a new value.",
                 "1.0.0", "string", "O(1)", "key:key value:string"}});
  t.Add({.name = "getdel", .handler = GetDel, .arity = 2, .flags = kCmdWrite | kCmdFast,
         .acl = S, .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsAccess | kKsDelete)},
         .doc = {"Returns the string value of a key after deleting the key.", "6.2.0", "string",
                 "O(1)", "key:key"}});
  {
    KeySpec ks = KeySpec::Range(1, 0, 1, kKsRW | kKsAccess | kKsUpdate);
    ks.notes = "RW and UPDATE because it changes the TTL";
    t.Add({.name = "getex", .handler = GetEx, .arity = -2, .flags = kCmdWrite | kCmdFast,
           .acl = S, .keys = {ks},
           .doc = {"Returns the string value of a key after setting its expiration time.",
                   "6.2.0", "string", "O(1)",
                   "key:key [expiration=EX seconds:integer|PX milliseconds:integer|EXAT "
                   "unix-time-seconds:unix-time|PXAT unix-time-milliseconds:unix-time|PERSIST]"}});
  }
  t.Add({.name = "mget", .handler = MGet, .arity = -2, .flags = kCmdReadonly | kCmdFast,
         .acl = S, .keys = {KeySpec::Range(1, -1, 1, kRO)},
         .tips = "request_policy:multi_shard",
         .doc = {"Atomically returns the string values of one or more keys.", "1.0.0", "string",
                 "O(N) where N is the number of keys to retrieve.", "key:key..."}});
  t.Add({.name = "mset", .handler = MSet, .arity = -3, .flags = kCmdWrite | kCmdDenyOom,
         .acl = S, .keys = {KeySpec::Range(1, -1, 2, kKsOW | kKsUpdate)},
         .tips = "request_policy:multi_shard response_policy:all_succeeded",
         .doc = {"Atomically creates or modifies the string values of one or more keys.", "1.0.1",
                 "string", "O(N) where N is the number of keys to set.",
                 "(data=key:key value:string)..."}});
  t.Add({.name = "msetnx", .handler = MSetNx, .arity = -3, .flags = kCmdWrite | kCmdDenyOom,
         .acl = S, .keys = {KeySpec::Range(1, -1, 2, kKsOW | kKsInsert)},
         .tips = "request_policy:multi_shard response_policy:agg_min",
         .doc = {"Atomically modifies the string values of one or more keys only when all keys "
                 "don't exist.",
                 "1.0.1", "string", "O(N) where N is the number of keys to set.",
                 "(data=key:key value:string)..."}});
  t.Add({.name = "append", .handler = Append, .arity = 3,
         .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsInsert)},
         .doc = {"Appends a string to the value of a key. Creates the key if it doesn't exist.",
                 "2.0.0", "string",
                 "O(1). The amortized time complexity is O(1) assuming the appended value is "
                 "small and the already present value is of any size, since the dynamic string "
                 "library used by Redis will double the free space available on every "
                 "reallocation.",
                 "key:key value:string"}});
  t.Add({.name = "strlen", .handler = StrLen, .arity = 2, .flags = kCmdReadonly | kCmdFast,
         .acl = S, .keys = {KeySpec::Range(1, 0, 1, kKsRO)},
         .doc = {"Returns the length of a string value.", "2.2.0", "string", "O(1)", "key:key"}});
  const uint32_t kIncr = kKsRW | kKsAccess | kKsUpdate;
  t.Add({.name = "incr", .handler = Incr, .arity = 2, .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
         .acl = S, .keys = {KeySpec::Range(1, 0, 1, kIncr)},
         .doc = {"Increments the integer value of a key by one. Uses 0 as initial value if the "
                 "key doesn't exist.",
                 "1.0.0", "string", "O(1)", "key:key"}});
  t.Add({.name = "decr", .handler = Decr, .arity = 2, .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
         .acl = S, .keys = {KeySpec::Range(1, 0, 1, kIncr)},
         .doc = {"Decrements the integer value of a key by one. Uses 0 as initial value if the "
                 "key doesn't exist.",
                 "1.0.0", "string", "O(1)", "key:key"}});
  t.Add({.name = "incrby", .handler = IncrBy, .arity = 3,
         .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kIncr)},
         .doc = {"Increments the integer value of a key by a number. Uses 0 as initial value if "
                 "the key doesn't exist.",
                 "1.0.0", "string", "O(1)", "key:key increment:integer"}});
  t.Add({.name = "decrby", .handler = DecrBy, .arity = 3,
         .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kIncr)},
         .doc = {"Decrements a number from the integer value of a key. Uses 0 as initial value if "
                 "the key doesn't exist.",
                 "1.0.0", "string", "O(1)", "key:key decrement:integer"}});
  t.Add({.name = "incrbyfloat", .handler = IncrByFloat, .arity = 3,
         .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kIncr)},
         .doc = {"Increment the floating point value of a key by a number. Uses 0 as initial "
                 "value if the key doesn't exist.",
                 "2.6.0", "string", "O(1)", "key:key increment:double"}});
  t.Add({.name = "getrange", .handler = GetRange, .arity = 4, .flags = kCmdReadonly, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kRO)},
         .doc = {"Returns a substring of the string stored at a key.", "2.4.0", "string",
                 "O(N) where N is the length of the returned string.",
                 "key:key start:integer end:integer"}});
  t.Add({.name = "substr", .handler = GetRange, .arity = 4, .flags = kCmdReadonly, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kRO)},
         .doc = {"Returns a substring from a string value.", "1.0.0", "string",
                 "O(N) where N is the length of the returned string.",
                 "key:key start:integer end:integer"}});
  t.Add({.name = "setrange", .handler = SetRange, .arity = 4, .flags = kCmdWrite | kCmdDenyOom,
         .acl = S, .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsUpdate)},
         .doc = {"Overwrites a part of a string value with another by an offset. Creates the key "
                 "if it doesn't exist.",
                 "2.2.0", "string",
                 "O(1), not counting the time taken to copy the new string in place.",
                 "key:key offset:integer value:string"}});
  t.Add({.name = "lcs", .handler = Lcs, .arity = -3, .flags = kCmdReadonly, .acl = S,
         .keys = {KeySpec::Range(1, 1, 1, kRO)},
         .doc = {"Finds the longest common substring.", "7.0.0", "string",
                 "O(N*M) where N and M are the lengths of s1 and s2, respectively",
                 "key1:key key2:key [LEN] [IDX] [MINMATCHLEN min-match-len:integer] "
                 "[WITHMATCHLEN]"}});
}

}  // namespace tessera
