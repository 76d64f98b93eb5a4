// Bus nodes on loopback in one io_context: links form from one introduction, application
// messages arrive, a silent member becomes SUSPECT, and a wrong secret keeps a node out.
#include "cluster-bus/node.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "common/clock.h"

namespace tessera::bus {
namespace {

class NodeTest : public ::testing::Test {
 protected:
  Node& Add(const std::string& id, const std::string& secret = "") {
    NodeOptions o;
    o.id = std::string(39, '0') + id;
    o.secret = secret;
    o.heartbeat_ms = 20;
    o.node_timeout_ms = 300;
    nodes_.push_back(std::make_unique<Node>(io_, o, clock_));
    std::string err;
    EXPECT_TRUE(nodes_.back()->Start(&err)) << err;
    return *nodes_.back();
  }
  template <typename Pred>
  bool RunUntil(Pred pred, int ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      io_.run_for(std::chrono::milliseconds(5));
    }
    return pred();
  }
  static std::string Id(const char* c) { return std::string(39, '0') + c; }

  boost::asio::io_context io_;
  Clock clock_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

TEST_F(NodeTest, OneIntroductionLinksEveryone) {
  Node& a = Add("a");
  Node& b = Add("b");
  Node& c = Add("c");
  // a knows b, b knows c: a learns c from b's heartbeats, c learns a from a's frames.
  a.AddPeer(Id("b"), "127.0.0.1", b.port());
  b.AddPeer(Id("c"), "127.0.0.1", c.port());
  ASSERT_TRUE(RunUntil([&] { return a.LinkUp(Id("c")) && c.LinkUp(Id("a")) && c.LinkUp(Id("b")); },
                       3000));
  std::vector<std::string> got;
  c.set_on_message([&](const std::string& from, const std::string& type, const std::string& p) {
    got.push_back(from + "|" + type + "|" + p);
  });
  EXPECT_TRUE(a.Send(Id("c"), "t", "hello"));
  EXPECT_EQ(a.Broadcast("u", "all"), 2u);
  ASSERT_TRUE(RunUntil([&] { return got.size() == 2; }, 2000));
  EXPECT_EQ(got[0], Id("a") + "|t|hello");
  EXPECT_EQ(got[1], Id("a") + "|u|all");
  EXPECT_FALSE(a.Send(Id("nobody"), "t", "x"));
}

TEST_F(NodeTest, SilentMemberBecomesSuspectAndComesBack) {
  Node& a = Add("a");
  Node& b = Add("b");
  a.AddPeer(Id("b"), "127.0.0.1", b.port());
  std::vector<MemberEvent> events;
  a.set_on_member([&](const MemberEvent& e) { events.push_back(e); });
  ASSERT_TRUE(RunUntil([&] { return b.LinkUp(Id("a")); }, 2000));
  int port = b.port();
  nodes_[1]->Stop();
  ASSERT_TRUE(RunUntil(
      [&] {
        const Member* m = a.membership().Find(Id("b"));
        return m != nullptr && m->state == MemberState::kSuspect;
      },
      3000));
  // b restarts on the same port (a new incarnation) and a hears it again.
  NodeOptions o;
  o.id = Id("b");
  o.port = port;
  o.heartbeat_ms = 20;
  o.node_timeout_ms = 300;
  nodes_[1] = std::make_unique<Node>(io_, o, clock_);
  std::string err;
  ASSERT_TRUE(nodes_[1]->Start(&err)) << err;
  nodes_[1]->AddPeer(Id("a"), "127.0.0.1", a.port());
  ASSERT_TRUE(RunUntil(
      [&] { return a.membership().Find(Id("b"))->state == MemberState::kAlive; }, 3000));
  bool saw_suspect = false, saw_alive = false;
  for (const MemberEvent& e : events) {
    saw_suspect |= e.kind == MemberEvent::Kind::kSuspect;
    saw_alive |= e.kind == MemberEvent::Kind::kAlive;
  }
  EXPECT_TRUE(saw_suspect);
  EXPECT_TRUE(saw_alive);
}

TEST_F(NodeTest, WrongSecretIsDroppedAndCounted) {
  Node& a = Add("a", "right");
  Node& b = Add("b", "right");
  Node& x = Add("x", "wrong");
  a.AddPeer(Id("b"), "127.0.0.1", b.port());
  x.AddPeer(Id("a"), "127.0.0.1", a.port());
  ASSERT_TRUE(RunUntil([&] { return a.stats().bad_mac > 5 && b.LinkUp(Id("a")); }, 3000));
  // x's frames never count: a does not know it as a member.
  EXPECT_EQ(a.membership().Find(Id("x")), nullptr);
  EXPECT_EQ(b.membership().Find(Id("x")), nullptr);
  EXPECT_NE(b.membership().Find(Id("a")), nullptr);
}

}  // namespace
}  // namespace tessera::bus
