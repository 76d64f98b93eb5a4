#include <gtest/gtest.h>

#include "tests/unit/server/server_fixture.h"

namespace tessera::testing {
namespace {

// What write commands hand to the propagation sinks (the future AOF and replicas): relative
// TTLs become absolute, read-modify commands become their effect, units of several commands
// are wrapped in MULTI/EXEC.
class PropagationTest : public ServerFixture {
 protected:
  PropagationTest() { server_.AddSink(&sink_); }
  ~PropagationTest() override { server_.RemoveSink(&sink_); }
  RecordingSink sink_;
};

TEST_F(PropagationTest, RelativeTimesBecomeAbsolute) {
  int64_t at = NowMs() + 10000;
  Run({"SET", "k", "v", "EX", "10"});
  Run({"EXPIRE", "k", "20"});
  Run({"GETEX", "k", "PX", "30"});
  ASSERT_EQ(sink_.lines.size(), 3u);
  EXPECT_EQ(sink_.lines[0], "0: SET k v PXAT " + std::to_string(at));
  EXPECT_EQ(sink_.lines[1], "0: PEXPIREAT k " + std::to_string(NowMs() + 20000));
  EXPECT_EQ(sink_.lines[2], "0: PEXPIREAT k " + std::to_string(NowMs() + 30));
}

TEST_F(PropagationTest, EffectsInsteadOfCommands) {
  Run({"SET", "f", "1.5"});
  Run({"INCRBYFLOAT", "f", "1"});
  Run({"GETSET", "f", "x"});
  Run({"GETDEL", "f"});
  Run({"SET", "k", "v"});
  Run({"EXPIRE", "k", "-1"});
  Run({"GET", "nokey"});  // reads propagate nothing
  ASSERT_EQ(sink_.lines.size(), 6u);
  EXPECT_EQ(sink_.lines[1], "0: SET f 2.5 KEEPTTL");
  EXPECT_EQ(sink_.lines[2], "0: SET f x");
  EXPECT_EQ(sink_.lines[3], "0: DEL f");
  EXPECT_EQ(sink_.lines[5], "0: DEL k");
}

TEST_F(PropagationTest, ExpiredKeyDeletionIsPropagatedBeforeTheCommand) {
  Run({"SET", "k", "v", "PX", "10"});
  sink_.lines.clear();
  AdvanceMs(11);
  Run({"SET", "k", "new"});
  ASSERT_EQ(sink_.lines.size(), 4u);
  EXPECT_EQ(sink_.lines[0], "0: MULTI");
  EXPECT_EQ(sink_.lines[1], "0: DEL k");
  EXPECT_EQ(sink_.lines[2], "0: SET k new");
  EXPECT_EQ(sink_.lines[3], "0: EXEC");
}

TEST_F(PropagationTest, SelectedDbIsCarried) {
  Run({"SELECT", "3"});
  Run({"SET", "a", "1"});
  ASSERT_EQ(sink_.lines.size(), 1u);
  EXPECT_EQ(sink_.lines[0], "3: SET a 1");
}

}  // namespace
}  // namespace tessera::testing
