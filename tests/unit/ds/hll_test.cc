#include "server/keyspace/hll.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tessera::hll {
namespace {

std::string_view View(const RawString* r) { return std::string_view(r->data, r->len); }

// Register indexes and run lengths, as Redis 7.0 reports them (PFADD then PFDEBUG GETREG).
TEST(HllTest, HashAndPatternMatchRedis) {
  struct Case {
    std::string element;
    size_t index;
    int count;
  };
  for (const Case& c : std::vector<Case>{
           {"a", 12711, 2}, {"foo", 7348, 5}, {"hello world", 9399, 4}, {"", 5938, 2}}) {
    size_t index;
    EXPECT_EQ(PatternLength(c.element, &index), c.count) << c.element;
    EXPECT_EQ(index, c.index) << c.element;
  }
}

TEST(HllTest, SparseStaysCompactThenBecomesDense) {
  RawString* r = NewEmpty();
  EXPECT_TRUE(IsValid(View(r)));
  EXPECT_EQ(EncodingOf(View(r)), kSparse);
  EXPECT_EQ(DecodeSparse(View(r)), "Z:16384");
  for (int i = 0; i < 1000; ++i) ASSERT_GE(Add(&r, std::to_string(i), 3000), 0);
  EXPECT_EQ(EncodingOf(View(r)), kSparse);
  EXPECT_EQ(r->len, 1923u);  // Redis's exact sparse size for these elements
  bool invalid = false;
  EXPECT_EQ(Count(View(r), &invalid), 1001u);  // Redis's estimate
  EXPECT_FALSE(invalid);
  for (int i = 1000; i < 100000; ++i) ASSERT_GE(Add(&r, std::to_string(i), 3000), 0);
  EXPECT_EQ(EncodingOf(View(r)), kDense);
  EXPECT_EQ(r->len, kDenseSize);
  EXPECT_EQ(Count(View(r), &invalid), 99565u);
  EXPECT_EQ(Add(&r, "5", 3000), 0);  // already counted: no register changes
  RawString::Free(r);
}

TEST(HllTest, SparseAndDenseHoldTheSameRegisters) {
  RawString* sparse = NewEmpty();
  RawString* dense = NewEmpty();
  ASSERT_TRUE(ToDense(&dense));
  for (int i = 0; i < 500; ++i) {
    Add(&sparse, "e" + std::to_string(i * 7919), 100000);
    Add(&dense, "e" + std::to_string(i * 7919), 100000);
  }
  std::vector<uint8_t> a(kRegisters), b(kRegisters);
  ASSERT_TRUE(MergeInto(View(sparse), a.data()));
  ASSERT_TRUE(MergeInto(View(dense), b.data()));
  EXPECT_EQ(a, b);
  ASSERT_TRUE(ToDense(&sparse));
  EXPECT_EQ(std::string(View(sparse).substr(kHeaderSize)), std::string(View(dense).substr(kHeaderSize)));
  RawString::Free(sparse);
  RawString::Free(dense);
}

TEST(HllTest, CorruptSparseIsDetected) {
  RawString* r = NewEmpty();
  r->data[kHeaderSize + 1] = 0x00;  // XZERO now covers 16129 registers, not 16384
  bool invalid = false;
  Count(View(r), &invalid);
  EXPECT_TRUE(invalid);
  std::vector<uint8_t> max(kRegisters);
  EXPECT_FALSE(MergeInto(View(r), max.data()));
  EXPECT_FALSE(ToDense(&r));
  EXPECT_FALSE(IsValid("HYLL"));
  EXPECT_FALSE(IsValid(std::string("HYLL\x00", 5) + std::string(11, '\0')));  // dense, short
  RawString::Free(r);
}

TEST(HllTest, CacheBits) {
  RawString* r = NewEmpty();
  EXPECT_TRUE(CacheValid(View(r)));
  StoreCache(r, 0x0102030405060708ULL);
  EXPECT_EQ(CachedCount(View(r)), 0x0102030405060708ULL);
  InvalidateCache(r);
  EXPECT_FALSE(CacheValid(View(r)));
  RawString::Free(r);
}

}  // namespace
}  // namespace tessera::hll
