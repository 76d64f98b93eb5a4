#include "server/ds/dict.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/hash.h"

namespace tessera::ds {
namespace {

struct Node {
  Node* next = nullptr;
  std::string key;
};

struct NodeTraits {
  using Entry = Node;
  static Node** NextSlot(Node* n) { return &n->next; }
  static std::string_view Key(const Node* n) { return n->key; }
  static uint64_t Hash(std::string_view k) {
    static const uint8_t seed[16] = {1, 2, 3};
    return SipHash12(k.data(), k.size(), seed);
  }
};

using TestDict = Dict<NodeTraits>;

class DictTest : public ::testing::Test {
 protected:
  ~DictTest() override {
    d.Clear([](Node* n) { delete n; });
  }
  Node* Add(const std::string& k) {
    auto* n = new Node{nullptr, k};
    d.Insert(n);
    return n;
  }
  TestDict d;
};

TEST_F(DictTest, InsertFindRemove) {
  for (int i = 0; i < 1000; ++i) Add("k" + std::to_string(i));
  EXPECT_EQ(d.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    Node* n = d.Find("k" + std::to_string(i));
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->key, "k" + std::to_string(i));
  }
  EXPECT_EQ(d.Find("missing"), nullptr);
  for (int i = 0; i < 1000; i += 2) {
    Node* n = d.Remove("k" + std::to_string(i));
    ASSERT_NE(n, nullptr);
    delete n;
  }
  EXPECT_EQ(d.size(), 500u);
  EXPECT_EQ(d.Find("k0"), nullptr);
  EXPECT_NE(d.Find("k1"), nullptr);
}

// InsertUnique links a new key once and reports the entry already there for a duplicate,
// also while a rehash (started by Expand) is under way and across both tables.
TEST_F(DictTest, InsertUniqueRefusesDuplicatesDuringRehash) {
  for (int i = 0; i < 100; ++i) Add("k" + std::to_string(i));
  while (d.Rehash(100)) {
  }
  ASSERT_TRUE(d.Expand(5000));
  ASSERT_TRUE(d.rehashing());
  for (int i = 0; i < 200; ++i) {
    auto* n = new Node{nullptr, "k" + std::to_string(i)};
    Node* there = d.InsertUnique(n);
    if (i < 100) {
      ASSERT_NE(there, nullptr);
      EXPECT_EQ(there->key, n->key);
      delete n;
    } else {
      EXPECT_EQ(there, nullptr);
    }
  }
  EXPECT_EQ(d.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_NE(d.Find("k" + std::to_string(i)), nullptr);
}

// Against a reference map with random operations: the table always agrees, and each single
// operation moves at most a bounded number of buckets (no full-table rehash in one call).
TEST_F(DictTest, RandomOperationsAgreeWithReferenceModel) {
  std::mt19937 rng(42);
  std::set<std::string> model;
  for (int step = 0; step < 50000; ++step) {
    std::string k = "key:" + std::to_string(rng() % 5000);
    int op = static_cast<int>(rng() % 3);
    if (op == 0 && !model.count(k)) {
      Add(k);
      model.insert(k);
    } else if (op == 1) {
      Node* n = d.Remove(k);
      EXPECT_EQ(n != nullptr, model.erase(k) == 1);
      delete n;
    } else {
      EXPECT_EQ(d.Find(k) != nullptr, model.count(k) == 1) << k;
    }
    ASSERT_EQ(d.size(), model.size());
    if (step % 997 == 0) d.ShrinkIfNeeded();
  }
  size_t seen = 0;
  d.ForEach([&](Node* n) {
    EXPECT_TRUE(model.count(n->key));
    ++seen;
  });
  EXPECT_EQ(seen, model.size());
}

TEST_F(DictTest, RehashIsIncremental) {
  for (int i = 0; i < 4096; ++i) Add("a" + std::to_string(i));
  // Drive to a quiet state, then trigger one growth.
  while (d.rehashing()) d.Rehash(100);
  size_t before = d.buckets();
  for (int i = 0; i < 10000 && !d.rehashing(); ++i) Add("b" + std::to_string(i));
  ASSERT_TRUE(d.rehashing());
  EXPECT_GT(d.buckets(), before);
  // One lookup does not finish the job, and keys are found in either table meanwhile.
  EXPECT_NE(d.Find("a1"), nullptr);
  EXPECT_TRUE(d.rehashing());
  for (int i = 0; i < 100; ++i) ASSERT_NE(d.Find("a" + std::to_string(i)), nullptr);
  EXPECT_TRUE(d.rehashing());
  int steps = 0;
  while (d.rehashing()) {
    d.Rehash(1);
    ++steps;
  }
  EXPECT_GT(steps, 100);
  for (int i = 0; i < 4096; ++i) ASSERT_NE(d.Find("a" + std::to_string(i)), nullptr);
}

TEST_F(DictTest, ShrinksWhenMostlyEmpty) {
  for (int i = 0; i < 10000; ++i) Add(std::to_string(i));
  while (d.rehashing()) d.Rehash(100);
  size_t big = d.buckets();
  for (int i = 100; i < 10000; ++i) delete d.Remove(std::to_string(i));
  while (d.rehashing()) d.Rehash(100);
  EXPECT_TRUE(d.ShrinkIfNeeded());
  while (d.rehashing()) d.Rehash(100);
  EXPECT_LT(d.buckets(), big / 10);
  for (int i = 0; i < 100; ++i) ASSERT_NE(d.Find(std::to_string(i)), nullptr);
}

// The SCAN guarantee: an element present during the whole scan is returned at least once,
// even when the table grows or shrinks between calls.
TEST_F(DictTest, ScanCoversAllElementsAcrossResizes) {
  for (int phase = 0; phase < 2; ++phase) {
    d.Clear([](Node* n) { delete n; });
    std::set<std::string> stable;
    for (int i = 0; i < 2000; ++i) {
      Add("s" + std::to_string(i));
      stable.insert("s" + std::to_string(i));
    }
    std::set<std::string> seen;
    uint64_t cursor = 0;
    int calls = 0;
    do {
      cursor = d.Scan(cursor, [&](Node* n) { seen.insert(n->key); });
      ++calls;
      if (phase == 0 && calls % 5 == 0 && calls <= 40) {
        for (int j = 0; j < 300; ++j) Add("g" + std::to_string(calls) + "_" + std::to_string(j));
      }
      if (phase == 1 && calls == 3) {
        for (int i = 0; i < 2000; ++i) {
          if (i % 20 != 0) {
            std::string k = "s" + std::to_string(i);
            delete d.Remove(k);
            stable.erase(k);
          }
        }
        d.ShrinkIfNeeded();
      }
      d.Rehash(3);
    } while (cursor != 0);
    for (const std::string& k : stable) {
      EXPECT_TRUE(seen.count(k)) << "phase " << phase << " missed " << k;
    }
  }
}

TEST_F(DictTest, RandomEntryAndSampling) {
  EXPECT_EQ(d.size(), 0u);
  Rng rng(5);
  EXPECT_EQ(d.RandomEntry(rng), nullptr);
  for (int i = 0; i < 100; ++i) Add(std::to_string(i));
  std::map<std::string, int> hits;
  for (int i = 0; i < 20000; ++i) ++hits[d.RandomEntry(rng)->key];
  EXPECT_EQ(hits.size(), 100u);  // every key gets picked
  for (auto& [k, n] : hits) EXPECT_GT(n, 50) << k;
  Node* out[20];
  size_t got = d.SampleEntries(out, 20, rng);
  EXPECT_EQ(got, 20u);
  std::set<Node*> distinct(out, out + got);
  EXPECT_EQ(distinct.size(), got);
}

TEST_F(DictTest, ReplaceRelinksInPlace) {
  Node* a = Add("same");
  Add("other");
  auto* b = new Node{nullptr, "same"};
  EXPECT_TRUE(d.Replace(a, b));
  delete a;
  EXPECT_EQ(d.Find("same"), b);
  EXPECT_EQ(d.size(), 2u);
}

}  // namespace
}  // namespace tessera::ds
