#include "common/resp/output_buffer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace tessera::resp {
namespace {

TEST(OutputBuffer, PartialWritesPreserveOrder) {
  OutputBuffer out;
  std::string expected;
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string piece(rng() % 3000, static_cast<char>('a' + i % 26));
    out.Append(piece);
    expected += piece;
  }
  EXPECT_EQ(out.pending(), expected.size());
  std::string got;
  while (!out.empty()) {
    struct iovec iov[8];
    int n = out.Gather(iov, 8);
    ASSERT_GT(n, 0);
    // Consume a random prefix of what was gathered, as a short write would.
    size_t total = 0;
    for (int i = 0; i < n; ++i) total += iov[i].iov_len;
    size_t take = 1 + rng() % total;
    size_t left = take;
    for (int i = 0; i < n && left > 0; ++i) {
      size_t k = std::min(left, iov[i].iov_len);
      got.append(static_cast<char*>(iov[i].iov_base), k);
      left -= k;
    }
    out.Consume(take);
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(out.pending(), 0u);
}

TEST(OutputBuffer, ReleaseFreesIdleChunks) {
  OutputBuffer out;
  out.Append(std::string(100, 'a'));
  EXPECT_GT(out.allocated(), 0u);
  struct iovec iov[4];
  out.Gather(iov, 4);
  out.Consume(100);
  out.Release();
  EXPECT_EQ(out.allocated(), 0u);
  EXPECT_EQ(out.chunk_count(), 0u);
}

}  // namespace
}  // namespace tessera::resp
