#include "common/resp/request_parser.h"

#include <cstring>

#include "common/strutil.h"

namespace tessera::resp {

namespace {

// Parses a length field exactly as Redis's string2ll would; false on any deviation. Short
// positive lengths (the common case) take a tight loop.
inline bool ParseLength(const char* p, size_t n, int64_t* out) {
  if (n > 0 && n <= 9 && p[0] >= '1' && p[0] <= '9') {
    int64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      unsigned d = static_cast<unsigned char>(p[i]) - '0';
      if (d > 9) return false;
      v = v * 10 + d;
    }
    *out = v;
    return true;
  }
  auto v = ParseInt64(std::string_view(p, n));
  if (!v) {
    return false;
  }
  *out = *v;
  return true;
}

}  // namespace

void RequestParser::Reset() {
  mode_ = Mode::kIdle;
  pos_ = 0;
  mb_remaining_ = 0;
  bulk_len_ = -1;
  bytes_wanted_ = 0;
  arg_pos_.clear();
}

RequestParser::Result RequestParser::Fail(std::string msg) {
  error_ = std::move(msg);
  Reset();
  return Result::kError;
}

void RequestParser::Finish(const char* base) {
  argv_.clear();
  for (const auto& [off, n] : arg_pos_) {
    argv_.emplace_back(base + off, n);
  }
  consumed_ += pos_;
  Reset();
}

RequestParser::Result RequestParser::Parse(const char* data, size_t len, bool auth_required) {
  consumed_ = 0;
  argv_.clear();
  while (true) {
    const char* base = data + consumed_;
    size_t avail = len - consumed_;
    if (mode_ == Mode::kIdle) {
      if (avail == 0) {
        return Result::kNeedMore;
      }
      mode_ = base[0] == '*' ? Mode::kMultibulk : Mode::kInline;
      pos_ = 0;
    }
    Result r = mode_ == Mode::kMultibulk ? ParseMultibulk(base, avail, auth_required)
                                         : ParseInline(base, avail);
    if (r != Result::kCommand) {
      return r;
    }
    if (!argv_.empty()) {
      return Result::kCommand;
    }
    // An empty command ("*0", "*-1", a blank line) is skipped, as Redis does.
  }
}

RequestParser::Result RequestParser::ParseMultibulk(const char* base, size_t avail,
                                                    bool auth_required) {
  if (pos_ == 0) {
    // The "*<count>\r\n" header.
    const char* cr = static_cast<const char*>(memchr(base, '\r', avail));
    if (cr == nullptr) {
      if (avail > limits_->max_inline_len) {
        return Fail("Protocol error: too big mbulk count string");
      }
      return Result::kNeedMore;
    }
    size_t cr_off = static_cast<size_t>(cr - base);
    if (cr_off + 2 > avail) {
      return Result::kNeedMore;  // the byte after '\r' is not here yet
    }
    int64_t count;
    if (!ParseLength(base + 1, cr_off - 1, &count) || count > limits_->max_multibulk_len) {
      return Fail("Protocol error: invalid multibulk length");
    }
    if (count > limits_->unauth_max_multibulk && auth_required) {
      return Fail("Protocol error: unauthenticated multibulk length");
    }
    pos_ = cr_off + 2;
    if (count <= 0) {
      Finish(base);
      return Result::kCommand;  // empty: the caller loop skips it
    }
    mb_remaining_ = count;
    bulk_len_ = -1;
    arg_pos_.clear();
    if (static_cast<size_t>(count) <= 1024) {
      arg_pos_.reserve(static_cast<size_t>(count));
    }
  }
  while (mb_remaining_ > 0) {
    if (bulk_len_ < 0) {
      const char* p = base + pos_;
      size_t left = avail - pos_;
      const char* cr = static_cast<const char*>(memchr(p, '\r', left));
      if (cr == nullptr) {
        if (left > limits_->max_inline_len) {
          return Fail("Protocol error: too big bulk count string");
        }
        return Result::kNeedMore;
      }
      size_t cr_off = static_cast<size_t>(cr - p);
      if (cr_off + 2 > left) {
        return Result::kNeedMore;
      }
      if (p[0] != '$') {
        return Fail(std::string("Protocol error: expected '$', got '") + p[0] + "'");
      }
      int64_t blen;
      if (!ParseLength(p + 1, cr_off - 1, &blen) || blen < 0 || blen > limits_->max_bulk_len) {
        return Fail("Protocol error: invalid bulk length");
      }
      if (blen > limits_->unauth_max_bulk && auth_required) {
        return Fail("Protocol error: unauthenticated bulk length");
      }
      bulk_len_ = blen;
      pos_ += cr_off + 2;
    }
    size_t need = static_cast<size_t>(bulk_len_) + 2;
    if (avail - pos_ < need) {
      bytes_wanted_ = need - (avail - pos_);
      return Result::kNeedMore;
    }
    bytes_wanted_ = 0;
    arg_pos_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ += need;  // the two bytes after the data are skipped unchecked, as Redis does
    bulk_len_ = -1;
    --mb_remaining_;
  }
  Finish(base);
  return Result::kCommand;
}

RequestParser::Result RequestParser::ParseInline(const char* base, size_t avail) {
  const char* nl = static_cast<const char*>(memchr(base + pos_, '\n', avail - pos_));
  if (nl == nullptr) {
    if (avail > limits_->max_inline_len) {
      return Fail("Protocol error: too big inline request");
    }
    pos_ = avail;  // nothing before here holds a newline
    return Result::kNeedMore;
  }
  size_t line_end = static_cast<size_t>(nl - base);
  size_t content_end = line_end;
  if (content_end > 0 && base[content_end - 1] == '\r') {
    --content_end;
  }
  auto args = SplitArgs(std::string_view(base, content_end));
  if (!args) {
    return Fail("Protocol error: unbalanced quotes in request");
  }
  inline_args_ = std::move(*args);
  argv_.clear();
  for (const std::string& a : inline_args_) {
    argv_.emplace_back(a);
  }
  consumed_ += line_end + 1;
  Reset();
  return Result::kCommand;
}

}  // namespace tessera::resp
