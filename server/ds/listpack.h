// Listpack: Redis's compact sequence of strings and integers in one contiguous allocation,
// byte-compatible with Redis 7 (so RDB and DUMP payloads carry it as is).
//
//   <total-bytes:u32le> <count:u16le> <entry>... <0xFF>
//   entry = <encoding+data> <backlen: 1-5 bytes, 7 bits each, read right to left>
//
// Strings that are canonical integers are stored as integers (7-, 13-, 16-, 24-, 32- or
// 64-bit). Entries are walkable both ways. Functions take and return the buffer pointer
// because inserting or deleting reallocates it; element pointers are invalidated by any
// change. The count field saturates at 65535 (then Length() walks the entries).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tessera::lp {

inline constexpr size_t kHeaderSize = 6;
inline constexpr uint8_t kEof = 0xFF;

// An element's value: an integer, or a string viewing into the listpack (or into `buf`).
struct Value {
  bool is_int = false;
  int64_t ival = 0;
  std::string_view sval;
  // The value as bytes (integers are formatted into the caller's 24-byte buffer).
  std::string_view View(char* buf) const;
  bool Equals(std::string_view s) const;
};

uint8_t* New(size_t capacity = 0);
void Free(uint8_t* lp);
uint8_t* Dup(const uint8_t* lp);

size_t Bytes(const uint8_t* lp);
// Number of elements (walks the listpack when the header count saturated).
size_t Length(const uint8_t* lp);

uint8_t* First(uint8_t* lp);  // nullptr when empty
uint8_t* Last(uint8_t* lp);
uint8_t* Next(uint8_t* lp, uint8_t* p);  // nullptr after the last element
uint8_t* Prev(uint8_t* lp, uint8_t* p);  // nullptr before the first element
// The element at index (negative counts from the end), or nullptr.
uint8_t* Seek(uint8_t* lp, int64_t index);
Value Get(const uint8_t* p);
// Bytes the element at p takes (encoding, data and backlen).
size_t EntrySize(const uint8_t* p);

enum class Where { kBefore, kAfter, kReplace };
// Inserts a string (stored as an integer when it is one) before/after p, or replaces p.
// With p == nullptr, appends. *newp (optional) points at the inserted element afterwards.
uint8_t* Insert(uint8_t* lp, std::string_view s, uint8_t* p, Where where, uint8_t** newp = nullptr);
uint8_t* InsertInt(uint8_t* lp, int64_t v, uint8_t* p, Where where, uint8_t** newp = nullptr);
uint8_t* Append(uint8_t* lp, std::string_view s);
uint8_t* AppendInt(uint8_t* lp, int64_t v);
uint8_t* Prepend(uint8_t* lp, std::string_view s);
// Deletes the element at p; *next (optional) is the element that followed it (or nullptr).
uint8_t* Delete(uint8_t* lp, uint8_t* p, uint8_t** next = nullptr);
// Deletes `count` elements starting at p.
uint8_t* DeleteRange(uint8_t* lp, uint8_t* p, size_t count);
// Deletes count elements starting at index (negative from the end).
uint8_t* DeleteRangeAt(uint8_t* lp, int64_t index, size_t count);

// Finds an element equal to s, starting at p and then checking every (skip+1)-th element
// (skip 1 walks the field positions of a field/value listpack). nullptr if none.
uint8_t* Find(uint8_t* lp, uint8_t* p, std::string_view s, unsigned skip);

// Checks a listpack that came from outside (RDB, RESTORE): header, every entry, terminator,
// count. With deep == false only the header and terminator are checked.
bool Validate(const uint8_t* lp, size_t size, bool deep);

// Whether a string would be stored as an integer, and its value.
bool StringToInt(std::string_view s, int64_t* out);

}  // namespace tessera::lp
