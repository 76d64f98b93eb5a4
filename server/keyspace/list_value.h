// List values: always a quicklist (Redis 7.0 reports "quicklist" for every list).
#pragma once

#include <string_view>

#include "server/ds/quicklist.h"
#include "server/keyspace/kv.h"

namespace tessera {

struct ListLimits {
  int64_t max_listpack_size = -2;  // list-max-listpack-size
  int64_t compress_depth = 0;      // list-compress-depth
};

namespace listv {

KeyValue* New(std::string_view key, const ListLimits& limits);
inline ds::Quicklist* Q(const KeyValue* kv) { return static_cast<ds::Quicklist*>(kv->ptr()); }
size_t FreeEffort(const KeyValue* kv);
void FreePayload(void* ptr);
void* ClonePayload(const void* ptr);
// Bytes held by a list payload (samples > 0: extrapolated from that many quicklist nodes).
size_t PayloadBytes(const void* ptr, size_t samples = 0);

}  // namespace listv
}  // namespace tessera
