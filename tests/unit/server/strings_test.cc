#include <gtest/gtest.h>

#include "tests/unit/server/server_fixture.h"

namespace tessera::testing {
namespace {

class StringsTest : public ServerFixture {};

TEST_F(StringsTest, SetGetAndEncodings) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_EQ(Run({"GET", "missing"}), "(nil)");
  EXPECT_EQ(Run({"SET", "n", "123"}), "OK");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "n"}), "int");
  EXPECT_EQ(Run({"GET", "n"}), "123");
  EXPECT_EQ(Run({"SET", "s", std::string(45, 'x')}), "OK");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "s"}), "raw");
  EXPECT_EQ(Run({"SET", "s", "short"}), "OK");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "s"}), "embstr");
  EXPECT_EQ(Run({"APPEND", "s", "er"}), "7");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "s"}), "raw");
  EXPECT_EQ(Run({"GET", "s"}), "shorter");
}

TEST_F(StringsTest, SetOptions) {
  EXPECT_EQ(Run({"SET", "k", "v", "NX"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "w", "NX"}), "(nil)");
  EXPECT_EQ(Run({"SET", "k", "w", "XX", "GET"}), "v");
  EXPECT_EQ(Run({"SET", "nokey", "w", "XX"}), "(nil)");
  EXPECT_EQ(Run({"SET", "k", "v", "NX", "XX"}), "(error) ERR syntax error");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "0"}), "(error) ERR invalid expire time in 'set' command");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "x"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10", "PX", "100"}), "(error) ERR syntax error");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10"}), "OK");
  EXPECT_EQ(Run({"TTL", "k"}), "10");
  EXPECT_EQ(Run({"SET", "k", "v2", "KEEPTTL"}), "OK");
  EXPECT_EQ(Run({"TTL", "k"}), "10");
  EXPECT_EQ(Run({"SET", "k", "v3"}), "OK");
  EXPECT_EQ(Run({"TTL", "k"}), "-1");
}

TEST_F(StringsTest, Counters) {
  EXPECT_EQ(Run({"INCR", "c"}), "1");
  EXPECT_EQ(Run({"INCRBY", "c", "41"}), "42");
  EXPECT_EQ(Run({"DECRBY", "c", "2"}), "40");
  EXPECT_EQ(Run({"SET", "c", "9223372036854775807"}), "OK");
  EXPECT_EQ(Run({"INCR", "c"}), "(error) ERR increment or decrement would overflow");
  EXPECT_EQ(Run({"DECRBY", "c", "-9223372036854775808"}), "(error) ERR decrement would overflow");
  EXPECT_EQ(Run({"SET", "c", "abc"}), "OK");
  EXPECT_EQ(Run({"INCR", "c"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "10.5"}), "10.5");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "inf"}), "(error) ERR increment would produce NaN or Infinity");
  EXPECT_EQ(Run({"SET", "e", "3.0e3"}), "OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "e", "1"}), "3001");
}

TEST_F(StringsTest, RangesAndLcs) {
  EXPECT_EQ(Run({"SET", "s", "hello world"}), "OK");
  EXPECT_EQ(Run({"GETRANGE", "s", "-5", "-1"}), "world");
  EXPECT_EQ(Run({"GETRANGE", "s", "5", "3"}), "");
  EXPECT_EQ(Run({"SETRANGE", "s", "6", "there"}), "11");
  EXPECT_EQ(Run({"GET", "s"}), "hello there");
  EXPECT_EQ(Run({"SETRANGE", "pad", "3", "x"}), "4");
  EXPECT_EQ(Run({"GET", "pad"}), std::string("\0\0\0x", 4));
  EXPECT_EQ(Run({"SETRANGE", "s", "-1", "x"}), "(error) ERR offset is out of range");
  EXPECT_EQ(Run({"MSET", "a", "ohmytext", "b", "mynewtext"}), "OK");
  EXPECT_EQ(Run({"LCS", "a", "b"}), "mytext");
  EXPECT_EQ(Run({"LCS", "a", "b", "LEN"}), "6");
  EXPECT_EQ(Run({"LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"}),
            "[matches, [[[4, 7], [5, 8], 4]], len, 6]");
}

TEST_F(StringsTest, MultiKeyAndGetVariants) {
  EXPECT_EQ(Run({"MSET", "a", "1", "b", "2"}), "OK");
  EXPECT_EQ(Run({"MSET", "a"}), "(error) ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(Run({"MGET", "a", "b", "c"}), "[1, 2, (nil)]");
  EXPECT_EQ(Run({"MSETNX", "a", "9", "z", "9"}), "0");
  EXPECT_EQ(Run({"GETSET", "a", "x"}), "1");
  EXPECT_EQ(Run({"GETDEL", "a"}), "x");
  EXPECT_EQ(Run({"EXISTS", "a"}), "0");
  EXPECT_EQ(Run({"GETEX", "b", "PX", "500"}), "2");
  EXPECT_EQ(Run({"PTTL", "b"}), "500");
  EXPECT_EQ(Run({"GETEX", "b", "PERSIST"}), "2");
  EXPECT_EQ(Run({"TTL", "b"}), "-1");
  EXPECT_EQ(Run({"STRLEN", "b"}), "1");
}

}  // namespace
}  // namespace tessera::testing
