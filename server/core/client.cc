#include "server/core/client.h"

#include "server/core/tracking.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace tessera {

InputBuffer::~InputBuffer() { ::free(data); }

char* InputBuffer::Reserve(size_t n) {
  if (pos > 0 && (cap - len < n || pos * 2 > len)) {
    memmove(data, data + pos, len - pos);
    len -= pos;
    pos = 0;
  }
  if (cap - len < n) {
    size_t want = len + n;
    size_t grown = cap < 16384 ? 16384 : cap * 2;
    if (grown < want) grown = want;
    char* p = static_cast<char*>(::realloc(data, grown));
    if (p == nullptr) throw std::bad_alloc();
    data = p;
    cap = grown;
  }
  return data + len;
}

void InputBuffer::Append(const char* p, size_t n) {
  memcpy(Reserve(n), p, n);
  len += n;
}

void InputBuffer::ReleaseIfEmpty() {
  if (pending() == 0 && data != nullptr) {
    ::free(data);
    data = nullptr;
    len = pos = cap = 0;
  }
}

Client::Client(uint64_t client_id, const resp::RequestLimits* limits)
    : id(client_id), parser(limits) {}

Client::~Client() = default;

size_t Client::MemoryUsage() const {
  size_t bytes = sizeof(Client) + qbuf.cap + out.allocated() + argv_mem + name.capacity() +
                 multi_mem + multi_queue.capacity() * sizeof(QueuedCommand);
  bytes += watched.capacity() * sizeof(WatchedKey);
  for (const auto& w : watched) bytes += w.key.capacity();
  if (subs) {
    // A node per subscription in the client's sets plus the name.
    constexpr size_t kNode = 48;
    for (const auto* set : {&subs->channels, &subs->patterns, &subs->shard_channels}) {
      for (const auto& n : *set) bytes += kNode + n.size();
    }
  }
  return bytes;
}

}  // namespace tessera
