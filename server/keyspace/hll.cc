#include "server/keyspace/hll.h"

#include <cmath>
#include <cstring>

#include <fmt/core.h>

namespace tessera::hll {

namespace {

constexpr int kBits = 6;
constexpr uint8_t kRegisterMax = (1 << kBits) - 1;
constexpr int kQ = 64 - kP;  // bits of the hash left for the run length
constexpr uint64_t kSeed = 0xadc83b19ULL;
constexpr double kAlphaInf = 0.721347520444481703680;  // 1 / (2 ln 2)

// Sparse opcodes:
//   ZERO   00xxxxxx           1..64 zero registers
//   XZERO  01xxxxxx yyyyyyyy  1..16384 zero registers
//   VAL    1vvvvvxx           1..4 registers holding 1..32
constexpr int kZeroMaxLen = 64;
constexpr int kXZeroMaxLen = 16384;
constexpr int kValMaxValue = 32;
constexpr int kValMaxLen = 4;

inline bool IsZero(const uint8_t* p) { return (*p & 0xc0) == 0; }
inline bool IsXZero(const uint8_t* p) { return (*p & 0xc0) == 0x40; }
inline bool IsVal(const uint8_t* p) { return (*p & 0x80) != 0; }
inline int ZeroLen(const uint8_t* p) { return (*p & 0x3f) + 1; }
inline int XZeroLen(const uint8_t* p) { return (((*p & 0x3f) << 8) | p[1]) + 1; }
inline int ValValue(const uint8_t* p) { return ((*p >> 2) & 0x1f) + 1; }
inline int ValLen(const uint8_t* p) { return (*p & 0x3) + 1; }
inline void SetZero(uint8_t* p, int len) { *p = static_cast<uint8_t>(len - 1); }
inline void SetXZero(uint8_t* p, int len) {
  int l = len - 1;
  p[0] = static_cast<uint8_t>((l >> 8) | 0x40);
  p[1] = static_cast<uint8_t>(l & 0xff);
}
inline void SetVal(uint8_t* p, int value, int len) {
  *p = static_cast<uint8_t>((((value - 1) << 2) | (len - 1)) | 0x80);
}

uint8_t* Registers(RawString* r) { return reinterpret_cast<uint8_t*>(r->data) + kHeaderSize; }

void DenseSet(uint8_t* regs, size_t index, uint8_t v) {
  size_t byte = index * kBits / 8;
  unsigned fb = index * kBits & 7;
  unsigned fb8 = 8 - fb;
  regs[byte] = static_cast<uint8_t>((regs[byte] & ~(kRegisterMax << fb)) | (v << fb));
  if (byte + 1 < kDenseSize - kHeaderSize) {
    regs[byte + 1] = static_cast<uint8_t>((regs[byte + 1] & ~(kRegisterMax >> fb8)) | (v >> fb8));
  }
}

// Raises the register; 1 if it changed.
int DenseRaise(uint8_t* regs, size_t index, uint8_t count) {
  if (DenseGet(regs, index) >= count) return 0;
  DenseSet(regs, index, count);
  return 1;
}

double Tau(double x) {
  if (x == 0. || x == 1.) return 0.;
  double z_prev;
  double y = 1.0;
  double z = 1 - x;
  do {
    x = std::sqrt(x);
    z_prev = z;
    y *= 0.5;
    z -= std::pow(1 - x, 2) * y;
  } while (z_prev != z);
  return z / 3;
}

double Sigma(double x) {
  if (x == 1.) return INFINITY;
  double z_prev;
  double y = 1;
  double z = x;
  do {
    x *= x;
    z_prev = z;
    z += x * y;
    y += y;
  } while (z_prev != z);
  return z;
}

uint64_t CountFromHistogram(const int* histo) {
  double m = static_cast<double>(kRegisters);
  double z = m * Tau((m - histo[kQ + 1]) / m);
  for (int j = kQ; j >= 1; --j) {
    z += histo[j];
    z *= 0.5;
  }
  z += m * Sigma(histo[0] / m);
  return static_cast<uint64_t>(std::llroundl(kAlphaInf * m * m / z));
}

// Register histogram of a sparse value; false if the opcodes do not cover exactly 16384.
bool SparseHistogram(const uint8_t* p, const uint8_t* end, int* histo) {
  size_t idx = 0;
  while (p < end) {
    if (IsZero(p)) {
      int n = ZeroLen(p);
      idx += n;
      histo[0] += n;
      ++p;
    } else if (IsXZero(p)) {
      if (p + 1 >= end) return false;
      int n = XZeroLen(p);
      idx += n;
      histo[0] += n;
      p += 2;
    } else {
      int n = ValLen(p);
      idx += n;
      histo[ValValue(p)] += n;
      ++p;
    }
  }
  return idx == kRegisters;
}

}  // namespace

uint64_t MurmurHash64A(const void* key, size_t len, uint64_t seed) {
  const uint64_t m = 0xc6a4a7935bd1e995ULL;
  const int r = 47;
  uint64_t h = seed ^ (static_cast<uint64_t>(static_cast<int>(len)) * m);
  const auto* data = static_cast<const uint8_t*>(key);
  const uint8_t* end = data + (len - (len & 7));
  while (data != end) {
    uint64_t k;
    memcpy(&k, data, 8);  // little endian, as Redis on x86
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
    data += 8;
  }
  switch (len & 7) {
    case 7: h ^= static_cast<uint64_t>(data[6]) << 48; [[fallthrough]];
    case 6: h ^= static_cast<uint64_t>(data[5]) << 40; [[fallthrough]];
    case 5: h ^= static_cast<uint64_t>(data[4]) << 32; [[fallthrough]];
    case 4: h ^= static_cast<uint64_t>(data[3]) << 24; [[fallthrough]];
    case 3: h ^= static_cast<uint64_t>(data[2]) << 16; [[fallthrough]];
    case 2: h ^= static_cast<uint64_t>(data[1]) << 8; [[fallthrough]];
    case 1:
      h ^= static_cast<uint64_t>(data[0]);
      h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

int PatternLength(std::string_view element, size_t* index) {
  uint64_t hash = MurmurHash64A(element.data(), element.size(), kSeed);
  *index = hash & (kRegisters - 1);
  hash >>= kP;
  hash |= uint64_t{1} << kQ;  // the run ends by bit Q at the latest
  uint64_t bit = 1;
  int count = 1;
  while ((hash & bit) == 0) {
    ++count;
    bit <<= 1;
  }
  return count;
}

uint8_t DenseGet(const uint8_t* regs, size_t index) {
  size_t byte = index * kBits / 8;
  unsigned fb = index * kBits & 7;
  unsigned fb8 = 8 - fb;
  unsigned b0 = regs[byte];
  unsigned b1 = byte + 1 < kDenseSize - kHeaderSize ? regs[byte + 1] : 0;
  return static_cast<uint8_t>(((b0 >> fb) | (b1 << fb8)) & kRegisterMax);
}

bool IsValid(std::string_view v) {
  if (v.size() < kHeaderSize) return false;
  if (v.substr(0, 4) != "HYLL") return false;
  uint8_t enc = EncodingOf(v);
  if (enc > kSparse) return false;
  return enc != kDense || v.size() == kDenseSize;
}

RawString* NewEmpty() {
  size_t len = kHeaderSize + 2;
  RawString* r = RawString::New("", len);
  memset(r->data, 0, len);
  r->len = len;
  r->data[len] = '\0';
  memcpy(r->data, "HYLL", 4);
  r->data[4] = static_cast<char>(kSparse);
  SetXZero(Registers(r), kXZeroMaxLen);
  return r;
}

bool CacheValid(std::string_view v) { return (static_cast<uint8_t>(v[15]) & 0x80) == 0; }

uint64_t CachedCount(std::string_view v) {
  uint64_t card = 0;
  for (int i = 7; i >= 0; --i) card = (card << 8) | static_cast<uint8_t>(v[8 + i]);
  return card;
}

void StoreCache(RawString* r, uint64_t card) {
  for (int i = 0; i < 8; ++i) r->data[8 + i] = static_cast<char>((card >> (8 * i)) & 0xff);
}

void InvalidateCache(RawString* r) { r->data[15] = static_cast<char>(r->data[15] | 0x80); }

bool ToDense(RawString** rp) {
  RawString* r = *rp;
  if (static_cast<uint8_t>(r->data[4]) == kDense) return true;
  RawString* d = RawString::New("", kDenseSize);
  memset(d->data, 0, kDenseSize);
  d->len = kDenseSize;
  d->data[kDenseSize] = '\0';
  memcpy(d->data, r->data, kHeaderSize);  // magic and cached cardinality
  d->data[4] = static_cast<char>(kDense);
  const uint8_t* p = Registers(r);
  const uint8_t* end = reinterpret_cast<const uint8_t*>(r->data) + r->len;
  uint8_t* regs = Registers(d);
  size_t idx = 0;
  while (p < end) {
    if (IsZero(p)) {
      idx += ZeroLen(p);
      ++p;
    } else if (IsXZero(p)) {
      idx += XZeroLen(p);
      p += 2;
    } else {
      int n = ValLen(p);
      int v = ValValue(p);
      if (idx + n > kRegisters) break;
      while (n--) DenseSet(regs, idx++, static_cast<uint8_t>(v));
      ++p;
    }
  }
  if (idx != kRegisters) {
    RawString::Free(d);
    return false;
  }
  RawString::Free(r);
  *rp = d;
  return true;
}

namespace {

// Redis's hllSparseSet, step by step, so the bytes come out the same.
int SparseSet(RawString** rp, size_t index, uint8_t count, size_t sparse_max_bytes) {
  auto promote = [&]() -> int {
    if (!ToDense(rp)) return -1;
    DenseRaise(Registers(*rp), index, count);
    return 1;
  };
  if (count > kValMaxValue) return promote();
  // Room for the worst-case split (3 more bytes).
  if ((*rp)->cap() - (*rp)->len < 3) *rp = RawString::Reserve(*rp, 3);
  RawString* r = *rp;
  uint8_t* sparse = Registers(r);
  uint8_t* p = sparse;
  uint8_t* end = reinterpret_cast<uint8_t*>(r->data) + r->len;

  // Step 1: the opcode covering index.
  long first = 0;
  long span = 0;
  uint8_t* prev = nullptr;
  while (p < end) {
    long oplen = 1;
    if (IsZero(p)) {
      span = ZeroLen(p);
    } else if (IsVal(p)) {
      span = ValLen(p);
    } else {
      if (p + 1 >= end) return -1;
      span = XZeroLen(p);
      oplen = 2;
    }
    if (static_cast<long>(index) <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span == 0 || p >= end) return -1;
  uint8_t* next = IsXZero(p) ? p + 2 : p + 1;
  if (next >= end) next = nullptr;
  bool is_zero = false, is_xzero = false, is_val = false;
  long runlen;
  if (IsZero(p)) {
    is_zero = true;
    runlen = ZeroLen(p);
  } else if (IsXZero(p)) {
    is_xzero = true;
    runlen = XZeroLen(p);
  } else {
    is_val = true;
    runlen = ValLen(p);
  }

  // Step 2: the trivial updates in place, else the split sequence.
  bool done = false;
  if (is_val) {
    if (ValValue(p) >= count) return 0;
    if (runlen == 1) {
      SetVal(p, count, 1);
      done = true;
    }
  }
  if (!done && is_zero && runlen == 1) {
    SetVal(p, count, 1);
    done = true;
  }
  if (!done) {
    uint8_t seq[5];
    uint8_t* n = seq;
    long last = first + span - 1;
    long idx = static_cast<long>(index);
    if (is_zero || is_xzero) {
      auto zeros = [&](long len) {
        if (len > kZeroMaxLen) {
          SetXZero(n, static_cast<int>(len));
          n += 2;
        } else {
          SetZero(n, static_cast<int>(len));
          ++n;
        }
      };
      if (idx != first) zeros(idx - first);
      SetVal(n++, count, 1);
      if (idx != last) zeros(last - idx);
    } else {
      int curval = ValValue(p);
      if (idx != first) SetVal(n++, curval, static_cast<int>(idx - first));
      SetVal(n++, count, 1);
      if (idx != last) SetVal(n++, curval, static_cast<int>(last - idx));
    }
    // Step 3: put the sequence in place of the old opcode.
    long seqlen = n - seq;
    long oldlen = is_xzero ? 2 : 1;
    long delta = seqlen - oldlen;
    if (delta > 0 && r->len + static_cast<size_t>(delta) > sparse_max_bytes) return promote();
    if (delta != 0 && next != nullptr) memmove(next + delta, next, static_cast<size_t>(end - next));
    r->len = static_cast<uint64_t>(static_cast<long>(r->len) + delta);
    memcpy(p, seq, static_cast<size_t>(seqlen));
    end += delta;
  }

  // Step 4: merge adjacent VAL opcodes of equal value around the change (up to 5 opcodes).
  p = prev != nullptr ? prev : sparse;
  int scanlen = 5;
  while (p < end && scanlen--) {
    if (IsXZero(p)) {
      p += 2;
      continue;
    }
    if (IsZero(p)) {
      ++p;
      continue;
    }
    if (p + 1 < end && IsVal(p + 1)) {
      int v1 = ValValue(p), v2 = ValValue(p + 1);
      if (v1 == v2) {
        int len = ValLen(p) + ValLen(p + 1);
        if (len <= kValMaxLen) {
          SetVal(p + 1, v1, len);
          memmove(p, p + 1, static_cast<size_t>(end - p));
          --r->len;
          --end;
          continue;
        }
      }
    }
    ++p;
  }
  r->data[r->len] = '\0';
  InvalidateCache(r);
  return 1;
}

}  // namespace

int Set(RawString** rp, size_t index, uint8_t count, size_t sparse_max_bytes) {
  if (static_cast<uint8_t>((*rp)->data[4]) == kDense) return DenseRaise(Registers(*rp), index, count);
  return SparseSet(rp, index, count, sparse_max_bytes);
}

int Add(RawString** rp, std::string_view element, size_t sparse_max_bytes) {
  size_t index;
  int count = PatternLength(element, &index);
  return Set(rp, index, static_cast<uint8_t>(count), sparse_max_bytes);
}

bool MergeInto(std::string_view v, uint8_t* max) {
  const auto* base = reinterpret_cast<const uint8_t*>(v.data());
  const uint8_t* regs = base + kHeaderSize;
  if (EncodingOf(v) == kDense) {
    for (size_t i = 0; i < kRegisters; ++i) max[i] = std::max(max[i], DenseGet(regs, i));
    return true;
  }
  const uint8_t* p = regs;
  const uint8_t* end = base + v.size();
  size_t i = 0;
  while (p < end) {
    if (IsZero(p)) {
      i += ZeroLen(p);
      ++p;
    } else if (IsXZero(p)) {
      if (p + 1 >= end) return false;
      i += XZeroLen(p);
      p += 2;
    } else {
      size_t n = ValLen(p);
      auto val = static_cast<uint8_t>(ValValue(p));
      if (i + n > kRegisters) break;
      while (n--) {
        max[i] = std::max(max[i], val);
        ++i;
      }
      ++p;
    }
  }
  return i == kRegisters;
}

uint64_t CountRegisters(const uint8_t* registers) {
  int histo[64] = {};
  for (size_t i = 0; i < kRegisters; ++i) ++histo[registers[i]];
  return CountFromHistogram(histo);
}

uint64_t Count(std::string_view v, bool* invalid) {
  int histo[64] = {};
  const auto* base = reinterpret_cast<const uint8_t*>(v.data());
  if (EncodingOf(v) == kDense) {
    for (size_t i = 0; i < kRegisters; ++i) ++histo[DenseGet(base + kHeaderSize, i)];
  } else if (!SparseHistogram(base + kHeaderSize, base + v.size(), histo)) {
    *invalid = true;
    return 0;
  }
  return CountFromHistogram(histo);
}

std::string DecodeSparse(std::string_view v) {
  const auto* p = reinterpret_cast<const uint8_t*>(v.data()) + kHeaderSize;
  const auto* end = reinterpret_cast<const uint8_t*>(v.data()) + v.size();
  std::string out;
  while (p < end) {
    if (IsZero(p)) {
      out += fmt::format("z:{} ", ZeroLen(p));
      ++p;
    } else if (IsXZero(p)) {
      if (p + 1 >= end) break;
      out += fmt::format("Z:{} ", XZeroLen(p));
      p += 2;
    } else {
      out += fmt::format("v:{},{} ", ValValue(p), ValLen(p));
      ++p;
    }
  }
  if (!out.empty()) out.pop_back();
  return out;
}

}  // namespace tessera::hll
