#include <gtest/gtest.h>

#include <map>
#include <random>

#include "server/keyspace/stream.h"
#include "tests/unit/server/server_fixture.h"

namespace tessera::testing {
namespace {

std::string Render(const StreamEntry& e) {
  std::string s = e.id.ToString() + ":";
  char buf[24];
  for (const auto& [f, v] : e.fields) {
    s += " ";
    s += f.View(buf);
    s += "=";
    s += v.View(buf);
  }
  return s;
}

// Appends, deletes and trims on small nodes against a std::map model; every range read
// (both directions) must agree.
TEST(StreamStructureTest, RandomOperationsAgreeWithModel) {
  std::mt19937 rng(9);
  Stream s;
  std::map<StreamID, std::string> model;
  uint64_t ms = 1;
  int appended = 0, deleted = 0;
  for (int step = 0; step < 5000; ++step) {
    int op = static_cast<int>(rng() % 10);
    if (op < 6) {
      ms += rng() % 3;
      StreamID id{ms, rng() % 2 == 0 ? 0 : rng() % 5};
      if (id <= s.last_id) continue;
      std::vector<std::string> fv;
      size_t n = rng() % 3 + 1;
      for (size_t i = 0; i < n; ++i) {
        fv.push_back(rng() % 2 ? "f" + std::to_string(i) : "x");
        fv.push_back(std::to_string(rng() % 1000));
      }
      std::vector<std::string_view> views(fv.begin(), fv.end());
      s.Append(id, views, 4096, 5);
      ++appended;
      std::string rendered = id.ToString() + ":";
      for (size_t i = 0; i < fv.size(); i += 2) rendered += " " + fv[i] + "=" + fv[i + 1];
      model[id] = rendered;
    } else if (op < 8 && !model.empty()) {
      auto it = model.begin();
      std::advance(it, static_cast<long>(rng() % model.size()));
      StreamID id = it->first;
      ASSERT_TRUE(s.Delete(id));
      ASSERT_FALSE(s.Delete(id));
      model.erase(it);
      ++deleted;
    } else if (op == 8) {
      StreamTrim t;
      t.strategy = StreamTrim::Strategy::kMaxLen;
      t.maxlen = rng() % 60;
      int64_t removed = s.Trim(t);
      int64_t expect = model.size() > t.maxlen ? static_cast<int64_t>(model.size() - t.maxlen) : 0;
      ASSERT_EQ(removed, expect);
      while (model.size() > t.maxlen) model.erase(model.begin());
    } else {
      StreamTrim t;
      t.strategy = StreamTrim::Strategy::kMinId;
      t.minid = StreamID{ms > 40 ? ms - 40 : 0, 0};
      s.Trim(t);
      while (!model.empty() && model.begin()->first < t.minid) model.erase(model.begin());
    }
    ASSERT_EQ(s.length, model.size());
    if (step % 50 == 0 || step == 4999) {
      std::vector<std::string> fwd, rev;
      s.Range(StreamID::Min(), StreamID::Max(), false, [&](const StreamEntry& e) {
        fwd.push_back(Render(e));
        return true;
      });
      s.Range(StreamID::Min(), StreamID::Max(), true, [&](const StreamEntry& e) {
        rev.push_back(Render(e));
        return true;
      });
      std::vector<std::string> expect;
      for (auto& [id, r] : model) expect.push_back(r);
      ASSERT_EQ(fwd, expect);
      std::reverse(expect.begin(), expect.end());
      ASSERT_EQ(rev, expect);
      if (!model.empty()) {
        EXPECT_EQ(s.first_id, model.begin()->first);
        StreamID last;
        ASSERT_TRUE(s.EdgeId(false, &last));
        EXPECT_EQ(last, model.rbegin()->first);
      }
    }
  }
  EXPECT_GT(appended, 1500);
  EXPECT_GT(deleted, 500);
  EXPECT_GT(s.node_count(), 3u);
  std::unique_ptr<Stream> copy(s.Clone());
  EXPECT_EQ(copy->length, s.length);
}

class StreamsTest : public ServerFixture {
 protected:
  StreamsTest() { server_.AddSink(&sink_); }
  ~StreamsTest() override { server_.RemoveSink(&sink_); }
  RecordingSink sink_;
};

TEST_F(StreamsTest, AddRangeAndIds) {
  EXPECT_EQ(Run({"XADD", "s", "1-1", "a", "1"}), "1-1");
  EXPECT_EQ(Run({"XADD", "s", "1-*", "b", "2"}), "1-2");
  EXPECT_EQ(Run({"XADD", "s", "5", "c", "3"}), "5-0");
  EXPECT_EQ(Run({"XADD", "s", "5", "c", "3"}),
            "(error) ERR The ID specified in XADD is equal or smaller than the target stream top "
            "item");
  EXPECT_EQ(Run({"XADD", "s", "0-0", "c", "3"}),
            "(error) ERR The ID specified in XADD must be greater than 0-0");
  EXPECT_EQ(Run({"XADD", "s", "x-1", "c", "3"}),
            "(error) ERR Invalid stream ID specified as stream command argument");
  EXPECT_EQ(Run({"XRANGE", "s", "-", "+"}), "[[1-1, [a, 1]], [1-2, [b, 2]], [5-0, [c, 3]]]");
  EXPECT_EQ(Run({"XREVRANGE", "s", "+", "(1-2", "COUNT", "5"}), "[[5-0, [c, 3]]]");
  EXPECT_EQ(Run({"XRANGE", "s", "1", "1"}), "[[1-1, [a, 1]], [1-2, [b, 2]]]");
  EXPECT_EQ(Run({"XLEN", "s"}), "3");
  EXPECT_EQ(Run({"XDEL", "s", "1-2", "9-9"}), "1");
  EXPECT_EQ(Run({"XADD", "s", "MAXLEN", "1", "6-0", "d", "4"}), "6-0");
  EXPECT_EQ(Run({"XRANGE", "s", "-", "+"}), "[[6-0, [d, 4]]]");
  EXPECT_EQ(Run({"XADD", "nostream", "NOMKSTREAM", "*", "a", "1"}), "(nil)");
  EXPECT_EQ(Run({"EXISTS", "nostream"}), "0");
}

TEST_F(StreamsTest, GroupsDeliverAckAndPropagateAsClaims) {
  Run({"XADD", "s", "1-0", "a", "1"});
  Run({"XADD", "s", "2-0", "b", "2"});
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "0"}), "OK");
  sink_.lines.clear();
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"}),
            "[[s, [[1-0, [a, 1]]]]]");
  // Replicas learn the consumer, the delivery and the group's position, never the read.
  ASSERT_EQ(sink_.lines.size(), 5u);  // MULTI, CREATECONSUMER, XCLAIM, SETID, EXEC
  EXPECT_EQ(sink_.lines[1], "0: XGROUP CREATECONSUMER s g alice");
  EXPECT_EQ(sink_.lines[2].substr(0, 27), "0: XCLAIM s g alice 0 1-0 T");
  EXPECT_EQ(sink_.lines[3], "0: XGROUP SETID s g 1-0 ENTRIESREAD 1");
  EXPECT_EQ(Run({"XPENDING", "s", "g"}), "[1, 1-0, 1-0, [[alice, 1]]]");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"}),
            "[[s, [[1-0, [a, 1]]]]]");  // its own history
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "bob", "0", "1-0", "JUSTID"}), "[1-0]");
  EXPECT_EQ(Run({"XPENDING", "s", "g"}), "[1, 1-0, 1-0, [[bob, 1]]]");
  EXPECT_EQ(Run({"XACK", "s", "g", "1-0", "1-0"}), "1");
  EXPECT_EQ(Run({"XINFO", "GROUPS", "s"}),
            "[[name, g, consumers, 2, pending, 0, last-delivered-id, 1-0, entries-read, 1, lag, "
            "1]]");
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "carol", "0", "0"}), "[0-0, [], []]");
}

TEST_F(StreamsTest, BlockingReadIsServedByXadd) {
  Client* b = server_.CreateFakeClient();
  Run({"XADD", "s", "1-0", "a", "1"});
  EXPECT_EQ(RunOn(b, {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}), "(no reply)");
  // "$" meant 1-0 when the client blocked, even though 2-0 is the last ID when it re-runs.
  Run({"XADD", "s", "2-0", "b", "2"});
  EXPECT_EQ(Pending(b), "[[s, [[2-0, [b, 2]]]]]");
  Run({"XGROUP", "CREATE", "s", "g", "$"});
  EXPECT_EQ(RunOn(b, {"XREADGROUP", "GROUP", "g", "c", "BLOCK", "100", "STREAMS", "s", ">"}),
            "(no reply)");
  AdvanceMs(150);
  Cron();
  EXPECT_EQ(Pending(b), "(nil)");
}

}  // namespace
}  // namespace tessera::testing
