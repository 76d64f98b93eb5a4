#include "server/replication/replica_link.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tessera {
namespace {

// Records what the link asks for.
struct FakeHost : ReplicaLinkHost {
  std::string sent;
  std::string payload;
  std::string full_replid;
  int64_t full_offset = -2, size = -2;
  bool ended = false, fail_load = false;
  std::string continued = "(none)";
  void LinkSend(std::string_view b) override { sent += b; }
  bool TransferBegin(const std::string& id, int64_t off, int64_t sz) override {
    full_replid = id;
    full_offset = off;
    size = sz;
    return true;
  }
  bool TransferData(std::string_view c) override {
    payload += c;
    return true;
  }
  bool TransferEnd() override {
    ended = true;
    return !fail_load;
  }
  void Continued(const std::string& id) override { continued = id; }
};

const std::string kId(40, 'a');

std::string Take(std::string& s) {
  std::string out;
  out.swap(s);
  return out;
}

size_t FeedAll(ReplicaLink& l, std::string_view data, int64_t now, bool* ok) {
  return l.Feed(data.data(), data.size(), now, ok);
}

// Connect, PING, the pipelined AUTH + REPLCONFs once PONG arrives, then PSYNC.
void Handshake(ReplicaLink& l, FakeHost& h, const ReplicaLink::Options& o) {
  l.Reset();
  l.Connecting(0);
  EXPECT_EQ(l.StateName(), std::string("connecting"));
  l.Connected(o, kId, 101, 0);
  EXPECT_EQ(Take(h.sent), "*1\r\n$4\r\nPING\r\n");
  bool ok = true;
  FeedAll(l, "+PONG\r\n", 1, &ok);
  ASSERT_TRUE(ok);
  std::string expect;
  if (!o.masterauth.empty()) expect += "*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n";
  expect += "*3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n$4\r\n6380\r\n";
  expect += "*5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n$6\r\npsync2\r\n";
  EXPECT_EQ(Take(h.sent), expect);
  // Replies may arrive split anywhere; a REPLCONF error is ignored.
  std::string replies = (o.masterauth.empty() ? "" : "+OK\r\n") + std::string("-ERR old\r\n+O");
  FeedAll(l, replies, 2, &ok);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(h.sent.empty());
  FeedAll(l, "K\r\n", 2, &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(Take(h.sent), "*3\r\n$5\r\nPSYNC\r\n$40\r\n" + kId + "\r\n$3\r\n101\r\n");
  EXPECT_EQ(l.state(), ReplicaLink::State::kPsync);
}

TEST(ReplicaLink, FullSyncWithSizedPayloadThenStream) {
  FakeHost h;
  ReplicaLink l(&h);
  ReplicaLink::Options o;
  o.listening_port = 6380;
  o.masterauth = "secret";
  Handshake(l, h, o);
  bool ok = true;
  std::string in = "+FULLRESYNC " + std::string(40, 'b') + " 777\r\n\n\n$10\r\n0123456";
  EXPECT_EQ(FeedAll(l, in, 3, &ok), in.size());
  EXPECT_EQ(l.StateName(), std::string("sync"));
  EXPECT_EQ(h.size, 10);
  EXPECT_EQ(h.full_offset, 777);
  std::string rest = "789*1\r\n$4\r\nPING\r\n";
  size_t used = FeedAll(l, rest, 4, &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(used, 3u);  // the stream that follows is not the link's
  EXPECT_TRUE(h.ended);
  EXPECT_EQ(h.payload, "0123456789");
  EXPECT_EQ(l.state(), ReplicaLink::State::kConnected);
}

TEST(ReplicaLink, EofMarkedPayloadSplitAcrossReads) {
  FakeHost h;
  ReplicaLink l(&h);
  ReplicaLink::Options o;
  o.listening_port = 6380;
  Handshake(l, h, o);
  bool ok = true;
  std::string mark(40, 'm');
  mark[39] = 'z';
  FeedAll(l, "+FULLRESYNC " + std::string(40, 'c') + " 5\r\n$EOF:" + mark + "\r\nREDIS", 1, &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(h.size, -1);
  std::string body = "0010-payload" + mark.substr(0, 25);
  FeedAll(l, body, 2, &ok);
  EXPECT_FALSE(h.ended);
  FeedAll(l, mark.substr(25), 3, &ok);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(h.ended);
  EXPECT_TRUE(l.eof_marked());
  EXPECT_EQ(h.payload, "REDIS0010-payload");  // the mark itself is not payload
}

TEST(ReplicaLink, ContinueAndErrors) {
  FakeHost h;
  ReplicaLink l(&h);
  ReplicaLink::Options o;
  o.listening_port = 6380;
  Handshake(l, h, o);
  bool ok = true;
  FeedAll(l, "+CONTINUE " + std::string(40, 'd') + "\r\n", 1, &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(h.continued, std::string(40, 'd'));
  EXPECT_EQ(l.state(), ReplicaLink::State::kConnected);
  // An error to PING (other than an auth one) fails the attempt; the server retries.
  l.Reset();
  l.Connected(o, "?", -1, 10);
  FeedAll(l, "-ERR nope\r\n", 11, &ok);
  EXPECT_FALSE(ok);
  EXPECT_EQ(l.state(), ReplicaLink::State::kConnect);
  EXPECT_NE(l.error().find("PING"), std::string::npos);
  // -NOAUTH still proves the master is there.
  h.sent.clear();
  l.Connected(o, "?", -1, 20);
  FeedAll(l, "-NOAUTH Authentication required.\r\n", 21, &ok);
  EXPECT_TRUE(ok);
  EXPECT_NE(h.sent.find("REPLCONF"), std::string::npos);
  // A master that cannot serve yet.
  FeedAll(l, "+OK\r\n+OK\r\n-LOADING busy\r\n", 22, &ok);
  EXPECT_FALSE(ok);
  // A failed load fails the link.
  h.sent.clear();
  Handshake(l, h, o);
  h.fail_load = true;
  FeedAll(l, "+FULLRESYNC " + std::string(40, 'e') + " 1\r\n$2\r\nab", 30, &ok);
  EXPECT_FALSE(ok);
}

TEST(ReplicaLink, TimeoutsWhileConnectingAndTransferring) {
  FakeHost h;
  ReplicaLink l(&h);
  ReplicaLink::Options o;
  o.timeout_ms = 1000;
  l.Reset();
  l.Connecting(0);
  EXPECT_TRUE(l.Tick(1000));
  l.Connected(o, "?", -1, 500);
  EXPECT_TRUE(l.Tick(1500));
  EXPECT_FALSE(l.Tick(1501));
  bool ok = true;
  FeedAll(l, "+PONG\r\n", 1400, &ok);  // any input resets the clock
  EXPECT_TRUE(l.Tick(2400));
}

}  // namespace
}  // namespace tessera
