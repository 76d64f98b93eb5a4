// The append-only file in Redis 7's multi-part layout: a folder (`appenddirname`) holding one
// base file (an RDB image when `aof-use-rdb-preamble yes`, else commands), incremental files of
// commands, and a manifest naming them in order:
//   file appendonly.aof.1.base.rdb seq 1 type b
//   file appendonly.aof.1.incr.aof seq 1 type i
// This file has the pieces without server state: the manifest, the command encoder and a
// reader that tells a truncated tail from corruption.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::aof {

struct ManifestFile {
  std::string name;
  int64_t seq = 0;
  char type = 'i';  // 'b' base, 'i' incremental, 'h' history (to be deleted)
};

struct Manifest {
  std::vector<ManifestFile> files;

  const ManifestFile* base() const;
  std::vector<const ManifestFile*> incrs() const;
  int64_t last_base_seq() const;
  int64_t last_incr_seq() const;
  std::string Serialize() const;
  // Parses the manifest text; false with *err on any malformed line (as Redis, unknown keys
  // are ignored and a file name may be quoted).
  static bool Parse(std::string_view text, Manifest* out, std::string* err);
};

// File names as Redis 7 builds them from appendfilename.
std::string BaseName(std::string_view prefix, int64_t seq, bool rdb_preamble);
std::string IncrName(std::string_view prefix, int64_t seq);
std::string ManifestName(std::string_view prefix);

// Appends argv as a RESP multibulk command.
void AppendCommand(std::string& out, std::span<const std::string> argv);
// The same, preceded by SELECT dbid when *selected_db is another db (which it then becomes):
// how the AOF and the replication stream write a command of some db.
void AppendCommandInDb(std::string& out, int dbid, int* selected_db,
                       std::span<const std::string> argv);

// Reads commands from AOF text.
class CommandReader {
 public:
  enum class Result { kCommand, kEnd, kTruncated, kCorrupt };
  explicit CommandReader(std::string_view data) : data_(data) {}
  // The next command into *argv; kTruncated when the data ends inside a command (the offset
  // of that command's start is offset()), kCorrupt on bytes that are not a command.
  Result Next(std::vector<std::string>* argv);
  // Where the last command returned (or the broken one) starts.
  size_t offset() const { return start_; }
  // Bytes consumed by complete commands so far.
  size_t consumed() const { return pos_; }
  const std::string& error() const { return error_; }
  // Whether the commands read so far end inside MULTI (no EXEC or DISCARD yet).
  bool in_multi() const { return in_multi_; }
  // Where the part that can be kept ends: before an unfinished MULTI, else before the command
  // last looked at (the end of the data after kEnd).
  size_t safe_end() const { return in_multi_ ? multi_start_ : start_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  size_t start_ = 0;
  bool in_multi_ = false;
  size_t multi_start_ = 0;
  std::string error_;
};

}  // namespace tessera::aof
