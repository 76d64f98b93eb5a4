#include "common/resp/reply_builder.h"

#include <gtest/gtest.h>

#include <string>

namespace tessera::resp {
namespace {

std::string Drain(OutputBuffer& out) {
  std::string s;
  struct iovec iov[64];
  int n = out.Gather(iov, 64);
  for (int i = 0; i < n; ++i) s.append(static_cast<char*>(iov[i].iov_base), iov[i].iov_len);
  out.Consume(s.size());
  return s;
}

TEST(ReplyBuilder, Resp2Encodings) {
  OutputBuffer out;
  ReplyBuilder r(&out);
  r.Ok();
  r.Integer(-7);
  r.Bulk("hi");
  r.Null();
  r.NullArray();
  r.MapHeader(1);
  r.SetHeader(2);
  r.Double(1.5);
  r.Bool(true);
  r.Verbatim("v");
  r.BigNumber("123");
  r.Error("ERR x\r\ny");
  EXPECT_EQ(Drain(out),
            "+OK\r\n:-7\r\n$2\r\nhi\r\n$-1\r\n*-1\r\n*2\r\n*2\r\n$3\r\n1.5\r\n:1\r\n$1\r\nv\r\n"
            "$3\r\n123\r\n-ERR x  y\r\n");
}

TEST(ReplyBuilder, Resp3Encodings) {
  OutputBuffer out;
  ReplyBuilder r(&out);
  r.set_resp3(true);
  r.Null();
  r.NullArray();
  r.MapHeader(1);
  r.SetHeader(2);
  r.PushHeader(2);
  r.Double(1.5);
  r.Double(1.0 / 0.0);
  r.Bool(false);
  r.Verbatim("v");
  r.BigNumber("123");
  EXPECT_EQ(Drain(out), "_\r\n_\r\n%1\r\n~2\r\n>2\r\n,1.5\r\n,inf\r\n#f\r\n=5\r\ntxt:v\r\n(123\r\n");
}

TEST(ReplyBuilder, DoublesUseSeventeenDigits) {
  OutputBuffer out;
  ReplyBuilder r(&out);
  r.Double(1.1);
  EXPECT_EQ(Drain(out), "$18\r\n1.1000000000000001\r\n");
}

TEST(ReplyBuilder, DeferredLengths) {
  OutputBuffer out;
  ReplyBuilder r(&out);
  void* h = r.DeferLen();
  r.Bulk("a");
  r.Bulk("b");
  r.SetDeferredLen(h, ReplyBuilder::Agg::kMap, 1);
  EXPECT_EQ(Drain(out), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  r.set_resp3(true);
  h = r.DeferLen();
  r.Integer(1);
  r.SetDeferredLen(h, ReplyBuilder::Agg::kSet, 1);
  EXPECT_EQ(Drain(out), "~1\r\n:1\r\n");
}

TEST(ReplyBuilder, MutedWritesNothingButCountsErrors) {
  OutputBuffer out;
  ReplyBuilder r(&out);
  int errors = 0;
  r.set_error_hook([](void* ctx, std::string_view) { ++*static_cast<int*>(ctx); }, &errors);
  r.set_muted(true);
  r.Ok();
  r.Error("ERR nope");
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(errors, 1);
}

TEST(ReplyBuilder, LargeBulkSpansChunks) {
  OutputBuffer out;
  ReplyBuilder r(&out);
  std::string big(100000, 'x');
  r.Bulk(big);
  EXPECT_EQ(Drain(out), "$100000\r\n" + big + "\r\n");
}

}  // namespace
}  // namespace tessera::resp
