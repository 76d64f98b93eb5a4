#include "server/ds/intset.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace tessera::intset {

namespace {

constexpr uint32_t kHeader = 8;

uint32_t Read32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;  // little-endian host
}
void Write32(uint8_t* p, uint32_t v) { memcpy(p, &v, 4); }

uint32_t Enc(const uint8_t* is) { return Read32(is); }
uint32_t Len(const uint8_t* is) { return Read32(is + 4); }

uint32_t EncodingFor(int64_t v) {
  if (v < INT32_MIN || v > INT32_MAX) return 8;
  if (v < INT16_MIN || v > INT16_MAX) return 4;
  return 2;
}

int64_t GetEncoded(const uint8_t* is, size_t pos, uint32_t enc) {
  const uint8_t* p = is + kHeader + pos * enc;
  if (enc == 8) {
    int64_t v;
    memcpy(&v, p, 8);
    return v;
  }
  if (enc == 4) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
  }
  int16_t v;
  memcpy(&v, p, 2);
  return v;
}

void Set(uint8_t* is, size_t pos, int64_t v) {
  uint32_t enc = Enc(is);
  uint8_t* p = is + kHeader + pos * enc;
  if (enc == 8) {
    memcpy(p, &v, 8);
  } else if (enc == 4) {
    int32_t x = static_cast<int32_t>(v);
    memcpy(p, &x, 4);
  } else {
    int16_t x = static_cast<int16_t>(v);
    memcpy(p, &x, 2);
  }
}

uint8_t* Resize(uint8_t* is, size_t len) {
  auto* n = static_cast<uint8_t*>(::realloc(is, kHeader + len * Enc(is)));
  if (n == nullptr) throw std::bad_alloc();
  return n;
}

// Binary search; returns true with *pos at v, or false with *pos where v would go.
bool Search(const uint8_t* is, int64_t v, size_t* pos) {
  size_t len = Len(is);
  uint32_t enc = Enc(is);
  if (len == 0) {
    *pos = 0;
    return false;
  }
  if (v > GetEncoded(is, len - 1, enc)) {
    *pos = len;
    return false;
  }
  if (v < GetEncoded(is, 0, enc)) {
    *pos = 0;
    return false;
  }
  size_t lo = 0, hi = len;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int64_t cur = GetEncoded(is, mid, enc);
    if (cur == v) {
      *pos = mid;
      return true;
    }
    if (cur < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *pos = lo;
  return false;
}

// Widens every element to `enc` and adds v at an end (a value that needs a wider encoding is
// smaller or larger than everything present).
uint8_t* UpgradeAndAdd(uint8_t* is, int64_t v) {
  uint32_t old_enc = Enc(is);
  uint32_t new_enc = EncodingFor(v);
  size_t len = Len(is);
  bool prepend = v < 0;
  Write32(is, new_enc);
  is = Resize(is, len + 1);
  // Walk from the end so nothing is overwritten before it is read.
  for (size_t i = len; i-- > 0;) {
    Set(is, i + (prepend ? 1 : 0), GetEncoded(is, i, old_enc));
  }
  Set(is, prepend ? 0 : len, v);
  Write32(is + 4, static_cast<uint32_t>(len + 1));
  return is;
}

}  // namespace

uint8_t* New() {
  auto* is = static_cast<uint8_t*>(::malloc(kHeader));
  if (is == nullptr) throw std::bad_alloc();
  Write32(is, 2);
  Write32(is + 4, 0);
  return is;
}

void Free(uint8_t* is) { ::free(is); }

uint8_t* Dup(const uint8_t* is) {
  size_t n = Bytes(is);
  auto* d = static_cast<uint8_t*>(::malloc(n));
  if (d == nullptr) throw std::bad_alloc();
  memcpy(d, is, n);
  return d;
}

size_t Length(const uint8_t* is) { return Len(is); }
size_t Bytes(const uint8_t* is) { return kHeader + static_cast<size_t>(Len(is)) * Enc(is); }

uint8_t* Add(uint8_t* is, int64_t v, bool* added) {
  if (EncodingFor(v) > Enc(is)) {
    if (added != nullptr) *added = true;
    return UpgradeAndAdd(is, v);
  }
  size_t pos;
  if (Search(is, v, &pos)) {
    if (added != nullptr) *added = false;
    return is;
  }
  size_t len = Len(is);
  is = Resize(is, len + 1);
  uint32_t enc = Enc(is);
  uint8_t* base = is + kHeader;
  memmove(base + (pos + 1) * enc, base + pos * enc, (len - pos) * enc);
  Set(is, pos, v);
  Write32(is + 4, static_cast<uint32_t>(len + 1));
  if (added != nullptr) *added = true;
  return is;
}

uint8_t* Remove(uint8_t* is, int64_t v, bool* removed) {
  size_t pos;
  if (EncodingFor(v) > Enc(is) || !Search(is, v, &pos)) {
    if (removed != nullptr) *removed = false;
    return is;
  }
  size_t len = Len(is);
  uint32_t enc = Enc(is);
  uint8_t* base = is + kHeader;
  memmove(base + pos * enc, base + (pos + 1) * enc, (len - pos - 1) * enc);
  Write32(is + 4, static_cast<uint32_t>(len - 1));
  if (removed != nullptr) *removed = true;
  return Resize(is, len - 1);
}

bool Contains(const uint8_t* is, int64_t v) {
  size_t pos;
  return EncodingFor(v) <= Enc(is) && Search(is, v, &pos);
}

int64_t Get(const uint8_t* is, size_t pos) { return GetEncoded(is, pos, Enc(is)); }

int64_t Max(const uint8_t* is) { return GetEncoded(is, Len(is) - 1, Enc(is)); }

bool Validate(const uint8_t* is, size_t size, bool deep) {
  if (size < kHeader) return false;
  uint32_t enc = Enc(is);
  if (enc != 2 && enc != 4 && enc != 8) return false;
  uint64_t len = Len(is);
  if (kHeader + len * enc != size) return false;
  if (len == 0) return false;  // Redis never stores an empty intset
  if (!deep) return true;
  for (size_t i = 1; i < len; ++i) {
    if (GetEncoded(is, i, enc) <= GetEncoded(is, i - 1, enc)) return false;
  }
  return true;
}

}  // namespace tessera::intset
