#include "server/ds/quicklist.h"

#include <liblzf/lzf.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "server/ds/listpack.h"

namespace tessera::ds {

namespace {

constexpr size_t kSizeLimits[] = {4096, 8192, 16384, 32768, 65536};
constexpr size_t kSafetyLimit = 8192;
constexpr size_t kEstimateOverhead = 8;
constexpr size_t kMinCompressBytes = 48;
constexpr size_t kMinCompressImprove = 8;

}  // namespace

Quicklist::Quicklist(int fill, int compress_depth) : fill_(fill), compress_(compress_depth) {}

Quicklist::~Quicklist() {
  Node* n = head_;
  while (n != nullptr) {
    Node* next = n->next;
    FreeNode(n);
    n = next;
  }
}

void Quicklist::set_options(int fill, int compress_depth) {
  fill_ = fill;
  compress_ = compress_depth;
}

Quicklist::Node* Quicklist::NewNode() {
  Node* n = new Node();
  n->data = lp::New();
  n->sz = static_cast<uint32_t>(lp::Bytes(n->data));
  return n;
}

void Quicklist::FreeNode(Node* n) {
  ::free(n->data);
  delete n;
}

bool Quicklist::SetPackedThreshold(uint64_t bytes) {
  if (bytes > (uint64_t{1} << 32) - (uint64_t{1} << 20)) return false;
  packed_threshold_ = bytes == 0 ? size_t{1} << 30 : static_cast<size_t>(bytes);
  return true;
}

bool Quicklist::AllowInsert(const Node* n, size_t sz) const {
  if (n == nullptr) return false;
  // Big elements stay alone in their node.
  if (sz >= packed_threshold_ || (n->count == 1 && n->sz >= packed_threshold_)) return false;
  size_t new_sz = n->sz + sz + kEstimateOverhead;
  size_t count = n->count + 1;
  if (count >= UINT16_MAX) return false;
  if (fill_ >= 0) return count <= static_cast<size_t>(fill_ == 0 ? 1 : fill_) && new_sz <= kSafetyLimit;
  int idx = -fill_ - 1;
  if (idx > 4) idx = 4;
  return new_sz <= kSizeLimits[idx];
}

void Quicklist::LinkAfter(Node* at, Node* n) {
  if (at == nullptr) {
    n->next = head_;
    n->prev = nullptr;
    if (head_ != nullptr) head_->prev = n;
    head_ = n;
    if (tail_ == nullptr) tail_ = n;
  } else {
    n->prev = at;
    n->next = at->next;
    if (at->next != nullptr) at->next->prev = n;
    at->next = n;
    if (tail_ == at) tail_ = n;
  }
  ++len_;
}

void Quicklist::Unlink(Node* n) {
  if (n->prev != nullptr) n->prev->next = n->next;
  if (n->next != nullptr) n->next->prev = n->prev;
  if (head_ == n) head_ = n->next;
  if (tail_ == n) tail_ = n->prev;
  --len_;
}

void Quicklist::Decompress(Node* n) const {
  if (!n->compressed) return;
  auto* lp = static_cast<uint8_t*>(::malloc(n->sz));
  if (lp == nullptr) throw std::bad_alloc();
  lzf_decompress(n->data, n->csz, lp, n->sz);
  ::free(n->data);
  n->data = lp;
  n->compressed = false;
}

void Quicklist::CompressNode(Node* n) const {
  if (n->compressed || n->sz < kMinCompressBytes) return;
  std::vector<uint8_t> out(n->sz);
  unsigned int c = lzf_compress(n->data, n->sz, out.data(), n->sz);
  if (c == 0 || c + kMinCompressImprove >= n->sz) return;
  auto* blob = static_cast<uint8_t*>(::malloc(c));
  if (blob == nullptr) throw std::bad_alloc();
  memcpy(blob, out.data(), c);
  ::free(n->data);
  n->data = blob;
  n->csz = c;
  n->compressed = true;
  n->recompress = false;
}

void Quicklist::CompressAround(Node* node) const {
  if (len_ == 0 || compress_ <= 0 || len_ < static_cast<size_t>(compress_) * 2) return;
  Node* forward = head_;
  Node* reverse = tail_;
  int depth = 0;
  bool in_depth = false;
  while (depth++ < compress_) {
    Decompress(forward);
    Decompress(reverse);
    if (forward == node || reverse == node) in_depth = true;
    if (forward == reverse || forward->next == reverse) return;
    forward = forward->next;
    reverse = reverse->prev;
  }
  if (!in_depth && node != nullptr) CompressNode(node);
  CompressNode(forward);
  CompressNode(reverse);
}

Quicklist::Node* Quicklist::Locate(int64_t index, size_t* offset) const {
  int64_t len = static_cast<int64_t>(count_);
  if (index < 0) index += len;
  if (index < 0 || index >= len) return nullptr;
  size_t i = static_cast<size_t>(index);
  if (i < count_ / 2) {
    for (Node* n = head_; n != nullptr; n = n->next) {
      if (i < n->count) {
        *offset = i;
        return n;
      }
      i -= n->count;
    }
    return nullptr;
  }
  size_t from_end = count_ - 1 - i;
  for (Node* n = tail_; n != nullptr; n = n->prev) {
    if (from_end < n->count) {
      *offset = n->count - 1 - from_end;
      return n;
    }
    from_end -= n->count;
  }
  return nullptr;
}

void Quicklist::InsertInNode(Node* n, size_t offset, std::string_view v) {
  Decompress(n);
  // An empty node takes any element (one bigger than the node limit then has a node alone).
  if (n->count > 0 && !AllowInsert(n, v.size())) {
    // Split the node at the insertion point; the element goes at the end of the first part
    // (or a fresh node when inserting at an end).
    Node* fresh = NewNode();
    if (offset == n->count) {
      LinkAfter(n, fresh);
      n = fresh;
      offset = 0;
    } else if (offset == 0) {
      LinkAfter(n->prev, fresh);
      n = fresh;
    } else {
      // Move elements [offset, count) to the new node.
      uint8_t* p = lp::Seek(n->data, static_cast<int64_t>(offset));
      char buf[24];
      for (uint8_t* q = p; q != nullptr; q = lp::Next(n->data, q)) {
        fresh->data = lp::Append(fresh->data, lp::Get(q).View(buf));
        ++fresh->count;
      }
      n->data = lp::DeleteRange(n->data, lp::Seek(n->data, static_cast<int64_t>(offset)),
                                n->count - offset);
      n->count = static_cast<uint32_t>(offset);
      n->sz = static_cast<uint32_t>(lp::Bytes(n->data));
      fresh->sz = static_cast<uint32_t>(lp::Bytes(fresh->data));
      LinkAfter(n, fresh);
      if (!AllowInsert(n, v.size())) {
        n = fresh;
        offset = 0;
      }
    }
  }
  if (offset == n->count) {
    n->data = lp::Append(n->data, v);
  } else {
    n->data = lp::Insert(n->data, v, lp::Seek(n->data, static_cast<int64_t>(offset)),
                         lp::Where::kBefore);
  }
  ++n->count;
  ++count_;
  n->sz = static_cast<uint32_t>(lp::Bytes(n->data));
  CompressAround(n);
}

void Quicklist::DeleteInNode(Node* n, size_t offset, size_t k) {
  Decompress(n);
  n->data = lp::DeleteRange(n->data, lp::Seek(n->data, static_cast<int64_t>(offset)), k);
  n->count -= static_cast<uint32_t>(k);
  count_ -= k;
  n->sz = static_cast<uint32_t>(lp::Bytes(n->data));
  if (n->count == 0) {
    Unlink(n);
    FreeNode(n);
    CompressAround(nullptr);
  } else {
    CompressAround(n);
  }
}

void Quicklist::PushFront(std::string_view v) {
  if (head_ == nullptr) LinkAfter(nullptr, NewNode());
  InsertInNode(head_, 0, v);
}

void Quicklist::PushBack(std::string_view v) {
  if (tail_ == nullptr) LinkAfter(nullptr, NewNode());
  Decompress(tail_);
  InsertInNode(tail_, tail_->count, v);
}

bool Quicklist::PopFront(std::string* out) {
  if (head_ == nullptr) return false;
  Decompress(head_);
  char buf[24];
  out->assign(lp::Get(lp::First(head_->data)).View(buf));
  DeleteInNode(head_, 0, 1);
  return true;
}

bool Quicklist::PopBack(std::string* out) {
  if (tail_ == nullptr) return false;
  Decompress(tail_);
  char buf[24];
  out->assign(lp::Get(lp::Last(tail_->data)).View(buf));
  DeleteInNode(tail_, tail_->count - 1, 1);
  return true;
}

bool Quicklist::Get(int64_t index, std::string* out) {
  size_t off;
  Node* n = Locate(index, &off);
  if (n == nullptr) return false;
  Decompress(n);
  char buf[24];
  out->assign(lp::Get(lp::Seek(n->data, static_cast<int64_t>(off))).View(buf));
  CompressAround(n);
  return true;
}

bool Quicklist::Set(int64_t index, std::string_view v) {
  size_t off;
  Node* n = Locate(index, &off);
  if (n == nullptr) return false;
  Decompress(n);
  uint8_t* p = lp::Seek(n->data, static_cast<int64_t>(off));
  size_t old = lp::EntrySize(p);
  if (n->sz - old + v.size() + kEstimateOverhead <= (fill_ < 0 ? kSizeLimits[std::min(-fill_ - 1, 4)] : kSafetyLimit) || n->count == 1) {
    n->data = lp::Insert(n->data, v, p, lp::Where::kReplace);
    n->sz = static_cast<uint32_t>(lp::Bytes(n->data));
    CompressAround(n);
    return true;
  }
  // The new value does not fit: delete and insert, letting the insert split the node.
  DeleteInNode(n, off, 1);
  if (static_cast<size_t>(index < 0 ? index + static_cast<int64_t>(count_) + 1 : index) >= count_) {
    PushBack(v);
    return true;
  }
  size_t o2;
  Node* m = Locate(index < 0 ? index + 1 : index, &o2);
  if (m == nullptr) {
    PushBack(v);
  } else {
    InsertInNode(m, o2, v);
  }
  return true;
}

bool Quicklist::InsertAt(std::string_view pivot, std::string_view v, bool after) {
  char buf[24];
  for (Node* n = head_; n != nullptr; n = n->next) {
    Decompress(n);
    size_t off = 0;
    for (uint8_t* p = lp::First(n->data); p != nullptr; p = lp::Next(n->data, p), ++off) {
      if (lp::Get(p).View(buf) == pivot) {
        InsertInNode(n, after ? off + 1 : off, v);
        return true;
      }
    }
    CompressAround(n);
  }
  return false;
}

size_t Quicklist::Remove(std::string_view v, int64_t count) {
  size_t removed = 0;
  // |count| computed unsigned: -INT64_MIN does not fit an int64_t.
  size_t limit = count == 0 ? SIZE_MAX
                            : (count < 0 ? 0 - static_cast<uint64_t>(count)
                                         : static_cast<uint64_t>(count));
  char buf[24];
  bool from_tail = count < 0;
  Node* n = from_tail ? tail_ : head_;
  while (n != nullptr && removed < limit) {
    Node* following = from_tail ? n->prev : n->next;
    Decompress(n);
    // Collect matching offsets in walk order, then delete from the back of the node so the
    // remaining offsets stay valid.
    std::vector<size_t> hits;
    size_t off = 0;
    for (uint8_t* p = lp::First(n->data); p != nullptr; p = lp::Next(n->data, p), ++off) {
      if (lp::Get(p).View(buf) == v) hits.push_back(off);
    }
    if (from_tail) std::reverse(hits.begin(), hits.end());
    if (hits.size() > limit - removed) hits.resize(limit - removed);
    std::sort(hits.begin(), hits.end());
    size_t node_count = n->count;
    for (size_t i = hits.size(); i-- > 0;) {
      n->data = lp::Delete(n->data, lp::Seek(n->data, static_cast<int64_t>(hits[i])));
    }
    removed += hits.size();
    n->count = static_cast<uint32_t>(node_count - hits.size());
    count_ -= hits.size();
    n->sz = static_cast<uint32_t>(lp::Bytes(n->data));
    if (n->count == 0) {
      Unlink(n);
      FreeNode(n);
      CompressAround(nullptr);
    } else {
      CompressAround(n);
    }
    n = following;
  }
  return removed;
}

void Quicklist::DeleteRange(size_t start, size_t n) {
  while (n > 0 && start < count_) {
    size_t off;
    Node* node = Locate(static_cast<int64_t>(start), &off);
    size_t k = std::min<size_t>(n, node->count - off);
    DeleteInNode(node, off, k);
    n -= k;
  }
}

void Quicklist::Visit(size_t start, size_t n, bool reverse,
                      const std::function<bool(std::string_view)>& fn) {
  if (n == 0 || start >= count_) return;
  size_t off;
  Node* node = Locate(reverse ? -1 - static_cast<int64_t>(start) : static_cast<int64_t>(start),
                      &off);
  char buf[24];
  while (node != nullptr && n > 0) {
    Decompress(node);
    uint8_t* p = lp::Seek(node->data, static_cast<int64_t>(off));
    while (p != nullptr && n > 0) {
      if (!fn(lp::Get(p).View(buf))) {
        CompressAround(node);
        return;
      }
      --n;
      p = reverse ? lp::Prev(node->data, p) : lp::Next(node->data, p);
    }
    CompressAround(node);
    node = reverse ? node->prev : node->next;
    if (node != nullptr) off = reverse ? node->count - 1 : 0;
  }
}

Quicklist* Quicklist::Clone() const {
  auto* q = new Quicklist(fill_, compress_);
  for (Node* n = head_; n != nullptr; n = n->next) {
    Node* c = new Node(*n);
    size_t bytes = n->compressed ? n->csz : n->sz;
    c->data = static_cast<uint8_t*>(::malloc(bytes));
    if (c->data == nullptr) throw std::bad_alloc();
    memcpy(c->data, n->data, bytes);
    c->prev = c->next = nullptr;
    q->LinkAfter(q->tail_, c);
  }
  q->count_ = count_;
  return q;
}

size_t Quicklist::Defrag(void* (*mv)(void* ctx, void* p), void* ctx) {
  size_t moved = 0;
  for (Node* n = head_; n != nullptr; n = n->next) {
    if (auto* d = static_cast<uint8_t*>(mv(ctx, n->data))) {
      n->data = d;
      ++moved;
    }
    if (auto* fresh = static_cast<Node*>(mv(ctx, n))) {
      ++moved;
      n = fresh;
      if (n->prev != nullptr) n->prev->next = n; else head_ = n;
      if (n->next != nullptr) n->next->prev = n; else tail_ = n;
    }
  }
  return moved;
}

size_t Quicklist::Bytes(size_t samples) const {
  size_t nodes = 0, b = 0;
  for (Node* n = head_; n != nullptr && (samples == 0 || nodes < samples); n = n->next) {
    b += malloc_usable_size(n) + malloc_usable_size(n->data);
    ++nodes;
  }
  if (nodes > 0 && nodes < len_) b = b * len_ / nodes;
  return sizeof(Quicklist) + b;
}

bool Quicklist::Verify(std::string* why) const {
  size_t total = 0, nodes = 0;
  Node* prev = nullptr;
  for (Node* n = head_; n != nullptr; prev = n, n = n->next) {
    ++nodes;
    if (n->prev != prev) {
      *why = "broken prev link";
      return false;
    }
    if (n->count == 0) {
      *why = "empty node";
      return false;
    }
    if (!n->compressed) {
      if (lp::Length(n->data) != n->count || lp::Bytes(n->data) != n->sz) {
        *why = "node count/size mismatch";
        return false;
      }
    }
    total += n->count;
  }
  if (prev != tail_ || nodes != len_ || total != count_) {
    *why = "list totals mismatch";
    return false;
  }
  // Nodes within the compress depth of either end are never compressed.
  if (compress_ > 0) {
    int d = 0;
    for (Node* n = head_; n != nullptr && d < compress_; n = n->next, ++d) {
      if (n->compressed) {
        *why = "head-side node within depth is compressed";
        return false;
      }
    }
    d = 0;
    for (Node* n = tail_; n != nullptr && d < compress_; n = n->prev, ++d) {
      if (n->compressed) {
        *why = "tail-side node within depth is compressed";
        return false;
      }
    }
  }
  return true;
}

}  // namespace tessera::ds
