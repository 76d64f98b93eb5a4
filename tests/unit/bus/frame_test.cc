#include "cluster-bus/frame.h"

#include <gtest/gtest.h>

#include <string>

namespace tessera::bus {
namespace {

Envelope Hello(const std::string& from, uint64_t seq) {
  Envelope e;
  e.set_sender(from);
  e.set_sender_host("10.0.0.1");
  e.set_sender_port(26379);
  e.set_incarnation(7);
  e.set_seq(seq);
  PeerView* p = e.mutable_heartbeat()->add_peers();
  p->set_id("peer");
  p->set_state(PeerView::SUSPECT);
  return e;
}

TEST(BusFrame, RoundTripFedByteByByte) {
  for (std::string secret : {"", "s3cret"}) {
    std::string wire;
    for (uint64_t i = 0; i < 3; ++i) AppendFrame(Hello("a", i), secret, &wire);
    FrameReader r(secret);
    Envelope got;
    std::string err;
    uint64_t next = 0;
    for (char c : wire) {
      r.Feed(std::string_view(&c, 1));
      while (r.Next(&got, &err) == FrameReader::Result::kMessage) {
        EXPECT_EQ(got.seq(), next++);
        EXPECT_EQ(got.sender(), "a");
        ASSERT_EQ(got.heartbeat().peers_size(), 1);
        EXPECT_EQ(got.heartbeat().peers(0).state(), PeerView::SUSPECT);
      }
    }
    EXPECT_EQ(next, 3u);
    EXPECT_EQ(r.stats().frames, 3u);
    EXPECT_EQ(r.buffered(), 0u);
  }
}

TEST(BusFrame, WrongOrMissingMacIsDroppedAndCountedAndTheLinkGoesOn) {
  std::string wire;
  AppendFrame(Hello("good", 1), "right", &wire);
  AppendFrame(Hello("forged", 2), "wrong", &wire);
  AppendFrame(Hello("plain", 3), "", &wire);
  AppendFrame(Hello("good", 4), "right", &wire);
  FrameReader r("right");
  r.Feed(wire);
  Envelope got;
  std::string err;
  ASSERT_EQ(r.Next(&got, &err), FrameReader::Result::kMessage);
  EXPECT_EQ(got.seq(), 1u);
  ASSERT_EQ(r.Next(&got, &err), FrameReader::Result::kMessage);
  EXPECT_EQ(got.seq(), 4u);
  EXPECT_EQ(r.Next(&got, &err), FrameReader::Result::kNeedMore);
  EXPECT_EQ(r.stats().bad_mac, 2u);
  EXPECT_EQ(r.stats().frames, 2u);
}

TEST(BusFrame, FlippedPayloadBitFailsTheMac) {
  std::string wire;
  AppendFrame(Hello("a", 1), "k", &wire);
  wire[kHeaderSize + 3] ^= 1;
  FrameReader r("k");
  r.Feed(wire);
  Envelope got;
  std::string err;
  EXPECT_EQ(r.Next(&got, &err), FrameReader::Result::kNeedMore);
  EXPECT_EQ(r.stats().bad_mac, 1u);
}

TEST(BusFrame, GarbagePayloadIsDroppedAndCounted) {
  std::string wire(kMagic, 4);
  wire += std::string("\x00\x01\x00\x00\x00\x00\x00\x03", 8);
  wire += "\xff\xff\xff";  // not a protobuf message
  AppendFrame(Hello("a", 9), "", &wire);
  FrameReader r;
  r.Feed(wire);
  Envelope got;
  std::string err;
  ASSERT_EQ(r.Next(&got, &err), FrameReader::Result::kMessage);
  EXPECT_EQ(got.seq(), 9u);
  EXPECT_EQ(r.stats().bad_payload, 1u);
}

TEST(BusFrame, NotABusPeerIsFatal) {
  Envelope got;
  std::string err;
  {
    FrameReader r;
    r.Feed("*1\r\n$4\r\nPING\r\n");  // a RESP client on the bus port
    EXPECT_EQ(r.Next(&got, &err), FrameReader::Result::kFatal);
    EXPECT_NE(err.find("magic"), std::string::npos);
  }
  {
    std::string wire;
    AppendFrame(Hello("a", 1), "", &wire);
    wire[5] = 9;  // version 9
    FrameReader r;
    r.Feed(wire);
    EXPECT_EQ(r.Next(&got, &err), FrameReader::Result::kFatal);
    EXPECT_NE(err.find("version 9"), std::string::npos);
  }
  {
    std::string wire(kMagic, 4);
    wire += std::string("\x00\x01\x00\x00\x7f\xff\xff\xff", 8);  // a 2 GB frame
    FrameReader r;
    r.Feed(wire);
    EXPECT_EQ(r.Next(&got, &err), FrameReader::Result::kFatal);
    EXPECT_NE(err.find("over the limit"), std::string::npos);
  }
}

}  // namespace
}  // namespace tessera::bus
