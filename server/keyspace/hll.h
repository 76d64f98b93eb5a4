// HyperLogLog values, byte-compatible with Redis: a string starting with the 16-byte header
// "HYLL", encoding (0 dense, 1 sparse), 3 unused bytes, 8-byte little-endian cached
// cardinality (top bit set: stale). 16384 6-bit registers follow, either packed (dense,
// 12288 bytes) or run-length coded (sparse: ZERO, XZERO and VAL opcodes). Elements are hashed
// with MurmurHash64A, and the cardinality is Ertl's estimator, so counts match Redis's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/keyspace/kv.h"

namespace tessera::hll {

inline constexpr int kP = 14;
inline constexpr size_t kRegisters = size_t{1} << kP;  // 16384
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kDenseSize = kHeaderSize + (kRegisters * 6 + 7) / 8;
inline constexpr uint8_t kDense = 0;
inline constexpr uint8_t kSparse = 1;

// What Redis's isHLLObjectOrReply accepts: the magic, a known encoding, and the exact size
// when dense.
bool IsValid(std::string_view v);
inline uint8_t EncodingOf(std::string_view v) { return static_cast<uint8_t>(v[4]); }

// An empty HLL (sparse: a single XZERO opcode covering every register).
RawString* NewEmpty();

// The register an element goes to and its run length of zeros + 1, as Redis's hllPatLen.
int PatternLength(std::string_view element, size_t* index);
uint64_t MurmurHash64A(const void* key, size_t len, uint64_t seed);

// Adds an element. Returns 1 if a register grew, 0 if not, -1 if the value is corrupt. May
// reallocate *r (sparse growth, conversion to dense).
int Add(RawString** r, std::string_view element, size_t sparse_max_bytes);
// Raises register index to count if lower, in either encoding (PFMERGE's writer).
int Set(RawString** r, size_t index, uint8_t count, size_t sparse_max_bytes);
// Converts a sparse value to dense (no-op when dense). False if the value is corrupt.
bool ToDense(RawString** r);

// max[i] = MAX(max[i], register i) over the value's registers. False if corrupt.
bool MergeInto(std::string_view v, uint8_t* max);
// The cardinality estimate of a value (*invalid set if a sparse value is corrupt) or of a
// plain register array.
uint64_t Count(std::string_view v, bool* invalid);
uint64_t CountRegisters(const uint8_t* registers);

bool CacheValid(std::string_view v);
uint64_t CachedCount(std::string_view v);
void StoreCache(RawString* r, uint64_t card);
void InvalidateCache(RawString* r);

// The 6-bit register values of a dense value.
uint8_t DenseGet(const uint8_t* registers, size_t index);
// "z:3 Z:100 v:2,1 ..." for a sparse value (PFDEBUG DECODE).
std::string DecodeSparse(std::string_view v);

}  // namespace tessera::hll
