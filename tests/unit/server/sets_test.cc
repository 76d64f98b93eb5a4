#include <gtest/gtest.h>

#include <random>
#include <set>

#include "tests/unit/server/server_fixture.h"

namespace tessera::testing {
namespace {

class SetsTest : public ServerFixture {
 protected:
  std::set<std::string> Members(std::string_view key) {
    resp::Value v = RunValue({"SMEMBERS", key});
    std::set<std::string> out;
    for (const auto& e : v.elements) out.insert(e.str);
    return out;
  }
};

TEST_F(SetsTest, EncodingsFollowTheLimits) {
  Run({"CONFIG", "SET", "set-max-intset-entries", "4", "set-max-listpack-entries", "6",
       "set-max-listpack-value", "5"});
  EXPECT_EQ(Run({"SADD", "s", "1", "2", "3"}), "3");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "s"}), "intset");
  EXPECT_EQ(Run({"SADD", "s", "abc"}), "1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "s"}), "listpack");
  EXPECT_EQ(Run({"SADD", "s", "x", "y"}), "2");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "s"}), "listpack");
  EXPECT_EQ(Run({"SADD", "s", "z"}), "1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "s"}), "hashtable");
  EXPECT_EQ(Members("s"), (std::set<std::string>{"1", "2", "3", "abc", "x", "y", "z"}));
  EXPECT_EQ(Run({"SADD", "t", "1", "2", "3", "4"}), "4");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "t"}), "intset");
  EXPECT_EQ(Run({"SADD", "t", "5"}), "1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "t"}), "hashtable") << "an intset past 4 entries";
  EXPECT_EQ(Run({"SADD", "w", "1", "2", "3", "4", "5"}), "5");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "w"}), "listpack") << "created for 5 members (7.2)";
  EXPECT_EQ(Run({"SADD", "u", "toolong"}), "1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "u"}), "hashtable") << "member longer than 5 bytes";
}

TEST_F(SetsTest, RandomOperationsAgreeWithStdSet) {
  for (const char* limits : {"512", "3"}) {
    Run({"FLUSHALL"});
    Run({"CONFIG", "SET", "set-max-intset-entries", limits, "set-max-listpack-entries", limits});
    std::mt19937 rng(4);
    std::set<std::string> model;
    for (int i = 0; i < 4000; ++i) {
      std::string m = (rng() % 3 == 0) ? "m" + std::to_string(rng() % 50)
                                        : std::to_string(static_cast<int>(rng() % 100) - 50);
      switch (rng() % 4) {
        case 0:
        case 1:
          EXPECT_EQ(Run({"SADD", "s", m}), model.insert(m).second ? "1" : "0");
          break;
        case 2:
          EXPECT_EQ(Run({"SREM", "s", m}), model.erase(m) ? "1" : "0");
          break;
        default:
          EXPECT_EQ(Run({"SISMEMBER", "s", m}), model.count(m) ? "1" : "0");
      }
      ASSERT_EQ(Run({"SCARD", "s"}), std::to_string(model.size()));
    }
    EXPECT_EQ(Members("s"), model);
  }
}

TEST_F(SetsTest, AlgebraAndPops) {
  Run({"SADD", "a", "1", "2", "3", "x"});
  Run({"SADD", "b", "2", "3", "4"});
  EXPECT_EQ(Run({"SINTERSTORE", "i", "a", "b"}), "2");
  EXPECT_EQ(Members("i"), (std::set<std::string>{"2", "3"}));
  EXPECT_EQ(Run({"SUNIONSTORE", "u", "a", "b", "nokey"}), "5");
  EXPECT_EQ(Run({"SDIFFSTORE", "d", "a", "b"}), "2");
  EXPECT_EQ(Members("d"), (std::set<std::string>{"1", "x"}));
  EXPECT_EQ(Run({"SINTERSTORE", "i", "a", "nokey"}), "0");
  EXPECT_EQ(Run({"EXISTS", "i"}), "0") << "empty result deletes the destination";
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b", "LIMIT", "1"}), "1");
  EXPECT_EQ(Run({"SMOVE", "a", "b", "x"}), "1");
  EXPECT_EQ(Run({"SISMEMBER", "b", "x"}), "1");
  resp::Value popped = RunValue({"SPOP", "b", "10"});
  EXPECT_EQ(popped.elements.size(), 4u);
  EXPECT_EQ(Run({"EXISTS", "b"}), "0");
}

TEST_F(SetsTest, SpopPropagatesSremAndDel) {
  RecordingSink sink;
  server_.AddSink(&sink);
  Run({"SADD", "s", "a", "b", "c"});
  Run({"SPOP", "s", "2"});
  Run({"SPOP", "s", "5"});
  server_.RemoveSink(&sink);
  ASSERT_EQ(sink.lines.size(), 3u);
  EXPECT_EQ(sink.lines[1].rfind("0: SREM s ", 0), 0u) << sink.lines[1];
  EXPECT_EQ(sink.lines[2], "0: DEL s");
}

}  // namespace
}  // namespace tessera::testing
