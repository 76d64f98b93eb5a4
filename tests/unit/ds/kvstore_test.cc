#include "server/keyspace/kvstore.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "common/hash.h"
#include "server/keyspace/db.h"

namespace tessera {
namespace {

TEST(KvStore, CountsPerSlotAndFenwick) {
  KeysStore store(14);
  std::map<int, int> per_slot;
  std::vector<KeyValue*> all;
  for (int i = 0; i < 3000; ++i) {
    std::string k = "key:" + std::to_string(i);
    KeyValue* kv = KeyValue::NewString(k, "v", -1);
    int slot = KeyHashSlot(k);
    store.Insert(slot, kv);
    ++per_slot[slot];
  }
  EXPECT_EQ(store.size(), 3000u);
  for (auto& [slot, n] : per_slot) EXPECT_EQ(store.SlotSize(slot), static_cast<size_t>(n));
  // SlotOfNth walks slots in order.
  uint64_t k = 0;
  for (auto& [slot, n] : per_slot) {
    for (int j = 0; j < n; ++j, ++k) ASSERT_EQ(store.SlotOfNth(k), slot) << k;
  }
  // Removing updates the counts.
  int first_slot = per_slot.begin()->first;
  size_t before = store.SlotSize(first_slot);
  std::string victim;
  store.table(first_slot).ForEach([&](const KeyValue* kv) { victim = std::string(kv->key()); });
  KeyValue* removed = store.Remove(first_slot, victim);
  ASSERT_NE(removed, nullptr);
  KeyValue::Free(removed);
  EXPECT_EQ(store.SlotSize(first_slot), before - 1);
  EXPECT_EQ(store.size(), 2999u);
  store.Clear([](KeyValue* kv) { KeyValue::Free(kv); });
  EXPECT_EQ(store.size(), 0u);
}

TEST(KvStore, ScanAcrossSlotsVisitsEverything) {
  KeysStore store(14);
  std::set<std::string> keys;
  for (int i = 0; i < 2000; ++i) {
    std::string k = "user:" + std::to_string(i);
    store.Insert(KeyHashSlot(k), KeyValue::NewString(k, "v", -1));
    keys.insert(k);
  }
  std::set<std::string> seen;
  uint64_t cursor = 0;
  do {
    cursor = store.Scan(cursor, [&](KeyValue* kv) { seen.insert(std::string(kv->key())); });
  } while (cursor != 0);
  EXPECT_EQ(seen, keys);
  ds::Rng rng(3);
  std::set<std::string> random_seen;
  for (int i = 0; i < 20000; ++i) random_seen.insert(std::string(store.RandomEntry(rng)->key()));
  EXPECT_GT(random_seen.size(), 1900u);  // fair across slots
  store.Clear([](KeyValue* kv) { KeyValue::Free(kv); });
}

TEST(KvStore, SingleTableMode) {
  KeysStore store(0);
  EXPECT_EQ(store.table_count(), 1u);
  store.Insert(0, KeyValue::NewString("a", "1", -1));
  EXPECT_NE(store.Find(0, "a"), nullptr);
  EXPECT_EQ(store.SlotOfNth(0), 0);
  store.Clear([](KeyValue* kv) { KeyValue::Free(kv); });
}

}  // namespace
}  // namespace tessera
