#include <gtest/gtest.h>

#include <random>

#include "tests/unit/server/server_fixture.h"

namespace tessera::testing {
namespace {

// Expected values were taken from Redis 7.0 with the same commands.
class BitmapsTest : public ServerFixture {};

TEST_F(BitmapsTest, SetBitGrowsAndReportsOldValue) {
  EXPECT_EQ(Run({"SETBIT", "b", "7", "1"}), "0");
  EXPECT_EQ(Run({"GET", "b"}), "\x01");
  EXPECT_EQ(Run({"SETBIT", "b", "7", "1"}), "1");
  EXPECT_EQ(Run({"SETBIT", "b", "20", "1"}), "0");
  EXPECT_EQ(Run({"STRLEN", "b"}), "3");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "b"}), "raw");
  EXPECT_EQ(Run({"GETBIT", "b", "20"}), "1");
  EXPECT_EQ(Run({"GETBIT", "b", "999"}), "0");
  EXPECT_EQ(Run({"SETBIT", "b", "-1", "1"}),
            "(error) ERR bit offset is not an integer or out of range");
  EXPECT_EQ(Run({"SETBIT", "b", "4294967296", "1"}),
            "(error) ERR bit offset is not an integer or out of range");
  EXPECT_EQ(Run({"SETBIT", "b", "1", "2"}), "(error) ERR bit is not an integer or out of range");
  Run({"SET", "n", "12"});  // an int-encoded value is edited as its digits
  EXPECT_EQ(Run({"SETBIT", "n", "6", "1"}), "0");
  EXPECT_EQ(Run({"GET", "n"}), "32");
}

TEST_F(BitmapsTest, CountAndPositionRanges) {
  Run({"SET", "b", std::string("\xff\xf0", 2)});
  EXPECT_EQ(Run({"BITPOS", "b", "0"}), "12");
  EXPECT_EQ(Run({"BITPOS", "b", "1", "2"}), "-1");
  EXPECT_EQ(Run({"BITPOS", "b", "0", "0", "0"}), "-1");
  EXPECT_EQ(Run({"BITPOS", "b", "0", "0", "-1", "BIT"}), "12");
  EXPECT_EQ(Run({"BITPOS", "b", "0", "3", "7", "BIT"}), "-1");
  EXPECT_EQ(Run({"BITPOS", "b", "1", "12", "23", "BIT"}), "-1");
  EXPECT_EQ(Run({"BITCOUNT", "b", "0", "-1", "BIT"}), "12");
  EXPECT_EQ(Run({"BITCOUNT", "b", "5", "13", "BIT"}), "7");
  EXPECT_EQ(Run({"BITCOUNT", "b", "-2", "-1"}), "12");
  EXPECT_EQ(Run({"BITCOUNT", "b", "-1", "-2"}), "0");
  EXPECT_EQ(Run({"BITCOUNT", "b", "1"}), "(error) ERR syntax error");
  EXPECT_EQ(Run({"BITCOUNT", "missing", "x", "y"}), "0");  // 7.0 looks the key up first
  Run({"SET", "ones", std::string("\xff\xff", 2)});
  EXPECT_EQ(Run({"BITPOS", "ones", "0"}), "16");  // past the end: zeros follow
  EXPECT_EQ(Run({"BITPOS", "ones", "0", "0", "1"}), "-1");
  EXPECT_EQ(Run({"BITPOS", "missing", "0"}), "0");
  EXPECT_EQ(Run({"BITPOS", "missing", "1"}), "-1");
  EXPECT_EQ(Run({"BITPOS", "b", "2"}), "(error) ERR The bit argument must be 1 or 0.");
}

// BITCOUNT and BITPOS over random strings and ranges against a bit-by-bit model.
TEST_F(BitmapsTest, RandomRangesAgreeWithModel) {
  std::mt19937 rng(11);
  for (int round = 0; round < 300; ++round) {
    std::string s(rng() % 20, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 4 == 0 ? 0xff : (rng() % 4 == 0 ? 0 : rng()));
    RunVec({"SET", "s", s});
    int64_t nbits = static_cast<int64_t>(s.size()) * 8;
    int64_t start = static_cast<int64_t>(rng() % 50) - 25;
    int64_t end = static_cast<int64_t>(rng() % 200) - 100;
    auto bit = [&](int64_t i) { return (static_cast<uint8_t>(s[i / 8]) >> (7 - i % 8)) & 1; };
    int64_t a = start < 0 ? start + nbits : start, b = end < 0 ? end + nbits : end;
    a = std::max<int64_t>(a, 0);
    b = std::min<int64_t>(std::max<int64_t>(b, 0), nbits - 1);
    int64_t count = 0, first1 = -1, first0 = -1;
    for (int64_t i = a; i <= b; ++i) {
      count += bit(i);
      if (first1 < 0 && bit(i)) first1 = i;
      if (first0 < 0 && !bit(i)) first0 = i;
    }
    bool empty = start < 0 && end < 0 && start > end;
    std::string st = std::to_string(start), en = std::to_string(end);
    EXPECT_EQ(RunVec({"BITCOUNT", "s", st, en, "BIT"}), std::to_string(empty ? 0 : count));
    EXPECT_EQ(RunVec({"BITPOS", "s", "1", st, en, "BIT"}), std::to_string(first1));
    EXPECT_EQ(RunVec({"BITPOS", "s", "0", st, en, "BIT"}), std::to_string(first0));
  }
}

TEST_F(BitmapsTest, BitOpPadsAndStoresRaw) {
  Run({"SET", "a", "abc"});
  Run({"SET", "b", "a"});
  EXPECT_EQ(Run({"BITOP", "AND", "d", "a", "b"}), "3");
  EXPECT_EQ(Run({"GET", "d"}), std::string("a\0\0", 3));
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "d"}), "raw");
  EXPECT_EQ(Run({"BITOP", "XOR", "a", "a", "a"}), "3");  // destination among the sources
  EXPECT_EQ(Run({"GET", "a"}), std::string(3, '\0'));
  EXPECT_EQ(Run({"BITOP", "OR", "d", "none1", "none2"}), "0");
  EXPECT_EQ(Run({"EXISTS", "d"}), "0");
  EXPECT_EQ(Run({"BITOP", "NOT", "d", "a", "b"}),
            "(error) ERR BITOP NOT must be called with a single source key.");
  EXPECT_EQ(Run({"BITOP", "NAND", "d", "a"}), "(error) ERR syntax error");
}

TEST_F(BitmapsTest, BitFieldOverflowModes) {
  EXPECT_EQ(Run({"BITFIELD", "bf", "SET", "u8", "0", "300", "GET", "u8", "0", "INCRBY", "i8",
                 "0", "100", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "100", "OVERFLOW", "FAIL",
                 "INCRBY", "u4", "4", "20", "GET", "i64", "0"}),
            "[0, 44, -112, -12, (nil), -864691128455135232]");
  EXPECT_EQ(Run({"BITFIELD", "bf", "INCRBY", "i64", "0", "9223372036854775807", "INCRBY", "i64",
                 "0", "9223372036854775807"}),
            "[8358680908399640575, -864691128455135234]");
  EXPECT_EQ(Run({"BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i64", "0",
                 "9223372036854775807", "OVERFLOW", "WRAP", "SET", "u63", "0", "-1", "GET",
                 "u63", "0", "SET", "i3", "#2", "5", "GET", "i3", "#2"}),
            "[8358680908399640573, 4179340454199820286, 9223372036854775807, -1, -3]");
  EXPECT_EQ(Run({"BITFIELD", "bf", "GET", "u64", "0"}),
            "(error) ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not "
            "supported but i64 is.");
  EXPECT_EQ(Run({"BITFIELD", "bf", "OVERFLOW", "MAYBE"}),
            "(error) ERR Invalid OVERFLOW type specified");
  EXPECT_EQ(Run({"BITFIELD_RO", "bf", "SET", "i8", "0", "1"}),
            "(error) ERR BITFIELD_RO only supports the GET subcommand");
  EXPECT_EQ(Run({"BITFIELD_RO", "missing", "GET", "i8", "0"}), "[0]");
  EXPECT_EQ(Run({"EXISTS", "missing"}), "0");
}

}  // namespace
}  // namespace tessera::testing
