#include "server/replication/backlog.h"

#include <algorithm>

namespace tessera {

ReplBacklog::ReplBacklog(size_t size, int64_t offset, size_t block)
    : block_(std::max<size_t>(block, 1)), limit_(std::max<size_t>(size, 1)), offset_(offset) {}

void ReplBacklog::Append(std::string_view data) {
  offset_ += static_cast<int64_t>(data.size());
  histlen_ += data.size();
  while (!data.empty()) {
    if (blocks_.empty() || blocks_.back().size() == block_) {
      blocks_.emplace_back();
      blocks_.back().reserve(block_);
    }
    std::string& b = blocks_.back();
    size_t n = std::min(data.size(), block_ - b.size());
    b.append(data.substr(0, n));
    data.remove_prefix(n);
  }
  Trim();
}

void ReplBacklog::Trim() {
  size_t keep = limit_;
  if (pin_ >= 0) {
    // Everything from the pinned byte on stays (a pin past the end holds nothing extra).
    int64_t held = std::max<int64_t>(offset_ + 1 - pin_, 0);
    keep = std::max(keep, static_cast<size_t>(held));
  }
  if (histlen_ <= keep) return;
  size_t drop = histlen_ - keep;
  histlen_ = keep;
  head_skip_ += drop;
  while (!blocks_.empty() && head_skip_ >= block_) {
    blocks_.pop_front();
    head_skip_ -= block_;
  }
  if (blocks_.empty()) head_skip_ = 0;
}

bool ReplBacklog::CopyFrom(int64_t next, std::string* out) const {
  if (!Covers(next)) return false;
  Visit(next, histlen_, [out](std::string_view piece) { out->append(piece); });
  return true;
}

void ReplBacklog::Resize(size_t size) {
  limit_ = std::max<size_t>(size, 1);
  Trim();
}

void ReplBacklog::Pin(int64_t next) {
  pin_ = next;
  Trim();
}

}  // namespace tessera
