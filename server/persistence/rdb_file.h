// RDB files in Redis 7.0's format (version 10): "REDIS0010", aux fields, function libraries,
// then per database SELECTDB + RESIZEDB and the keys (with EXPIRETIME_MS and IDLE/FREQ
// opcodes), EOF and the CRC64 of everything before it. Saving writes a temp file in the target
// folder, fsyncs it and renames it over the target, so a good file is never replaced by a
// partial one. Loading maps the file and builds every key before touching the keyspace.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/persistence/rdb_codec.h"

namespace tessera {

class Keyspace;

namespace rdb {

// Which access figure goes with each key: LRU idle seconds or the LFU counter (only under an
// LRU or LFU maxmemory-policy, as Redis does).
enum class Access { kNone, kLru, kLfu };

struct SaveOptions {
  bool compress = true;  // rdbcompression
  bool checksum = true;  // rdbchecksum
  Access access = Access::kNone;  // IDLE / FREQ opcodes
  int64_t now_ms = 0;
  std::vector<std::pair<std::string, std::string>> aux;  // written after the header
  std::vector<std::string> functions;                    // library codes
  int64_t key_save_delay = 0;  // rdb-key-save-delay, see KeyDelay
};

// Redis's test knobs rdb-key-save-delay / key-load-delay: a pause after each key, > 0
// microseconds of sleep, < 0 nanoseconds of busy wait.
void KeyDelay(int64_t delay);

// Receives a file's bytes in chunks; false stops the writer (a write error).
using Sink = std::function<bool(std::string_view)>;
// Writes what `produce` hands its sink to a temp file next to `path`, fsyncs it, renames it
// over `path` and fsyncs the folder. On failure `path` is untouched and *err says why.
bool WriteFileAtomically(const std::string& path, const std::function<bool(const Sink&)>& produce,
                         std::string* err);
// Writes the dataset to `path` atomically (temp file, fsync, rename). On failure the old file
// is untouched and *err says why.
bool SaveFile(const std::string& path, Keyspace& ks, const SaveOptions& opts, std::string* err);
// Hands the RDB image to `sink` in chunks of about 64 KB (a diskless replication sync);
// false when the sink failed.
bool Stream(Keyspace& ks, const SaveOptions& opts, const Sink& sink);
// The RDB bytes themselves (tests).
std::string Serialize(Keyspace& ks, const SaveOptions& opts);

struct LoadOptions {
  LoadLimits limits;
  int64_t now_ms = 0;
  bool drop_expired = true;  // a master drops keys already expired
  Access access = Access::kNone;
  // Called every `progress_every` bytes of input (and once at the start) with the bytes done
  // and the total; returning false aborts the load ("Loading aborted").
  std::function<bool(size_t done, size_t total)> progress;
  size_t progress_every = 2 << 20;
  int64_t key_load_delay = 0;  // see KeyDelay
};

struct LoadResult {
  std::vector<std::string> functions;
  std::vector<std::pair<std::string, std::string>> aux;
  uint64_t keys_loaded = 0;
  uint64_t keys_expired = 0;
  int version = 0;
};

// Loads an RDB image into ks (which must be empty). On failure ks is left empty and *err
// names the problem and its byte offset.
bool Load(std::string_view data, Keyspace& ks, const LoadOptions& opts, LoadResult* out,
          std::string* err);
// False when `image` ends with a CRC64 trailer (non-zero) that does not match what comes
// before it: a payload damaged in transit. Too short to have one: true (loading rejects it).
bool ChecksumHolds(std::string_view image);
// Maps `path` and loads it. A missing file is not an error: *missing is set.
bool LoadFile(const std::string& path, Keyspace& ks, const LoadOptions& opts, LoadResult* out,
              bool* missing, std::string* err);

}  // namespace rdb
}  // namespace tessera
