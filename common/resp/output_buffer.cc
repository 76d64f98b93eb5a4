#include "common/resp/output_buffer.h"

#include <algorithm>
#include <cstdlib>
#include <new>

namespace tessera::resp {

namespace {

// Free list of standard-size chunks, per thread (all output is built on the loop thread).
struct ChunkPool {
  static constexpr size_t kMaxFree = 256;  // 4 MB kept at most
  void* free[kMaxFree];
  size_t count = 0;
  ~ChunkPool() {
    for (size_t i = 0; i < count; ++i) {
      ::free(free[i]);
    }
  }
};
thread_local ChunkPool g_pool;

constexpr size_t kHeaderChunkCap = 32;  // "*<20 digits>\r\n" fits

}  // namespace

OutputBuffer::~OutputBuffer() { Clear(); }

OutputBuffer::Chunk* OutputBuffer::AllocChunk(size_t cap) {
  void* mem = nullptr;
  bool pooled = cap == kChunkSize;
  if (pooled && g_pool.count > 0) {
    mem = g_pool.free[--g_pool.count];
  } else {
    mem = ::malloc(sizeof(Chunk) + cap);
    if (mem == nullptr) {
      throw std::bad_alloc();
    }
  }
  Chunk* c = static_cast<Chunk*>(mem);
  c->next = nullptr;
  c->cap = static_cast<uint32_t>(cap);
  c->start = 0;
  c->end = 0;
  c->pooled = pooled;
  allocated_ += cap;
  ++chunks_;
  return c;
}

void OutputBuffer::FreeChunk(Chunk* c) {
  allocated_ -= c->cap;
  --chunks_;
  if (c->pooled && g_pool.count < ChunkPool::kMaxFree) {
    g_pool.free[g_pool.count++] = c;
  } else {
    ::free(c);
  }
}

void OutputBuffer::NewTail(size_t min_room) {
  Chunk* c = AllocChunk(std::max(min_room, kChunkSize));
  if (tail_ == nullptr) {
    head_ = tail_ = c;
  } else {
    tail_->next = c;
    tail_ = c;
  }
}

void OutputBuffer::AppendSlow(const char* p, size_t n) {
  // Fill what is left of the tail, then put the rest in a new chunk.
  if (tail_ != nullptr) {
    size_t room = tail_->cap - tail_->end;
    if (room > 0 && n > room && n < kChunkSize) {
      memcpy(tail_->data + tail_->end, p, room);
      tail_->end += static_cast<uint32_t>(room);
      pending_ += room;
      p += room;
      n -= room;
    }
  }
  NewTail(n);
  memcpy(tail_->data + tail_->end, p, n);
  tail_->end += static_cast<uint32_t>(n);
  pending_ += n;
}

void* OutputBuffer::DeferHeader() {
  Chunk* h = AllocChunk(kHeaderChunkCap);
  if (tail_ == nullptr) {
    head_ = tail_ = h;
  } else {
    tail_->next = h;
    tail_ = h;
  }
  // Later appends must not land in the header chunk: start a fresh tail.
  Chunk* body = AllocChunk(kChunkSize);
  h->next = body;
  tail_ = body;
  return h;
}

void OutputBuffer::SetDeferred(void* handle, std::string_view header) {
  Chunk* h = static_cast<Chunk*>(handle);
  size_t n = std::min<size_t>(header.size(), h->cap);
  memcpy(h->data, header.data(), n);
  h->end = static_cast<uint32_t>(n);
  pending_ += n;
}

int OutputBuffer::Gather(struct iovec* iov, int max) const {
  int n = 0;
  for (Chunk* c = head_; c != nullptr && n < max; c = c->next) {
    if (c->end > c->start) {
      iov[n].iov_base = c->data + c->start;
      iov[n].iov_len = c->end - c->start;
      ++n;
    }
  }
  return n;
}

void OutputBuffer::Consume(size_t n) {
  pending_ -= n;
  while (n > 0 && head_ != nullptr) {
    size_t avail = head_->end - head_->start;
    if (n < avail) {
      head_->start += static_cast<uint32_t>(n);
      return;
    }
    n -= avail;
    head_->start = head_->end;
    if (head_ == tail_) {
      break;
    }
    Chunk* next = head_->next;
    FreeChunk(head_);
    head_ = next;
  }
  // Skip over drained chunks (e.g. empty deferred-header chunks); reuse a drained tail.
  while (head_ != nullptr && head_ != tail_ && head_->start == head_->end) {
    Chunk* next = head_->next;
    FreeChunk(head_);
    head_ = next;
  }
  if (head_ != nullptr && head_ == tail_ && head_->start == head_->end) {
    head_->start = head_->end = 0;
  }
}

void OutputBuffer::Clear() {
  while (head_ != nullptr) {
    Chunk* next = head_->next;
    FreeChunk(head_);
    head_ = next;
  }
  tail_ = nullptr;
  pending_ = 0;
}

}  // namespace tessera::resp
