#include "common/strutil.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tessera {
namespace {

TEST(StrUtil, ParseInt64FollowsString2ll) {
  EXPECT_EQ(ParseInt64("0"), 0);
  EXPECT_EQ(ParseInt64("-1"), -1);
  EXPECT_EQ(ParseInt64("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(ParseInt64("-9223372036854775808"), INT64_MIN);
  EXPECT_FALSE(ParseInt64("9223372036854775808"));
  EXPECT_FALSE(ParseInt64("-9223372036854775809"));
  EXPECT_FALSE(ParseInt64("01"));
  EXPECT_FALSE(ParseInt64("-0"));
  EXPECT_FALSE(ParseInt64("+1"));
  EXPECT_FALSE(ParseInt64(" 1"));
  EXPECT_FALSE(ParseInt64("1 "));
  EXPECT_FALSE(ParseInt64(""));
  EXPECT_FALSE(ParseInt64("-"));
  EXPECT_FALSE(ParseInt64("1a"));
}

TEST(StrUtil, ParseDoubles) {
  EXPECT_EQ(ParseDouble("1.5"), 1.5);
  EXPECT_EQ(ParseDouble("inf"), HUGE_VAL);
  EXPECT_FALSE(ParseDouble("nan"));
  EXPECT_FALSE(ParseDouble(" 1"));
  EXPECT_FALSE(ParseDouble("1x"));
  EXPECT_FALSE(ParseLongDouble(""));
}

TEST(StrUtil, FormatLongDoubleHuman) {
  EXPECT_EQ(FormatLongDoubleHuman(10.5L), "10.5");
  EXPECT_EQ(FormatLongDoubleHuman(3001.0L), "3001");
  EXPECT_EQ(FormatLongDoubleHuman(-0.0L), "0");
  EXPECT_EQ(FormatLongDoubleHuman(0.1L + 0.2L), "0.3");
  EXPECT_EQ(FormatLongDoubleHuman(1e20L), "100000000000000000000");
}

TEST(StrUtil, SplitArgs) {
  auto a = SplitArgs("set k \"a b\\x41\\n\" 'c\\'d'");
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, (std::vector<std::string>{"set", "k", "a bA\n", "c'd"}));
  EXPECT_FALSE(SplitArgs("\"unterminated"));
  EXPECT_FALSE(SplitArgs("\"a\"b"));
  EXPECT_TRUE(SplitArgs("   ")->empty());
}

TEST(StrUtil, Repr) {
  std::string s;
  AppendRepr(s, std::string_view("a\"\n\x01", 4));
  EXPECT_EQ(s, "\"a\\\"\\n\\x01\"");
}

TEST(StrUtil, MemoryUnits) {
  EXPECT_EQ(ParseMemory("1k"), 1000);
  EXPECT_EQ(ParseMemory("1kb"), 1024);
  EXPECT_EQ(ParseMemory("2MB"), 2 * 1024 * 1024);
  EXPECT_EQ(ParseMemory("1g"), 1000000000);
  EXPECT_EQ(ParseMemory("100"), 100);
  EXPECT_FALSE(ParseMemory("1x"));
  EXPECT_EQ(ParseMemory("kb"), 0);  // as memtoull: no digits reads as 0
  EXPECT_EQ(ParseMemory(""), 0);
  EXPECT_FALSE(ParseMemory("-1mb"));
  EXPECT_FALSE(ParseMemory("99999999999999999gb"));
}

TEST(StrUtil, BytesToHuman) {
  EXPECT_EQ(BytesToHuman(512), "512B");
  EXPECT_EQ(BytesToHuman(1536), "1.50K");
  EXPECT_EQ(BytesToHuman(3 * 1024 * 1024), "3.00M");
}

}  // namespace
}  // namespace tessera
