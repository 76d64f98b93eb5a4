#include "server/keyspace/digest.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>

#include "common/hash.h"
#include "common/strutil.h"
#include "server/keyspace/hash_value.h"
#include "server/keyspace/list_value.h"
#include "server/keyspace/stream.h"
#include "server/keyspace/keyspace.h"
#include "server/keyspace/set_value.h"
#include "server/keyspace/zset_value.h"

namespace tessera {

namespace {

void XorDigest(Digest& d, const void* p, size_t len) {
  Sha1Digest h = Sha1(std::string_view(static_cast<const char*>(p), len));
  for (size_t i = 0; i < 20; ++i) d[i] ^= h[i];
}

void MixDigest(Digest& d, const void* p, size_t len) {
  XorDigest(d, p, len);
  Sha1Digest h = Sha1(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
  std::copy(h.begin(), h.end(), d.begin());
}

void MixObject(Digest& d, const KeyValue* kv) {
  uint32_t type = htonl(static_cast<uint32_t>(kv->type()));
  MixDigest(d, &type, sizeof(type));
  if (kv->type() == ObjType::kString) {
    char buf[24];
    std::string_view v = StringValue(kv, buf);
    MixDigest(d, v.data(), v.size());
  } else if (kv->type() == ObjType::kZset) {
    char buf[24];
    for (ZIter it = zsetv::AtRank(kv, 0); it.Valid(); it.Next()) {
      Digest pair{};
      std::string_view m = it.Member(buf);
      MixDigest(pair, m.data(), m.size());
      char sbuf[64];
      int n = snprintf(sbuf, sizeof(sbuf), "%.17g", it.Score());
      MixDigest(pair, sbuf, static_cast<size_t>(n));
      XorDigest(d, pair.data(), pair.size());
    }
  } else if (kv->type() == ObjType::kList) {
    ds::Quicklist* q = listv::Q(kv);
    q->Visit(0, q->size(), false, [&](std::string_view e) {
      MixDigest(d, e.data(), e.size());
      return true;
    });
  } else if (kv->type() == ObjType::kStream) {
    // As Redis: "<ms>.<seq>" then each field and value, in order (groups are not included).
    streamv::S(kv)->Range(StreamID::Min(), StreamID::Max(), false, [&](const StreamEntry& e) {
      std::string id = Uint64ToString(e.id.ms) + "." + Uint64ToString(e.id.seq);
      MixDigest(d, id.data(), id.size());
      char buf[24];
      for (const auto& [f, v] : e.fields) {
        std::string_view fs = f.View(buf);
        MixDigest(d, fs.data(), fs.size());
        std::string_view vs = v.View(buf);
        MixDigest(d, vs.data(), vs.size());
      }
      return true;
    });
  } else if (kv->type() == ObjType::kSet) {
    setv::ForEach(kv, [&](std::string_view m) { XorDigest(d, m.data(), m.size()); });
  } else if (kv->type() == ObjType::kHash) {
    hashv::ForEach(kv, [&](std::string_view field, std::string_view value) {
      Digest pair{};
      MixDigest(pair, field.data(), field.size());
      MixDigest(pair, value.data(), value.size());
      XorDigest(d, pair.data(), pair.size());
    });
  }
  if (kv->has_expire()) XorDigest(d, "!!expire!!", 10);
}

}  // namespace

Digest ValueDigest(const KeyValue* kv) {
  Digest d{};
  MixObject(d, kv);
  return d;
}

Digest DatasetDigest(Keyspace& ks) {
  Digest final_digest{};
  for (int i = 0; i < ks.dbnum(); ++i) {
    Db& db = ks.db(i);
    if (db.size() == 0) continue;
    uint32_t id = htonl(static_cast<uint32_t>(i));
    MixDigest(final_digest, &id, sizeof(id));
    db.keys().ForEach([&](const KeyValue* kv) {
      Digest d{};
      std::string_view key = kv->key();
      MixDigest(d, key.data(), key.size());
      MixObject(d, kv);
      XorDigest(final_digest, d.data(), d.size());  // hashes the key digest first, as Redis
    });
  }
  return final_digest;
}

std::string DigestHex(const Digest& d) { return ToHex(d.data(), d.size()); }

}  // namespace tessera
