#include "server/replication/backlog.h"

#include <algorithm>

namespace tessera {

ReplBacklog::ReplBacklog(size_t size, int64_t offset)
    : buf_(std::max<size_t>(size, 1), '\0'), offset_(offset) {}

void ReplBacklog::Append(std::string_view data) {
  offset_ += static_cast<int64_t>(data.size());
  size_t cap = buf_.size();
  if (data.size() >= cap) {  // only the tail fits
    data = data.substr(data.size() - cap);
    buf_.assign(data);
    idx_ = 0;
    histlen_ = cap;
    return;
  }
  size_t first = std::min(data.size(), cap - idx_);
  buf_.replace(idx_, first, data.substr(0, first));
  if (first < data.size()) buf_.replace(0, data.size() - first, data.substr(first));
  idx_ = (idx_ + data.size()) % cap;
  histlen_ = std::min(cap, histlen_ + data.size());
}

bool ReplBacklog::CopyFrom(int64_t next, std::string* out) const {
  if (!Covers(next)) return false;
  size_t skip = static_cast<size_t>(next - first_offset());
  size_t len = histlen_ - skip;
  size_t cap = buf_.size();
  size_t start = (idx_ + cap - histlen_ + skip) % cap;
  size_t first = std::min(len, cap - start);
  out->append(buf_, start, first);
  if (first < len) out->append(buf_, 0, len - first);
  return true;
}

void ReplBacklog::Resize(size_t size) {
  size = std::max<size_t>(size, 1);
  if (size == buf_.size()) return;
  std::string data;
  CopyFrom(first_offset(), &data);
  if (data.size() > size) data.erase(0, data.size() - size);
  buf_.assign(size, '\0');
  buf_.replace(0, data.size(), data);
  histlen_ = data.size();
  idx_ = histlen_ % size;
}

}  // namespace tessera
