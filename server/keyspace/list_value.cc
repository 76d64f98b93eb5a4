#include "server/keyspace/list_value.h"

namespace tessera::listv {

KeyValue* New(std::string_view key, const ListLimits& limits) {
  auto* q = new ds::Quicklist(static_cast<int>(limits.max_listpack_size),
                              static_cast<int>(limits.compress_depth));
  return KeyValue::NewPtr(key, ObjType::kList, Encoding::kQuicklist, q, -1);
}

size_t FreeEffort(const KeyValue* kv) { return Q(kv)->node_count(); }
void FreePayload(void* ptr) { delete static_cast<ds::Quicklist*>(ptr); }
void* ClonePayload(const void* ptr) { return static_cast<const ds::Quicklist*>(ptr)->Clone(); }
size_t PayloadBytes(const void* ptr, size_t samples) {
  return static_cast<const ds::Quicklist*>(ptr)->Bytes(samples);
}

}  // namespace tessera::listv
