#include "server/replication/backlog.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace tessera {
namespace {

// Against the whole stream kept in a string: every offset the backlog claims to cover gives
// exactly the stream's tail from there, and it covers exactly the last min(size, total) bytes.
void CheckAgainst(const ReplBacklog& b, const std::string& stream, int64_t start) {
  int64_t end = start + static_cast<int64_t>(stream.size());  // master_repl_offset
  ASSERT_EQ(b.offset(), end);
  size_t want = std::min(b.size(), stream.size());
  ASSERT_EQ(b.histlen(), want);
  EXPECT_FALSE(b.Covers(b.first_offset() - 1));
  EXPECT_FALSE(b.Covers(end + 2));
  for (int64_t next = b.first_offset(); next <= end + 1; ++next) {
    ASSERT_TRUE(b.Covers(next));
    std::string got;
    ASSERT_TRUE(b.CopyFrom(next, &got));
    ASSERT_EQ(got, stream.substr(static_cast<size_t>(next - start - 1))) << next;
  }
}

TEST(ReplBacklog, RandomAppendsMatchTheStream) {
  for (size_t block : {1, 7, 97, 64 << 10}) {
    std::mt19937 rng(7);
    ReplBacklog b(97, 1000, block);
    std::string stream;
    for (int i = 0; i < 300; ++i) {
      std::string chunk(rng() % (i % 10 == 0 ? 250 : 30), 'a');
      for (char& c : chunk) c = static_cast<char>('a' + rng() % 26);
      b.Append(chunk);
      stream += chunk;
      CheckAgainst(b, stream, 1000);
    }
    // Whole blocks are freed: what stays allocated is the limit plus at most two blocks.
    EXPECT_LE(b.allocated(), 97 + 2 * block) << block;
  }
}

TEST(ReplBacklog, PinHoldsTheStreamBeyondTheSize) {
  ReplBacklog b(10, 100, 4);
  b.Pin(101);  // a replica synchronizing from offset 100 needs every byte from 101
  std::string stream;
  for (int i = 0; i < 50; ++i) {
    std::string chunk = std::to_string(i) + ",";
    b.Append(chunk);
    stream += chunk;
  }
  EXPECT_EQ(b.histlen(), stream.size());
  EXPECT_EQ(b.first_offset(), 101);
  EXPECT_EQ(b.pinned_excess(), stream.size() - 10);
  std::string got;
  ASSERT_TRUE(b.CopyFrom(101, &got));
  EXPECT_EQ(got, stream);
  // The replica takes the stream in pieces; the pin follows it and the rest is freed.
  std::string taken;
  int64_t next = 101;
  while (next <= b.offset()) {
    size_t n = b.Visit(next, 9, [&](std::string_view piece) { taken.append(piece); });
    ASSERT_GT(n, 0u);
    ASSERT_LE(n, 9u);
    next += static_cast<int64_t>(n);
    b.Pin(next);
    EXPECT_LE(b.histlen(), std::max<size_t>(10, static_cast<size_t>(b.offset() + 1 - next)));
  }
  EXPECT_EQ(taken, stream);
  EXPECT_EQ(b.histlen(), 10u);
  EXPECT_EQ(b.pinned_excess(), 0u);
  b.Pin(-1);
  EXPECT_EQ(b.histlen(), 10u);
  CheckAgainst(b, stream, 100);
}

TEST(ReplBacklog, VisitOutsideTheRangeGivesNothing) {
  ReplBacklog b(8, 0, 3);
  b.Append("abcdefghijkl");  // holds e..l
  int calls = 0;
  EXPECT_EQ(b.Visit(4, 100, [&](std::string_view) { ++calls; }), 0u);
  EXPECT_EQ(b.Visit(14, 100, [&](std::string_view) { ++calls; }), 0u);
  EXPECT_EQ(b.Visit(13, 100, [&](std::string_view) { ++calls; }), 0u);  // covered, empty
  EXPECT_EQ(calls, 0);
  std::string got;
  EXPECT_EQ(b.Visit(6, 4, [&](std::string_view p) { got.append(p); }), 4u);
  EXPECT_EQ(got, "fghi");
}

TEST(ReplBacklog, EmptyBacklogCoversOnlyTheNextByte) {
  ReplBacklog b(16, 41);
  EXPECT_TRUE(b.Covers(42));
  EXPECT_FALSE(b.Covers(41));
  std::string got;
  EXPECT_TRUE(b.CopyFrom(42, &got));
  EXPECT_EQ(got, "");
  EXPECT_FALSE(b.CopyFrom(43, &got));
}

TEST(ReplBacklog, ResizeKeepsTheNewestBytes) {
  ReplBacklog b(10, 0, 3);
  b.Append("abcdefghijklmno");  // holds f..o
  b.Resize(4);
  std::string got;
  ASSERT_TRUE(b.CopyFrom(b.first_offset(), &got));
  EXPECT_EQ(got, "lmno");
  EXPECT_EQ(b.first_offset(), 12);
  b.Resize(8);
  b.Append("pq");
  got.clear();
  ASSERT_TRUE(b.CopyFrom(b.first_offset(), &got));
  EXPECT_EQ(got, "lmnopq");
  b.Append("rstuvw");
  got.clear();
  ASSERT_TRUE(b.CopyFrom(b.first_offset(), &got));
  EXPECT_EQ(got, "pqrstuvw");
  EXPECT_EQ(b.offset(), 23);
}

}  // namespace
}  // namespace tessera
