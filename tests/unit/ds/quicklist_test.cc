#include "server/ds/quicklist.h"

#include <gtest/gtest.h>

#include <deque>
#include <algorithm>
#include <memory>
#include <random>
#include <string>

namespace tessera::ds {
namespace {

std::deque<std::string> Contents(Quicklist& q) {
  std::deque<std::string> out;
  q.Visit(0, q.size(), false, [&](std::string_view v) {
    out.emplace_back(v);
    return true;
  });
  return out;
}

struct Options {
  int fill;
  int compress;
};

class QuicklistTest : public ::testing::TestWithParam<Options> {};

TEST_P(QuicklistTest, RandomOperationsAgreeWithDeque) {
  std::mt19937 rng(static_cast<unsigned>(GetParam().fill * 31 + GetParam().compress));
  Quicklist q(GetParam().fill, GetParam().compress);
  std::deque<std::string> model;
  auto value = [&] {
    switch (rng() % 4) {
      case 0: return std::to_string(static_cast<int>(rng() % 1000) - 500);
      case 1: return std::string(1 + rng() % 10, 'a' + rng() % 3);
      case 2: return std::string(100 + rng() % 400, 'x');  // compressible
      default: return std::string("v") + std::to_string(rng() % 50);
    }
  };
  for (int step = 0; step < 6000; ++step) {
    int op = static_cast<int>(rng() % 10);
    std::string v = value();
    if (op < 3) {
      q.PushBack(v);
      model.push_back(v);
    } else if (op < 5) {
      q.PushFront(v);
      model.push_front(v);
    } else if (op == 5 && !model.empty()) {
      std::string out;
      if (rng() % 2) {
        ASSERT_TRUE(q.PopFront(&out));
        EXPECT_EQ(out, model.front());
        model.pop_front();
      } else {
        ASSERT_TRUE(q.PopBack(&out));
        EXPECT_EQ(out, model.back());
        model.pop_back();
      }
    } else if (op == 6 && !model.empty()) {
      int64_t idx = static_cast<int64_t>(rng() % model.size());
      if (rng() % 2) idx -= static_cast<int64_t>(model.size());
      ASSERT_TRUE(q.Set(idx, v));
      model[static_cast<size_t>(idx < 0 ? idx + static_cast<int64_t>(model.size()) : idx)] = v;
    } else if (op == 7 && !model.empty()) {
      std::string pivot = model[rng() % model.size()];
      bool after = rng() % 2;
      ASSERT_TRUE(q.InsertAt(pivot, v, after));
      auto it = std::find(model.begin(), model.end(), pivot);
      model.insert(after ? it + 1 : it, v);
    } else if (op == 8 && !model.empty()) {
      std::string target = model[rng() % model.size()];
      int64_t count = static_cast<int64_t>(rng() % 3) - 1;
      size_t removed = q.Remove(target, count);
      size_t expect = 0;
      if (count >= 0) {
        for (auto it = model.begin(); it != model.end() && (count == 0 || expect < 1);) {
          if (*it == target) {
            it = model.erase(it);
            ++expect;
          } else {
            ++it;
          }
        }
      } else {
        for (auto it = model.end(); it != model.begin() && expect < 1;) {
          --it;
          if (*it == target) {
            it = model.erase(it);
            ++expect;
          }
        }
      }
      ASSERT_EQ(removed, expect);
    } else if (op == 9 && !model.empty()) {
      size_t start = rng() % model.size();
      size_t n = rng() % 5;
      q.DeleteRange(start, n);
      model.erase(model.begin() + static_cast<long>(start),
                  model.begin() + static_cast<long>(std::min(model.size(), start + n)));
    }
    ASSERT_EQ(q.size(), model.size()) << "step " << step;
    if (step % 200 == 0) {
      std::string why;
      ASSERT_TRUE(q.Verify(&why)) << why;
      ASSERT_EQ(Contents(q), model);
    }
  }
  ASSERT_EQ(Contents(q), model);
  std::string why;
  EXPECT_TRUE(q.Verify(&why)) << why;
  // Random access and reverse visits agree too.
  for (int i = 0; i < 200 && !model.empty(); ++i) {
    int64_t idx = static_cast<int64_t>(rng() % model.size());
    std::string out;
    ASSERT_TRUE(q.Get(idx, &out));
    EXPECT_EQ(out, model[static_cast<size_t>(idx)]);
  }
  std::deque<std::string> rev;
  q.Visit(0, q.size(), true, [&](std::string_view v) {
    rev.emplace_front(v);
    return true;
  });
  EXPECT_EQ(rev, model);
  std::unique_ptr<Quicklist> copy(q.Clone());
  EXPECT_EQ(Contents(*copy), model);
}

INSTANTIATE_TEST_SUITE_P(FillAndCompress, QuicklistTest,
                         ::testing::Values(Options{-2, 0}, Options{-1, 1}, Options{4, 0},
                                           Options{3, 2}, Options{-2, 1}));

TEST(Quicklist, NodesAreBoundedAndInteriorCompressed) {
  Quicklist q(-1, 1);  // 4 KB nodes, keep one node uncompressed at each end
  std::string v(200, 'z');
  for (int i = 0; i < 500; ++i) q.PushBack(v);
  EXPECT_GT(q.node_count(), 20u);
  size_t compressed = 0;
  for (auto* n = q.head(); n != nullptr; n = n->next) {
    EXPECT_LE(n->sz, 4096u + 256);
    compressed += n->compressed;
  }
  EXPECT_GE(compressed, q.node_count() - 2);
  EXPECT_LT(q.Bytes(), 500u * 200 / 4) << "repeated values compress well";
}

}  // namespace
}  // namespace tessera::ds

namespace tessera::ds {
namespace {

// An element larger than a node's size limit sits in a node of its own and must pop from
// either end (a regression: popping it from the head crashed).
TEST(QuicklistBigElements, PopFromBothEnds) {
  for (int fill : {-2, -1, -5, 128}) {
    for (size_t size : {8177u, 8178u, 9000u, 70000u}) {
      for (bool front : {true, false}) {
        Quicklist q(fill, 0);
        std::string big(size, 'x');
        q.PushBack(big);
        q.PushBack("b");
        std::string out;
        ASSERT_TRUE(front ? q.PopFront(&out) : q.PopBack(&out));
        EXPECT_EQ(out, front ? big : "b");
        ASSERT_TRUE(front ? q.PopFront(&out) : q.PopBack(&out));
        EXPECT_EQ(out, front ? "b" : big);
        EXPECT_EQ(q.size(), 0u);
        std::string why;
        EXPECT_TRUE(q.Verify(&why)) << why;
      }
    }
  }
}

}  // namespace
}  // namespace tessera::ds
