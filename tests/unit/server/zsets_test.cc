#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "common/strutil.h"
#include "tests/unit/server/server_fixture.h"

namespace tessera::testing {
namespace {

class ZsetsTest : public ServerFixture {};

TEST_F(ZsetsTest, ListpackThenSkiplistAndSameResults) {
  Run({"CONFIG", "SET", "zset-max-listpack-entries", "4"});
  EXPECT_EQ(Run({"ZADD", "z", "3", "c", "1", "a", "2", "b"}), "3");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "z"}), "listpack");
  EXPECT_EQ(Run({"ZRANGE", "z", "0", "-1", "WITHSCORES"}), "[a, 1, b, 2, c, 3]");
  EXPECT_EQ(Run({"ZADD", "z", "4", "d", "5", "e"}), "2");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "z"}), "skiplist");
  EXPECT_EQ(Run({"ZRANGE", "z", "0", "-1", "WITHSCORES"}), "[a, 1, b, 2, c, 3, d, 4, e, 5]");
  EXPECT_EQ(Run({"ZRANGE", "z", "(1", "4", "BYSCORE", "LIMIT", "1", "2"}), "[c, d]");
  EXPECT_EQ(Run({"ZREVRANK", "z", "a"}), "4");
}

// Random ZADD/ZREM/ZINCRBY against a (score, member) model in both encodings; ranks, ranges
// and scores must agree.
TEST_F(ZsetsTest, RandomOperationsAgreeWithModel) {
  for (const char* limit : {"128", "4"}) {
    Run({"FLUSHALL"});
    Run({"CONFIG", "SET", "zset-max-listpack-entries", limit});
    std::mt19937 rng(17);
    std::map<std::string, double> model;
    for (int i = 0; i < 2000; ++i) {
      std::string m = "m" + std::to_string(rng() % 30);
      double s = static_cast<double>(static_cast<int>(rng() % 40) - 20) / 4;
      switch (rng() % 4) {
        case 0:
        case 1:
          RunVec({"ZADD", "z", FormatDouble(s), m});
          model[m] = s;
          break;
        case 2:
          EXPECT_EQ(Run({"ZREM", "z", m}), model.erase(m) ? "1" : "0");
          break;
        default:
          Run({"ZINCRBY", "z", "0.25", m});
          model[m] += 0.25;
      }
    }
    std::set<std::pair<double, std::string>> ordered;
    for (auto& [m, s] : model) ordered.insert({s, m});
    resp::Value all = RunValue({"ZRANGE", "z", "0", "-1", "WITHSCORES"});
    ASSERT_EQ(all.elements.size(), ordered.size() * 2);
    size_t i = 0;
    for (auto& [s, m] : ordered) {
      EXPECT_EQ(all.elements[i].str, m);
      EXPECT_EQ(std::stod(all.elements[i + 1].str), s);
      EXPECT_EQ(Run({"ZRANK", "z", m}), std::to_string(i / 2));
      i += 2;
    }
    size_t in_range = 0;
    for (auto& [s, m] : ordered) in_range += (s > -1 && s <= 2);
    EXPECT_EQ(Run({"ZCOUNT", "z", "(-1", "2"}), std::to_string(in_range));
  }
}

TEST_F(ZsetsTest, AddOptionsAndErrors) {
  EXPECT_EQ(Run({"ZADD", "z", "1", "a"}), "1");
  EXPECT_EQ(Run({"ZADD", "z", "GT", "CH", "0", "a"}), "0");
  EXPECT_EQ(Run({"ZADD", "z", "GT", "CH", "5", "a"}), "1");
  EXPECT_EQ(Run({"ZADD", "z", "NX", "INCR", "1", "a"}), "(nil)");
  EXPECT_EQ(Run({"ZADD", "z", "XX", "INCR", "1", "a"}), "6");
  EXPECT_EQ(Run({"ZADD", "z", "INCR", "inf", "a"}), "inf");
  EXPECT_EQ(Run({"ZADD", "z", "INCR", "-inf", "a"}),
            "(error) ERR resulting score is not a number (NaN)");
  EXPECT_EQ(Run({"ZADD", "z", "nan", "x"}), "(error) ERR value is not a valid float");
  EXPECT_EQ(Run({"ZADD", "nokey", "XX", "1", "a"}), "0");
  EXPECT_EQ(Run({"EXISTS", "nokey"}), "0");
  EXPECT_EQ(Run({"ZRANGE", "z", "0", "1", "LIMIT", "0", "1"}),
            "(error) ERR syntax error, LIMIT is only supported in combination with either "
            "BYSCORE or BYLEX");
}

TEST_F(ZsetsTest, PopsPropagateZrem) {
  RecordingSink sink;
  server_.AddSink(&sink);
  Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  EXPECT_EQ(Run({"ZPOPMIN", "z", "2"}), "[a, 1, b, 2]");
  EXPECT_EQ(Run({"ZMPOP", "1", "z", "MAX"}), "[z, [[c, 3]]]");
  server_.RemoveSink(&sink);
  ASSERT_EQ(sink.lines.size(), 3u);
  EXPECT_EQ(sink.lines[1], "0: ZREM z a b");
  EXPECT_EQ(sink.lines[2], "0: ZREM z c");
  EXPECT_EQ(Run({"EXISTS", "z"}), "0");
}

}  // namespace
}  // namespace tessera::testing
