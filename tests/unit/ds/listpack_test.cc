#include "server/ds/listpack.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace tessera::lp {
namespace {

std::string Hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

std::vector<std::string> Elements(uint8_t* lp) {
  std::vector<std::string> out;
  char buf[24];
  for (uint8_t* p = First(lp); p; p = Next(lp, p)) out.emplace_back(Get(p).View(buf));
  return out;
}

TEST(Listpack, ByteCompatibleWithRedis) {
  // The listpack inside `DUMP h` from redis-server 7.0.15 after
  // HSET h a 1 b -5000 c 12345678901 d hello.
  uint8_t* lp = New();
  for (const char* s : {"a", "1", "b", "-5000", "c", "12345678901", "d", "hello"}) lp = Append(lp, s);
  EXPECT_EQ(Hex(lp, Bytes(lp)),
            "2a0000000800"
            "816102" "0101" "816202" "f178ec03" "816302" "f4351cdcdf0200000009" "816402"
            "8568656c6c6f06" "ff");
  EXPECT_TRUE(Validate(lp, Bytes(lp), true));
  Free(lp);
}

TEST(Listpack, IntegerEncodingsRoundTrip) {
  const int64_t values[] = {0, 127, 128, -1, 4095, -4096, 4096, -4097, 32767, -32768, 32768,
                            8388607, -8388608, 8388608, INT32_MAX, INT32_MIN,
                            static_cast<int64_t>(INT32_MAX) + 1, INT64_MAX, INT64_MIN};
  uint8_t* lp = New();
  for (int64_t v : values) lp = AppendInt(lp, v);
  size_t i = 0;
  for (uint8_t* p = First(lp); p; p = Next(lp, p), ++i) {
    Value v = Get(p);
    ASSERT_TRUE(v.is_int);
    EXPECT_EQ(v.ival, values[i]);
  }
  EXPECT_EQ(i, std::size(values));
  // Backwards too.
  i = std::size(values);
  for (uint8_t* p = Last(lp); p; p = Prev(lp, p)) EXPECT_EQ(Get(p).ival, values[--i]);
  EXPECT_EQ(i, 0u);
  Free(lp);
}

TEST(Listpack, StringLengthsAcrossEncodingBoundaries) {
  uint8_t* lp = New();
  std::vector<std::string> model;
  for (size_t len : {0u, 1u, 63u, 64u, 127u, 128u, 4095u, 4096u, 20000u}) {
    std::string s(len, 'x');
    if (len > 0) s[0] = 'a';  // not an integer
    lp = Append(lp, s);
    model.push_back(s);
  }
  EXPECT_EQ(Elements(lp), model);
  EXPECT_TRUE(Validate(lp, Bytes(lp), true));
  std::vector<std::string> back;
  char buf[24];
  for (uint8_t* p = Last(lp); p; p = Prev(lp, p)) back.emplace(back.begin(), Get(p).View(buf));
  EXPECT_EQ(back, model);
  Free(lp);
}

TEST(Listpack, RandomEditsAgreeWithVectorModel) {
  std::mt19937 rng(11);
  uint8_t* lp = New();
  std::vector<std::string> model;
  auto random_value = [&]() -> std::string {
    switch (rng() % 4) {
      case 0: return std::to_string(static_cast<int64_t>(rng()) - 2000000000);
      case 1: return std::to_string(rng() % 200);
      case 2: return std::string(rng() % 70, 'a' + rng() % 26);
      default: return "v" + std::string(rng() % 5000, 'z');
    }
  };
  for (int step = 0; step < 3000; ++step) {
    int op = static_cast<int>(rng() % 5);
    if (op <= 1 || model.empty()) {
      std::string v = random_value();
      size_t idx = model.empty() ? 0 : rng() % (model.size() + 1);
      if (idx == model.size()) {
        lp = Append(lp, v);
      } else {
        lp = Insert(lp, v, Seek(lp, static_cast<int64_t>(idx)), Where::kBefore);
      }
      model.insert(model.begin() + static_cast<long>(idx), v);
    } else if (op == 2) {
      size_t idx = rng() % model.size();
      std::string v = random_value();
      lp = Insert(lp, v, Seek(lp, static_cast<int64_t>(idx)), Where::kReplace);
      model[idx] = v;
    } else if (op == 3) {
      size_t idx = rng() % model.size();
      size_t n = 1 + rng() % 3;
      lp = DeleteRangeAt(lp, static_cast<int64_t>(idx), n);
      model.erase(model.begin() + static_cast<long>(idx),
                  model.begin() + static_cast<long>(std::min(model.size(), idx + n)));
    } else {
      size_t idx = rng() % model.size();
      uint8_t* next = nullptr;
      lp = Delete(lp, Seek(lp, static_cast<int64_t>(idx)), &next);
      model.erase(model.begin() + static_cast<long>(idx));
      if (idx < model.size()) {
        char buf[24];
        ASSERT_NE(next, nullptr);
        EXPECT_EQ(Get(next).View(buf), model[idx]);
      } else {
        EXPECT_EQ(next, nullptr);
      }
    }
    ASSERT_EQ(Length(lp), model.size());
    if (step % 100 == 0) {
      ASSERT_EQ(Elements(lp), model);
      ASSERT_TRUE(Validate(lp, Bytes(lp), true));
    }
  }
  ASSERT_EQ(Elements(lp), model);
  Free(lp);
}

TEST(Listpack, FindWithSkipLooksAtFieldsOnly) {
  uint8_t* lp = New();
  for (const char* s : {"f1", "v1", "v1", "x", "42", "f3"}) lp = Append(lp, s);
  uint8_t* p = Find(lp, First(lp), "v1", 1);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Get(p).sval, "v1");
  EXPECT_EQ(p, Seek(lp, 2));  // index 1 is a value position and is skipped
  EXPECT_EQ(Find(lp, First(lp), "42", 1), Seek(lp, 4));
  EXPECT_EQ(Find(lp, First(lp), "x", 1), nullptr);
  EXPECT_EQ(Find(lp, First(lp), "x", 0), Seek(lp, 3));
  Free(lp);
}

TEST(Listpack, ValidateRejectsCorruption) {
  uint8_t* lp = New();
  for (const char* s : {"abc", "12", "hello world"}) lp = Append(lp, s);
  size_t n = Bytes(lp);
  EXPECT_TRUE(Validate(lp, n, true));
  EXPECT_FALSE(Validate(lp, n - 1, true));
  std::vector<uint8_t> copy(lp, lp + n);
  copy[n - 1] = 0;  // no terminator
  EXPECT_FALSE(Validate(copy.data(), n, true));
  copy.assign(lp, lp + n);
  copy[6] = 0x8f;  // first string claims 15 bytes
  EXPECT_FALSE(Validate(copy.data(), n, true));
  copy.assign(lp, lp + n);
  copy[4] = 7;  // wrong count
  EXPECT_FALSE(Validate(copy.data(), n, true));
  // Every single-byte corruption is either detected or still walks safely.
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    copy.assign(lp, lp + n);
    copy[rng() % n] = static_cast<uint8_t>(rng());
    if (Validate(copy.data(), n, true)) {
      size_t count = 0;
      for (uint8_t* p = First(copy.data()); p; p = Next(copy.data(), p)) ++count;
      EXPECT_LE(count, 3u + 1);
    }
  }
  Free(lp);
}

}  // namespace
}  // namespace tessera::lp
