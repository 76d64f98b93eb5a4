#include "server/commands/helpers.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace tessera {

bool ParseScanCursor(CommandContext& ctx, size_t pos, uint64_t* cursor) {
  // An unsigned 64-bit number read by strtoull, as Redis's parseScanCursorOrReply does (so an
  // empty cursor is 0).
  std::string s(ctx.argv[pos]);
  char* end = nullptr;
  errno = 0;
  unsigned long long v = strtoull(s.c_str(), &end, 10);
  if (isspace(static_cast<unsigned char>(s[0])) || *end != '\0' || errno == ERANGE) {
    ctx.reply.Error(err::kInvalidCursor);
    return false;
  }
  *cursor = v;
  return true;
}

bool ParseScanArgs(CommandContext& ctx, size_t cursor_pos, bool allow_type, ScanArgs* out) {
  return ParseScanCursor(ctx, cursor_pos, &out->cursor) &&
         ParseScanOptions(ctx, cursor_pos + 1, allow_type, out);
}

bool ParseScanOptions(CommandContext& ctx, size_t start, bool allow_type, ScanArgs* out) {
  for (size_t i = start; i < ctx.argc();) {
    size_t left = ctx.argc() - i;
    if (EqualsIgnoreCase(ctx.argv[i], "count") && left >= 2) {
      auto n = ParseInt64(ctx.argv[i + 1]);
      if (!n) {
        ctx.reply.Error(err::kNotInteger);
        return false;
      }
      if (*n < 1) {
        ctx.Syntax();
        return false;
      }
      out->count = *n;
      i += 2;
    } else if (EqualsIgnoreCase(ctx.argv[i], "match") && left >= 2) {
      out->pattern = ctx.argv[i + 1];
      out->use_pattern = out->pattern != "*";
      i += 2;
    } else if (allow_type && EqualsIgnoreCase(ctx.argv[i], "type") && left >= 2) {
      out->type = ctx.argv[i + 1];
      out->use_type = true;
      i += 2;
    } else {
      ctx.Syntax();
      return false;
    }
  }
  return true;
}

bool ParsePositiveCount(CommandContext& ctx, std::string_view arg, int64_t* out) {
  auto c = ParseInt64(arg);
  if (!c || *c < 0) {
    ctx.reply.Error("ERR value is out of range, must be positive");
    return false;
  }
  *out = *c;
  return true;
}

bool ParseMPopArgs(CommandContext& ctx, size_t numkeys_idx, std::string_view first_word,
                   std::string_view second_word, MPopArgs* out) {
  auto numkeys = ParseInt64(ctx.argv[numkeys_idx]);
  if (!numkeys || *numkeys <= 0) {
    ctx.reply.Error("ERR numkeys should be greater than 0");
    return false;
  }
  // The direction word must follow the keys.
  if (*numkeys >= static_cast<int64_t>(ctx.argc() - numkeys_idx - 1)) {
    ctx.Syntax();
    return false;
  }
  out->numkeys = static_cast<size_t>(*numkeys);
  size_t where = numkeys_idx + out->numkeys + 1;
  if (EqualsIgnoreCase(ctx.argv[where], first_word)) {
    out->second = false;
  } else if (EqualsIgnoreCase(ctx.argv[where], second_word)) {
    out->second = true;
  } else {
    ctx.Syntax();
    return false;
  }
  bool has_count = false;
  for (size_t j = where + 1; j < ctx.argc(); ++j) {
    if (!has_count && EqualsIgnoreCase(ctx.argv[j], "count") && j + 1 < ctx.argc()) {
      auto c = ParseInt64(ctx.argv[++j]);
      if (!c || *c <= 0) {
        ctx.reply.Error("ERR count should be greater than 0");
        return false;
      }
      out->count = *c;
      has_count = true;
    } else {
      ctx.Syntax();
      return false;
    }
  }
  return true;
}

RawString* WritableString(CommandContext& ctx, std::string_view key, KeyValue* kv, size_t len,
                          bool* grew) {
  if (kv == nullptr) {
    RawString* r = RawString::New("", len);
    memset(r->data, 0, len);
    r->len = len;
    r->data[len] = '\0';
    kv = KeyValue::NewRaw(key, r, -1);
    ctx.ks().InitAccess(kv, ctx.now_ms);
    ctx.AddKey(kv);
    *grew = true;
    return r;
  }
  if (kv->encoding() != Encoding::kRaw) {
    char buf[24];
    std::string_view cur = StringValue(kv, buf);
    RawString* r = RawString::New(cur, std::max(cur.size(), len));
    kv->SetPtrValue(ObjType::kString, Encoding::kRaw, r);
  }
  RawString* r = kv->raw();
  *grew = len > r->len;
  if (*grew) {
    r = RawString::Reserve(r, len - r->len);
    memset(r->data + r->len, 0, len - r->len);
    r->len = len;
    r->data[len] = '\0';
    kv->set_ptr(r);
  }
  return r;
}

bool ParseBlockTimeout(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms) {
  auto v = ParseLongDouble(arg);
  if (!v) {
    ctx.reply.Error(err::kTimeoutNotFloat);
    return false;
  }
  // As Redis 7.0: ceil(seconds * 1000) as an integer; a value that does not fit (inf,
  // 1e16 ...) comes out negative there, hence "timeout is negative".
  long double ms = std::ceil(*v * 1000.0L);
  if (!(ms < 9223372036854775808.0L) || ms <= -9223372036854775808.0L) {
    ctx.reply.Error(err::kTimeoutNegative);
    return false;
  }
  return FinishTimeout(ctx, static_cast<int64_t>(ms), deadline_ms);
}

bool ParseBlockTimeoutMs(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms) {
  auto v = ParseInt64(arg);
  if (!v) {
    ctx.reply.Error("ERR timeout is not an integer or out of range");
    return false;
  }
  return FinishTimeout(ctx, *v, deadline_ms);
}

bool FinishTimeout(CommandContext& ctx, int64_t ms, int64_t* deadline_ms) {
  if (ms < 0) {
    ctx.reply.Error(err::kTimeoutNegative);
    return false;
  }
  // 0 waits forever; a deadline past the end of time is forever too.
  *deadline_ms = ms == 0 ? 0 : (ms > INT64_MAX - ctx.now_ms ? INT64_MAX : ms + ctx.now_ms);
  return true;
}

void ReplyScan(CommandContext& ctx, uint64_t cursor, const std::vector<std::string>& items) {
  ctx.reply.ArrayHeader(2);
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), cursor);
  ctx.reply.Bulk(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
  ctx.reply.ArrayHeader(items.size());
  for (const std::string& item : items) ctx.reply.Bulk(item);
}

// "<script|sha|function> numkeys key... arg...": splits the keys from the arguments, or
// replies with the error (`not_integer`: the text when numkeys is not a number).
bool ParseNumkeys(CommandContext& ctx, std::string_view not_integer,
                  std::span<const std::string_view>* keys,
                  std::span<const std::string_view>* args) {
  auto n = ParseInt64(ctx.argv[2]);
  if (!n) {
    ctx.reply.Error(not_integer);
    return false;
  }
  int64_t available = static_cast<int64_t>(ctx.argc()) - 3;
  if (*n > available) {
    ctx.reply.Error("ERR Number of keys can't be greater than number of args");
    return false;
  }
  if (*n < 0) {
    ctx.reply.Error("ERR Number of keys can't be negative");
    return false;
  }
  *keys = ctx.argv.subspan(3, static_cast<size_t>(*n));
  *args = ctx.argv.subspan(3 + static_cast<size_t>(*n));
  return true;
}

void DeleteKeyIfEmpty(CommandContext& ctx, std::string_view key, size_t remaining) {
  if (remaining == 0) {
    ctx.ks().Delete(ctx.db(), key, false);
    ctx.Notify(kNotifyGeneric, "del", key);
  }
}

bool ParseRandomCount(CommandContext& ctx, std::string_view with_word, int64_t* count,
                      bool* with) {
  auto n = ParseInt64(ctx.argv[2]);
  if (!n) {
    ctx.reply.Error(err::kNotInteger);
    return false;
  }
  if (*n < -INT64_MAX) {
    ctx.reply.Error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
    return false;
  }
  if (ctx.argc() > 4 || (ctx.argc() == 4 && !EqualsIgnoreCase(ctx.argv[3], with_word))) {
    ctx.Syntax();
    return false;
  }
  *with = ctx.argc() == 4;
  // With values the reply holds twice as many elements: the count must leave room for that.
  if (*with && (*n < -INT64_MAX / 2 || *n > INT64_MAX / 2)) {
    ctx.reply.Error("ERR value is out of range");
    return false;
  }
  *count = *n;
  return true;
}

}  // namespace tessera
