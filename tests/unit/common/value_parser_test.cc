#include <gtest/gtest.h>

#include <string>

#include "common/resp/value.h"

namespace tessera::resp {
namespace {

// Parses `input` delivered in two pieces cut at `cut` (dropping consumed bytes like a client).
std::string ParseSplit(const std::string& input, size_t cut, ValueLimits limits = {}) {
  ValueParser p(limits);
  std::string buf = input.substr(0, cut);
  auto r = p.Feed(buf.data(), buf.size());
  if (r == ValueParser::Result::kError) return "ERROR: " + p.error();
  buf.erase(0, p.consumed());
  if (r == ValueParser::Result::kValue) return p.take().ToString();
  buf += input.substr(cut);
  r = p.Feed(buf.data(), buf.size());
  if (r == ValueParser::Result::kError) return "ERROR: " + p.error();
  if (r == ValueParser::Result::kNeedMore) return "NEEDMORE";
  return p.take().ToString();
}

void ExpectAllSplits(const std::string& input, const std::string& expected) {
  for (size_t i = 0; i <= input.size(); ++i) {
    EXPECT_EQ(ParseSplit(input, i), expected) << "split at " << i;
  }
}

TEST(ValueParser, Resp2Types) {
  ExpectAllSplits("+OK\r\n", "OK");
  ExpectAllSplits("-ERR bad\r\n", "(error) ERR bad");
  ExpectAllSplits(":-42\r\n", "-42");
  ExpectAllSplits("$5\r\nhello\r\n", "hello");
  ExpectAllSplits("$-1\r\n", "(nil)");
  ExpectAllSplits("*-1\r\n", "(nil)");
  ExpectAllSplits("*3\r\n:1\r\n*2\r\n+a\r\n$1\r\nb\r\n$0\r\n\r\n", "[1, [a, b], ]");
}

TEST(ValueParser, Resp3Types) {
  ExpectAllSplits("_\r\n", "(nil)");
  ExpectAllSplits("#t\r\n", "(true)");
  ExpectAllSplits(",3.5\r\n", "3.5");
  ExpectAllSplits("(12345678901234567890\r\n", "12345678901234567890");
  ExpectAllSplits("=8\r\ntxt:abcd\r\n", "abcd");
  ExpectAllSplits("%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "{a: 1, b: 2}");
  ExpectAllSplits("~2\r\n:1\r\n:2\r\n", "~[1, 2]");
  ExpectAllSplits(">2\r\n+msg\r\n:1\r\n", ">[msg, 1]");
  ExpectAllSplits("!5\r\nERR x\r\n", "(error) ERR x");
}

TEST(ValueParser, Errors) {
  EXPECT_EQ(ParseSplit("?x\r\n", 4), "ERROR: Protocol error: unexpected type byte '?'");
  EXPECT_EQ(ParseSplit(":abc\r\n", 6), "ERROR: Protocol error: bad integer");
  EXPECT_EQ(ParseSplit("$-5\r\n", 5), "ERROR: Protocol error: bad bulk length");
  ValueLimits shallow;
  shallow.max_depth = 2;
  EXPECT_EQ(ParseSplit("*1\r\n*1\r\n*1\r\n:1\r\n", 16, shallow),
            "ERROR: Protocol error: nesting too deep");
  ValueLimits small;
  small.max_bulk_len = 10;
  EXPECT_EQ(ParseSplit("$11\r\n", 5, small), "ERROR: Protocol error: bad bulk length");
}

TEST(ValueParser, SeveralValuesInOneBuffer) {
  ValueParser p;
  std::string buf = "+A\r\n:2\r\n$1\r\nc\r\n";
  std::string got;
  size_t off = 0;
  while (off < buf.size()) {
    ASSERT_EQ(p.Feed(buf.data() + off, buf.size() - off), ValueParser::Result::kValue);
    off += p.consumed();
    got += p.take().ToString() + ";";
  }
  EXPECT_EQ(got, "A;2;c;");
}

}  // namespace
}  // namespace tessera::resp
