// KeyValue: one keyspace entry in a single allocation. Layout (bytes):
//   0  KeyValue* next            chain pointer of the keys table
//   8  uint32    meta            type:4 | encoding:4 | lru:24 (Redis's robj header)
//  12  uint8     flags           kHasExpire, kLongKey
//  13  uint8     key_len         key length when < 255
//  [16 int64 expire_ms, 24 KeyValue* expire_next]   only with kHasExpire (key starts at 32)
//  [uint32 key_len]              only with kLongKey
//  key bytes
//  value area: embstr -> uint8 len + bytes (at least 8 bytes); int -> int64; other -> pointer
// A 16-byte key with a 16-byte string value takes 47 bytes (one 48-byte jemalloc slot), where
// Redis needs a dictEntry, an sds key and an embstr robj.
//
// Objects move when their size class changes (adding a TTL, a longer embedded value): the
// Db relinks them; nothing else may hold a KeyValue* across a keyspace change.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace tessera {

// Type and encoding numbers are Redis's (OBJ_STRING.., OBJ_ENCODING_RAW..): they show up in
// DEBUG DIGEST and RDB files.
enum class ObjType : uint8_t {
  kString = 0, kList = 1, kSet = 2, kZset = 3, kHash = 4, kModule = 5, kStream = 6
};
enum class Encoding : uint8_t {
  kRaw = 0, kInt = 1, kHashtable = 2, kZipmap = 3, kLinkedlist = 4, kZiplist = 5,
  kIntset = 6, kSkiplist = 7, kEmbstr = 8, kQuicklist = 9, kStream = 10, kListpack = 11
};
std::string_view TypeName(ObjType t);
std::string_view EncodingName(Encoding e);

// A heap string for the "raw" encoding, growable in place (APPEND, SETRANGE). The header is
// the length only: the capacity is whatever the allocator handed out (its usable size), so a
// 500-byte value takes one 512-byte slot (Redis's sds needs 3 header bytes; a 16-byte header
// would push it into the 640-byte class).
struct RawString {
  uint64_t len;
  char data[];

  // Bytes data can hold before a reallocation (excluding the terminating NUL).
  size_t cap() const;

  static RawString* New(std::string_view s, size_t cap = 0);
  // Makes room for `extra` more bytes; may reallocate (returns the new pointer).
  static RawString* Reserve(RawString* r, size_t extra);
  static void Free(RawString* r);
  std::string_view view() const { return std::string_view(data, len); }
};

inline constexpr size_t kEmbstrMaxLen = 44;  // Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT
inline constexpr uint32_t kLruBits = 24;
inline constexpr uint32_t kLruClockMax = (1u << kLruBits) - 1;

class KeyValue {
 public:
  // kUnsharedInt: an int value Redis would hold in its own object rather than a shared
  // integer (a COPY of one), which OBJECT REFCOUNT reports.
  enum Flags : uint8_t { kHasExpire = 1, kLongKey = 2, kUnsharedInt = 4 };

  // Constructors. `expire_ms` < 0 means no TTL.
  static KeyValue* NewString(std::string_view key, std::string_view value, int64_t expire_ms);
  static KeyValue* NewInt(std::string_view key, int64_t value, int64_t expire_ms);
  static KeyValue* NewRaw(std::string_view key, RawString* value, int64_t expire_ms);
  static KeyValue* NewPtr(std::string_view key, ObjType type, Encoding enc, void* ptr,
                          int64_t expire_ms);
  // A copy of `src` (with its value payload duplicated) under another key and TTL.
  static KeyValue* Clone(const KeyValue* src, std::string_view key, int64_t expire_ms);
  // A new object with the value payload of `old` (moved, not copied) and its LRU, under
  // `key` with the given TTL (-1: none). The caller relinks it, then frees `old` with
  // FreeShell. Used to add or drop a TTL and to rename.
  static KeyValue* Rebuild(const KeyValue* old, std::string_view key, int64_t expire_ms);
  // Frees the object and its value payload.
  static void Free(KeyValue* kv);
  // Frees only the object, not the payload it points to (after the payload moved elsewhere).
  static void FreeShell(KeyValue* kv);

  KeyValue** next_slot() { return reinterpret_cast<KeyValue**>(this); }
  KeyValue** expire_next_slot() {
    return reinterpret_cast<KeyValue**>(reinterpret_cast<char*>(this) + 24);
  }

  std::string_view key() const {
    const char* base = reinterpret_cast<const char*>(this);
    size_t off = has_expire() ? 32 : 14;
    if (flags() & kLongKey) {
      uint32_t n;
      memcpy(&n, base + off, 4);
      return std::string_view(base + off + 4, n);
    }
    return std::string_view(base + off, static_cast<uint8_t>(base[13]));
  }

  ObjType type() const { return static_cast<ObjType>(meta() & 0xf); }
  Encoding encoding() const { return static_cast<Encoding>((meta() >> 4) & 0xf); }
  uint32_t lru() const { return meta() >> 8; }
  void set_lru(uint32_t v) { set_meta((meta() & 0xff) | ((v & kLruClockMax) << 8)); }

  bool has_expire() const { return (flags() & kHasExpire) != 0; }
  int64_t expire_ms() const {
    if (!has_expire()) return -1;
    int64_t v;
    memcpy(&v, reinterpret_cast<const char*>(this) + 16, 8);
    return v;
  }
  // Only when has_expire(); otherwise use Db::SetExpire (the object grows).
  void set_expire_ms(int64_t v) { memcpy(reinterpret_cast<char*>(this) + 16, &v, 8); }

  // String values.
  std::string_view embstr() const {
    const char* p = value_area();
    return std::string_view(p + 1, static_cast<uint8_t>(p[0]));
  }
  int64_t int_value() const {
    int64_t v;
    memcpy(&v, value_area(), 8);
    return v;
  }
  void set_int_value(int64_t v) { memcpy(value_area(), &v, 8); }
  void* ptr() const {
    void* p;
    memcpy(&p, value_area(), sizeof(p));
    return p;
  }
  void set_ptr(void* p) { memcpy(value_area(), &p, sizeof(p)); }
  RawString* raw() const { return static_cast<RawString*>(ptr()); }

  // Replaces the value with a pointer/int payload in place (the value area always has 8
  // bytes). The old payload must have been released by the caller.
  void SetPtrValue(ObjType type, Encoding enc, void* p) {
    set_meta((meta() & ~0xffu) | static_cast<uint32_t>(type) |
             (static_cast<uint32_t>(enc) << 4));
    set_ptr(p);
  }
  void SetIntValue(int64_t v) {
    set_meta((meta() & ~0xffu) | static_cast<uint32_t>(ObjType::kString) |
             (static_cast<uint32_t>(Encoding::kInt) << 4));
    set_int_value(v);
    set_flag(kUnsharedInt, false);
  }
  // Whether Redis would report this value as one of its shared integers (0..9999).
  bool shared_int() const {
    return encoding() == Encoding::kInt && !(flags() & kUnsharedInt) && int_value() >= 0 &&
           int_value() < 10000;
  }
  void mark_unshared() { set_flag(kUnsharedInt, true); }
  // Stores a short string in place if it fits this allocation; returns false otherwise.
  bool TrySetEmbstr(std::string_view v);

  // Bytes of this allocation (the allocator's usable size).
  size_t AllocSize() const;
  // Bytes the layout needs (header, TTL fields, key, value area), before allocator rounding.
  size_t LayoutSize() const {
    size_t area = encoding() == Encoding::kEmbstr ? 1 + embstr().size() : 8;
    return value_offset() + (area < 8 ? 8 : area);
  }

 private:
  KeyValue() = delete;
  static KeyValue* Alloc(std::string_view key, size_t value_bytes, int64_t expire_ms,
                         size_t* value_off);
  uint32_t meta() const {
    uint32_t m;
    memcpy(&m, reinterpret_cast<const char*>(this) + 8, 4);
    return m;
  }
  void set_meta(uint32_t m) { memcpy(reinterpret_cast<char*>(this) + 8, &m, 4); }
  uint8_t flags() const { return static_cast<uint8_t>(reinterpret_cast<const char*>(this)[12]); }
  void set_flag(uint8_t f, bool on) {
    char& b = reinterpret_cast<char*>(this)[12];
    b = static_cast<char>(on ? (flags() | f) : (flags() & ~f));
  }
  size_t value_offset() const {
    std::string_view k = key();
    return static_cast<size_t>(k.data() - reinterpret_cast<const char*>(this)) + k.size();
  }
  char* value_area() { return reinterpret_cast<char*>(this) + value_offset(); }
  const char* value_area() const { return reinterpret_cast<const char*>(this) + value_offset(); }
};

// The bytes of a string object. Int-encoded values are formatted into `buf` (24 bytes).
inline std::string_view StringValue(const KeyValue* kv, char* buf) {
  switch (kv->encoding()) {
    case Encoding::kEmbstr:
      return kv->embstr();
    case Encoding::kInt: {
      auto r = std::to_chars(buf, buf + 24, kv->int_value());
      return std::string_view(buf, static_cast<size_t>(r.ptr - buf));
    }
    default:
      return kv->raw()->view();
  }
}

// Releases a value payload (RawString, and later lists, hashes...) by type and encoding.
void FreeValuePayload(ObjType type, Encoding enc, void* ptr);
// Duplicates a value payload (for COPY).
void* CloneValuePayload(ObjType type, Encoding enc, const void* ptr);
// Bytes held by a value payload (for MEMORY USAGE and used_memory_dataset estimates).
// samples > 0: collections extrapolate from that many elements (MEMORY USAGE SAMPLES).
size_t ValuePayloadBytes(ObjType type, Encoding enc, const void* ptr, size_t samples = 0);

}  // namespace tessera
