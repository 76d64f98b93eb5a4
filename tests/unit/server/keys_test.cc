#include <gtest/gtest.h>

#include <set>

#include "tests/unit/server/server_fixture.h"

namespace tessera::testing {
namespace {

class KeysTest : public ServerFixture {};

TEST_F(KeysTest, DeleteRenameMoveCopy) {
  Run({"MSET", "a", "1", "b", "2"});
  EXPECT_EQ(Run({"DEL", "a", "a", "nokey"}), "1");
  EXPECT_EQ(Run({"EXISTS", "b", "b", "a"}), "2");
  EXPECT_EQ(Run({"RENAME", "nokey", "x"}), "(error) ERR no such key");
  Run({"SET", "t", "v", "EX", "100"});
  EXPECT_EQ(Run({"RENAME", "t", "t2"}), "OK");
  EXPECT_EQ(Run({"TTL", "t2"}), "100");
  EXPECT_EQ(Run({"RENAMENX", "t2", "b"}), "0");
  EXPECT_EQ(Run({"MOVE", "b", "0"}), "(error) ERR source and destination objects are the same");
  EXPECT_EQ(Run({"MOVE", "b", "1"}), "1");
  EXPECT_EQ(Run({"COPY", "t2", "c", "DB", "1"}), "1");
  EXPECT_EQ(Run({"SELECT", "1"}), "OK");
  EXPECT_EQ(Run({"MGET", "b", "c"}), "[2, v]");
  EXPECT_EQ(Run({"TTL", "c"}), "100");
  EXPECT_EQ(Run({"COPY", "b", "c"}), "0");
  EXPECT_EQ(Run({"COPY", "b", "c", "REPLACE"}), "1");
  EXPECT_EQ(Run({"GET", "c"}), "2");
  EXPECT_EQ(Run({"SWAPDB", "0", "1"}), "OK");
  EXPECT_EQ(Run({"DBSIZE"}), "1");
  EXPECT_EQ(Run({"SELECT", "0"}), "OK");
  EXPECT_EQ(Run({"DBSIZE"}), "2");
}

TEST_F(KeysTest, ScanReturnsEveryKeyWhileTheTableGrows) {
  std::set<std::string> expected;
  for (int i = 0; i < 500; ++i) {
    std::string k = "k" + std::to_string(i);
    Run({"SET", k, "v"});
    expected.insert(k);
  }
  std::set<std::string> seen;
  std::string cursor = "0";
  int round = 0;
  do {
    resp::Value v = RunValue({"SCAN", cursor, "COUNT", "20"});
    ASSERT_EQ(v.elements.size(), 2u);
    cursor = v.elements[0].str;
    for (const auto& k : v.elements[1].elements) seen.insert(k.str);
    // Keep adding keys mid-scan to force resizes.
    for (int j = 0; j < 30; ++j) Run({"SET", "extra" + std::to_string(round * 30 + j), "v"});
    ++round;
  } while (cursor != "0");
  for (const auto& k : expected) EXPECT_TRUE(seen.count(k)) << k;
}

TEST_F(KeysTest, KeysRandomkeyFlush) {
  EXPECT_EQ(Run({"RANDOMKEY"}), "(nil)");
  Run({"MSET", "hello", "1", "hallo", "2", "hxllo", "3", "world", "4"});
  resp::Value v = RunValue({"KEYS", "h[ae]llo"});
  std::set<std::string> got;
  for (const auto& e : v.elements) got.insert(e.str);
  EXPECT_EQ(got, (std::set<std::string>{"hello", "hallo"}));
  EXPECT_NE(Run({"RANDOMKEY"}), "(nil)");
  EXPECT_EQ(Run({"FLUSHDB", "ASYNC"}), "OK");
  EXPECT_EQ(Run({"DBSIZE"}), "0");
  EXPECT_EQ(Run({"FLUSHALL", "BAD"}), "(error) ERR syntax error");
}

TEST_F(KeysTest, ObjectAndTypes) {
  Run({"SET", "n", "42"});
  EXPECT_EQ(Run({"TYPE", "n"}), "string");
  EXPECT_EQ(Run({"TYPE", "none"}), "none");
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "n"}), "2147483647");
  Run({"SET", "big", "123456"});
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "big"}), "1");
  AdvanceMs(5000);
  Cron();
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "n"}), "5");
  EXPECT_EQ(Run({"OBJECT", "FREQ", "n"}).rfind("(error) ERR An LFU maxmemory policy is not", 0), 0u);
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "nokey"}), "(nil)");
}

}  // namespace
}  // namespace tessera::testing

namespace tessera::testing {
namespace {

class LfuTest : public ServerFixture {
 protected:
  LfuTest() { EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}), "OK"); }
};

TEST_F(LfuTest, CounterGrowsLogarithmicallyAndDecays) {
  Run({"SET", "hot", "v"});
  Run({"SET", "cold", "v"});
  EXPECT_EQ(Run({"OBJECT", "FREQ", "hot"}), "5");
  for (int i = 0; i < 1000; ++i) Run({"GET", "hot"});
  int after_1000 = std::stoi(Run({"OBJECT", "FREQ", "hot"}));
  EXPECT_GT(after_1000, 10);
  EXPECT_LT(after_1000, 40) << "lfu-log-factor 10 makes growth logarithmic";
  EXPECT_EQ(Run({"OBJECT", "FREQ", "cold"}), "5");
  // One counter unit per lfu-decay-time minutes of idleness.
  AdvanceMs(3 * 60 * 1000);
  EXPECT_EQ(Run({"OBJECT", "FREQ", "hot"}), std::to_string(after_1000 - 3));
  EXPECT_EQ(Run({"OBJECT", "FREQ", "cold"}), "2");
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "hot"}).rfind("(error) ERR An LFU maxmemory policy is selected", 0), 0u);
  EXPECT_EQ(Run({"CONFIG", "SET", "lfu-log-factor", "0"}), "OK");
  for (int i = 0; i < 50; ++i) Run({"GET", "cold"});
  EXPECT_EQ(Run({"OBJECT", "FREQ", "cold"}), "52") << "factor 0: every access counts";
}

}  // namespace
}  // namespace tessera::testing
