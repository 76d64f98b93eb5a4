#include "common/resp/reply_builder.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

namespace tessera::resp {

namespace {

// Precomputed "$<n>\r\n" headers for short bulk strings, the most common reply.
struct BulkHeaders {
  static constexpr int kCount = 64;
  char text[kCount][8];
  uint8_t len[kCount];
  BulkHeaders() {
    for (int i = 0; i < kCount; ++i) {
      len[i] = static_cast<uint8_t>(snprintf(text[i], sizeof(text[i]), "$%d\r\n", i));
    }
  }
};
const BulkHeaders kBulkHeaders;

}  // namespace

void ReplyBuilder::Header(char type, int64_t n) {
  if (muted_) return;
  char* p = out_->Reserve(24);
  p[0] = type;
  auto r = std::to_chars(p + 1, p + 22, n);
  r.ptr[0] = '\r';
  r.ptr[1] = '\n';
  out_->Commit(static_cast<size_t>(r.ptr + 2 - p));
}

void ReplyBuilder::SimpleString(std::string_view s) {
  if (muted_) return;
  char* p = out_->Reserve(s.size() + 3);
  p[0] = '+';
  memcpy(p + 1, s.data(), s.size());
  p[s.size() + 1] = '\r';
  p[s.size() + 2] = '\n';
  out_->Commit(s.size() + 3);
}

void ReplyBuilder::Error(std::string_view err) {
  if (error_hook_ != nullptr) {
    error_hook_(error_ctx_, err);
  }
  if (muted_) return;
  std::string line;
  line.reserve(err.size() + 3);
  line.push_back('-');
  for (char c : err) {
    line.push_back(c == '\r' || c == '\n' ? ' ' : c);
  }
  line += "\r\n";
  out_->Append(line);
}

void ReplyBuilder::Integer(int64_t v) { Header(':', v); }

void ReplyBuilder::Bulk(std::string_view s) {
  if (muted_) return;
  if (s.size() < static_cast<size_t>(BulkHeaders::kCount) &&
      s.size() + 8 <= OutputBuffer::kChunkSize) {
    size_t hl = kBulkHeaders.len[s.size()];
    char* p = out_->Reserve(hl + s.size() + 2);
    memcpy(p, kBulkHeaders.text[s.size()], hl);
    if (!s.empty()) memcpy(p + hl, s.data(), s.size());
    p[hl + s.size()] = '\r';
    p[hl + s.size() + 1] = '\n';
    out_->Commit(hl + s.size() + 2);
    return;
  }
  Header('$', static_cast<int64_t>(s.size()));
  out_->Append(s);
  out_->Append("\r\n", 2);
}

void ReplyBuilder::BulkInt(int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  Bulk(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}

void ReplyBuilder::Null() { Raw(resp3_ ? "_\r\n" : "$-1\r\n"); }

void ReplyBuilder::NullArray() { Raw(resp3_ ? "_\r\n" : "*-1\r\n"); }

void ReplyBuilder::ArrayHeader(size_t n) { Header('*', static_cast<int64_t>(n)); }

void ReplyBuilder::MapHeader(size_t n) {
  if (resp3_) {
    Header('%', static_cast<int64_t>(n));
  } else {
    Header('*', static_cast<int64_t>(n * 2));
  }
}

void ReplyBuilder::SetHeader(size_t n) { Header(resp3_ ? '~' : '*', static_cast<int64_t>(n)); }

void ReplyBuilder::PushHeader(size_t n) { Header(resp3_ ? '>' : '*', static_cast<int64_t>(n)); }

void ReplyBuilder::AttributeHeader(size_t n) {
  if (resp3_) {
    Header('|', static_cast<int64_t>(n));
  }
}

void ReplyBuilder::Double(double d) {
  char buf[64];
  int n;
  if (std::isinf(d)) {
    n = snprintf(buf, sizeof(buf), "%s", d > 0 ? "inf" : "-inf");
  } else {
    n = snprintf(buf, sizeof(buf), "%.17g", d);
  }
  DoubleText(std::string_view(buf, static_cast<size_t>(n)));
}

void ReplyBuilder::DoubleText(std::string_view s) {
  if (resp3_) {
    Raw(",");
    Raw(s);
    Raw("\r\n");
  } else {
    Bulk(s);
  }
}

void ReplyBuilder::Bool(bool b) {
  if (resp3_) {
    Raw(b ? "#t\r\n" : "#f\r\n");
  } else {
    Raw(b ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyBuilder::BigNumber(std::string_view digits) {
  if (resp3_) {
    Raw("(");
    Raw(digits);
    Raw("\r\n");
  } else {
    Bulk(digits);
  }
}

void ReplyBuilder::Verbatim(std::string_view text, std::string_view format) {
  if (!resp3_) {
    Bulk(text);
    return;
  }
  Header('=', static_cast<int64_t>(text.size() + 4));
  Raw(format.substr(0, 3));
  Raw(":");
  Raw(text);
  Raw("\r\n");
}

void ReplyBuilder::SetDeferredLen(void* handle, Agg kind, size_t n) {
  if (handle == nullptr) return;
  char type = '*';
  size_t count = n;
  if (resp3_) {
    type = kind == Agg::kMap ? '%' : kind == Agg::kSet ? '~' : kind == Agg::kPush ? '>' : '*';
  } else if (kind == Agg::kMap) {
    count = n * 2;
  }
  char buf[32];
  buf[0] = type;
  auto r = std::to_chars(buf + 1, buf + 28, count);
  r.ptr[0] = '\r';
  r.ptr[1] = '\n';
  out_->SetDeferred(handle, std::string_view(buf, static_cast<size_t>(r.ptr + 2 - buf)));
}

}  // namespace tessera::resp
