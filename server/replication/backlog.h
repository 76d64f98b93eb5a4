// The replication backlog: a ring buffer holding the last `size` bytes of the replication
// stream, so a replica that lost its link can continue (PSYNC ... CONTINUE) from its offset
// instead of taking a full copy. Offsets are Redis's: the stream's bytes are numbered from 1,
// master_repl_offset is the number of the last byte written.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tessera {

class ReplBacklog {
 public:
  // Starts empty at `offset` (the master_repl_offset of this moment): the next byte will be
  // offset + 1.
  ReplBacklog(size_t size, int64_t offset);

  void Append(std::string_view data);
  // Keeps the newest min(histlen, size) bytes.
  void Resize(size_t size);

  size_t size() const { return buf_.size(); }
  int64_t offset() const { return offset_; }      // master_repl_offset
  size_t histlen() const { return histlen_; }
  // The number of the oldest byte held (repl_backlog_first_byte_offset).
  int64_t first_offset() const { return offset_ - static_cast<int64_t>(histlen_) + 1; }
  // Whether a replica whose next wanted byte is `next` can continue from here.
  bool Covers(int64_t next) const {
    return next >= first_offset() && next <= offset_ + 1;
  }
  // Appends the bytes from `next` to the end to *out; false when not covered.
  bool CopyFrom(int64_t next, std::string* out) const;

 private:
  std::string buf_;
  size_t idx_ = 0;      // where the next byte goes
  size_t histlen_ = 0;  // valid bytes (<= size)
  int64_t offset_ = 0;
};

}  // namespace tessera
