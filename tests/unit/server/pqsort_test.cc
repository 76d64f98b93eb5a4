#include "server/commands/pqsort.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace tessera {
namespace {

// Whatever the input, positions lrange..rrange hold what a full sort puts there.
TEST(PartialQsortTest, RangeMatchesFullSort) {
  std::mt19937 rng(3);
  auto cmp = [](int a, int b) { return a < b ? -1 : (a > b ? 1 : 0); };
  for (int round = 0; round < 2000; ++round) {
    size_t n = rng() % 200 + 1;
    std::vector<int> v(n);
    for (int& x : v) x = static_cast<int>(rng() % (round % 2 ? 10 : 1000));  // many ties, or few
    std::vector<int> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    size_t l = rng() % n;
    size_t r = l + rng() % (n - l);
    PartialQsort(v, l, r, cmp);
    for (size_t i = l; i <= r; ++i) ASSERT_EQ(v[i], sorted[i]) << "n=" << n << " i=" << i;
  }
}

// Equal elements end up where Redis's pqsort puts them (SORT of 0..n-1 BY a missing key with
// ALPHA and LIMIT, as Redis 7.0 answered).
TEST(PartialQsortTest, TiesLandWhereRedisPutsThem) {
  auto run = [](int n, size_t l, size_t r) {
    std::vector<int> v(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i;
    PartialQsort(v, l, r, [](int, int) { return 0; });
    return std::vector<int>(v.begin() + static_cast<long>(l), v.begin() + static_cast<long>(r) + 1);
  };
  EXPECT_EQ(run(10, 0, 3), (std::vector<int>{9, 1, 2, 3}));
  EXPECT_EQ(run(50, 5, 8), (std::vector<int>{5, 6, 7, 8}));
}

}  // namespace
}  // namespace tessera
