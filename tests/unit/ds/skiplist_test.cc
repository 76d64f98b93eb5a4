#include "server/ds/skiplist.h"

#include <gtest/gtest.h>

#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>

#include "server/ds/dict.h"

namespace tessera::ds {
namespace {

using Model = std::set<std::pair<double, std::string>>;

void ExpectSame(const Skiplist& zsl, const Model& model) {
  ASSERT_EQ(zsl.length(), model.size());
  ZNode* x = zsl.first();
  uint64_t rank = 1;
  for (const auto& [score, member] : model) {
    ASSERT_NE(x, nullptr);
    EXPECT_EQ(x->score, score);
    EXPECT_EQ(x->member(), member);
    EXPECT_EQ(zsl.Rank(score, member), rank);
    EXPECT_EQ(zsl.ByRank(rank), x);
    x = x->levels()[0].forward;
    ++rank;
  }
  EXPECT_EQ(x, nullptr);
  // Backward links mirror forward ones.
  x = zsl.last();
  for (auto it = model.rbegin(); it != model.rend(); ++it) {
    ASSERT_NE(x, nullptr);
    EXPECT_EQ(x->member(), it->second);
    x = x->backward;
  }
  EXPECT_EQ(x, nullptr);
}

TEST(Skiplist, RandomOperationsAgreeWithOrderedSet) {
  std::mt19937 rng(21);
  Rng levels(7);
  Skiplist zsl;
  Model model;
  std::map<std::string, double> scores;
  for (int step = 0; step < 5000; ++step) {
    std::string m = "m" + std::to_string(rng() % 300);
    double s = static_cast<double>(rng() % 50) / 2;
    int op = static_cast<int>(rng() % 3);
    if (op == 0 && !scores.count(m)) {
      zsl.Insert(s, m, levels);
      model.insert({s, m});
      scores[m] = s;
    } else if (op == 1 && scores.count(m)) {
      ZNode* n = zsl.Unlink(scores[m], m);
      ASSERT_NE(n, nullptr);
      Skiplist::FreeNode(n);
      model.erase({scores[m], m});
      scores.erase(m);
    } else if (op == 2 && scores.count(m)) {
      // Find the node by rank, then move it.
      ZNode* n = zsl.ByRank(zsl.Rank(scores[m], m));
      ASSERT_NE(n, nullptr);
      model.erase({scores[m], m});
      zsl.UpdateScore(n, s);
      model.insert({s, m});
      scores[m] = s;
    }
    if (step % 250 == 0) ExpectSame(zsl, model);
  }
  ExpectSame(zsl, model);
}

TEST(Skiplist, ScoreAndLexRanges) {
  Rng levels(1);
  Skiplist zsl;
  for (int i = 0; i < 10; ++i) zsl.Insert(i, std::string(1, static_cast<char>('a' + i)), levels);
  ScoreRange r{2, 5, false, true};  // [2, 5)
  EXPECT_EQ(zsl.FirstInRange(r)->score, 2);
  EXPECT_EQ(zsl.LastInRange(r)->score, 4);
  ScoreRange empty{5, 5, true, false};
  EXPECT_EQ(zsl.FirstInRange(empty), nullptr);
  ScoreRange above{100, 200};
  EXPECT_EQ(zsl.FirstInRange(above), nullptr);
  LexRange lr;
  lr.min = "c";
  lr.max = "f";
  lr.minex = true;  // (c [f
  EXPECT_EQ(zsl.FirstInLex(lr)->member(), "d");
  EXPECT_EQ(zsl.LastInLex(lr)->member(), "f");
  LexRange all;
  all.min_inf = all.max_inf = true;
  EXPECT_EQ(zsl.FirstInLex(all)->member(), "a");
  EXPECT_EQ(zsl.LastInLex(all)->member(), "j");
}

}  // namespace
}  // namespace tessera::ds
