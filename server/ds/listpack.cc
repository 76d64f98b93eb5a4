#include "server/ds/listpack.h"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <new>

#include "common/strutil.h"

namespace tessera::lp {

namespace {

constexpr uint8_t k7BitUint = 0x00, k7BitUintMask = 0x80;
constexpr uint8_t k6BitStr = 0x80, k6BitStrMask = 0xC0;
constexpr uint8_t k13BitInt = 0xC0, k13BitIntMask = 0xE0;
constexpr uint8_t k12BitStr = 0xE0, k12BitStrMask = 0xF0;
constexpr uint8_t k16BitInt = 0xF1, k24BitInt = 0xF2, k32BitInt = 0xF3, k64BitInt = 0xF4;
constexpr uint8_t k32BitStr = 0xF0;
constexpr uint16_t kCountUnknown = 65535;

inline uint32_t GetTotal(const uint8_t* lp) {
  return static_cast<uint32_t>(lp[0]) | static_cast<uint32_t>(lp[1]) << 8 |
         static_cast<uint32_t>(lp[2]) << 16 | static_cast<uint32_t>(lp[3]) << 24;
}
inline void SetTotal(uint8_t* lp, uint32_t v) {
  lp[0] = v & 0xff;
  lp[1] = (v >> 8) & 0xff;
  lp[2] = (v >> 16) & 0xff;
  lp[3] = (v >> 24) & 0xff;
}
inline uint16_t GetCount(const uint8_t* lp) { return static_cast<uint16_t>(lp[4] | lp[5] << 8); }
inline void SetCount(uint8_t* lp, uint16_t v) {
  lp[4] = v & 0xff;
  lp[5] = (v >> 8) & 0xff;
}

// Bytes needed to store `len` as a backlen.
inline size_t BacklenSize(uint64_t len) {
  if (len <= 127) return 1;
  if (len < 16383) return 2;
  if (len < 2097151) return 3;
  if (len < 268435455) return 4;
  return 5;
}

// Writes the backlen of an entry whose encoding+data is `len` bytes (Redis's lpEncodeBacklen).
size_t EncodeBacklen(uint8_t* buf, uint64_t len) {
  if (len <= 127) {
    buf[0] = static_cast<uint8_t>(len);
    return 1;
  }
  if (len < 16383) {
    buf[0] = static_cast<uint8_t>(len >> 7);
    buf[1] = static_cast<uint8_t>((len & 127) | 128);
    return 2;
  }
  if (len < 2097151) {
    buf[0] = static_cast<uint8_t>(len >> 14);
    buf[1] = static_cast<uint8_t>(((len >> 7) & 127) | 128);
    buf[2] = static_cast<uint8_t>((len & 127) | 128);
    return 3;
  }
  if (len < 268435455) {
    buf[0] = static_cast<uint8_t>(len >> 21);
    buf[1] = static_cast<uint8_t>(((len >> 14) & 127) | 128);
    buf[2] = static_cast<uint8_t>(((len >> 7) & 127) | 128);
    buf[3] = static_cast<uint8_t>((len & 127) | 128);
    return 4;
  }
  buf[0] = static_cast<uint8_t>(len >> 28);
  buf[1] = static_cast<uint8_t>(((len >> 21) & 127) | 128);
  buf[2] = static_cast<uint8_t>(((len >> 14) & 127) | 128);
  buf[3] = static_cast<uint8_t>(((len >> 7) & 127) | 128);
  buf[4] = static_cast<uint8_t>((len & 127) | 128);
  return 5;
}

// Reads the backlen ending at p (p points at its last byte), walking left.
uint64_t DecodeBacklen(const uint8_t* p) {
  uint64_t val = 0;
  uint64_t shift = 0;
  do {
    val |= static_cast<uint64_t>(p[0] & 127) << shift;
    if (!(p[0] & 128)) break;
    shift += 7;
    --p;
    if (shift > 28) return UINT64_MAX;
  } while (true);
  return val;
}

// Size of encoding+data of the element at p (without backlen).
size_t EncodedSize(const uint8_t* p) {
  uint8_t b = p[0];
  if ((b & k7BitUintMask) == k7BitUint) return 1;
  if ((b & k6BitStrMask) == k6BitStr) return 1 + (b & 0x3f);
  if ((b & k13BitIntMask) == k13BitInt) return 2;
  if (b == k16BitInt) return 3;
  if (b == k24BitInt) return 4;
  if (b == k32BitInt) return 5;
  if (b == k64BitInt) return 9;
  if ((b & k12BitStrMask) == k12BitStr) return 2 + (static_cast<size_t>(b & 0x0f) << 8 | p[1]);
  if (b == k32BitStr) {
    uint32_t len = static_cast<uint32_t>(p[1]) | static_cast<uint32_t>(p[2]) << 8 |
                   static_cast<uint32_t>(p[3]) << 16 | static_cast<uint32_t>(p[4]) << 24;
    return 5 + len;
  }
  return 1;  // EOF or invalid; Validate() rejects the latter
}

// Encodes an integer into buf; returns the bytes written (encoding+data).
size_t EncodeInt(uint8_t* buf, int64_t v) {
  if (v >= 0 && v <= 127) {
    buf[0] = static_cast<uint8_t>(v);
    return 1;
  }
  if (v >= -4096 && v <= 4095) {
    uint64_t u = v < 0 ? (uint64_t{1} << 13) + static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    buf[0] = static_cast<uint8_t>((u >> 8) | k13BitInt);
    buf[1] = static_cast<uint8_t>(u & 0xff);
    return 2;
  }
  auto little = [&](uint8_t tag, int bytes, uint64_t u) {
    buf[0] = tag;
    for (int i = 0; i < bytes; ++i) buf[1 + i] = static_cast<uint8_t>((u >> (8 * i)) & 0xff);
    return static_cast<size_t>(1 + bytes);
  };
  if (v >= -32768 && v <= 32767) {
    uint64_t u = v < 0 ? (uint64_t{1} << 16) + static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    return little(k16BitInt, 2, u);
  }
  if (v >= -8388608 && v <= 8388607) {
    uint64_t u = v < 0 ? (uint64_t{1} << 24) + static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    return little(k24BitInt, 3, u);
  }
  if (v >= INT32_MIN && v <= INT32_MAX) {
    uint64_t u = v < 0 ? (uint64_t{1} << 32) + static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    return little(k32BitInt, 4, u);
  }
  return little(k64BitInt, 8, static_cast<uint64_t>(v));
}

size_t StringEncodingSize(size_t len) {
  if (len < 64) return 1 + len;
  if (len < 4096) return 2 + len;
  return 5 + len;
}

void EncodeString(uint8_t* buf, std::string_view s) {
  size_t len = s.size();
  if (len < 64) {
    buf[0] = static_cast<uint8_t>(len | k6BitStr);
    memcpy(buf + 1, s.data(), len);
  } else if (len < 4096) {
    buf[0] = static_cast<uint8_t>((len >> 8) | k12BitStr);
    buf[1] = static_cast<uint8_t>(len & 0xff);
    memcpy(buf + 2, s.data(), len);
  } else {
    buf[0] = k32BitStr;
    buf[1] = len & 0xff;
    buf[2] = (len >> 8) & 0xff;
    buf[3] = (len >> 16) & 0xff;
    buf[4] = (len >> 24) & 0xff;
    memcpy(buf + 5, s.data(), len);
  }
}

int64_t SignExtend(uint64_t u, int bits) {
  uint64_t negstart = uint64_t{1} << (bits - 1);
  if (bits == 64) return static_cast<int64_t>(u);
  if (u >= negstart) {
    uint64_t negmax = (uint64_t{1} << bits) - 1;
    return -static_cast<int64_t>(negmax - u) - 1;
  }
  return static_cast<int64_t>(u);
}

// An entry ready to be written: its encoding+data bytes.
struct Encoded {
  uint8_t small[16];
  std::string_view str;  // set for string encodings (written by EncodeString)
  bool is_int = false;
  size_t size = 0;  // encoding+data
};

Encoded EncodeValue(std::string_view s) {
  Encoded e;
  int64_t v;
  if (StringToInt(s, &v)) {
    e.is_int = true;
    e.size = EncodeInt(e.small, v);
  } else {
    e.str = s;
    e.size = StringEncodingSize(s.size());
  }
  return e;
}

Encoded EncodeIntValue(int64_t v) {
  Encoded e;
  e.is_int = true;
  e.size = EncodeInt(e.small, v);
  return e;
}

void WriteEntry(uint8_t* dst, const Encoded& e) {
  if (e.is_int) {
    memcpy(dst, e.small, e.size);
  } else {
    EncodeString(dst, e.str);
  }
  EncodeBacklen(dst + e.size, e.size);
}

uint8_t* Grow(uint8_t* lp, size_t new_total) {
  auto* n = static_cast<uint8_t*>(::realloc(lp, new_total));
  if (n == nullptr) throw std::bad_alloc();
  return n;
}

uint8_t* InsertEncoded(uint8_t* lp, const Encoded& e, uint8_t* p, Where where, uint8_t** newp) {
  size_t total = GetTotal(lp);
  size_t entry = e.size + BacklenSize(e.size);
  size_t offset;  // where the new entry goes
  size_t removed = 0;
  if (p == nullptr) {
    offset = total - 1;  // before EOF
  } else {
    offset = static_cast<size_t>(p - lp);
    if (where == Where::kAfter) {
      offset += EntrySize(p);
    } else if (where == Where::kReplace) {
      removed = EntrySize(p);
    }
  }
  size_t new_total = total - removed + entry;
  if (new_total > UINT32_MAX) throw std::bad_alloc();
  if (entry > removed) lp = Grow(lp, new_total);
  uint8_t* dst = lp + offset;
  memmove(dst + entry, dst + removed, total - offset - removed);
  if (entry < removed) lp = Grow(lp, new_total);
  dst = lp + offset;
  WriteEntry(dst, e);
  SetTotal(lp, static_cast<uint32_t>(new_total));
  if (where != Where::kReplace || p == nullptr) {
    uint16_t c = GetCount(lp);
    if (c != kCountUnknown) {
      SetCount(lp, c + 1 < kCountUnknown ? static_cast<uint16_t>(c + 1) : kCountUnknown);
    }
  }
  if (newp != nullptr) *newp = dst;
  return lp;
}

}  // namespace

std::string_view Value::View(char* buf) const {
  if (!is_int) return sval;
  auto r = std::to_chars(buf, buf + 24, ival);
  return std::string_view(buf, static_cast<size_t>(r.ptr - buf));
}

bool Value::Equals(std::string_view s) const {
  if (!is_int) return sval == s;
  int64_t v;
  return StringToInt(s, &v) && v == ival;
}

bool StringToInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  auto v = ParseInt64(s);
  if (!v) return false;
  *out = *v;
  return true;
}

uint8_t* New(size_t capacity) {
  size_t size = capacity > kHeaderSize + 1 ? capacity : kHeaderSize + 1;
  auto* lp = static_cast<uint8_t*>(::malloc(size));
  if (lp == nullptr) throw std::bad_alloc();
  SetTotal(lp, kHeaderSize + 1);
  SetCount(lp, 0);
  lp[kHeaderSize] = kEof;
  return lp;
}

void Free(uint8_t* lp) { ::free(lp); }

uint8_t* Dup(const uint8_t* lp) {
  size_t n = GetTotal(lp);
  auto* d = static_cast<uint8_t*>(::malloc(n));
  if (d == nullptr) throw std::bad_alloc();
  memcpy(d, lp, n);
  return d;
}

size_t Bytes(const uint8_t* lp) { return GetTotal(lp); }

size_t Length(const uint8_t* lp) {
  uint16_t c = GetCount(lp);
  if (c != kCountUnknown) return c;
  size_t n = 0;
  for (uint8_t* p = First(const_cast<uint8_t*>(lp)); p; p = Next(const_cast<uint8_t*>(lp), p)) ++n;
  if (n < kCountUnknown) SetCount(const_cast<uint8_t*>(lp), static_cast<uint16_t>(n));
  return n;
}

size_t EntrySize(const uint8_t* p) {
  size_t enc = EncodedSize(p);
  return enc + BacklenSize(enc);
}

uint8_t* First(uint8_t* lp) {
  uint8_t* p = lp + kHeaderSize;
  return *p == kEof ? nullptr : p;
}

uint8_t* Next(uint8_t* lp, uint8_t* p) {
  (void)lp;
  p += EntrySize(p);
  return *p == kEof ? nullptr : p;
}

uint8_t* Last(uint8_t* lp) {
  uint8_t* eof = lp + GetTotal(lp) - 1;
  return Prev(lp, eof);
}

uint8_t* Prev(uint8_t* lp, uint8_t* p) {
  if (p == lp + kHeaderSize) return nullptr;
  uint8_t* back = p - 1;
  uint64_t len = DecodeBacklen(back);
  size_t backsize = BacklenSize(len);
  return p - backsize - len;
}

uint8_t* Seek(uint8_t* lp, int64_t index) {
  size_t len = Length(lp);
  if (index < 0) index += static_cast<int64_t>(len);
  if (index < 0 || static_cast<size_t>(index) >= len) return nullptr;
  size_t i = static_cast<size_t>(index);
  if (i < len / 2) {
    uint8_t* p = First(lp);
    while (i--) p = Next(lp, p);
    return p;
  }
  uint8_t* p = Last(lp);
  for (size_t k = len - 1; k > i; --k) p = Prev(lp, p);
  return p;
}

Value Get(const uint8_t* p) {
  Value v;
  uint8_t b = p[0];
  if ((b & k7BitUintMask) == k7BitUint) {
    v.is_int = true;
    v.ival = b & 0x7f;
  } else if ((b & k6BitStrMask) == k6BitStr) {
    v.sval = std::string_view(reinterpret_cast<const char*>(p + 1), b & 0x3f);
  } else if ((b & k13BitIntMask) == k13BitInt) {
    v.is_int = true;
    v.ival = SignExtend((static_cast<uint64_t>(b & 0x1f) << 8) | p[1], 13);
  } else if (b == k16BitInt || b == k24BitInt || b == k32BitInt || b == k64BitInt) {
    int bytes = b == k16BitInt ? 2 : b == k24BitInt ? 3 : b == k32BitInt ? 4 : 8;
    uint64_t u = 0;
    for (int i = 0; i < bytes; ++i) u |= static_cast<uint64_t>(p[1 + i]) << (8 * i);
    v.is_int = true;
    v.ival = SignExtend(u, bytes * 8);
  } else if ((b & k12BitStrMask) == k12BitStr) {
    size_t len = static_cast<size_t>(b & 0x0f) << 8 | p[1];
    v.sval = std::string_view(reinterpret_cast<const char*>(p + 2), len);
  } else if (b == k32BitStr) {
    size_t len = static_cast<size_t>(p[1]) | static_cast<size_t>(p[2]) << 8 |
                 static_cast<size_t>(p[3]) << 16 | static_cast<size_t>(p[4]) << 24;
    v.sval = std::string_view(reinterpret_cast<const char*>(p + 5), len);
  }
  return v;
}

uint8_t* Insert(uint8_t* lp, std::string_view s, uint8_t* p, Where where, uint8_t** newp) {
  return InsertEncoded(lp, EncodeValue(s), p, where, newp);
}

uint8_t* InsertInt(uint8_t* lp, int64_t v, uint8_t* p, Where where, uint8_t** newp) {
  return InsertEncoded(lp, EncodeIntValue(v), p, where, newp);
}

uint8_t* Append(uint8_t* lp, std::string_view s) { return Insert(lp, s, nullptr, Where::kAfter); }
uint8_t* AppendInt(uint8_t* lp, int64_t v) { return InsertInt(lp, v, nullptr, Where::kAfter); }

uint8_t* Prepend(uint8_t* lp, std::string_view s) {
  uint8_t* first = First(lp);
  return first == nullptr ? Append(lp, s) : Insert(lp, s, first, Where::kBefore);
}

uint8_t* Delete(uint8_t* lp, uint8_t* p, uint8_t** next) {
  size_t offset = static_cast<size_t>(p - lp);
  lp = DeleteRange(lp, p, 1);
  if (next != nullptr) {
    uint8_t* q = lp + offset;
    *next = *q == kEof ? nullptr : q;
  }
  return lp;
}

uint8_t* DeleteRange(uint8_t* lp, uint8_t* p, size_t count) {
  if (p == nullptr || count == 0) return lp;
  size_t total = GetTotal(lp);
  uint8_t* end = p;
  size_t deleted = 0;
  while (deleted < count && *end != kEof) {
    end += EntrySize(end);
    ++deleted;
  }
  size_t offset = static_cast<size_t>(p - lp);
  size_t gone = static_cast<size_t>(end - p);
  memmove(p, end, total - offset - gone);
  size_t new_total = total - gone;
  SetTotal(lp, static_cast<uint32_t>(new_total));
  uint16_t c = GetCount(lp);
  if (c != kCountUnknown) SetCount(lp, static_cast<uint16_t>(c - deleted));
  return Grow(lp, new_total);
}

uint8_t* DeleteRangeAt(uint8_t* lp, int64_t index, size_t count) {
  uint8_t* p = Seek(lp, index);
  return p == nullptr ? lp : DeleteRange(lp, p, count);
}

uint8_t* Find(uint8_t* lp, uint8_t* p, std::string_view s, unsigned skip) {
  int64_t want_int = 0;
  bool s_is_int = StringToInt(s, &want_int);
  unsigned skipcnt = 0;
  while (p != nullptr) {
    if (skipcnt == 0) {
      uint8_t b = p[0];
      bool entry_is_str = (b & k6BitStrMask) == k6BitStr || (b & k12BitStrMask) == k12BitStr ||
                          b == k32BitStr;
      if (entry_is_str) {
        if (!s_is_int) {
          Value v = Get(p);
          if (v.sval == s) return p;
        }
      } else if (s_is_int) {
        if (Get(p).ival == want_int) return p;
      }
      skipcnt = skip;
    } else {
      --skipcnt;
    }
    p = Next(lp, p);
  }
  return nullptr;
}

bool Validate(const uint8_t* lp, size_t size, bool deep) {
  if (size < kHeaderSize + 1) return false;
  if (GetTotal(lp) != size) return false;
  if (lp[size - 1] != kEof) return false;
  if (!deep) return true;
  const uint8_t* p = lp + kHeaderSize;
  const uint8_t* eof = lp + size - 1;
  size_t count = 0;
  while (p < eof) {
    uint8_t b = p[0];
    if (b == kEof) return false;
    // Header bytes of the longer encodings must be inside the buffer.
    if ((b & k12BitStrMask) == k12BitStr && p + 2 > eof) return false;
    if (b == k32BitStr && p + 5 > eof) return false;
    if (b >= 0xF5 && b != kEof) return false;  // unused encodings
    size_t enc = EncodedSize(p);
    size_t back = BacklenSize(enc);
    if (static_cast<size_t>(eof - p) < enc + back) return false;
    if (DecodeBacklen(p + enc + back - 1) != enc) return false;
    p += enc + back;
    ++count;
  }
  if (p != eof) return false;
  uint16_t c = GetCount(lp);
  return c == kCountUnknown || c == count;
}

}  // namespace tessera::lp
