// Intset: a sorted array of integers in the narrowest width that fits them all (16, 32 or 64
// bits), upgraded in place when a wider value arrives. Byte-compatible with Redis:
//   <encoding:u32le = 2|4|8> <length:u32le> <values, little-endian, ascending>
// Functions take and return the buffer because changes reallocate it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tessera::intset {

uint8_t* New();
void Free(uint8_t* is);
uint8_t* Dup(const uint8_t* is);

size_t Length(const uint8_t* is);
size_t Bytes(const uint8_t* is);
// Adds v; *added (optional) tells whether it was new.
uint8_t* Add(uint8_t* is, int64_t v, bool* added = nullptr);
uint8_t* Remove(uint8_t* is, int64_t v, bool* removed = nullptr);
bool Contains(const uint8_t* is, int64_t v);
// The value at pos (0 <= pos < Length).
int64_t Get(const uint8_t* is, size_t pos);
int64_t Max(const uint8_t* is);
// Checks an intset that came from outside (RDB, RESTORE): encoding, size, strict ascending
// order (deep).
bool Validate(const uint8_t* is, size_t size, bool deep);

}  // namespace tessera::intset
