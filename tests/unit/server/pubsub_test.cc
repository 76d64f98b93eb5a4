#include <gtest/gtest.h>

#include "server/core/server_config.h"
#include "tests/unit/server/server_fixture.h"

namespace tessera::testing {
namespace {

// Pub/sub delivery and keyspace notifications, with fake clients as subscribers.
class PubSubTest : public ServerFixture {
 protected:
  PubSubTest() { sub_ = server_.CreateFakeClient(); }
  // Every reply a command sent (SUBSCRIBE answers once per channel).
  std::vector<std::string> RunAll(Client* c, std::initializer_list<std::string_view> args) {
    std::vector<std::string_view> argv(args.begin(), args.end());
    server_.ExecuteCommand(*c, argv);
    return PendingAll(c);
  }
  Client* sub_;
};

TEST_F(PubSubTest, SubscribeReplies) {
  EXPECT_EQ(RunAll(sub_, {"SUBSCRIBE", "a", "b"}),
            (std::vector<std::string>{"[subscribe, a, 1]", "[subscribe, b, 2]"}));
  EXPECT_EQ(RunOn(sub_, {"PSUBSCRIBE", "n*"}), "[psubscribe, n*, 3]");
  EXPECT_EQ(RunOn(sub_, {"UNSUBSCRIBE", "a"}), "[unsubscribe, a, 2]");
  EXPECT_EQ(RunOn(sub_, {"UNSUBSCRIBE", "never"}), "[unsubscribe, never, 2]");
  EXPECT_EQ(RunOn(sub_, {"PUNSUBSCRIBE"}), "[punsubscribe, n*, 1]");
  EXPECT_EQ(RunOn(sub_, {"UNSUBSCRIBE"}), "[unsubscribe, b, 0]");
  EXPECT_EQ(RunOn(sub_, {"UNSUBSCRIBE"}), "[unsubscribe, (nil), 0]");
  EXPECT_FALSE(sub_->Has(kClientPubsub));
}

TEST_F(PubSubTest, PublishCountsChannelAndPatternReceivers) {
  RunOn(sub_, {"SUBSCRIBE", "news"});
  RunOn(sub_, {"PSUBSCRIBE", "n*", "x*"});
  PendingAll(sub_);
  EXPECT_EQ(Run({"PUBLISH", "news", "hello"}), "2");
  EXPECT_EQ(PendingAll(sub_),
            (std::vector<std::string>{"[message, news, hello]", "[pmessage, n*, news, hello]"}));
  EXPECT_EQ(Run({"PUBLISH", "nothing-here", "x"}), "1");
  EXPECT_EQ(Run({"PUBLISH", "zzz", "x"}), "0");
}

TEST_F(PubSubTest, Resp3MessagesArePushes) {
  RunOn(sub_, {"HELLO", "3"});
  EXPECT_EQ(RunOn(sub_, {"SUBSCRIBE", "c"}), ">[subscribe, c, 1]");
  Run({"PUBLISH", "c", "m"});
  EXPECT_EQ(Pending(sub_), ">[message, c, m]");
  EXPECT_EQ(RunOn(sub_, {"SET", "k", "v"}), "OK");  // RESP3 subscribers may run anything
}

TEST_F(PubSubTest, Resp2SubscriberModeRestrictions) {
  RunOn(sub_, {"SUBSCRIBE", "c"});
  EXPECT_EQ(RunOn(sub_, {"GET", "k"}),
            "(error) ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
            "QUIT / RESET are allowed in this context");
  EXPECT_EQ(RunOn(sub_, {"PING"}), "[pong, ]");
  EXPECT_EQ(RunOn(sub_, {"PING", "x"}), "[pong, x]");
  EXPECT_EQ(RunOn(sub_, {"RESET"}), "RESET");
  EXPECT_EQ(RunOn(sub_, {"GET", "k"}), "(nil)");
  EXPECT_EQ(Run({"PUBLISH", "c", "m"}), "0");
}

TEST_F(PubSubTest, ShardChannelsAreSeparate) {
  EXPECT_EQ(RunOn(sub_, {"SSUBSCRIBE", "s"}), "[ssubscribe, s, 1]");
  EXPECT_EQ(Run({"PUBLISH", "s", "m"}), "0");
  EXPECT_EQ(Run({"SPUBLISH", "s", "m"}), "1");
  EXPECT_EQ(Pending(sub_), "[smessage, s, m]");
  EXPECT_EQ(Run({"PUBSUB", "SHARDCHANNELS"}), "[s]");
  EXPECT_EQ(Run({"PUBSUB", "SHARDNUMSUB", "s", "t"}), "[s, 1, t, 0]");
  EXPECT_EQ(RunOn(sub_, {"SUNSUBSCRIBE"}), "[sunsubscribe, s, 0]");
}

TEST_F(PubSubTest, Introspection) {
  RunOn(sub_, {"SUBSCRIBE", "a", "ab", "b"});
  RunOn(sub_, {"PSUBSCRIBE", "p*", "q*"});
  Client* second = server_.CreateFakeClient();
  RunOn(second, {"PSUBSCRIBE", "p*"});
  RunOn(second, {"SUBSCRIBE", "a"});
  EXPECT_EQ(Run({"PUBSUB", "NUMSUB", "a", "b", "zz"}), "[a, 2, b, 1, zz, 0]");
  EXPECT_EQ(Run({"PUBSUB", "NUMPAT"}), "2");
  EXPECT_EQ(Run({"PUBSUB", "CHANNELS", "ab*"}), "[ab]");
  server_.DestroyClient(second);
  EXPECT_EQ(Run({"PUBSUB", "NUMSUB", "a"}), "[a, 1]");
}

TEST(KeyspaceEventsConfig, LettersRoundTrip) {
  EXPECT_EQ(KeyspaceEventsToString(static_cast<uint32_t>(KeyspaceEventsFromString("KEA"))),
            "AKE");
  EXPECT_EQ(KeyspaceEventsToString(static_cast<uint32_t>(KeyspaceEventsFromString("Elg"))),
            "glE");
  EXPECT_EQ(KeyspaceEventsToString(static_cast<uint32_t>(KeyspaceEventsFromString("mnKx"))),
            "xnKm");
  EXPECT_EQ(KeyspaceEventsToString(static_cast<uint32_t>(KeyspaceEventsFromString("KEAnm"))),
            "AKEm");  // Redis does not show n next to A
  EXPECT_EQ(KeyspaceEventsFromString("Kq"), -1);
  EXPECT_EQ(KeyspaceEventsFromString(""), 0);
}

// The events a command emits, read from a subscriber of every keyevent channel.
class NotificationsTest : public PubSubTest {
 protected:
  NotificationsTest() {
    Run({"CONFIG", "SET", "notify-keyspace-events", "KEA"});
    RunOn(sub_, {"PSUBSCRIBE", "__keyevent@*"});
  }
  std::vector<std::string> Events(std::initializer_list<std::string_view> cmd) {
    PendingAll(sub_);
    Run(cmd);
    std::vector<std::string> out;
    for (const std::string& m : PendingAll(sub_)) {
      // "[pmessage, __keyevent@*, __keyevent@0__:lpush, key]" -> "lpush key"
      size_t colon = m.find("__:");
      size_t comma = m.rfind(", ");
      out.push_back(m.substr(colon + 3, comma - colon - 3) + " " +
                    m.substr(comma + 2, m.size() - comma - 3));
    }
    return out;
  }
  using V = std::vector<std::string>;
};

TEST_F(NotificationsTest, StringsAndGeneric) {
  EXPECT_EQ(Events({"SET", "k", "1"}), V{"set k"});
  EXPECT_EQ(Events({"INCRBY", "k", "2"}), V{"incrby k"});
  EXPECT_EQ(Events({"APPEND", "k", "x"}), V{"append k"});
  EXPECT_EQ(Events({"EXPIRE", "k", "100"}), V{"expire k"});
  EXPECT_EQ(Events({"RENAME", "k", "j"}), (V{"rename_from k", "rename_to j"}));
  EXPECT_EQ(Events({"DEL", "j", "nothing"}), V{"del j"});
  EXPECT_EQ(Events({"GET", "nothing"}), V{});  // keymiss is not in 'A'
}

TEST_F(NotificationsTest, ContainersEmittingDelWhenEmptied) {
  EXPECT_EQ(Events({"RPUSH", "l", "a"}), V{"rpush l"});
  EXPECT_EQ(Events({"LPOP", "l"}), (V{"lpop l", "del l"}));
  EXPECT_EQ(Events({"HSET", "h", "f", "v"}), V{"hset h"});
  EXPECT_EQ(Events({"HDEL", "h", "f"}), (V{"hdel h", "del h"}));
  EXPECT_EQ(Events({"SADD", "s", "m"}), V{"sadd s"});
  EXPECT_EQ(Events({"SREM", "s", "m"}), (V{"srem s", "del s"}));
  EXPECT_EQ(Events({"ZADD", "z", "1", "m"}), V{"zadd z"});
  EXPECT_EQ(Events({"ZINCRBY", "z", "1", "m"}), V{"zincr z"});
  EXPECT_EQ(Events({"ZREM", "z", "m"}), (V{"zrem z", "del z"}));
}

TEST_F(NotificationsTest, ExpiredAndNewAndKeymiss) {
  Run({"CONFIG", "SET", "notify-keyspace-events", "Exnm"});
  Run({"SET", "k", "v", "PX", "10"});
  AdvanceMs(20);
  EXPECT_EQ(Events({"GET", "k"}), (V{"expired k", "keymiss k"}));
  EXPECT_EQ(Events({"LPUSH", "l", "a"}), V{"new l"});
  EXPECT_EQ(Events({"LPUSH", "l", "b"}), V{});
}

TEST_F(NotificationsTest, KeyspaceChannelCarriesTheEvent) {
  Run({"CONFIG", "SET", "notify-keyspace-events", "K$"});
  Client* ks = server_.CreateFakeClient();
  RunOn(ks, {"SUBSCRIBE", "__keyspace@0__:key"});
  Run({"SET", "key", "v"});
  EXPECT_EQ(Pending(ks), "[message, __keyspace@0__:key, set]");
  EXPECT_EQ(Pending(sub_), "(no reply)");  // no E: nothing on keyevent channels
}

}  // namespace
}  // namespace tessera::testing
