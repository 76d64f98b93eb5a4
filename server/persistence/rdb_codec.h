// Redis 7.0's RDB encoding (RDB version 10) for single values: lengths, strings (integer and
// LZF forms), binary doubles, and each value type's object body. DUMP/RESTORE payloads are
// <type><body><version:u16le><crc64:u64le>; RDB files (later) are built from the same parts.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tessera {

class KeyValue;
struct HashLimits;
struct SetLimits;
struct ZsetLimits;
struct ListLimits;

namespace rdb {

inline constexpr uint16_t kVersion = 10;

// Object type bytes (RDB_TYPE_*).
enum Type : uint8_t {
  kString = 0,
  kList = 1,
  kSet = 2,
  kZset = 3,
  kHash = 4,
  kZset2 = 5,
  kHashZipmap = 9,
  kListZiplist = 10,
  kSetIntset = 11,
  kZsetZiplist = 12,
  kHashZiplist = 13,
  kListQuicklist = 14,
  kStreamListpacks = 15,
  kHashListpack = 16,
  kZsetListpack = 17,
  kListQuicklist2 = 18,
  kStreamListpacks2 = 19,
};

// ---- writing ----
void AppendLen(std::string& out, uint64_t len);
// A string: integer-encoded when it is a short canonical integer, LZF-compressed when
// `compress` and it is longer than 20 bytes and shrinks, else raw.
void AppendString(std::string& out, std::string_view s, bool compress);
void AppendBinaryDouble(std::string& out, double d);
// The type byte and body of a value, with the key string in between when `key` is given (the
// RDB file layout). False only for a type RDB cannot hold.
bool AppendObject(std::string& out, const KeyValue* kv, bool compress,
                  const std::string_view* key = nullptr);

// ---- reading (a cursor over the input; every function fails on truncated or bad data) ----
bool ReadLen(std::string_view& in, uint64_t* len, bool* encoded = nullptr);
bool ReadString(std::string_view& in, std::string* out);
bool ReadBinaryDouble(std::string_view& in, double* out);

// The encoding limits a loaded value is shaped by (the server's *-max-listpack-* settings).
struct LoadLimits {
  const HashLimits* hash;
  const SetLimits* set;
  const ZsetLimits* zset;
  const ListLimits* list;
};
// The server's default encoding limits, for loading outside a server (check tools, fuzzing).
class DefaultLimits {
 public:
  DefaultLimits();
  ~DefaultLimits();
  LoadLimits Get() const { return {hash_.get(), set_.get(), zset_.get(), list_.get()}; }

 private:
  std::unique_ptr<HashLimits> hash_;
  std::unique_ptr<SetLimits> set_;
  std::unique_ptr<ZsetLimits> zset_;
  std::unique_ptr<ListLimits> list_;
};

// Builds a key object (no TTL) from an object body of `type`; nullptr on bad or unsupported
// data. Listpacks and intsets taken as they are get deep validation first.
KeyValue* ReadObject(uint8_t type, std::string_view& in, std::string_view key,
                     const LoadLimits& limits);

// ---- DUMP payloads ----
std::string DumpPayload(const KeyValue* kv, bool compress);
// Appends the RDB version and the CRC64 of everything in `out` so far.
void AppendPayloadFooter(std::string& out);
// Checks the footer: version not newer than ours and the CRC64 of everything before it.
bool VerifyPayload(std::string_view payload);

}  // namespace rdb
}  // namespace tessera
