#include <gtest/gtest.h>

#include "server/keyspace/eviction.h"
#include "tests/unit/server/server_fixture.h"

namespace tessera::testing {
namespace {

TEST(EvictionPoolTest, KeepsTheMostIdleInOrder) {
  EvictionPool pool;
  for (uint64_t idle : {50, 10, 70, 30, 90, 20}) pool.Offer(idle, 0, "k" + std::to_string(idle));
  EXPECT_EQ(pool.idles(), (std::vector<uint64_t>{10, 20, 30, 50, 70, 90}));
  int db;
  std::string key;
  ASSERT_TRUE(pool.TakeBest(&db, &key));
  EXPECT_EQ(key, "k90");
}

TEST(EvictionPoolTest, FullPoolDropsTheLeastIdle) {
  EvictionPool pool;
  for (uint64_t i = 1; i <= EvictionPool::kSize; ++i) pool.Offer(i * 10, 0, std::to_string(i));
  pool.Offer(5, 0, "too-fresh");  // below everything: not kept
  EXPECT_EQ(pool.idles().front(), 10u);
  pool.Offer(1000, 0, "old");
  EXPECT_EQ(pool.size(), EvictionPool::kSize);
  EXPECT_EQ(pool.idles().front(), 20u);
  EXPECT_EQ(pool.idles().back(), 1000u);
}

// LFU counters over a stepped clock: logarithmic growth, decay by lfu-decay-time minutes.
class LfuEvictionTest : public ServerFixture {
 protected:
  LfuEvictionTest() { Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}); }
  uint32_t Freq(std::string_view key) {
    return static_cast<uint32_t>(std::stoul(Run({"OBJECT", "FREQ", key})));
  }
};

TEST_F(LfuEvictionTest, CounterGrowsLogarithmically) {
  Run({"SET", "k", "v"});
  EXPECT_EQ(Freq("k"), 5u);  // LFU_INIT_VAL
  for (int i = 0; i < 100; ++i) Run({"GET", "k"});
  uint32_t after100 = Freq("k");
  EXPECT_GT(after100, 5u);
  for (int i = 0; i < 10000; ++i) Run({"GET", "k"});
  uint32_t after10k = Freq("k");
  EXPECT_GT(after10k, after100);
  EXPECT_LT(after10k, 60u);  // log factor 10: far from saturating
}

TEST_F(LfuEvictionTest, CounterDecaysPerPeriod) {
  Run({"SET", "k", "v"});
  for (int i = 0; i < 2000; ++i) Run({"GET", "k"});
  uint32_t hot = Freq("k");
  AdvanceMs(3 * 60 * 1000);  // three lfu-decay-time periods of one minute
  EXPECT_EQ(Freq("k"), hot - 3);
  // Decay is applied when the counter is read, from the stored value: with lfu-decay-time 0
  // nothing decays, whatever time passed.
  Run({"CONFIG", "SET", "lfu-decay-time", "0"});
  AdvanceMs(60 * 60 * 1000);
  EXPECT_EQ(Freq("k"), hot);
}

TEST_F(LfuEvictionTest, EvictorPicksTheLeastFrequent) {
  Run({"SET", "cold", "v"});
  Run({"SET", "hot", "v"});
  for (int i = 0; i < 500; ++i) Run({"GET", "hot"});
  Evictor ev;
  int db;
  std::string key;
  ASSERT_TRUE(ev.PickKey(server_.keyspace(), kAllkeysLfu, 5, NowMs(), &db, &key));
  EXPECT_EQ(key, "cold");
}

TEST_F(LfuEvictionTest, VolatilePoliciesOnlyPickKeysWithATtl) {
  Run({"SET", "plain", "v"});
  Evictor ev;
  int db;
  std::string key;
  EXPECT_FALSE(ev.PickKey(server_.keyspace(), kVolatileLru, 5, NowMs(), &db, &key));
  EXPECT_FALSE(ev.PickKey(server_.keyspace(), kVolatileRandom, 5, NowMs(), &db, &key));
  Run({"SET", "soon", "v", "EX", "10"});
  Run({"SET", "later", "v", "EX", "1000"});
  ASSERT_TRUE(ev.PickKey(server_.keyspace(), kVolatileTtl, 5, NowMs(), &db, &key));
  EXPECT_EQ(key, "soon");
}

}  // namespace
}  // namespace tessera::testing
