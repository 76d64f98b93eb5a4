// Checksums and hashes used across Tessera: CRC16 (cluster slots), CRC64 (RDB/DUMP
// trailers, Redis's "Jones" variant), SipHash-1-2 (keyspace tables), SHA1 (scripts, digests).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tessera {

// CRC16-CCITT (XMODEM): poly 0x1021, init 0. crc16("123456789") == 0x31C3.
uint16_t Crc16(std::string_view data);

// The cluster hash slot of a key: CRC16 of the hash tag ("{...}" when non-empty) mod 16384.
uint16_t KeyHashSlot(std::string_view key);
inline constexpr int kClusterSlots = 16384;

// CRC64 as Redis computes it (Jones polynomial, reflected). crc64(0,"123456789") ==
// 0xe9c6d914c4b8d9ca. Pass the previous value to continue a running checksum.
uint64_t Crc64(uint64_t crc, const void* data, size_t len);

// SipHash-1-2 keyed with a 16-byte key.
uint64_t SipHash12(const void* data, size_t len, const uint8_t key[16]);
// The same over the ASCII-lowercased input (for case-insensitive tables).
uint64_t SipHash12NoCase(const void* data, size_t len, const uint8_t key[16]);

using Sha1Digest = std::array<uint8_t, 20>;
Sha1Digest Sha1(std::string_view data);
// Lowercase hex of a digest ("da39a3ee...").
std::string ToHex(const uint8_t* data, size_t len);
inline std::string Sha1Hex(std::string_view data) {
  Sha1Digest d = Sha1(data);
  return ToHex(d.data(), d.size());
}

// Fills buf with len cryptographically random bytes (getrandom, falling back to /dev/urandom).
void RandomBytes(void* buf, size_t len);
// 40 random hex characters (run IDs, replication IDs, EOF marks).
std::string RandomHexId();

}  // namespace tessera
