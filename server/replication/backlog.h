// The replication backlog: the last `size` bytes of the replication stream, so a replica that
// lost its link can continue (PSYNC ... CONTINUE) from its offset instead of taking a full
// copy. Offsets are Redis's: the stream's bytes are numbered from 1, master_repl_offset is
// the number of the last byte written.
//
// It is also where replicas read their stream while they synchronize and catch up: a pin
// keeps every byte from the pinned offset on, beyond `size`, so the stream produced during a
// full sync is held once for all replicas instead of once per replica output buffer. The bytes
// live in fixed-size blocks; only whole blocks are freed, but histlen and the covered range
// are exact.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace tessera {

class ReplBacklog {
 public:
  static constexpr size_t kDefaultBlock = 64 << 10;

  // Starts empty at `offset` (the master_repl_offset of this moment): the next byte will be
  // offset + 1.
  ReplBacklog(size_t size, int64_t offset, size_t block = kDefaultBlock);

  void Append(std::string_view data);
  // Keeps the newest min(histlen, size) bytes (and whatever a pin holds).
  void Resize(size_t size);
  // Holds every byte from `next` on until the pin moves (-1: no pin).
  void Pin(int64_t next);

  size_t size() const { return limit_; }          // repl-backlog-size
  int64_t offset() const { return offset_; }      // master_repl_offset
  size_t histlen() const { return histlen_; }
  size_t allocated() const { return blocks_.size() * block_; }
  // Bytes held beyond `size` because of a pin.
  size_t pinned_excess() const { return histlen_ > limit_ ? histlen_ - limit_ : 0; }
  // The number of the oldest byte held (repl_backlog_first_byte_offset).
  int64_t first_offset() const { return offset_ - static_cast<int64_t>(histlen_) + 1; }
  // Whether a replica whose next wanted byte is `next` can continue from here.
  bool Covers(int64_t next) const { return next >= first_offset() && next <= offset_ + 1; }
  // Appends the bytes from `next` to the end to *out; false when not covered.
  bool CopyFrom(int64_t next, std::string* out) const;
  // Calls f(piece) over at most `max` bytes from `next` on; returns how many (0 when not
  // covered or nothing is there).
  template <class F>
  size_t Visit(int64_t next, size_t max, F&& f) const {
    if (!Covers(next)) return 0;
    size_t skip = head_skip_ + static_cast<size_t>(next - first_offset());
    size_t done = 0;
    for (size_t i = skip / block_; i < blocks_.size() && done < max; ++i) {
      const std::string& b = blocks_[i];
      size_t from = i == skip / block_ ? skip % block_ : 0;
      if (from >= b.size()) break;
      size_t n = std::min(b.size() - from, max - done);
      f(std::string_view(b).substr(from, n));
      done += n;
    }
    return done;
  }

 private:
  void Trim();

  std::deque<std::string> blocks_;  // each holds block_ bytes except the last
  size_t block_;
  size_t head_skip_ = 0;  // bytes of the first block already dropped
  size_t histlen_ = 0;
  size_t limit_;
  int64_t offset_ = 0;
  int64_t pin_ = -1;
};

}  // namespace tessera
