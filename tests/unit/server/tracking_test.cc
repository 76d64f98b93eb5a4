#include <gtest/gtest.h>

#include "tests/unit/server/server_fixture.h"

namespace tessera::testing {
namespace {

// Client-side caching with fake clients: what is remembered and who is told.
class TrackingTest : public ServerFixture {
 protected:
  TrackingTest() {
    reader_ = server_.CreateFakeClient();
    RunOn(reader_, {"HELLO", "3"});
  }
  Client* reader_;
};

TEST_F(TrackingTest, ReadKeysAreInvalidatedOnceAfterAWrite) {
  EXPECT_EQ(RunOn(reader_, {"CLIENT", "TRACKING", "ON"}), "OK");
  RunOn(reader_, {"GET", "k"});
  EXPECT_EQ(server_.tracking().total_keys(), 1u);
  Run({"SET", "k", "1"});
  EXPECT_EQ(Pending(reader_), ">[invalidate, [k]]");
  Run({"SET", "k", "2"});
  EXPECT_EQ(Pending(reader_), "(no reply)");  // forgotten until read again
}

TEST_F(TrackingTest, OwnWritesComeAfterTheReplyUnlessNoloop) {
  RunOn(reader_, {"CLIENT", "TRACKING", "ON"});
  RunOn(reader_, {"GET", "k"});
  std::vector<std::string_view> argv = {"SET", "k", "v"};
  server_.ExecuteCommand(*reader_, argv);
  EXPECT_EQ(PendingAll(reader_), (std::vector<std::string>{"OK", ">[invalidate, [k]]"}));
  RunOn(reader_, {"CLIENT", "TRACKING", "ON", "NOLOOP"});
  RunOn(reader_, {"GET", "k"});
  EXPECT_EQ(RunOn(reader_, {"SET", "k", "w"}), "OK");
  EXPECT_EQ(Pending(reader_), "(no reply)");
}

TEST_F(TrackingTest, OptinTracksOnlyAfterCachingYes) {
  RunOn(reader_, {"CLIENT", "TRACKING", "ON", "OPTIN"});
  RunOn(reader_, {"GET", "a"});
  EXPECT_EQ(server_.tracking().total_keys(), 0u);
  EXPECT_EQ(RunOn(reader_, {"CLIENT", "CACHING", "YES"}), "OK");
  RunOn(reader_, {"GET", "b"});
  RunOn(reader_, {"GET", "c"});
  EXPECT_EQ(server_.tracking().total_keys(), 1u);
  EXPECT_EQ(RunOn(reader_, {"CLIENT", "CACHING", "NO"}),
            "(error) ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT "
            "mode.");
}

TEST_F(TrackingTest, FlushSendsNull) {
  RunOn(reader_, {"CLIENT", "TRACKING", "ON"});
  Run({"FLUSHALL"});
  EXPECT_EQ(Pending(reader_), ">[invalidate, (nil)]");
}

TEST_F(TrackingTest, BroadcastBatchesPerPrefix) {
  RunOn(reader_, {"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:"});
  Run({"SET", "user:2", "x"});
  Run({"SET", "user:1", "x"});
  Run({"SET", "other", "x"});
  Run({"SET", "user:2", "y"});
  server_.BeforeSleep();
  EXPECT_EQ(Pending(reader_), ">[invalidate, [user:1, user:2]]");
}

TEST_F(TrackingTest, ModeErrors) {
  EXPECT_EQ(RunOn(reader_, {"CLIENT", "TRACKING", "ON", "PREFIX", "a"}),
            "(error) ERR PREFIX option requires BCAST mode to be enabled");
  EXPECT_EQ(RunOn(reader_, {"CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"}),
            "(error) ERR You can't specify both OPTIN mode and OPTOUT mode");
  EXPECT_EQ(RunOn(reader_, {"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "ab"}),
            "(error) ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a "
            "single client must not overlap.");
  EXPECT_EQ(RunOn(reader_, {"CLIENT", "GETREDIR"}), "-1");
}

}  // namespace
}  // namespace tessera::testing
