#include <gtest/gtest.h>

#include <deque>
#include <random>

#include "tests/unit/server/server_fixture.h"

namespace tessera::testing {
namespace {

class ListsTest : public ServerFixture {
 protected:
  ListsTest() { server_.AddSink(&sink_); }
  ~ListsTest() override { server_.RemoveSink(&sink_); }
  RecordingSink sink_;
};

TEST_F(ListsTest, PushPopAndRanges) {
  EXPECT_EQ(Run({"RPUSH", "l", "a", "b", "c"}), "3");
  EXPECT_EQ(Run({"LPUSH", "l", "z"}), "4");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[z, a, b, c]");
  EXPECT_EQ(Run({"LRANGE", "l", "-100", "1"}), "[z, a]");
  EXPECT_EQ(Run({"LRANGE", "l", "2", "1"}), "[]");
  EXPECT_EQ(Run({"LINDEX", "l", "-1"}), "c");
  EXPECT_EQ(Run({"LINDEX", "l", "9"}), "(nil)");
  EXPECT_EQ(Run({"RPOP", "l", "2"}), "[c, b]");
  EXPECT_EQ(Run({"LPOP", "l", "0"}), "[]");
  EXPECT_EQ(Run({"LPOP", "l"}), "z");
  EXPECT_EQ(Run({"LPOP", "l", "5"}), "[a]");
  EXPECT_EQ(Run({"EXISTS", "l"}), "0");  // the last pop deletes the key
  EXPECT_EQ(Run({"LPOP", "l"}), "(nil)");
  EXPECT_EQ(Run({"LPUSHX", "l", "x"}), "0");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "l"}), "(nil)");
  Run({"SET", "s", "v"});
  EXPECT_EQ(Run({"LPUSH", "s", "x"}).substr(0, 17), "(error) WRONGTYPE");
}

TEST_F(ListsTest, EditsInPlace) {
  Run({"RPUSH", "l", "a", "b", "a", "c", "a"});
  EXPECT_EQ(Run({"LINSERT", "l", "AFTER", "b", "B"}), "6");
  EXPECT_EQ(Run({"LINSERT", "l", "BEFORE", "nope", "x"}), "-1");
  EXPECT_EQ(Run({"LINSERT", "nokey", "BEFORE", "a", "x"}), "0");
  EXPECT_EQ(Run({"LINSERT", "l", "MIDDLE", "a", "x"}), "(error) ERR syntax error");
  EXPECT_EQ(Run({"LSET", "l", "-1", "Z"}), "OK");
  EXPECT_EQ(Run({"LSET", "l", "6", "Z"}), "(error) ERR index out of range");
  EXPECT_EQ(Run({"LSET", "nokey", "0", "Z"}), "(error) ERR no such key");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[a, b, B, a, c, Z]");
  EXPECT_EQ(Run({"LREM", "l", "-1", "a"}), "1");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[a, b, B, c, Z]");
  EXPECT_EQ(Run({"LTRIM", "l", "1", "-2"}), "OK");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[b, B, c]");
  EXPECT_EQ(Run({"LTRIM", "l", "5", "10"}), "OK");
  EXPECT_EQ(Run({"EXISTS", "l"}), "0");
}

TEST_F(ListsTest, LposRankCountMaxlen) {
  Run({"RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"});
  EXPECT_EQ(Run({"LPOS", "l", "c"}), "2");
  EXPECT_EQ(Run({"LPOS", "l", "c", "RANK", "2"}), "6");
  EXPECT_EQ(Run({"LPOS", "l", "c", "RANK", "-1"}), "7");
  EXPECT_EQ(Run({"LPOS", "l", "c", "COUNT", "0"}), "[2, 6, 7]");
  EXPECT_EQ(Run({"LPOS", "l", "c", "RANK", "-1", "COUNT", "2"}), "[7, 6]");
  EXPECT_EQ(Run({"LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3"}), "[2]");
  EXPECT_EQ(Run({"LPOS", "l", "x"}), "(nil)");
  EXPECT_EQ(Run({"LPOS", "nokey", "x", "COUNT", "1"}), "[]");
  EXPECT_EQ(Run({"LPOS", "l", "c", "RANK", "0"}).substr(0, 32), "(error) ERR RANK can't be zero: ");
  EXPECT_EQ(Run({"LPOS", "l", "c", "COUNT", "-1"}), "(error) ERR COUNT can't be negative");
  EXPECT_EQ(Run({"LPOS", "l", "c", "MAXLEN", "x"}), "(error) ERR MAXLEN can't be negative");
}

TEST_F(ListsTest, MovesAndRotation) {
  Run({"RPUSH", "src", "1", "2", "3"});
  EXPECT_EQ(Run({"LMOVE", "src", "src", "LEFT", "RIGHT"}), "1");  // rotation
  EXPECT_EQ(Run({"LRANGE", "src", "0", "-1"}), "[2, 3, 1]");
  EXPECT_EQ(Run({"RPOPLPUSH", "src", "dst"}), "1");
  Run({"SET", "str", "v"});
  EXPECT_EQ(Run({"LMOVE", "src", "str", "LEFT", "LEFT"}).substr(0, 17), "(error) WRONGTYPE");
  EXPECT_EQ(Run({"LLEN", "src"}), "2");  // nothing moved on the error
  EXPECT_EQ(Run({"LMOVE", "nokey", "str", "LEFT", "LEFT"}), "(nil)");
  EXPECT_EQ(Run({"LMOVE", "src", "dst", "UP", "LEFT"}), "(error) ERR syntax error");
  EXPECT_EQ(Run({"LMPOP", "2", "nokey", "src", "RIGHT", "COUNT", "5"}), "[src, [3, 2]]");
  EXPECT_EQ(Run({"EXISTS", "src"}), "0");
  EXPECT_EQ(Run({"LMPOP", "1", "src", "LEFT"}), "(nil)");
  EXPECT_EQ(Run({"LMPOP", "0", "src", "LEFT"}), "(error) ERR numkeys should be greater than 0");
  EXPECT_EQ(Run({"LMPOP", "1", "src", "LEFT", "COUNT", "0"}),
            "(error) ERR count should be greater than 0");
}

// Random pushes, pops, sets, inserts and trims against a deque, with small nodes and
// compression so that node splits, merges and compressed nodes are all exercised.
TEST_F(ListsTest, RandomOperationsAgreeWithModel) {
  Run({"CONFIG", "SET", "list-max-listpack-size", "4"});
  Run({"CONFIG", "SET", "list-compress-depth", "1"});
  std::mt19937 rng(5);
  std::deque<std::string> model;
  for (int i = 0; i < 4000; ++i) {
    std::string v = std::to_string(rng() % 50);
    int64_t n = static_cast<int64_t>(model.size());
    switch (rng() % 8) {
      case 0:
        RunVec({"LPUSH", "l", v});
        model.push_front(v);
        break;
      case 1:
      case 2:
        RunVec({"RPUSH", "l", v});
        model.push_back(v);
        break;
      case 3:
        if (!model.empty()) {
          EXPECT_EQ(Run({"LPOP", "l"}), model.front());
          model.pop_front();
        }
        break;
      case 4:
        if (n > 0) {
          int64_t idx = static_cast<int64_t>(rng() % n);
          RunVec({"LSET", "l", std::to_string(idx), v});
          model[idx] = v;
        }
        break;
      case 5: {
        std::string r = RunVec({"LREM", "l", "1", v});
        auto it = std::find(model.begin(), model.end(), v);
        EXPECT_EQ(r, it == model.end() ? "0" : "1");
        if (it != model.end()) model.erase(it);
        break;
      }
      case 6: {
        std::string pivot = std::to_string(rng() % 50);
        auto it = std::find(model.begin(), model.end(), pivot);
        std::string r = RunVec({"LINSERT", "l", "BEFORE", pivot, v});
        if (it == model.end()) {
          EXPECT_EQ(r, n == 0 ? "0" : "-1");
        } else {
          model.insert(it, v);
        }
        break;
      }
      default:
        if (n > 20) {
          RunVec({"LTRIM", "l", "1", "-2"});
          model.pop_front();
          model.pop_back();
        }
    }
  }
  std::string expect = "[";
  for (size_t i = 0; i < model.size(); ++i) expect += (i ? ", " : "") + model[i];
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), expect + "]");
  EXPECT_EQ(Run({"LLEN", "l"}), std::to_string(model.size()));
}

// ---- blocking ----

TEST_F(ListsTest, BlockedClientIsServedByPushAndPropagatesPop) {
  Client* b = server_.CreateFakeClient();
  EXPECT_EQ(RunOn(b, {"BLPOP", "q1", "q2", "0"}), "(no reply)");
  EXPECT_TRUE(b->Has(kClientBlocked));
  EXPECT_EQ(server_.blocked_client_count(), 1u);
  sink_.lines.clear();
  EXPECT_EQ(Run({"RPUSH", "q2", "x", "y"}), "2");
  EXPECT_EQ(Pending(b), "[q2, x]");
  EXPECT_FALSE(b->Has(kClientBlocked));
  EXPECT_EQ(server_.blocked_client_count(), 0u);
  EXPECT_EQ(Run({"LRANGE", "q2", "0", "-1"}), "[y]");
  // Replicas get the push and then the pop that served the client, never a BLPOP.
  ASSERT_EQ(sink_.lines.size(), 2u);
  EXPECT_EQ(sink_.lines[0], "0: RPUSH q2 x y");
  EXPECT_EQ(sink_.lines[1], "0: LPOP q2");
}

TEST_F(ListsTest, FirstBlockedIsFirstServed) {
  Client* b1 = server_.CreateFakeClient();
  Client* b2 = server_.CreateFakeClient();
  RunOn(b1, {"BRPOP", "q", "0"});
  RunOn(b2, {"BRPOP", "q", "0"});
  Run({"LPUSH", "q", "only"});
  EXPECT_EQ(Pending(b1), "[q, only]");
  EXPECT_EQ(Pending(b2), "(no reply)");  // nothing left: b2 keeps waiting
  EXPECT_TRUE(b2->Has(kClientBlocked));
  EXPECT_EQ(Run({"EXISTS", "q"}), "0");
  Run({"LPUSH", "q", "next"});
  EXPECT_EQ(Pending(b2), "[q, next]");
}

TEST_F(ListsTest, TimeoutRepliesNullAndWrongTypeKeepsWaiting) {
  Client* b = server_.CreateFakeClient();
  RunOn(b, {"BLPOP", "q", "1.5"});
  Run({"SET", "q", "string"});  // not a list: the client stays blocked
  EXPECT_EQ(Pending(b), "(no reply)");
  AdvanceMs(1000);
  Cron();
  EXPECT_EQ(Pending(b), "(no reply)");
  AdvanceMs(600);
  Cron();
  EXPECT_EQ(Pending(b), "(nil)");
  EXPECT_FALSE(b->Has(kClientBlocked));
}

TEST_F(ListsTest, BlockingMoveAndClientUnblock) {
  Client* b = server_.CreateFakeClient();
  RunOn(b, {"BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"});
  Run({"RPUSH", "src", "a", "b"});
  EXPECT_EQ(Pending(b), "b");
  EXPECT_EQ(Run({"LRANGE", "dst", "0", "-1"}), "[b]");

  RunOn(b, {"BLPOP", "none", "0"});
  std::string id = std::to_string(b->id);
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", id, "ERROR"}), "1");
  EXPECT_EQ(Pending(b), "(error) UNBLOCKED client unblocked via CLIENT UNBLOCK");
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", id}), "0");
  RunOn(b, {"BLPOP", "none", "0"});
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", id, "TIMEOUT"}), "1");
  EXPECT_EQ(Pending(b), "(nil)");
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", id, "MAYBE"}),
            "(error) ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
}

TEST_F(ListsTest, ServesAcrossDatabasesAndSortedSets) {
  Client* b = server_.CreateFakeClient();
  RunOn(b, {"SELECT", "2"});
  RunOn(b, {"BZPOPMIN", "z", "0"});
  Run({"ZADD", "z", "1", "in-db0"});  // another database: not this client's key
  EXPECT_EQ(Pending(b), "(no reply)");
  Run({"MOVE", "z", "2"});
  EXPECT_EQ(Pending(b), "[z, in-db0, 1]");
  RunOn(b, {"BZMPOP", "0", "2", "a", "b", "MAX", "COUNT", "2"});
  Run({"SELECT", "2"});
  Run({"ZADD", "b", "1", "x", "2", "y", "3", "z"});
  EXPECT_EQ(Pending(b), "[b, [[z, 3], [y, 2]]]");
}

TEST_F(ListsTest, TimeoutErrors) {
  EXPECT_EQ(Run({"BLPOP", "q", "abc"}), "(error) ERR timeout is not a float or out of range");
  EXPECT_EQ(Run({"BLPOP", "q", "-1"}), "(error) ERR timeout is negative");
  EXPECT_EQ(Run({"BLMPOP", "-1", "2", "q", "LEFT"}), "(error) ERR syntax error");
  EXPECT_EQ(Run({"BLMPOP", "-1", "1", "q", "LEFT"}), "(error) ERR timeout is negative");
}

}  // namespace
}  // namespace tessera::testing
