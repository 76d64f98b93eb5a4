#include <gtest/gtest.h>

#include "tests/unit/server/server_fixture.h"

namespace tessera::testing {
namespace {

class ExpireTest : public ServerFixture {};

TEST_F(ExpireTest, PassiveExpiryWithSteppedClock) {
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "1500"}), "OK");
  AdvanceMs(1499);
  EXPECT_EQ(Run({"GET", "k"}), "v");
  AdvanceMs(1);
  EXPECT_EQ(Run({"GET", "k"}), "v") << "a key expires strictly after its time";
  AdvanceMs(1);
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
  EXPECT_EQ(server_.keyspace().stats().expired_keys, 1u);
  EXPECT_EQ(server_.keyspace().db(0).size(), 0u);
}

TEST_F(ExpireTest, ActiveCycleDeletesWithoutAccess) {
  for (int i = 0; i < 1000; ++i) {
    Run({"SET", "k" + std::to_string(i), "v", "PX", "100"});
  }
  for (int i = 0; i < 10; ++i) Run({"SET", "keep" + std::to_string(i), "v"});
  EXPECT_EQ(server_.keyspace().db(0).expires_size(), 1000u);
  AdvanceMs(101);
  for (int i = 0; i < 20 && server_.keyspace().db(0).size() > 10; ++i) Cron();
  EXPECT_EQ(server_.keyspace().db(0).size(), 10u);
  EXPECT_EQ(server_.keyspace().stats().expired_keys, 1000u);
}

TEST_F(ExpireTest, ActiveCycleStopsWhenFewKeysExpire) {
  // Only 1 key in 100 is expired: one cycle samples, sees < 25% stale, and moves on,
  // leaving most of the work to later cycles (bounded work per cron tick).
  for (int i = 0; i < 10000; ++i) {
    Run({"SET", "k" + std::to_string(i), "v", "PX", i % 100 == 0 ? "100" : "1000000"});
  }
  AdvanceMs(101);
  size_t before = server_.keyspace().db(0).size();
  server_.keyspace().ActiveExpireCycle(NowMs(), 1000000);
  size_t removed = before - server_.keyspace().db(0).size();
  EXPECT_LT(removed, 100u);
}

TEST_F(ExpireTest, DisabledActiveExpireKeepsKeysButHidesThem) {
  Run({"DEBUG", "SET-ACTIVE-EXPIRE", "0"});
  Run({"SET", "k", "v", "PX", "10"});
  AdvanceMs(20);
  Cron();
  EXPECT_EQ(server_.keyspace().db(0).size(), 1u);
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
  EXPECT_EQ(server_.keyspace().db(0).size(), 0u);
}

TEST_F(ExpireTest, ExpireOptionsAndTtls) {
  Run({"SET", "k", "v"});
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "XX"}), "0");
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "NX"}), "1");
  EXPECT_EQ(Run({"EXPIRE", "k", "50", "GT"}), "0");
  EXPECT_EQ(Run({"EXPIRE", "k", "200", "GT"}), "1");
  EXPECT_EQ(Run({"EXPIRE", "k", "300", "LT"}), "0");
  EXPECT_EQ(Run({"TTL", "k"}), "200");
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), std::to_string(NowMs() + 200000));
  EXPECT_EQ(Run({"EXPIRE", "k", "1", "NX", "XX"}),
            "(error) ERR NX and XX, GT or LT options at the same time are not compatible");
  EXPECT_EQ(Run({"PERSIST", "k"}), "1");
  EXPECT_EQ(Run({"TTL", "k"}), "-1");
  EXPECT_EQ(Run({"TTL", "nokey"}), "-2");
  EXPECT_EQ(Run({"EXPIRE", "k", "-1"}), "1");
  EXPECT_EQ(Run({"EXISTS", "k"}), "0");
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"EXPIRE", "k", "9223372036854775807"}),
            "(error) ERR invalid expire time in 'expire' command");
}

TEST_F(ExpireTest, PauseHidesButKeepsExpiredKeys) {
  Client* other = server_.CreateFakeClient();
  Run({"SET", "k", "v", "PX", "10"});
  EXPECT_EQ(Run({"CLIENT", "PAUSE", "100000", "WRITE"}), "OK");
  AdvanceMs(20);
  EXPECT_EQ(RunOn(other, {"GET", "k"}), "(nil)");
  EXPECT_EQ(server_.keyspace().db(0).size(), 1u) << "no deletion while writes are paused";
  Run({"CLIENT", "UNPAUSE"});
  EXPECT_EQ(RunOn(other, {"GET", "k"}), "(nil)");
  EXPECT_EQ(server_.keyspace().db(0).size(), 0u);
}

}  // namespace
}  // namespace tessera::testing
