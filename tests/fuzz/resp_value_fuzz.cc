// Fuzz target: the reply (value) parser must never crash or hang, whatever a peer sends, and
// must respect its nesting and size limits.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/resp/value.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tessera::resp::ValueLimits limits;
  limits.max_bulk_len = 1 << 20;
  limits.max_aggregate_len = 1 << 16;
  limits.max_depth = 16;
  tessera::resp::ValueParser p(limits);
  const char* buf = reinterpret_cast<const char*>(data);
  size_t off = 0;
  while (off < size) {
    auto r = p.Feed(buf + off, size - off);
    if (p.consumed() > size - off) abort();
    if (r == tessera::resp::ValueParser::Result::kError) break;
    if (r == tessera::resp::ValueParser::Result::kNeedMore) break;
    off += p.consumed();
    (void)p.take().ToString();
    if (p.consumed() == 0) abort();  // a value always consumes bytes
  }
  return 0;
}
