#include <gtest/gtest.h>

#include <string>

#include "server/keyspace/db.h"
#include "server/keyspace/keyspace.h"
#include "server/persistence/aof.h"
#include "server/persistence/rdb_file.h"

namespace tessera {
namespace {

TEST(AofEncoding, SelectOnlyWhenTheDbChanges) {
  std::string out;
  int selected = -1;
  std::string set[3] = {"SET", "k", "v"};
  aof::AppendCommandInDb(out, 0, &selected, set);
  aof::AppendCommandInDb(out, 0, &selected, set);
  aof::AppendCommandInDb(out, 3, &selected, set);
  const std::string kSet = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
  EXPECT_EQ(out, "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n" + kSet + kSet +
                     "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n" + kSet);
  EXPECT_EQ(selected, 3);
}

TEST(RdbChecksum, DetectsADamagedImage) {
  Keyspace ks(16, 0, nullptr);
  ks.db(0).Add(Db::MakeString("key", "value", -1));
  rdb::SaveOptions o;
  std::string image = rdb::Serialize(ks, o);
  EXPECT_TRUE(rdb::ChecksumHolds(image));
  std::string damaged = image;
  damaged[12] ^= 0x20;
  EXPECT_FALSE(rdb::ChecksumHolds(damaged));
  // rdbchecksum no: a zero trailer is not checked.
  o.checksum = false;
  std::string unchecked = rdb::Serialize(ks, o);
  unchecked[12] ^= 0x20;
  EXPECT_TRUE(rdb::ChecksumHolds(unchecked));
  // Too short to carry a trailer: left to the loader to refuse.
  EXPECT_TRUE(rdb::ChecksumHolds("REDIS"));
}

}  // namespace
}  // namespace tessera
