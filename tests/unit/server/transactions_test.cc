#include <gtest/gtest.h>

#include "tests/unit/server/server_fixture.h"

namespace tessera::testing {
namespace {

// MULTI/EXEC/WATCH: queueing, aborts, and which changes break a WATCH (Redis 7.0's rules).
class TransactionsTest : public ServerFixture {
 protected:
  TransactionsTest() { other_ = server_.CreateFakeClient(); }
  Client* other_;
};

TEST_F(TransactionsTest, QueuesAndExecutes) {
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"SET", "a", "1"}), "QUEUED");
  EXPECT_EQ(Run({"INCR", "a"}), "QUEUED");
  EXPECT_EQ(Run({"GET", "a"}), "QUEUED");
  EXPECT_EQ(RunOn(other_, {"GET", "a"}), "(nil)");  // nothing ran yet
  EXPECT_EQ(Run({"EXEC"}), "[OK, 2, 2]");
  EXPECT_EQ(Run({"EXEC"}), "(error) ERR EXEC without MULTI");
}

TEST_F(TransactionsTest, RuntimeErrorsDoNotRollBack) {
  Run({"SET", "s", "x"});
  Run({"MULTI"});
  Run({"LPUSH", "s", "a"});
  Run({"SET", "t", "1"});
  EXPECT_EQ(Run({"EXEC"}),
            "[(error) WRONGTYPE Operation against a key holding the wrong kind of value, OK]");
  EXPECT_EQ(Run({"GET", "t"}), "1");
}

TEST_F(TransactionsTest, QueueingErrorsAbort) {
  Run({"MULTI"});
  Run({"SET", "a", "1"});
  EXPECT_EQ(Run({"NOSUCHCOMMAND"}),
            "(error) ERR unknown command 'NOSUCHCOMMAND', with args beginning with: ");
  EXPECT_EQ(Run({"GET"}), "(error) ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(Run({"EXEC"}),
            "(error) EXECABORT Transaction discarded because of previous errors.");
  EXPECT_EQ(Run({"GET", "a"}), "(nil)");
}

TEST_F(TransactionsTest, NestingAndMisplacedCommands) {
  EXPECT_EQ(Run({"DISCARD"}), "(error) ERR DISCARD without MULTI");
  Run({"MULTI"});
  EXPECT_EQ(Run({"MULTI"}), "(error) ERR MULTI calls can not be nested");
  EXPECT_EQ(Run({"WATCH", "k"}), "(error) ERR WATCH inside MULTI is not allowed");
  Run({"SET", "k", "v"});
  EXPECT_EQ(Run({"EXEC"}), "[OK]");  // neither error aborted the transaction
  Run({"MULTI"});
  Run({"SET", "k", "w"});
  EXPECT_EQ(Run({"DISCARD"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "v");
}

TEST_F(TransactionsTest, WatchBrokenByAnotherClientsWrite) {
  Run({"SET", "k", "1"});
  EXPECT_EQ(Run({"WATCH", "k"}), "OK");
  RunOn(other_, {"SET", "k", "2"});
  Run({"MULTI"});
  Run({"SET", "k", "3"});
  EXPECT_EQ(Run({"EXEC"}), "(nil)");
  EXPECT_EQ(Run({"GET", "k"}), "2");
}

TEST_F(TransactionsTest, WatchIgnoresOtherKeysAndOtherDbs) {
  Run({"SET", "k", "1"});
  Run({"WATCH", "k"});
  RunOn(other_, {"SET", "other", "2"});
  RunOn(other_, {"SELECT", "1"});
  RunOn(other_, {"SET", "k", "x"});
  RunOn(other_, {"FLUSHDB"});
  Run({"MULTI"});
  Run({"INCR", "k"});
  EXPECT_EQ(Run({"EXEC"}), "[2]");
}

TEST_F(TransactionsTest, WatchBrokenByFlushAndSwapOnlyWhenTheKeyExists) {
  Run({"WATCH", "missing"});
  RunOn(other_, {"FLUSHALL"});
  Run({"MULTI"});
  Run({"PING"});
  EXPECT_EQ(Run({"EXEC"}), "[PONG]");

  Run({"SET", "k", "1"});
  Run({"WATCH", "k"});
  RunOn(other_, {"FLUSHDB"});
  Run({"MULTI"});
  Run({"PING"});
  EXPECT_EQ(Run({"EXEC"}), "(nil)");

  RunOn(other_, {"SELECT", "1"});
  RunOn(other_, {"SET", "k", "in-db-1"});
  Run({"WATCH", "k"});
  RunOn(other_, {"SWAPDB", "0", "1"});
  Run({"MULTI"});
  Run({"GET", "k"});
  EXPECT_EQ(Run({"EXEC"}), "(nil)");
}

TEST_F(TransactionsTest, WatchBrokenByExpiry) {
  Run({"SET", "k", "v", "PX", "100"});
  Run({"WATCH", "k"});
  AdvanceMs(200);  // expired, not yet deleted: EXEC notices
  Run({"MULTI"});
  Run({"PING"});
  EXPECT_EQ(Run({"EXEC"}), "(nil)");

  Run({"SET", "j", "v", "PX", "100"});
  Run({"WATCH", "j"});
  AdvanceMs(200);
  RunOn(other_, {"GET", "j"});  // deletes it as expired
  Run({"MULTI"});
  Run({"PING"});
  EXPECT_EQ(Run({"EXEC"}), "(nil)");
}

TEST_F(TransactionsTest, KeyExpiredWhenWatchedIsNoChangeWhenDeleted) {
  Run({"SET", "k", "v", "PX", "100"});
  Run({"DEBUG", "SET-ACTIVE-EXPIRE", "0"});
  AdvanceMs(200);
  Run({"WATCH", "k"});
  RunOn(other_, {"GET", "k"});  // the expired key is deleted now
  Run({"MULTI"});
  Run({"PING"});
  EXPECT_EQ(Run({"EXEC"}), "[PONG]");
}

TEST_F(TransactionsTest, UnwatchAndDiscardForget) {
  Run({"SET", "k", "1"});
  Run({"WATCH", "k"});
  EXPECT_EQ(Run({"UNWATCH"}), "OK");
  RunOn(other_, {"SET", "k", "2"});
  Run({"MULTI"});
  Run({"GET", "k"});
  EXPECT_EQ(Run({"EXEC"}), "[2]");

  Run({"WATCH", "k"});
  Run({"MULTI"});
  Run({"DISCARD"});
  RunOn(other_, {"SET", "k", "3"});
  Run({"MULTI"});
  Run({"GET", "k"});
  EXPECT_EQ(Run({"EXEC"}), "[3]");
}

TEST_F(TransactionsTest, BlockingCommandsDoNotBlockInside) {
  Run({"MULTI"});
  Run({"BLPOP", "nolist", "0"});
  Run({"SET", "after", "1"});
  EXPECT_EQ(Run({"EXEC"}), "[(nil), OK]");
}

TEST_F(TransactionsTest, PropagatedAsOneUnit) {
  RecordingSink sink;
  server_.AddSink(&sink);
  Run({"MULTI"});
  Run({"SET", "a", "1"});
  Run({"GET", "a"});
  Run({"INCR", "a"});
  Run({"EXEC"});
  server_.RemoveSink(&sink);
  ASSERT_EQ(sink.lines.size(), 4u);
  EXPECT_EQ(sink.lines[0], "0: MULTI");
  EXPECT_EQ(sink.lines[1], "0: SET a 1");
  EXPECT_EQ(sink.lines[2], "0: INCR a");
  EXPECT_EQ(sink.lines[3], "0: EXEC");
}

TEST_F(TransactionsTest, ResetLeavesTheTransaction) {
  Run({"SET", "k", "1"});
  Run({"WATCH", "k"});
  Run({"MULTI"});
  Run({"SET", "k", "2"});
  EXPECT_EQ(Run({"RESET"}), "RESET");
  EXPECT_EQ(Run({"EXEC"}), "(error) ERR EXEC without MULTI");
  EXPECT_EQ(Run({"GET", "k"}), "1");
  EXPECT_TRUE(server_.watches().empty());
}

}  // namespace
}  // namespace tessera::testing
