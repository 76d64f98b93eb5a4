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
  std::mt19937 rng(7);
  ReplBacklog b(97, 1000);
  std::string stream;
  for (int i = 0; i < 300; ++i) {
    std::string chunk(rng() % (i % 10 == 0 ? 250 : 30), 'a');
    for (char& c : chunk) c = static_cast<char>('a' + rng() % 26);
    b.Append(chunk);
    stream += chunk;
    CheckAgainst(b, stream, 1000);
  }
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
  ReplBacklog b(10, 0);
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
