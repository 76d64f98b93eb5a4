#include "common/hash.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <sys/random.h>
#include <unistd.h>

#include <cstring>

namespace tessera {

namespace {

struct Crc16Table {
  uint16_t t[256];
  Crc16Table() {
    for (int i = 0; i < 256; ++i) {
      uint16_t c = static_cast<uint16_t>(i << 8);
      for (int j = 0; j < 8; ++j) {
        c = (c & 0x8000) ? static_cast<uint16_t>((c << 1) ^ 0x1021) : static_cast<uint16_t>(c << 1);
      }
      t[i] = c;
    }
  }
};

struct Crc64Table {
  uint64_t t[8][256];
  Crc64Table() {
    const uint64_t poly = 0x95ac9329ac4bc9b5ULL;  // Jones polynomial, bit-reflected
    for (int i = 0; i < 256; ++i) {
      uint64_t c = static_cast<uint64_t>(i);
      for (int j = 0; j < 8; ++j) {
        c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
      }
      t[0][i] = c;
    }
    for (int i = 0; i < 256; ++i) {
      for (int k = 1; k < 8; ++k) {
        t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
      }
    }
  }
};

const Crc16Table kCrc16;
const Crc64Table kCrc64;

inline uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;  // little-endian host assumed (x86_64/aarch64)
}

template <bool kNoCase>
uint64_t SipHashImpl(const uint8_t* in, size_t inlen, const uint8_t k[16]) {
  uint64_t k0 = Load64(k), k1 = Load64(k + 8);
  uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
  uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
  uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
  uint64_t v3 = 0x7465646279746573ULL ^ k1;
  auto round = [&] {
    v0 += v1; v1 = Rotl(v1, 13); v1 ^= v0; v0 = Rotl(v0, 32);
    v2 += v3; v3 = Rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = Rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = Rotl(v1, 17); v1 ^= v2; v2 = Rotl(v2, 32);
  };
  auto lower = [](uint8_t c) -> uint8_t { return (c >= 'A' && c <= 'Z') ? c + 32 : c; };
  const uint8_t* end = in + inlen - (inlen % 8);
  uint64_t b = static_cast<uint64_t>(inlen) << 56;
  for (; in != end; in += 8) {
    uint64_t m;
    if constexpr (kNoCase) {
      uint8_t tmp[8];
      for (int i = 0; i < 8; ++i) tmp[i] = lower(in[i]);
      m = Load64(tmp);
    } else {
      m = Load64(in);
    }
    v3 ^= m;
    round();
    v0 ^= m;
  }
  switch (inlen & 7) {
    case 7: b |= static_cast<uint64_t>(kNoCase ? lower(in[6]) : in[6]) << 48; [[fallthrough]];
    case 6: b |= static_cast<uint64_t>(kNoCase ? lower(in[5]) : in[5]) << 40; [[fallthrough]];
    case 5: b |= static_cast<uint64_t>(kNoCase ? lower(in[4]) : in[4]) << 32; [[fallthrough]];
    case 4: b |= static_cast<uint64_t>(kNoCase ? lower(in[3]) : in[3]) << 24; [[fallthrough]];
    case 3: b |= static_cast<uint64_t>(kNoCase ? lower(in[2]) : in[2]) << 16; [[fallthrough]];
    case 2: b |= static_cast<uint64_t>(kNoCase ? lower(in[1]) : in[1]) << 8; [[fallthrough]];
    case 1: b |= static_cast<uint64_t>(kNoCase ? lower(in[0]) : in[0]); break;
    case 0: break;
  }
  v3 ^= b;
  round();
  v0 ^= b;
  v2 ^= 0xff;
  round();
  round();
  return v0 ^ v1 ^ v2 ^ v3;
}

}  // namespace

uint16_t Crc16(std::string_view data) {
  uint16_t crc = 0;
  for (unsigned char c : data) {
    crc = static_cast<uint16_t>((crc << 8) ^ kCrc16.t[((crc >> 8) ^ c) & 0xff]);
  }
  return crc;
}

uint16_t KeyHashSlot(std::string_view key) {
  size_t open = key.find('{');
  if (open != std::string_view::npos) {
    size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close != open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return Crc16(key) & (kClusterSlots - 1);
}

uint64_t Crc64(uint64_t crc, const void* data, size_t len) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  while (len >= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    crc ^= v;
    crc = kCrc64.t[7][crc & 0xff] ^ kCrc64.t[6][(crc >> 8) & 0xff] ^
          kCrc64.t[5][(crc >> 16) & 0xff] ^ kCrc64.t[4][(crc >> 24) & 0xff] ^
          kCrc64.t[3][(crc >> 32) & 0xff] ^ kCrc64.t[2][(crc >> 40) & 0xff] ^
          kCrc64.t[1][(crc >> 48) & 0xff] ^ kCrc64.t[0][crc >> 56];
    p += 8;
    len -= 8;
  }
  while (len--) {
    crc = kCrc64.t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  }
  return crc;
}

uint64_t SipHash12(const void* data, size_t len, const uint8_t key[16]) {
  return SipHashImpl<false>(static_cast<const uint8_t*>(data), len, key);
}

uint64_t SipHash12NoCase(const void* data, size_t len, const uint8_t key[16]) {
  return SipHashImpl<true>(static_cast<const uint8_t*>(data), len, key);
}

Sha1Digest Sha1(std::string_view data) {
  Sha1Digest d;
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d.data());
  return d;
}

std::string RandomHexId() {
  uint8_t id[20];
  RandomBytes(id, sizeof(id));
  return ToHex(id, sizeof(id));
}

std::string ToHex(const uint8_t* data, size_t len) {
  static const char kHex[] = "0123456789abcdef";
  std::string s(len * 2, '0');
  for (size_t i = 0; i < len; ++i) {
    s[2 * i] = kHex[data[i] >> 4];
    s[2 * i + 1] = kHex[data[i] & 15];
  }
  return s;
}

void RandomBytes(void* buf, size_t len) {
  uint8_t* p = static_cast<uint8_t*>(buf);
  while (len > 0) {
    ssize_t n = getrandom(p, len, 0);
    if (n <= 0) {
      break;
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  if (len > 0) {
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n <= 0) break;
        p += n;
        len -= static_cast<size_t>(n);
      }
      close(fd);
    }
  }
}

}  // namespace tessera
