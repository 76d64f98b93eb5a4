#include "server/keyspace/kv.h"

#include <gtest/gtest.h>

#include <string>

#include "server/keyspace/db.h"

namespace tessera {
namespace {

TEST(KeyValue, CompactLayoutForSmallStrings) {
  KeyValue* kv = KeyValue::NewString("key:000000000001", "0123456789abcdef", -1);
  EXPECT_EQ(kv->key(), "key:000000000001");
  EXPECT_EQ(kv->embstr(), "0123456789abcdef");
  EXPECT_EQ(kv->type(), ObjType::kString);
  EXPECT_EQ(kv->encoding(), Encoding::kEmbstr);
  EXPECT_FALSE(kv->has_expire());
  // One allocation of 47 bytes (a 48-byte jemalloc slot) holds chain pointer, header, key
  // and value.
  EXPECT_EQ(kv->LayoutSize(), 47u);
  EXPECT_GE(kv->AllocSize(), 47u);
  KeyValue::Free(kv);
}

TEST(KeyValue, ExpireAndLongKeys) {
  std::string long_key(300, 'k');
  KeyValue* kv = KeyValue::NewInt(long_key, -12345, 1700000000000);
  EXPECT_EQ(kv->key(), long_key);
  EXPECT_TRUE(kv->has_expire());
  EXPECT_EQ(kv->expire_ms(), 1700000000000);
  EXPECT_EQ(kv->int_value(), -12345);
  kv->set_lru(kLruClockMax);
  EXPECT_EQ(kv->lru(), kLruClockMax);
  EXPECT_EQ(kv->type(), ObjType::kString);
  KeyValue* moved = KeyValue::Rebuild(kv, "short", -1);
  KeyValue::FreeShell(kv);
  EXPECT_EQ(moved->key(), "short");
  EXPECT_FALSE(moved->has_expire());
  EXPECT_EQ(moved->int_value(), -12345);
  EXPECT_EQ(moved->lru(), kLruClockMax);
  KeyValue::Free(moved);
}

TEST(Db, StringEncodingsFollowRedis) {
  struct Case {
    std::string value;
    Encoding enc;
  };
  const Case cases[] = {
      {"123", Encoding::kInt},        {"-9223372036854775808", Encoding::kInt},
      {"01", Encoding::kEmbstr},      {"-0", Encoding::kEmbstr},
      {"12345678901234567890", Encoding::kEmbstr},
      {std::string(44, 'x'), Encoding::kEmbstr}, {std::string(45, 'x'), Encoding::kRaw},
  };
  for (const Case& c : cases) {
    KeyValue* kv = Db::MakeString("k", c.value, -1);
    EXPECT_EQ(kv->encoding(), c.enc) << c.value;
    KeyValue::Free(kv);
  }
}

TEST(Db, ExpireIndexFollowsObjects) {
  Db db(0, 0);
  db.Add(Db::MakeString("a", "1", -1));
  db.Add(Db::MakeString("b", "2", 5000));
  EXPECT_EQ(db.size(), 2u);
  EXPECT_EQ(db.expires_size(), 1u);
  KeyValue* a = db.SetExpire(db.Find("a"), 9000);
  EXPECT_EQ(db.Find("a"), a);
  EXPECT_EQ(a->expire_ms(), 9000);
  EXPECT_EQ(db.expires_size(), 2u);
  KeyValue* b = db.RemoveExpire(db.Find("b"));
  EXPECT_FALSE(b->has_expire());
  EXPECT_EQ(db.expires_size(), 1u);
  // Growing an embedded value moves the object; both indexes follow.
  KeyValue* grown = db.SetStringValue(db.Find("a"), std::string(40, 'z'));
  EXPECT_EQ(db.Find("a"), grown);
  EXPECT_EQ(grown->expire_ms(), 9000);
  EXPECT_EQ(grown->embstr(), std::string(40, 'z'));
  size_t n = 0;
  db.expires().ForEach([&](const KeyValue* kv) {
    EXPECT_EQ(kv, grown);
    ++n;
  });
  EXPECT_EQ(n, 1u);
  KeyValue* gone = db.Unlink("a");
  ASSERT_EQ(gone, grown);
  KeyValue::Free(gone);
  EXPECT_EQ(db.expires_size(), 0u);
}

}  // namespace
}  // namespace tessera
