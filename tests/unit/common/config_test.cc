#include "common/config/registry.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tessera::config {
namespace {

struct Values {
  bool flag = false;
  int64_t count = 0;
  int64_t bytes = 0;
  int level = 0;
  std::string name;
  std::string multi;
};

const EnumName kLevels[] = {{"low", 0}, {"high", 1}};

int g_apply_calls = 0;
bool g_apply_fail = false;

bool Apply(void*, std::string* err) {
  ++g_apply_calls;
  if (g_apply_fail) {
    *err = "apply refused";
    return false;
  }
  return true;
}

bool SetMulti(void* target, std::span<const std::string> args, std::string* err) {
  if (args.size() % 2 != 0) {
    *err = "pairs expected";
    return false;
  }
  std::string s;
  for (const auto& a : args) s += (s.empty() ? "" : " ") + a;
  *static_cast<std::string*>(target) = s;
  return true;
}
std::string GetMulti(const void* target) { return *static_cast<const std::string*>(target); }

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_apply_calls = 0;
    g_apply_fail = false;
    OptionDef d;
    d.name = "flag";
    d.kind = OptionDef::Kind::kBool;
    d.default_value = "no";
    d.target = &v.flag;
    reg.Add(d);
    d = {};
    d.name = "count";
    d.alias = "old-count";
    d.kind = OptionDef::Kind::kInt;
    d.default_value = "10";
    d.target = &v.count;
    d.min = 0;
    d.max = 100;
    d.apply = Apply;
    reg.Add(d);
    d = {};
    d.name = "bytes";
    d.kind = OptionDef::Kind::kMemory;
    d.default_value = "1mb";
    d.target = &v.bytes;
    d.min = 0;
    reg.Add(d);
    d = {};
    d.name = "level";
    d.kind = OptionDef::Kind::kEnum;
    d.default_value = "low";
    d.target = &v.level;
    d.enum_names = kLevels;
    reg.Add(d);
    d = {};
    d.name = "name";
    d.kind = OptionDef::Kind::kString;
    d.default_value = "";
    d.target = &v.name;
    d.flags = kImmutable;
    reg.Add(d);
    d = {};
    d.name = "multi";
    d.kind = OptionDef::Kind::kCustom;
    d.flags = kMultiArg | kAppendLines;
    d.default_value = "1 2";
    d.target = &v.multi;
    d.custom_set = SetMulti;
    d.custom_get = GetMulti;
    reg.Add(d);
  }
  Values v;
  Registry reg;
};

TEST_F(ConfigTest, DefaultsAreParsed) {
  EXPECT_EQ(v.count, 10);
  EXPECT_EQ(v.bytes, 1024 * 1024);
  EXPECT_EQ(v.multi, "1 2");
  EXPECT_TRUE(reg.IsDefault("count"));
}

TEST_F(ConfigTest, LoadTextWithQuotesAliasesAndRepeatedLines) {
  std::string err;
  ASSERT_TRUE(reg.LoadText("# comment\nflag yes\nold-count 42\nbytes 2kb\nname \"a b\"\n"
                           "multi 3 4\nmulti 5 6\nlevel HIGH\n",
                           "test", &err))
      << err;
  EXPECT_TRUE(v.flag);
  EXPECT_EQ(v.count, 42);
  EXPECT_EQ(v.bytes, 2048);
  EXPECT_EQ(v.name, "a b");
  EXPECT_EQ(v.multi, "3 4 5 6");
  EXPECT_EQ(v.level, 1);
}

TEST_F(ConfigTest, LoadErrorsNameTheLine) {
  std::string err;
  EXPECT_FALSE(reg.LoadText("flag yes\ncount 1000\n", "myfile", &err));
  EXPECT_NE(err.find("line 2"), std::string::npos) << err;
  EXPECT_NE(err.find("between 0 and 100"), std::string::npos) << err;
  EXPECT_FALSE(reg.LoadText("nosuch 1\n", "myfile", &err));
  EXPECT_NE(err.find("Bad directive"), std::string::npos) << err;
}

TEST_F(ConfigTest, SetAtomicAllOrNothing) {
  std::string err;
  std::vector<std::pair<std::string, std::string>> pairs = {{"count", "50"}, {"bytes", "zzz"}};
  EXPECT_FALSE(reg.SetAtomic(pairs, false, &err));
  EXPECT_EQ(err, "ERR CONFIG SET failed (possibly related to argument 'bytes') - argument must be a memory value");
  EXPECT_EQ(v.count, 10);
  pairs = {{"count", "50"}, {"bytes", "1k"}};
  EXPECT_TRUE(reg.SetAtomic(pairs, false, &err)) << err;
  EXPECT_EQ(v.count, 50);
  EXPECT_EQ(v.bytes, 1000);
  EXPECT_EQ(g_apply_calls, 1);
}

TEST_F(ConfigTest, SetAtomicRollsBackWhenApplyFails) {
  std::string err;
  g_apply_fail = true;
  std::vector<std::pair<std::string, std::string>> pairs = {{"flag", "yes"}, {"count", "60"}};
  EXPECT_FALSE(reg.SetAtomic(pairs, false, &err));
  EXPECT_NE(err.find("apply refused"), std::string::npos);
  EXPECT_EQ(v.count, 10);
  EXPECT_FALSE(v.flag);
}

TEST_F(ConfigTest, SetAtomicRejections) {
  std::string err;
  std::vector<std::pair<std::string, std::string>> dup = {{"count", "1"}, {"COUNT", "2"}};
  EXPECT_FALSE(reg.SetAtomic(dup, false, &err));
  EXPECT_NE(err.find("duplicate parameter"), std::string::npos);
  // An option and its alias are different names to Redis 7.0: accepted, the last one wins.
  std::vector<std::pair<std::string, std::string>> alias = {{"count", "1"}, {"old-count", "2"}};
  EXPECT_TRUE(reg.SetAtomic(alias, false, &err)) << err;
  EXPECT_EQ(v.count, 2);
  std::vector<std::pair<std::string, std::string>> imm = {{"name", "x"}};
  EXPECT_FALSE(reg.SetAtomic(imm, false, &err));
  EXPECT_NE(err.find("can't set immutable config"), std::string::npos);
  std::vector<std::pair<std::string, std::string>> unknown = {{"zzz", "x"}};
  EXPECT_FALSE(reg.SetAtomic(unknown, false, &err));
  EXPECT_EQ(err, "ERR Unknown option or number of arguments for CONFIG SET - 'zzz'");
}

TEST_F(ConfigTest, GetWithGlobsAndAliases) {
  std::vector<std::string> pats = {"c*"};
  auto got = reg.Get(pats);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, "count");
  pats = {"*count"};
  got = reg.Get(pats);
  EXPECT_EQ(got.size(), 2u);  // count and old-count
}

TEST_F(ConfigTest, IncludeAndRewriteKeepCommentsAndOrder) {
  auto dir = std::filesystem::temp_directory_path() / ("cfgtest-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto inc = dir / "inc.conf";
  auto main_file = dir / "main.conf";
  std::ofstream(inc) << "level high\n";
  std::ofstream(main_file) << "# top comment\nflag yes\n\n# about count\ncount 20\ncount 30\n"
                           << "include " << inc.string() << "\n";
  std::string err;
  ASSERT_TRUE(reg.LoadFile(main_file.string(), &err)) << err;
  EXPECT_EQ(v.count, 30);
  EXPECT_EQ(v.level, 1);
  std::vector<std::pair<std::string, std::string>> pairs = {{"count", "77"}, {"bytes", "3mb"}};
  ASSERT_TRUE(reg.SetAtomic(pairs, false, &err)) << err;
  ASSERT_TRUE(reg.Rewrite(&err)) << err;
  std::stringstream ss;
  ss << std::ifstream(main_file).rdbuf();
  std::string text = ss.str();
  EXPECT_EQ(text.find("# top comment\nflag yes\n\n# about count\ncount 77\ninclude"), 0u) << text;
  EXPECT_NE(text.find("# Generated by CONFIG REWRITE\n"), std::string::npos) << text;
  EXPECT_NE(text.find("bytes 3mb\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("count 30"), std::string::npos) << text;
  // Loading the rewritten file gives the same values.
  Values v2;
  (void)v2;
  ASSERT_TRUE(reg.LoadFile(main_file.string(), &err)) << err;
  EXPECT_EQ(v.count, 77);
  EXPECT_EQ(v.bytes, 3 * 1024 * 1024);
  std::filesystem::remove_all(dir);
}

TEST_F(ConfigTest, RewriteWithoutFile) {
  std::string err;
  EXPECT_FALSE(reg.Rewrite(&err));
  EXPECT_EQ(err, "ERR The server is running without a config file");
}

}  // namespace
}  // namespace tessera::config
