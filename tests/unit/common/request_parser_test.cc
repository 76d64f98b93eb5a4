#include "common/resp/request_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tessera::resp {
namespace {

using Commands = std::vector<std::vector<std::string>>;

struct Outcome {
  Commands commands;
  std::string error;  // empty when no protocol error
  size_t leftover = 0;
};

// Feeds `input` to a parser the way the server does: bytes arrive in pieces cut at `cuts`,
// unconsumed bytes stay at the front of the buffer.
Outcome Feed(const std::string& input, const std::vector<size_t>& cuts,
             const RequestLimits& limits = {}, bool auth_required = false) {
  RequestParser p(&limits);
  Outcome out;
  std::string buf;
  size_t prev = 0;
  std::vector<size_t> points = cuts;
  points.push_back(input.size());
  for (size_t cut : points) {
    buf.append(input, prev, cut - prev);
    prev = cut;
    while (true) {
      auto r = p.Parse(buf.data(), buf.size(), auth_required);
      if (r == RequestParser::Result::kError) {
        out.error = p.error();
        return out;
      }
      if (r == RequestParser::Result::kCommand) {
        std::vector<std::string> cmd;
        for (auto a : p.args()) cmd.emplace_back(a);  // views into buf: copy before erasing
        out.commands.push_back(cmd);
      }
      buf.erase(0, p.consumed());
      if (r == RequestParser::Result::kNeedMore) break;
    }
  }
  out.leftover = buf.size();
  return out;
}

// Checks that every way of splitting the input in two (and byte-by-byte delivery) gives the
// same result as delivering it whole.
void ExpectSplitInvariant(const std::string& input, const RequestLimits& limits = {}) {
  Outcome whole = Feed(input, {}, limits);
  for (size_t i = 1; i < input.size(); ++i) {
    Outcome split = Feed(input, {i}, limits);
    ASSERT_EQ(split.commands, whole.commands) << "split at " << i;
    ASSERT_EQ(split.error, whole.error) << "split at " << i;
    ASSERT_EQ(split.leftover, whole.leftover) << "split at " << i;
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < input.size(); ++i) every.push_back(i);
  Outcome bytewise = Feed(input, every, limits);
  EXPECT_EQ(bytewise.commands, whole.commands);
  EXPECT_EQ(bytewise.error, whole.error);
}

TEST(RequestParser, MultibulkPipeline) {
  std::string in =
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n"
      "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
      "*1\r\n$4\r\nPING\r\n";
  Outcome o = Feed(in, {});
  ASSERT_EQ(o.commands.size(), 3u);
  EXPECT_EQ(o.commands[0], (std::vector<std::string>{"SET", "k", "hello"}));
  EXPECT_EQ(o.commands[2], (std::vector<std::string>{"PING"}));
  EXPECT_EQ(o.leftover, 0u);
  ExpectSplitInvariant(in);
}

TEST(RequestParser, BinarySafeArguments) {
  std::string value("a\r\nb\0c", 6);
  std::string in = "*2\r\n$4\r\nECHO\r\n$6\r\n" + value + "\r\n";
  Outcome o = Feed(in, {});
  ASSERT_EQ(o.commands.size(), 1u);
  EXPECT_EQ(o.commands[0][1], value);
  ExpectSplitInvariant(in);
}

TEST(RequestParser, InlineSimple) {
  std::string in = "SET k \"a\\x41\\n\"\r\n\r\n  PING  \nECHO 'x y'\r\n";
  Outcome o = Feed(in, {});
  ASSERT_TRUE(o.error.empty()) << o.error;
  ASSERT_EQ(o.commands.size(), 3u);
  EXPECT_EQ(o.commands[0], (std::vector<std::string>{"SET", "k", "aA\n"}));
  EXPECT_EQ(o.commands[1], (std::vector<std::string>{"PING"}));
  EXPECT_EQ(o.commands[2], (std::vector<std::string>{"ECHO", "x y"}));
  ExpectSplitInvariant(in);
}

TEST(RequestParser, EmptyMultibulksAreSkipped) {
  std::string in = "*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n";
  Outcome o = Feed(in, {});
  ASSERT_EQ(o.commands.size(), 1u);
  ExpectSplitInvariant(in);
}

TEST(RequestParser, SkipsTwoBytesAfterBulkLikeRedis) {
  // Redis does not check the CRLF after bulk data; "xx" is skipped.
  Outcome o = Feed("*1\r\n$4\r\nPINGxxPING\r\n", {});
  ASSERT_EQ(o.commands.size(), 2u);
}

TEST(RequestParser, PartialCommandIsKept) {
  Outcome o = Feed("*2\r\n$3\r\nGET\r\n$1\r\n", {});
  EXPECT_TRUE(o.commands.empty());
  EXPECT_TRUE(o.error.empty());
  EXPECT_EQ(o.leftover, 17u);
}

struct ErrorCase {
  std::string input;
  std::string error;
};

TEST(RequestParser, ProtocolErrors) {
  RequestLimits limits;
  limits.max_bulk_len = 1024 * 1024;
  const ErrorCase cases[] = {
      {"*abc\r\n", "Protocol error: invalid multibulk length"},
      {"*2147483648\r\n", "Protocol error: invalid multibulk length"},
      {"*+1\r\n", "Protocol error: invalid multibulk length"},
      {"*01\r\n", "Protocol error: invalid multibulk length"},
      {"*1\r\n#4\r\n", "Protocol error: expected '$', got '#'"},
      {"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$abc\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$+4\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$1048577\r\n", "Protocol error: invalid bulk length"},
      {"PING \"a\r\n", "Protocol error: unbalanced quotes in request"},
  };
  for (const ErrorCase& c : cases) {
    Outcome o = Feed(c.input, {}, limits);
    EXPECT_EQ(o.error, c.error) << c.input;
    ExpectSplitInvariant(c.input, limits);
  }
}

TEST(RequestParser, OversizedLinesAreErrors) {
  RequestLimits limits;
  std::string inline_req(70 * 1024, 'a');
  EXPECT_EQ(Feed(inline_req, {}, limits).error, "Protocol error: too big inline request");
  std::string count = "*" + std::string(70 * 1024, '1');
  EXPECT_EQ(Feed(count, {}, limits).error, "Protocol error: too big mbulk count string");
  std::string bulk = "*1\r\n$" + std::string(70 * 1024, '1');
  EXPECT_EQ(Feed(bulk, {}, limits).error, "Protocol error: too big bulk count string");
}

TEST(RequestParser, UnauthenticatedLimits) {
  RequestLimits limits;
  std::string many = "*11\r\n";
  EXPECT_EQ(Feed(many, {}, limits, true).error, "Protocol error: unauthenticated multibulk length");
  EXPECT_TRUE(Feed(many, {}, limits, false).error.empty());
  std::string big = "*1\r\n$16385\r\n";
  EXPECT_EQ(Feed(big, {}, limits, true).error, "Protocol error: unauthenticated bulk length");
}

TEST(RequestParser, BytesWantedForLargeBulk) {
  RequestLimits limits;
  RequestParser p(&limits);
  std::string head = "*2\r\n$3\r\nSET\r\n$100000\r\nabc";
  EXPECT_EQ(p.Parse(head.data(), head.size()), RequestParser::Result::kNeedMore);
  EXPECT_EQ(p.bytes_wanted(), 100000u - 3 + 2);
  EXPECT_TRUE(p.in_progress());
}

}  // namespace
}  // namespace tessera::resp
