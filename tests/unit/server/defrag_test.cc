// Active defragmentation's keyspace walker with a test allocator that moves everything (or
// nothing): every reference to a moved allocation must be swapped, in the keys table, the TTL
// index, and inside values; the data must read back identical.
#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "server/ds/dict.h"
#include "server/ds/quicklist.h"
#include "server/keyspace/defrag.h"
#include "tests/unit/server/server_fixture.h"

#if defined(__SANITIZE_ADDRESS__)
// The test allocator copies with malloc and frees with free whatever it is given, including
// objects made with operator new, as the real one does through jemalloc (where both are the
// same allocator). ASan would report that as a new/free mismatch in this binary.
extern "C" const char* __asan_default_options() { return "alloc_dealloc_mismatch=0"; }
#endif

namespace tessera::testing {
namespace {

std::set<void*>* g_freed = nullptr;
int g_copies = 0;

void* CopyAlways(void* p) {
  size_t n = malloc_usable_size(p);
  void* fresh = malloc(n);
  memcpy(fresh, p, n);
  ++g_copies;
  if (g_freed != nullptr) g_freed->erase(fresh);  // an address freed earlier, reused
  return fresh;
}
void* CopyNever(void*) { return nullptr; }
void Release(void* p) {
  if (g_freed != nullptr) g_freed->insert(p);
  // Scribble before freeing so a stale reference reads garbage, not the old value.
  memset(p, 0xA5, malloc_usable_size(p));
  free(p);
}

class DefragTest : public ServerFixture {
 protected:
  DefragTest() {
    Run({"CONFIG", "SET", "hash-max-listpack-entries", "4"});
    Run({"CONFIG", "SET", "set-max-listpack-entries", "4"});
    Run({"CONFIG", "SET", "set-max-intset-entries", "4"});
    Run({"CONFIG", "SET", "list-max-listpack-size", "4"});
    for (int i = 0; i < 200; ++i) {
      std::string n = std::to_string(i);
      Run({"SET", "s:" + n, "v" + n});                                   // embstr
      Run({"SET", "i:" + n, n});                                          // int
      Run({"SET", "r:" + n, std::string(100, 'x') + n});                  // raw
      Run({"HSET", "hs:" + n, "a", n, "b", "2"});                         // listpack
      Run({"HSET", "hb:" + n, "a", "1", "b", "2", "c", "3", "d", "4", "e", n});  // hashtable
      Run({"SADD", "ss:" + n, "1", "2", n});                              // intset
      Run({"SADD", "sb:" + n, "a", "b", "c", "d", "e", n});               // hashtable
      Run({"RPUSH", "l:" + n, "a", "b", "c", "d", "e", "f", "g", n});     // 2+ quicklist nodes
      Run({"ZADD", "z:" + n, "1", "a", "2", n});                          // listpack
      if (i % 3 == 0) Run({"PEXPIRE", "s:" + n, "100000"});
      if (i % 3 == 1) Run({"PEXPIRE", "hb:" + n, "100000"});
    }
  }

  Db& db() { return server_.keyspace().db(0); }

  DefragStats FullPass(DefragAllocator a, size_t max_fields = 1000) {
    KeyspaceDefragger walker(a);
    DefragStats st;
    uint64_t cursor = 0;
    do {
      cursor = walker.Step(db(), cursor, max_fields, &st);
    } while (cursor != 0);
    return st;
  }
};

TEST_F(DefragTest, MovingEverythingKeepsTheDataAndTheIndexes) {
  std::string digest = Run({"DEBUG", "DIGEST"});
  size_t keys = db().size(), expires = db().expires_size();
  std::set<void*> freed;
  g_freed = &freed;
  g_copies = 0;
  DefragStats st = FullPass({CopyAlways, Release});
  g_freed = nullptr;
  EXPECT_EQ(st.key_hits, keys);
  EXPECT_EQ(st.key_misses, 0u);
  EXPECT_EQ(st.misses, 0u);
  EXPECT_EQ(st.hits, static_cast<uint64_t>(g_copies));
  // More than one allocation per key moved: values' internals went too.
  EXPECT_GT(st.hits, keys * 2);
  EXPECT_EQ(Run({"DEBUG", "DIGEST"}), digest);
  EXPECT_EQ(db().size(), keys);
  EXPECT_EQ(db().expires_size(), expires);
  // No table links a freed object any more.
  db().keys().ForEach([&](KeyValue* kv) { EXPECT_EQ(freed.count(kv), 0u) << kv->key(); });
  db().expires().ForEach([&](KeyValue* kv) { EXPECT_EQ(freed.count(kv), 0u) << kv->key(); });
  // Writes, TTLs and expiry work on the moved objects.
  EXPECT_EQ(Run({"HSET", "hb:1", "f", "new"}), "1");
  EXPECT_EQ(Run({"RPUSH", "l:5", "z"}), "9");
  EXPECT_EQ(Run({"LINDEX", "l:5", "3"}), "d");
  EXPECT_EQ(Run({"SISMEMBER", "sb:7", "7"}), "1");
  EXPECT_EQ(Run({"PTTL", "s:3"}), "100000");
  AdvanceMs(100001);
  EXPECT_EQ(Run({"EXISTS", "s:3", "hb:1", "s:1"}), "1");  // only s:1 has no TTL
  for (int i = 0; i < 50; ++i) Cron();  // the active cycle walks the TTL index
  EXPECT_EQ(db().expires_size(), 0u);
  EXPECT_EQ(db().size(), keys - expires);
}

TEST_F(DefragTest, NothingMovesWhenTheAllocatorSaysNo) {
  std::string digest = Run({"DEBUG", "DIGEST"});
  DefragStats st = FullPass({CopyNever, Release});
  EXPECT_EQ(st.hits, 0u);
  EXPECT_EQ(st.key_hits, 0u);
  EXPECT_EQ(st.key_misses, db().size());
  EXPECT_EQ(Run({"DEBUG", "DIGEST"}), digest);
}

TEST_F(DefragTest, BigCollectionsKeepTheirInnerAllocations) {
  g_copies = 0;
  // With a field limit of 3 only the top allocations and key objects move.
  DefragStats small = FullPass({CopyAlways, Release}, 3);
  g_copies = 0;
  DefragStats all = FullPass({CopyAlways, Release}, 1000);
  EXPECT_LT(small.hits, all.hits);
  EXPECT_EQ(small.key_hits, all.key_hits);
}

TEST(QuicklistDefragTest, EveryNodeAndItsDataMove) {
  // Four elements per node, ends kept plain and inner nodes compressed (depth 1).
  ds::Quicklist q(4, 1);
  for (int i = 0; i < 100; ++i) q.PushBack("element-" + std::string(40, 'x') + std::to_string(i));
  size_t nodes = q.node_count();
  ASSERT_EQ(nodes, 25u);
  int moved = 0;
  size_t n = q.Defrag(
      [](void* ctx, void* p) -> void* {
        ++*static_cast<int*>(ctx);
        void* fresh = CopyAlways(p);
        Release(p);
        return fresh;
      },
      &moved);
  EXPECT_EQ(n, nodes * 2);  // each node and its listpack (or compressed blob)
  EXPECT_EQ(static_cast<size_t>(moved), nodes * 2);
  EXPECT_EQ(q.size(), 100u);
  std::string why;
  EXPECT_TRUE(q.Verify(&why)) << why;
  std::string v;
  for (int i : {0, 50, 99, -1}) {
    ASSERT_TRUE(q.Get(i, &v));
    EXPECT_EQ(v, "element-" + std::string(40, 'x') + std::to_string(i < 0 ? 99 : i));
  }
  q.PushFront("front");
  ASSERT_TRUE(q.Get(0, &v));
  EXPECT_EQ(v, "front");
}

TEST(DictSampledBytesTest, ExtrapolatesFromSamples) {
  struct E {
    E* next = nullptr;
    std::string key;
  };
  struct Traits {
    using Entry = E;
    static E** NextSlot(E* e) { return &e->next; }
    static std::string_view Key(const E* e) { return e->key; }
    static uint64_t Hash(std::string_view k) { return std::hash<std::string_view>()(k); }
  };
  ds::Dict<Traits> d;
  std::vector<std::unique_ptr<E>> owned;
  for (int i = 0; i < 1000; ++i) {
    owned.push_back(std::make_unique<E>());
    owned.back()->key = std::to_string(i);
    d.Insert(owned.back().get());
  }
  auto ten = [](E*) { return size_t{10}; };
  EXPECT_EQ(ds::SampledEntryBytes(d, 0, ten), 10000u);
  EXPECT_EQ(ds::SampledEntryBytes(d, 5, ten), 10000u);  // 50 bytes * 1000 / 5
  int calls = 0;
  ds::SampledEntryBytes(d, 5, [&](E*) { ++calls; return size_t{1}; });
  EXPECT_EQ(calls, 5);
}

}  // namespace
}  // namespace tessera::testing
