#include <gtest/gtest.h>

#include <map>
#include <random>

#include "server/keyspace/hash_value.h"
#include "tests/unit/server/server_fixture.h"

namespace tessera::testing {
namespace {

class HashesTest : public ServerFixture {};

TEST_F(HashesTest, ListpackUntilLimitsThenTable) {
  Run({"CONFIG", "SET", "hash-max-listpack-entries", "4", "hash-max-listpack-value", "8"});
  EXPECT_EQ(Run({"HSET", "h", "a", "1", "b", "2"}), "2");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "h"}), "listpack");
  EXPECT_EQ(Run({"HSET", "h", "c", "3", "d", "4"}), "2");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "h"}), "listpack");
  EXPECT_EQ(Run({"HSET", "h", "e", "5"}), "1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "h"}), "hashtable");
  EXPECT_EQ(Run({"HDEL", "h", "a", "b", "c", "d"}), "4");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "h"}), "hashtable") << "no conversion back";
  EXPECT_EQ(Run({"HSET", "v", "f", "123456789"}), "1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "v"}), "hashtable") << "value longer than 8 bytes";
  EXPECT_EQ(Run({"HGET", "v", "f"}), "123456789");
}

TEST_F(HashesTest, RandomOperationsAgreeWithMapInBothEncodings) {
  for (const char* limit : {"512", "8"}) {
    Run({"FLUSHALL"});
    Run({"CONFIG", "SET", "hash-max-listpack-entries", limit});
    std::mt19937 rng(9);
    std::map<std::string, std::string> model;
    for (int i = 0; i < 3000; ++i) {
      std::string f = "f" + std::to_string(rng() % 40);
      int op = static_cast<int>(rng() % 4);
      if (op < 2) {
        std::string v = (rng() % 2) ? std::to_string(static_cast<int>(rng() % 100000) - 50000)
                                    : std::string(rng() % 20, 'x');
        std::string added = Run({"HSET", "h", f, v});
        EXPECT_EQ(added, model.count(f) ? "0" : "1");
        model[f] = v;
      } else if (op == 2) {
        EXPECT_EQ(Run({"HDEL", "h", f}), model.erase(f) ? "1" : "0");
      } else {
        EXPECT_EQ(Run({"HGET", "h", f}), model.count(f) ? model[f] : "(nil)");
      }
      ASSERT_EQ(Run({"HLEN", "h"}), std::to_string(model.size()));
    }
    resp::Value all = RunValue({"HGETALL", "h"});
    std::map<std::string, std::string> got;
    for (size_t i = 0; i + 1 < all.elements.size(); i += 2) {
      got[all.elements[i].str] = all.elements[i + 1].str;
    }
    EXPECT_EQ(got, model);
  }
}

TEST_F(HashesTest, CountersAndErrors) {
  EXPECT_EQ(Run({"HINCRBY", "h", "n", "5"}), "5");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "n", "0.5"}), "5.5");
  EXPECT_EQ(Run({"HINCRBY", "h", "n", "1"}), "(error) ERR hash value is not an integer");
  EXPECT_EQ(Run({"HSET", "h", "big", "9223372036854775807"}), "1");
  EXPECT_EQ(Run({"HINCRBY", "h", "big", "1"}),
            "(error) ERR increment or decrement would overflow");
  EXPECT_EQ(Run({"SET", "s", "x"}), "OK");
  EXPECT_EQ(Run({"HGET", "s", "f"}),
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(Run({"HSET", "h", "a"}), "(error) ERR wrong number of arguments for 'hset' command");
}

TEST_F(HashesTest, HincrbyfloatPropagatesTheResult) {
  RecordingSink sink;
  server_.AddSink(&sink);
  Run({"HINCRBYFLOAT", "h", "f", "1.25"});
  server_.RemoveSink(&sink);
  ASSERT_EQ(sink.lines.size(), 1u);
  EXPECT_EQ(sink.lines[0], "0: HSET h f 1.25");
}

TEST_F(HashesTest, CopyIsIndependentAndTypeIsReported) {
  Run({"HSET", "h", "a", "1"});
  EXPECT_EQ(Run({"TYPE", "h"}), "hash");
  EXPECT_EQ(Run({"COPY", "h", "h2"}), "1");
  Run({"HSET", "h2", "a", "2"});
  EXPECT_EQ(Run({"HGET", "h", "a"}), "1");
  EXPECT_EQ(Run({"HGET", "h2", "a"}), "2");
  EXPECT_EQ(Run({"SET", "h2", "now a string"}), "OK");
  EXPECT_EQ(Run({"GET", "h2"}), "now a string");
}

}  // namespace
}  // namespace tessera::testing
