// Fuzz target: loading an RDB image or a RESTORE payload must never crash, hang or leak,
// whatever the bytes: a damaged file is refused with an error, never half-loaded.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/keyspace/db.h"
#include "server/keyspace/keyspace.h"
#include "server/persistence/rdb_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera;
  static const rdb::DefaultLimits limits;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // As a whole file.
  {
    Keyspace ks(16, 0, nullptr);
    rdb::LoadOptions o;
    o.limits = limits.Get();
    o.now_ms = 1700000000000;
    rdb::LoadResult res;
    std::string err;
    if (!rdb::Load(in, ks, o, &res, &err)) {
      for (int i = 0; i < ks.dbnum(); ++i) {
        if (ks.db(i).size() != 0) abort();  // a refused file leaves nothing behind
      }
    }
  }
  // As one object (what RESTORE reads after checking the footer).
  if (size > 0) {
    std::string_view body = in.substr(1);
    KeyValue* kv = rdb::ReadObject(data[0], body, "key", limits.Get());
    if (kv != nullptr) {
      std::string again;
      rdb::AppendObject(again, kv, true);  // whatever loaded can be written back
      KeyValue::Free(kv);
    }
  }
  return 0;
}
