#include "server/commands/helpers.h"

#include <cerrno>
#include <cstdlib>

namespace tessera {

bool ParseScanArgs(CommandContext& ctx, size_t cursor_pos, bool allow_type, ScanArgs* out) {
  // The cursor is an unsigned 64-bit number, as Redis's parseScanCursorOrReply reads it.
  std::string s(ctx.argv[cursor_pos]);
  char* end = nullptr;
  errno = 0;
  unsigned long long v = strtoull(s.c_str(), &end, 10);
  if (s.empty() || isspace(static_cast<unsigned char>(s[0])) || *end != '\0' || errno == ERANGE) {
    ctx.reply.Error(err::kInvalidCursor);
    return false;
  }
  out->cursor = v;
  for (size_t i = cursor_pos + 1; i < ctx.argc();) {
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

void ReplyScan(CommandContext& ctx, uint64_t cursor, const std::vector<std::string>& items) {
  ctx.reply.ArrayHeader(2);
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), cursor);
  ctx.reply.Bulk(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
  ctx.reply.ArrayHeader(items.size());
  for (const std::string& item : items) ctx.reply.Bulk(item);
}

}  // namespace tessera
