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

}  // namespace tessera
