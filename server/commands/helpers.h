// Helpers shared by command families: string values of objects, expire-time arguments.
#pragma once

#include <charconv>
#include <initializer_list>
#include <iterator>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/core/context.h"
#include "server/keyspace/kv.h"

namespace tessera {

inline size_t StringLength(const KeyValue* kv) {
  char buf[24];
  return StringValue(kv, buf).size();
}

// Makes the string at key (kv: its string object, or nullptr when missing) a raw buffer of
// at least `len` bytes, zero-filling what it grows by, and creates the key when missing (as
// Redis's dbUnshareStringValue + sdsgrowzero). *grew tells whether the length changed.
RawString* WritableString(CommandContext& ctx, std::string_view key, KeyValue* kv, size_t len,
                          bool* grew);

// Replies with lines of help text as status strings (the HELP subcommands' layout).
template <typename Lines>
void ReplyLines(resp::ReplyBuilder& reply, const Lines& lines) {
  reply.ArrayHeader(std::size(lines));
  for (std::string_view l : lines) reply.SimpleString(l);
}
inline void ReplyLines(resp::ReplyBuilder& reply, std::initializer_list<std::string_view> lines) {
  ReplyLines<std::initializer_list<std::string_view>>(reply, lines);
}

// SCAN-family arguments: "cursor [MATCH pattern] [COUNT count] [TYPE type]".
struct ScanArgs {
  uint64_t cursor = 0;
  int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;  // false for "*"
  std::string_view type;
  bool use_type = false;
};
// Parses them starting at argv[cursor_pos] (TYPE only when allow_type); replies the error and
// returns false on failure.
bool ParseScanArgs(CommandContext& ctx, size_t cursor_pos, bool allow_type, ScanArgs* out);
// The two halves, for HSCAN/SSCAN/ZSCAN, which (as Redis) look the key up in between: a
// missing key is an empty scan whatever the options say.
bool ParseScanCursor(CommandContext& ctx, size_t pos, uint64_t* cursor);
bool ParseScanOptions(CommandContext& ctx, size_t start, bool allow_type, ScanArgs* out);
// Replies [cursor, [items...]].
void ReplyScan(CommandContext& ctx, uint64_t cursor, const std::vector<std::string>& items);

// A pop count as Redis's getPositiveLongFromObjectOrReply reads it (LPOP, ZPOPMIN, SPOP): any
// failure is "value is out of range, must be positive". Replies it and returns false.
bool ParsePositiveCount(CommandContext& ctx, std::string_view arg, int64_t* out);

// The arguments LMPOP/BLMPOP/ZMPOP/BZMPOP share: numkeys at numkeys_idx, the keys, one of two
// direction words (*second: the second one matched) and [COUNT count] (default 1). Replies the
// error (Redis's texts and order) and returns false when invalid.
struct MPopArgs {
  size_t numkeys = 0;
  bool second = false;
  int64_t count = 1;
};
bool ParseMPopArgs(CommandContext& ctx, size_t numkeys_idx, std::string_view first_word,
                   std::string_view second_word, MPopArgs* out);

// A blocking command's timeout in seconds (decimals allowed) as Redis reads it: the absolute
// deadline in ms, 0 for "wait forever". Replies the error and returns false when invalid.
bool ParseBlockTimeout(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms);
// The same for a timeout in milliseconds (XREAD BLOCK).
bool ParseBlockTimeoutMs(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms);
bool FinishTimeout(CommandContext& ctx, int64_t ms, int64_t* deadline_ms);

enum class TimeUnit { kSeconds, kMilliseconds };

// Converts an expire argument to an absolute unix time in ms, as Redis's
// getExpireMillisecondsOrReply: positive, no overflow; `relative` adds the command's time.
// On failure replies the error (naming `cmd`) and returns nullopt.
inline std::optional<int64_t> ParseExpireArg(CommandContext& ctx, std::string_view arg,
                                             TimeUnit unit, bool relative, std::string_view cmd) {
  auto v = ParseInt64(arg);
  if (!v) {
    ctx.reply.Error(err::kNotInteger);
    return std::nullopt;
  }
  int64_t ms = *v;
  if (ms <= 0 || (unit == TimeUnit::kSeconds && ms > INT64_MAX / 1000)) {
    ctx.reply.Error(err::InvalidExpire(cmd));
    return std::nullopt;
  }
  if (unit == TimeUnit::kSeconds) ms *= 1000;
  if (relative) {
    if (ms > INT64_MAX - ctx.now_ms) {
      ctx.reply.Error(err::InvalidExpire(cmd));
      return std::nullopt;
    }
    ms += ctx.now_ms;
  }
  return ms;
}

// EVAL/FCALL's "numkeys key... arg...": splits keys from arguments or replies with the error
// (`not_integer` when numkeys is not a number).
bool ParseNumkeys(CommandContext& ctx, std::string_view not_integer,
                  std::span<const std::string_view>* keys,
                  std::span<const std::string_view>* args);

// +OK when `error` is empty, else that error.
inline void ReplyOkOrError(CommandContext& ctx, std::string_view error) {
  if (error.empty()) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Error(error);
  }
}

// Deletes key (emitting "del") when the container left under it is empty.
void DeleteKeyIfEmpty(CommandContext& ctx, std::string_view key, size_t remaining);

// HDEL/SREM/ZREM: removes each of argv[2..] from kv (null: a missing key) with
// remove(kv, member) until size(kv) is 0; if anything went, signals the key, emits `event`,
// deletes the emptied key and counts each removal as a change. Replies with the count.
template <typename Remove, typename Size>
void RemoveMembers(CommandContext& ctx, KeyValue* kv, uint32_t cls, std::string_view event,
                   Remove remove, Size size) {
  std::string_view key = ctx.argv[1];
  int64_t removed = 0;
  if (kv != nullptr) {
    for (size_t i = 2; i < ctx.argc(); ++i) {
      if (remove(kv, ctx.argv[i])) {
        ++removed;
        if (size(kv) == 0) break;
      }
    }
  }
  if (removed > 0) {
    ctx.Modified(key);
    ctx.Notify(cls, event, key);
    DeleteKeyIfEmpty(ctx, key, size(kv));
    ctx.Dirty(static_cast<uint64_t>(removed));
  }
  ctx.reply.Integer(removed);
}

// HRANDFIELD/ZRANDMEMBER "key count [WITHVALUES|WITHSCORES]" (argc >= 3): parses the count
// and the flag word, replying with Redis's error when either is wrong.
bool ParseRandomCount(CommandContext& ctx, std::string_view with_word, int64_t* count,
                      bool* with);

}  // namespace tessera
