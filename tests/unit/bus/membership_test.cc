#include "cluster-bus/membership.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace tessera::bus {
namespace {

constexpr int64_t kTimeout = 1000;

PeerView ViewOf(const std::string& id, PeerView::State s, uint64_t incarnation = 1) {
  PeerView v;
  v.set_id(id);
  v.set_state(s);
  v.set_incarnation(incarnation);
  return v;
}

bool Has(const std::vector<MemberEvent>& events, MemberEvent::Kind kind, const std::string& id) {
  return std::any_of(events.begin(), events.end(),
                     [&](const MemberEvent& e) { return e.kind == kind && e.id == id; });
}

// Node "a" among b, c, d, e (5 members: a verdict needs 3).
class MembershipTest : public ::testing::Test {
 protected:
  MembershipTest() : m_("a", {kTimeout}) {
    for (const char* id : {"b", "c", "d", "e"}) m_.Add(id, "127.0.0.1", 1000, now_);
    m_.TakeEvents();
  }
  void HearAllBut(const std::string& silent) {
    for (const char* id : {"b", "c", "d", "e"}) {
      if (id != silent) m_.Heard(id, "", 0, 1, now_);
    }
  }
  void Step(int64_t ms, const std::string& silent) {
    for (int64_t t = 0; t < ms; t += 100) {
      now_ += 100;
      HearAllBut(silent);
      m_.Tick(now_);
    }
  }
  MemberState StateOf(const std::string& id) { return m_.Find(id)->state; }

  int64_t now_ = 1'000'000;
  Membership m_;
};

TEST_F(MembershipTest, SilenceMakesASuspectNotAFailure) {
  EXPECT_EQ(m_.Majority(), 3u);
  Step(kTimeout, "e");
  EXPECT_EQ(StateOf("e"), MemberState::kAlive);  // not yet over the timeout
  Step(200, "e");
  EXPECT_EQ(StateOf("e"), MemberState::kSuspect);
  EXPECT_TRUE(Has(m_.TakeEvents(), MemberEvent::Kind::kSuspect, "e"));
  Step(10 * kTimeout, "e");
  EXPECT_EQ(StateOf("e"), MemberState::kSuspect);  // alone, we never call it failed
}

TEST_F(MembershipTest, AMajorityOfReportsMakesAFailure) {
  Step(kTimeout + 200, "e");
  m_.Gossip("b", ViewOf("e", PeerView::SUSPECT), now_);
  EXPECT_EQ(StateOf("e"), MemberState::kSuspect);  // 2 of 5
  m_.Gossip("c", ViewOf("e", PeerView::SUSPECT), now_);
  EXPECT_EQ(StateOf("e"), MemberState::kFailed);  // 3 of 5
  EXPECT_TRUE(Has(m_.TakeEvents(), MemberEvent::Kind::kFailed, "e"));
  // It is heard from again: alive, reports forgotten.
  m_.Heard("e", "", 0, 1, now_);
  EXPECT_EQ(StateOf("e"), MemberState::kAlive);
  EXPECT_TRUE(m_.Find("e")->reports.empty());
  EXPECT_TRUE(Has(m_.TakeEvents(), MemberEvent::Kind::kAlive, "e"));
}

TEST_F(MembershipTest, OldReportsExpire) {
  Step(kTimeout + 200, "e");
  m_.Gossip("b", ViewOf("e", PeerView::SUSPECT), now_);
  Step(2 * kTimeout + 200, "e");  // b's report is now too old
  m_.Gossip("c", ViewOf("e", PeerView::SUSPECT), now_);
  EXPECT_EQ(StateOf("e"), MemberState::kSuspect);
  EXPECT_EQ(m_.Find("e")->reports.size(), 1u);
}

TEST_F(MembershipTest, ReportsFromSuspectsDoNotCountAndAliveRetracts) {
  // d and e are both silent: d's say about e is worth nothing.
  for (int i = 0; i < 13; ++i) {
    now_ += 100;
    m_.Heard("b", "", 0, 1, now_);
    m_.Heard("c", "", 0, 1, now_);
    m_.Tick(now_);
  }
  ASSERT_EQ(StateOf("d"), MemberState::kSuspect);
  m_.Gossip("d", ViewOf("e", PeerView::SUSPECT), now_);
  m_.Gossip("b", ViewOf("e", PeerView::SUSPECT), now_);
  m_.Gossip("b", ViewOf("e", PeerView::ALIVE), now_);  // b takes it back
  m_.Gossip("c", ViewOf("e", PeerView::SUSPECT), now_);
  EXPECT_EQ(StateOf("e"), MemberState::kSuspect);  // us + c = 2 of 5
  m_.Gossip("b", ViewOf("e", PeerView::SUSPECT), now_);
  EXPECT_EQ(StateOf("e"), MemberState::kFailed);  // us + b + c
}

TEST_F(MembershipTest, AVerdictSpreadsToThoseWhoSuspect) {
  Step(kTimeout + 200, "e");
  m_.Gossip("b", ViewOf("e", PeerView::FAILED), now_);
  EXPECT_EQ(StateOf("e"), MemberState::kFailed);
  // But not to a member we still hear from ourselves.
  m_.Gossip("b", ViewOf("d", PeerView::FAILED), now_);
  EXPECT_EQ(StateOf("d"), MemberState::kAlive);
}

TEST_F(MembershipTest, ARestartedMemberStartsAfresh) {
  m_.Heard("e", "", 0, 1, now_);
  Step(kTimeout + 200, "e");
  m_.Gossip("b", ViewOf("e", PeerView::SUSPECT), now_);
  m_.TakeEvents();
  m_.Heard("e", "127.0.0.1", 1001, 2, now_);  // a new incarnation
  auto events = m_.TakeEvents();
  EXPECT_TRUE(Has(events, MemberEvent::Kind::kRestarted, "e"));
  EXPECT_EQ(StateOf("e"), MemberState::kAlive);
  EXPECT_EQ(m_.Find("e")->port, 1001);
  // Gossip about its earlier life is ignored.
  m_.Gossip("b", ViewOf("e", PeerView::FAILED, 1), now_);
  EXPECT_TRUE(m_.Find("e")->reports.empty());
}

TEST_F(MembershipTest, GossipIntroducesMembersAndTheViewReportsThem) {
  m_.Gossip("b", ViewOf("f", PeerView::ALIVE), now_);
  EXPECT_NE(m_.Find("f"), nullptr);
  EXPECT_TRUE(Has(m_.TakeEvents(), MemberEvent::Kind::kJoined, "f"));
  EXPECT_EQ(m_.Majority(), 4u);  // 6 members now
  m_.Gossip("b", ViewOf("a", PeerView::FAILED), now_);  // about us: ignored
  EXPECT_EQ(m_.Find("a"), nullptr);
  Step(kTimeout + 200, "e");
  auto view = m_.View();
  ASSERT_EQ(view.size(), 5u);
  auto e = std::find_if(view.begin(), view.end(), [](const PeerView& v) { return v.id() == "e"; });
  ASSERT_NE(e, view.end());
  EXPECT_EQ(e->state(), PeerView::SUSPECT);
}

TEST(Membership, TwoNodesNeedBoth) {
  // With one peer, a verdict needs both: the one that is silent never agrees, so a two-member
  // bus only ever suspects.
  Membership m("a", {kTimeout});
  m.Add("b", "h", 1, 0);
  EXPECT_EQ(m.Majority(), 2u);
  m.Tick(kTimeout + 1);
  EXPECT_EQ(m.Find("b")->state, MemberState::kSuspect);
  m.Tick(100 * kTimeout);
  EXPECT_EQ(m.Find("b")->state, MemberState::kSuspect);
}

}  // namespace
}  // namespace tessera::bus
