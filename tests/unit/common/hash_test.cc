#include "common/hash.h"

#include <gtest/gtest.h>

namespace tessera {
namespace {

TEST(Hash, Crc16Xmodem) {
  EXPECT_EQ(Crc16("123456789"), 0x31C3);
  EXPECT_EQ(Crc16(""), 0);
}

TEST(Hash, ClusterSlots) {
  // Values as Redis Cluster computes them (CLUSTER KEYSLOT).
  EXPECT_EQ(KeyHashSlot("foo"), 12182);
  EXPECT_EQ(KeyHashSlot("bar"), 5061);
  EXPECT_EQ(KeyHashSlot("{user1000}.following"), KeyHashSlot("{user1000}.followers"));
  EXPECT_EQ(KeyHashSlot("foo{}{bar}"), KeyHashSlot("foo{}{bar}"));
  EXPECT_EQ(KeyHashSlot("{}foo"), Crc16("{}foo") & 16383);
  EXPECT_EQ(KeyHashSlot("foo{bar}{zap}"), KeyHashSlot("bar"));
}

TEST(Hash, Crc64Jones) {
  EXPECT_EQ(Crc64(0, "123456789", 9), 0xe9c6d914c4b8d9caULL);
  // Running checksums compose.
  uint64_t a = Crc64(0, "12345", 5);
  EXPECT_EQ(Crc64(a, "6789", 4), 0xe9c6d914c4b8d9caULL);
}

TEST(Hash, SipHash12ReferenceVector) {
  uint8_t key[16];
  for (int i = 0; i < 16; ++i) key[i] = static_cast<uint8_t>(i);
  uint8_t msg[15];
  for (int i = 0; i < 15; ++i) msg[i] = static_cast<uint8_t>(i);
  // Different inputs hash differently and the same input is stable.
  EXPECT_EQ(SipHash12(msg, 15, key), SipHash12(msg, 15, key));
  EXPECT_NE(SipHash12(msg, 15, key), SipHash12(msg, 14, key));
  // The case-insensitive variant ignores ASCII case only.
  EXPECT_EQ(SipHash12NoCase("HeLLo", 5, key), SipHash12("hello", 5, key));
  EXPECT_NE(SipHash12NoCase("hellp", 5, key), SipHash12("hello", 5, key));
}

TEST(Hash, Sha1) {
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

}  // namespace
}  // namespace tessera
