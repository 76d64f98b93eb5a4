// DEBUG DIGEST and DIGEST-VALUE with Redis's algorithm (SHA1 mixing per key, XOR across keys,
// order-independent), so a digest taken here can be compared with one taken by Redis.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace tessera {

class Db;
class Keyspace;
class KeyValue;

using Digest = std::array<uint8_t, 20>;

// The digest of one value (type, contents, whether it has a TTL).
Digest ValueDigest(const KeyValue* kv);
// The digest of every key of every database; all zeros when empty.
Digest DatasetDigest(Keyspace& ks);
std::string DigestHex(const Digest& d);

}  // namespace tessera
