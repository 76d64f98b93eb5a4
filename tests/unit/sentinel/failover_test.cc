// The sentinel state machine driven by events and a fake clock (tests/unit/sentinel/world.h):
// detection, elections, and the failover steps, including the failures around them.
#include <gtest/gtest.h>

#include "tests/unit/sentinel/world.h"

namespace tessera::sentinel::testing {
namespace {

// One master (6379) with two replicas (6380, 6381) and three sentinels, quorum 2.
class FailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    w_.AddServer(6379, true).offset = 1000;
    w_.AddServer(6380, false, 6379).offset = 900;
    w_.AddServer(6381, false, 6379).offset = 1000;
    for (int i = 0; i < 3; ++i) w_.AddSentinel({{"mymaster", 6379}});
    // Discovery: replicas from INFO, sentinels from hellos.
    ASSERT_TRUE(w_.StepUntil(
        [&] {
          for (size_t i = 0; i < w_.size(); ++i) {
            const Master* m = w_.Node(i).s->FindMaster("mymaster");
            if (m->replicas.size() != 2 || m->sentinels.size() != 2) return false;
          }
          return true;
        },
        5000));
  }
  World w_;
};

TEST_F(FailoverTest, KilledMasterIsReplacedByTheMostAdvancedReplica) {
  w_.Kill(6379);
  int64_t killed = w_.now();
  ASSERT_TRUE(w_.StepUntil([&] { return w_.AgreedMaster("mymaster") == "10.0.0.1:6381"; }, 3000));
  // down-after is 1000 ms: detection takes that, the rest a few ticks.
  EXPECT_LT(w_.now() - killed, 1300);
  EXPECT_GE(w_.now() - killed, 1000);
  EXPECT_EQ(w_.CountEvents("+elected-leader"), 1);
  for (const auto& [epoch, leaders] : w_.LeadersPerEpoch()) EXPECT_LE(leaders, 1) << epoch;
  ASSERT_TRUE(w_.StepUntil([&] { return w_.CountEvents("+switch-master") == 3; }, 2000));
  // The other replica now follows the new master.
  EXPECT_EQ(w_.Server(6380).master.port, 6381);
  EXPECT_TRUE(w_.Server(6381).is_master);
  for (size_t i = 0; i < w_.size(); ++i) {
    const Master* m = w_.Node(i).s->FindMaster("mymaster");
    EXPECT_EQ(m->config_epoch, 1u);
    EXPECT_EQ(m->replicas.count("10.0.0.1:6379"), 1u) << "the old master is kept as a replica";
  }
}

TEST_F(FailoverTest, ReturningOldMasterIsMadeAReplica) {
  w_.Kill(6379);
  ASSERT_TRUE(w_.StepUntil([&] { return w_.CountEvents("+switch-master") == 3; }, 3000));
  FakeServer& old = w_.Server(6379);
  old.up = true;
  old.runid = "f" + std::string(39, '0');  // restarted
  ASSERT_TRUE(w_.StepUntil([&] { return !old.is_master; }, 3000));
  EXPECT_EQ(old.master.port, 6381);
  EXPECT_GE(w_.CountEvents("+convert-to-slave"), 1);
}

TEST_F(FailoverTest, PriorityBeatsOffsetAndZeroIsNeverPromoted) {
  w_.Server(6381).priority = 0;  // the most advanced one may not be promoted
  w_.Step(11000);                // one INFO period: the sentinels know it
  w_.Kill(6379);
  ASSERT_TRUE(w_.StepUntil([&] { return w_.AgreedMaster("mymaster") == "10.0.0.1:6380"; }, 3000));
  EXPECT_TRUE(w_.Server(6380).is_master);
  EXPECT_FALSE(w_.Server(6381).is_master);
}

TEST_F(FailoverTest, NoFailoverWithoutAGoodReplica) {
  w_.Server(6380).priority = 0;
  w_.Server(6381).priority = 0;
  w_.Step(11000);
  w_.Kill(6379);
  w_.Step(3000);
  EXPECT_EQ(w_.AgreedMaster("mymaster"), "10.0.0.1:6379");
  EXPECT_GE(w_.CountEvents("-failover-abort-no-good-slave"), 1);
  EXPECT_EQ(w_.CountEvents("+promoted-slave"), 0);
}

TEST_F(FailoverTest, MasterBackBeforeDownAfterCausesNothing) {
  w_.Kill(6379);
  w_.Step(700);
  w_.Server(6379).up = true;
  w_.Step(3000);
  EXPECT_EQ(w_.CountEvents("+sdown"), 0);
  EXPECT_EQ(w_.CountEvents("+try-failover"), 0);
  EXPECT_EQ(w_.AgreedMaster("mymaster"), "10.0.0.1:6379");
}

TEST_F(FailoverTest, OneSentinelCutOffCannotFailOverAlone) {
  // Sentinel 0 loses the master and the other sentinels; the others still see the master.
  w_.Node(0).isolated = true;
  w_.SetGroup(0, 1);
  w_.Step(5000);
  EXPECT_GE(w_.CountEvents(0, "+sdown"), 1);
  EXPECT_EQ(w_.CountEvents(0, "+odown"), 0);
  EXPECT_EQ(w_.CountEvents("+try-failover"), 0);
  EXPECT_TRUE(w_.Server(6379).is_master);
}

TEST_F(FailoverTest, SplitVotesAreResolvedAndNoEpochHasTwoLeaders) {
  // Every candidacy starts in the same tick and sees the others' requests only afterwards:
  // the first election splits.
  w_.batch_bus = true;
  w_.zero_random = true;
  w_.Kill(6379);
  ASSERT_TRUE(w_.StepUntil([&] { return w_.CountEvents("-failover-abort-not-elected") >= 1; }, 5000));
  EXPECT_EQ(w_.CountEvents("+elected-leader"), 0);
  // Random retry delays break the tie.
  w_.zero_random = false;
  ASSERT_TRUE(w_.StepUntil([&] { return w_.AgreedMaster("mymaster") == "10.0.0.1:6381"; }, 20000));
  for (const auto& [epoch, leaders] : w_.LeadersPerEpoch()) EXPECT_LE(leaders, 1) << epoch;
  EXPECT_GE(w_.CountEvents("-failover-abort-not-elected"), 1);  // the split happened
  EXPECT_EQ(w_.CountEvents("+promoted-slave"), 1);
}

TEST_F(FailoverTest, LeaderDyingAfterElectionIsReplacedByAnother) {
  for (size_t i = 0; i < w_.size(); ++i) w_.Node(i).s->set_simulate_failure(kCrashAfterElection);
  w_.Kill(6379);
  ASSERT_TRUE(w_.StepUntil([&] { return w_.CountEvents("+elected-leader") >= 1; }, 3000));
  // The leader crashed right after its election: let the survivors run normally.
  for (size_t i = 0; i < w_.size(); ++i) w_.Node(i).s->set_simulate_failure(0);
  int dead = 0;
  for (size_t i = 0; i < w_.size(); ++i) dead += w_.Node(i).alive ? 0 : 1;
  ASSERT_EQ(dead, 1);
  // The bus calls the leader dead after 2 s: another sentinel runs the failover then,
  // without waiting for the 5 s failover-timeout.
  int64_t elected_at = w_.now();
  ASSERT_TRUE(w_.StepUntil([&] { return w_.AgreedMaster("mymaster") == "10.0.0.1:6381"; }, 8000));
  EXPECT_LT(w_.now() - elected_at, 4000);
  for (const auto& [epoch, leaders] : w_.LeadersPerEpoch()) EXPECT_LE(leaders, 1) << epoch;
  EXPECT_EQ(w_.LeadersPerEpoch().size(), 2u);  // two epochs, one leader each
}

TEST_F(FailoverTest, ReplicaThatNeverFinishesPromotionIsGivenUp) {
  w_.Server(6381).ignore_promotion = true;
  w_.Kill(6379);
  // failover-timeout is 5 s: the first attempt gives up on 6381, a later one takes 6380.
  ASSERT_TRUE(w_.StepUntil([&] { return w_.AgreedMaster("mymaster") == "10.0.0.1:6380"; }, 20000));
  EXPECT_GE(w_.CountEvents("-failover-abort-slave-timeout"), 1);
  EXPECT_TRUE(w_.Server(6380).is_master);
  for (const auto& [epoch, leaders] : w_.LeadersPerEpoch()) EXPECT_LE(leaders, 1) << epoch;
}

TEST_F(FailoverTest, MasterRestartedEmptyIsFailedOverToTheReplicaWithData) {
  FakeServer& m = w_.Server(6379);
  m.runid = "e" + std::string(39, '0');
  m.keys = 0;  // back at once, without its data
  w_.Step(11000);  // its next INFO shows the new run id
  ASSERT_TRUE(w_.StepUntil([&] { return w_.AgreedMaster("mymaster") != "10.0.0.1:6379"; }, 5000));
  EXPECT_GE(w_.CountEvents("+empty-restart"), 1);
  EXPECT_GE(w_.CountEvents("+reboot"), 1);
}

TEST_F(FailoverTest, EmptyRestartWithEmptyReplicasIsNoFailover) {
  // A fresh deployment, or replicas that already took the empty dataset: nothing to save.
  for (int port : {6379, 6380, 6381}) w_.Server(port).keys = 0;
  w_.Step(11000);
  w_.Server(6379).runid = "e" + std::string(39, '0');
  w_.Step(12000);
  EXPECT_GE(w_.CountEvents("+reboot"), 1);
  EXPECT_EQ(w_.CountEvents("+empty-restart"), 0);
  EXPECT_EQ(w_.CountEvents("+try-failover"), 0);
}

TEST_F(FailoverTest, ForcedFailoverNeedsNoAgreement) {
  w_.Step(11000);
  EXPECT_EQ(w_.Node(1).s->Failover("nosuch", w_.now()), "ERR No such master with that name");
  EXPECT_EQ(w_.Node(1).s->Failover("mymaster", w_.now()), "");
  EXPECT_EQ(w_.Node(1).s->Failover("mymaster", w_.now()), "INPROG Failover already in progress");
  ASSERT_TRUE(w_.StepUntil([&] { return w_.AgreedMaster("mymaster") == "10.0.0.1:6381"; }, 3000));
  // The live master handed over itself (FAILOVER TO): it follows the new master already.
  EXPECT_EQ(w_.Server(6379).handovers, 1);
  EXPECT_FALSE(w_.Server(6379).is_master);
  EXPECT_EQ(w_.Server(6379).master.port, 6381);
  EXPECT_EQ(w_.CountEvents("+convert-to-slave"), 0);
}

TEST_F(FailoverTest, ForcedFailoverFallsBackWhenTheMasterCannotHandOver) {
  w_.refuse_handover = true;
  w_.Step(11000);
  EXPECT_EQ(w_.Node(1).s->Failover("mymaster", w_.now()), "");
  ASSERT_TRUE(w_.StepUntil([&] { return w_.AgreedMaster("mymaster") == "10.0.0.1:6381"; }, 3000));
  EXPECT_EQ(w_.CountEvents("-failover-handover-refused"), 1);
  // The old master, still up, is made a replica of the new one.
  ASSERT_TRUE(w_.StepUntil([&] { return !w_.Server(6379).is_master; }, 5000));
  EXPECT_EQ(w_.Server(6379).master.port, 6381);
}

TEST_F(FailoverTest, TimeJumpEntersTiltAndActsOnNothing) {
  w_.Kill(6379);
  // The sentinels' process stalls for 3 s (as under SIGSTOP): a tick that late is a TILT.
  for (size_t i = 0; i < w_.size(); ++i) w_.Node(i).s->Tick(w_.now() + 3000);
  w_.Step(3100);
  EXPECT_EQ(w_.CountEvents("+tilt"), 3);
  EXPECT_EQ(w_.CountEvents("+try-failover"), 0);
  for (size_t i = 0; i < w_.size(); ++i) EXPECT_TRUE(w_.Node(i).s->tilt());
}

TEST(FailoverTwoMasters, BothFailOverIndependently) {
  World w;
  w.AddServer(6379, true).offset = 10;
  w.AddServer(6380, false, 6379).offset = 10;
  w.AddServer(7379, true).offset = 10;
  w.AddServer(7380, false, 7379).offset = 10;
  for (int i = 0; i < 3; ++i) w.AddSentinel({{"a", 6379}, {"b", 7379}});
  w.Step(3000);
  w.Kill(6379);
  w.Kill(7379);
  ASSERT_TRUE(w.StepUntil(
      [&] {
        return w.AgreedMaster("a") == "10.0.0.1:6380" && w.AgreedMaster("b") == "10.0.0.1:7380";
      },
      5000));
  EXPECT_EQ(w.CountEvents("+promoted-slave"), 2);
  for (const auto& [epoch, leaders] : w.LeadersPerEpoch()) EXPECT_LE(leaders, 1) << epoch;
}

TEST(FailoverQuorum, FiveSentinelsNeedAMajorityToAuthorize) {
  World w;
  w.AddServer(6379, true);
  w.AddServer(6380, false, 6379);
  for (int i = 0; i < 5; ++i) w.AddSentinel({{"m", 6379}}, /*quorum=*/2);
  w.Step(3000);
  // Three of five are cut off from everything: two can reach ODOWN (quorum 2) but not the
  // majority of three that a leader needs.
  for (size_t i = 2; i < 5; ++i) w.KillSentinel(i);
  w.Kill(6379);
  w.Step(6000);
  EXPECT_GE(w.CountEvents("+odown"), 1);
  EXPECT_EQ(w.CountEvents("+elected-leader"), 0);
  EXPECT_EQ(w.AgreedMaster("m"), "10.0.0.1:6379");
  bool no_quorum = false, no_majority = false;
  int usable = w.Node(0).s->UsableSentinels(*w.Node(0).s->FindMaster("m"), &no_quorum,
                                            &no_majority);
  EXPECT_EQ(usable, 2);
  EXPECT_FALSE(no_quorum);
  EXPECT_TRUE(no_majority);
}

}  // namespace
}  // namespace tessera::sentinel::testing
