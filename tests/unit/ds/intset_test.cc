#include "server/ds/intset.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

namespace tessera::intset {
namespace {

std::string Hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

TEST(Intset, ByteCompatibleWithRedis) {
  // From `DUMP is` after SADD is 5 -3 70000 on redis-server 7.0.15.
  uint8_t* is = New();
  for (int64_t v : {5, -3, 70000}) is = Add(is, v);
  EXPECT_EQ(Hex(is, Bytes(is)), "0400000003000000fdffffff0500000070110100");
  EXPECT_TRUE(Validate(is, Bytes(is), true));
  Free(is);
}

TEST(Intset, UpgradesAndAgreesWithStdSet) {
  std::mt19937_64 rng(5);
  uint8_t* is = New();
  std::set<int64_t> model;
  for (int i = 0; i < 20000; ++i) {
    int64_t v;
    switch (rng() % 3) {
      case 0: v = static_cast<int64_t>(rng() % 1000) - 500; break;
      case 1: v = static_cast<int64_t>(rng() % 200000) - 100000; break;
      default: v = static_cast<int64_t>(rng());
    }
    if (rng() % 3 == 0) {
      bool removed;
      is = Remove(is, v, &removed);
      EXPECT_EQ(removed, model.erase(v) == 1);
    } else {
      bool added;
      is = Add(is, v, &added);
      EXPECT_EQ(added, model.insert(v).second);
    }
    ASSERT_EQ(Length(is), model.size());
  }
  size_t i = 0;
  for (int64_t v : model) EXPECT_EQ(Get(is, i++), v);
  for (int k = 0; k < 1000; ++k) {
    int64_t v = static_cast<int64_t>(rng() % 2000) - 1000;
    EXPECT_EQ(Contains(is, v), model.count(v) == 1);
  }
  EXPECT_EQ(Max(is), *model.rbegin());
  Free(is);
}

TEST(Intset, ValidateRejectsBadInput) {
  uint8_t* is = New();
  for (int64_t v : {1, 2, 3}) is = Add(is, v);
  std::string bytes(reinterpret_cast<char*>(is), Bytes(is));
  EXPECT_TRUE(Validate(is, Bytes(is), true));
  EXPECT_FALSE(Validate(is, Bytes(is) - 1, true));
  bytes[8] = 9;  // first value now 9 > 2: order broken
  EXPECT_FALSE(Validate(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), true));
  bytes[0] = 3;  // bad encoding
  EXPECT_FALSE(Validate(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), false));
  Free(is);
}

}  // namespace
}  // namespace tessera::intset
