// A client's pending output: a chain of chunks that replies are appended to and that a writer
// drains with one gathered write (writev). Chunks come from a free list, so steady traffic
// allocates nothing; a value larger than a chunk gets one chunk of its own size.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace tessera::resp {

class OutputBuffer {
 public:
  static constexpr size_t kChunkSize = 16 * 1024;

  OutputBuffer() = default;
  ~OutputBuffer();
  OutputBuffer(const OutputBuffer&) = delete;
  OutputBuffer& operator=(const OutputBuffer&) = delete;

  void Append(const char* p, size_t n) {
    if (tail_ != nullptr && tail_->cap - tail_->end >= n) {
      memcpy(tail_->data + tail_->end, p, n);
      tail_->end += static_cast<uint32_t>(n);
      pending_ += n;
      return;
    }
    AppendSlow(p, n);
  }
  void Append(std::string_view s) { Append(s.data(), s.size()); }

  // Returns room for at least n bytes at the tail; call Commit with what was written.
  char* Reserve(size_t n) {
    if (tail_ == nullptr || tail_->cap - tail_->end < n) {
      NewTail(n);
    }
    return tail_->data + tail_->end;
  }
  void Commit(size_t n) {
    tail_->end += static_cast<uint32_t>(n);
    pending_ += n;
  }

  // Marks a place for a length header that is only known later (e.g. "*<n>\r\n"). The bytes
  // appended after this call go after the header. Returns an opaque handle.
  void* DeferHeader();
  // Fills a deferred header.
  void SetDeferred(void* handle, std::string_view header);

  size_t pending() const { return pending_; }
  bool empty() const { return pending_ == 0; }
  // Bytes held by chunks (what the output-buffer limits are checked against).
  size_t allocated() const { return allocated_; }
  size_t chunk_count() const { return chunks_; }

  // Fills up to max iovecs with pending data in order; returns how many were filled.
  int Gather(struct iovec* iov, int max) const;
  // Drops n bytes that were written from the front.
  void Consume(size_t n);
  void Clear();
  // Returns idle chunks to the free list when nothing is pending (keeps none).
  void Release() {
    if (pending_ == 0) Clear();
  }

 private:
  struct Chunk {
    Chunk* next;
    uint32_t cap;
    uint32_t start;
    uint32_t end;
    bool pooled;
    char data[];
  };
  void AppendSlow(const char* p, size_t n);
  void NewTail(size_t min_room);
  Chunk* AllocChunk(size_t cap);
  void FreeChunk(Chunk* c);

  Chunk* head_ = nullptr;
  Chunk* tail_ = nullptr;
  size_t pending_ = 0;
  size_t allocated_ = 0;
  size_t chunks_ = 0;
};

}  // namespace tessera::resp
