#include "common/glob.h"

#include <gtest/gtest.h>

#include <string>

namespace tessera {
namespace {

struct Case {
  const char* pattern;
  const char* str;
  bool match;
};

TEST(Glob, RedisSemantics) {
  const Case cases[] = {
      {"*", "", false},  // as Redis: the loop never runs on an empty string
                {"*", "anything", true},   {"a*", "abc", true},
      {"a*c", "abc", true},     {"a*c", "abd", false},     {"?", "a", true},
      {"?", "", false},         {"h?llo", "hello", true},  {"h[ae]llo", "hallo", true},
      {"h[ae]llo", "hillo", false}, {"h[^e]llo", "hallo", true}, {"h[^e]llo", "hello", false},
      {"h[a-b]llo", "hbllo", true}, {"h[b-a]llo", "hallo", true}, {"\\*", "*", true},
      {"\\*", "a", false},      {"a\\", "a\\", true},      {"[\\]]", "]", true},
      {"[abc", "a", true},      {"[abc", "ab", false},     {"foo*bar*baz", "fooXbarYbaz", true},
      {"***a", "bba", true},    {"*a*b", "xaxb", true},    {"a*", "b", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.str), c.match) << c.pattern << " vs " << c.str;
  }
}

TEST(Glob, NoCase) {
  EXPECT_TRUE(GlobMatch("HeL*", "hello", true));
  EXPECT_FALSE(GlobMatch("HeL*", "hello", false));
  EXPECT_TRUE(GlobMatch("[A-C]x", "bx", true));
}

TEST(Glob, PathologicalPatternStaysFast) {
  // Without the early exit this is exponential in the number of stars.
  std::string pattern;
  for (int i = 0; i < 40; ++i) pattern += "a*";
  pattern += "b";
  std::string str(200, 'a');
  EXPECT_FALSE(GlobMatch(pattern, str));
}

TEST(Glob, BinaryStrings) {
  std::string s("a\0b", 3);
  EXPECT_TRUE(GlobMatch(std::string_view("a?b"), s));
  EXPECT_TRUE(GlobMatch(std::string_view("a\0b", 3), s));
}

}  // namespace
}  // namespace tessera
