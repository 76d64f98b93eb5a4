// The `cmsgpack` library that Redis exposes to Lua scripts (lua-cmsgpack 0.4.0 as
// bundled with Redis 7.0): cmsgpack.pack, unpack, unpack_one and unpack_limit.
// Written for Tessera from the library's documented behaviour and checked byte for
// byte against redis-server 7.0.
//
// Encoding rules:
//   - a number with an exact 64-bit integer value takes the shortest MessagePack
//     integer (positive/negative fixint, uint8..64 for >= 0, int8..64 for < 0);
//     any other number is a float 32 when converting it to float and back loses
//     nothing (this includes the infinities), a float 64 otherwise (NaN, 0.1, ...);
//   - strings use fixstr / str8 / str16 / str32 (the bin family is never produced);
//   - a table whose keys are exactly 1..n is an array (the empty table is the empty
//     array), anything else is a map in lua_next order;
//   - nil, functions, userdata and threads are nil; booleans are true/false;
//   - a table nested 16 deep (i.e. the 17th level) is written as nil, which also
//     stops self-referencing tables.
// Decoding accepts nil, booleans, all integer forms, float 32/64, str8/16/32 and
// fixstr, arrays and maps; bin, ext and 0xc1 are "Bad data format in input.".
//
// Lua errors longjmp through these frames, so nothing here has a destructor. The pack
// buffer is a malloc'ed block released before every error that pack itself raises;
// only a memory error inside the Lua API could leave it behind.

extern "C" {
#include <lua5.1/lauxlib.h>
#include <lua5.1/lua.h>
}

#include <bit>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" int luaopen_cmsgpack(lua_State* L);

namespace {

constexpr int kMaxNesting = 16;

// ----------------------------------------------------------------------------- pack

struct Packer {
  lua_State* L;
  unsigned char* data;
  size_t len;
  size_t cap;
};

void ReleasePacker(Packer* p) {
  std::free(p->data);
  p->data = nullptr;
  p->len = p->cap = 0;
}

void Append(Packer* p, const void* src, size_t n) {
  if (p->cap - p->len < n) {
    size_t want = p->len + n;
    if (want < p->len || want > SIZE_MAX / 2) {
      ReleasePacker(p);
      luaL_error(p->L, "not enough memory");
    }
    size_t cap = want * 2;
    auto* grown = static_cast<unsigned char*>(std::realloc(p->data, cap));
    if (grown == nullptr) {
      ReleasePacker(p);
      lua_pushliteral(p->L, "not enough memory");
      lua_error(p->L);
    }
    p->data = grown;
    p->cap = cap;
  }
  std::memcpy(p->data + p->len, src, n);
  p->len += n;
}

// luaL_checkstack, but releasing the buffer before raising.
void NeedStack(Packer* p, int n, const char* what) {
  if (!lua_checkstack(p->L, n)) {
    ReleasePacker(p);
    luaL_error(p->L, "stack overflow (%s)", what);
  }
}

// Writes the low `n` bytes of `v`, most significant first, after the tag byte.
void AppendTagged(Packer* p, unsigned char tag, uint64_t v, int n) {
  unsigned char out[9];
  out[0] = tag;
  for (int k = 0; k < n; ++k) out[1 + k] = static_cast<unsigned char>(v >> (8 * (n - 1 - k)));
  Append(p, out, static_cast<size_t>(n) + 1);
}

void AppendByte(Packer* p, unsigned char b) { Append(p, &b, 1); }

void PackInteger(Packer* p, int64_t n) {
  uint64_t u = static_cast<uint64_t>(n);
  if (n >= 0) {
    if (n <= 127) {
      AppendByte(p, static_cast<unsigned char>(n));
    } else if (n <= 0xff) {
      AppendTagged(p, 0xcc, u, 1);
    } else if (n <= 0xffff) {
      AppendTagged(p, 0xcd, u, 2);
    } else if (n <= 0xffffffffLL) {
      AppendTagged(p, 0xce, u, 4);
    } else {
      AppendTagged(p, 0xcf, u, 8);
    }
  } else {
    if (n >= -32) {
      AppendByte(p, static_cast<unsigned char>(u & 0xff));
    } else if (n >= -128) {
      AppendTagged(p, 0xd0, u, 1);
    } else if (n >= -32768) {
      AppendTagged(p, 0xd1, u, 2);
    } else if (n >= -2147483648LL) {
      AppendTagged(p, 0xd2, u, 4);
    } else {
      AppendTagged(p, 0xd3, u, 8);
    }
  }
}

// True when the value survives double -> float -> double unchanged.
bool FitsFloat(double d) {
  if (std::isnan(d)) return false;
  if (std::isinf(d)) return true;
  if (std::fabs(d) > FLT_MAX) return false;  // would round to FLT_MAX or overflow
  return static_cast<double>(static_cast<float>(d)) == d;
}

void PackReal(Packer* p, double d) {
  if (FitsFloat(d)) {
    float f = static_cast<float>(d);
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    AppendTagged(p, 0xca, bits, 4);
  } else {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    AppendTagged(p, 0xcb, bits, 8);
  }
}

// Integral and within [-2^63, 2^63).
bool IsInt64Valued(double n) {
  return n >= -9223372036854775808.0 && n < 9223372036854775808.0 && std::floor(n) == n;
}

void PackNumber(Packer* p, double n) {
  if (IsInt64Valued(n)) {
    PackInteger(p, static_cast<int64_t>(n));
  } else {
    PackReal(p, n);
  }
}

void PackString(Packer* p, const char* s, size_t len) {
  if (len < 32) {
    AppendByte(p, static_cast<unsigned char>(0xa0 | len));
  } else if (len <= 0xff) {
    AppendTagged(p, 0xd9, len, 1);
  } else if (len <= 0xffff) {
    AppendTagged(p, 0xda, len, 2);
  } else {
    AppendTagged(p, 0xdb, len, 4);
  }
  Append(p, s, len);
}

void PackContainerHeader(Packer* p, uint64_t n, unsigned char fix, unsigned char tag16,
                         unsigned char tag32) {
  if (n <= 15) {
    AppendByte(p, static_cast<unsigned char>(fix | n));
  } else if (n <= 0xffff) {
    AppendTagged(p, tag16, n, 2);
  } else {
    AppendTagged(p, tag32, n, 4);
  }
}

// Whether the table on top of the stack has exactly the keys 1..n (n >= 0).
bool IsSequence(Packer* p) {
  lua_State* L = p->L;
  int top = lua_gettop(L);
  NeedStack(p, 2, "in function table_is_an_array");
  int count = 0;
  int max = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TNUMBER) {
      lua_settop(L, top);
      return false;
    }
    double k = lua_tonumber(L, -1);
    // Positive and representable as an int.
    if (!(k > 0) || k > INT_MAX || std::floor(k) != k) {
      lua_settop(L, top);
      return false;
    }
    if (static_cast<int>(k) > max) max = static_cast<int>(k);
    ++count;
  }
  lua_settop(L, top);
  return max == count;
}

void PackValue(Packer* p, int level);

void PackArray(Packer* p, int level) {
  lua_State* L = p->L;
  size_t n = lua_objlen(L, -1);
  PackContainerHeader(p, n, 0x90, 0xdc, 0xdd);
  NeedStack(p, 1, "in function mp_encode_lua_table_as_array");
  for (size_t i = 1; i <= n; ++i) {
    lua_rawgeti(L, -1, static_cast<int>(i));
    PackValue(p, level + 1);
  }
}

void PackMap(Packer* p, int level) {
  lua_State* L = p->L;
  NeedStack(p, 3, "in function mp_encode_lua_table_as_map");
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    ++n;
  }
  PackContainerHeader(p, n, 0x80, 0xde, 0xdf);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    // Encode a copy of the key so that lua_next still sees the original.
    lua_pushvalue(L, -2);
    PackValue(p, level + 1);  // key
    PackValue(p, level + 1);  // value
  }
}

// Encodes the value on top of the stack and pops it.
void PackValue(Packer* p, int level) {
  lua_State* L = p->L;
  int type = lua_type(L, -1);
  if (type == LUA_TTABLE && level == kMaxNesting) type = LUA_TNIL;
  switch (type) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      PackString(p, s, len);
      break;
    }
    case LUA_TBOOLEAN:
      AppendByte(p, lua_toboolean(L, -1) ? 0xc3 : 0xc2);
      break;
    case LUA_TNUMBER:
      PackNumber(p, lua_tonumber(L, -1));
      break;
    case LUA_TTABLE:
      if (IsSequence(p)) {
        PackArray(p, level);
      } else {
        PackMap(p, level);
      }
      break;
    default:
      AppendByte(p, 0xc0);
      break;
  }
  lua_pop(L, 1);
}

int MsgPack(lua_State* L) {
  int nargs = lua_gettop(L);
  if (nargs == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  if (!lua_checkstack(L, nargs)) {
    return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
  }
  Packer p{L, nullptr, 0, 0};
  // One string per argument, concatenated at the end (this keeps the stack use, and
  // so the "stack overflow" limits, those of Redis).
  for (int i = 1; i <= nargs; ++i) {
    NeedStack(&p, 1, "in function mp_check");
    lua_pushvalue(L, i);
    PackValue(&p, 0);
    lua_pushlstring(L, reinterpret_cast<const char*>(p.data), p.len);
    p.len = 0;
  }
  ReleasePacker(&p);
  lua_concat(L, nargs);
  return 1;
}

// --------------------------------------------------------------------------- unpack

enum class ReadError { kNone, kTruncated, kBadFormat };

struct Reader {
  const unsigned char* p;
  size_t left;
  ReadError err;
};

// Big-endian unsigned value of `n` bytes at `p`.
uint64_t BigEndian(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int k = 0; k < n; ++k) v = (v << 8) | p[k];
  return v;
}

bool Need(Reader* r, size_t n) {
  if (r->left < n) {
    r->err = ReadError::kTruncated;
    return false;
  }
  return true;
}

void Skip(Reader* r, size_t n) {
  r->p += n;
  r->left -= n;
}

void UnpackValue(lua_State* L, Reader* r);

void UnpackArray(lua_State* L, Reader* r, size_t n) {
  lua_newtable(L);
  luaL_checkstack(L, 1, "in function mp_decode_to_lua_array");
  int index = 1;
  while (n-- > 0) {
    lua_pushnumber(L, index++);
    UnpackValue(L, r);
    if (r->err != ReadError::kNone) return;
    lua_settable(L, -3);
  }
}

void UnpackMap(lua_State* L, Reader* r, size_t n) {
  lua_newtable(L);
  while (n-- > 0) {
    UnpackValue(L, r);  // key
    if (r->err != ReadError::kNone) return;
    UnpackValue(L, r);  // value
    if (r->err != ReadError::kNone) return;
    lua_settable(L, -3);
  }
}

// Pushes a string of `n` bytes that follow a header of `header` bytes.
void UnpackString(lua_State* L, Reader* r, size_t header, size_t n) {
  if (!Need(r, header)) return;
  Skip(r, header);
  if (!Need(r, n)) return;
  lua_pushlstring(L, reinterpret_cast<const char*>(r->p), n);
  Skip(r, n);
}

// Decodes one value and leaves it on the stack; on failure sets r->err.
void UnpackValue(lua_State* L, Reader* r) {
  if (!Need(r, 1)) return;
  // There is no telling in advance how many values a stream holds, so grow the stack
  // one slot at a time.
  luaL_checkstack(L, 1,
                  "too many return values at once; use unpack_one or unpack_limit instead.");
  const unsigned char* p = r->p;
  unsigned char tag = p[0];
  switch (tag) {
    case 0xc0:
      lua_pushnil(L);
      Skip(r, 1);
      return;
    case 0xc2:
      lua_pushboolean(L, 0);
      Skip(r, 1);
      return;
    case 0xc3:
      lua_pushboolean(L, 1);
      Skip(r, 1);
      return;
    case 0xcc:  // uint 8
    case 0xcd:  // uint 16
    case 0xce:  // uint 32
    case 0xcf: {  // uint 64 (values above 2^63 come back negative, as in Redis)
      int n = 1 << (tag - 0xcc);
      if (!Need(r, 1 + n)) return;
      lua_pushinteger(L, static_cast<lua_Integer>(static_cast<int64_t>(BigEndian(p + 1, n))));
      Skip(r, 1 + n);
      return;
    }
    case 0xd0:  // int 8
    case 0xd1:  // int 16
    case 0xd2:  // int 32
    case 0xd3: {  // int 64
      int n = 1 << (tag - 0xd0);
      if (!Need(r, 1 + n)) return;
      uint64_t v = BigEndian(p + 1, n);
      int shift = 64 - 8 * n;  // sign-extend from n bytes
      int64_t s = static_cast<int64_t>(v << shift) >> shift;
      lua_pushnumber(L, static_cast<lua_Number>(s));
      Skip(r, 1 + n);
      return;
    }
    case 0xca: {  // float 32
      if (!Need(r, 5)) return;
      uint32_t bits = static_cast<uint32_t>(BigEndian(p + 1, 4));
      float f;
      std::memcpy(&f, &bits, sizeof f);
      lua_pushnumber(L, f);
      Skip(r, 5);
      return;
    }
    case 0xcb: {  // float 64
      if (!Need(r, 9)) return;
      uint64_t bits = BigEndian(p + 1, 8);
      double d;
      std::memcpy(&d, &bits, sizeof d);
      lua_pushnumber(L, d);
      Skip(r, 9);
      return;
    }
    case 0xd9:  // str 8
      if (!Need(r, 2)) return;
      UnpackString(L, r, 2, p[1]);
      return;
    case 0xda:  // str 16
      if (!Need(r, 3)) return;
      UnpackString(L, r, 3, BigEndian(p + 1, 2));
      return;
    case 0xdb:  // str 32
      if (!Need(r, 5)) return;
      UnpackString(L, r, 5, BigEndian(p + 1, 4));
      return;
    case 0xdc:  // array 16
      if (!Need(r, 3)) return;
      Skip(r, 3);
      UnpackArray(L, r, BigEndian(p + 1, 2));
      return;
    case 0xdd:  // array 32
      if (!Need(r, 5)) return;
      Skip(r, 5);
      UnpackArray(L, r, BigEndian(p + 1, 4));
      return;
    case 0xde:  // map 16
      if (!Need(r, 3)) return;
      Skip(r, 3);
      UnpackMap(L, r, BigEndian(p + 1, 2));
      return;
    case 0xdf:  // map 32
      if (!Need(r, 5)) return;
      Skip(r, 5);
      UnpackMap(L, r, BigEndian(p + 1, 4));
      return;
    default:
      break;
  }
  if ((tag & 0x80) == 0) {  // positive fixint
    lua_pushinteger(L, tag);
    Skip(r, 1);
  } else if ((tag & 0xe0) == 0xe0) {  // negative fixint
    lua_pushinteger(L, static_cast<signed char>(tag));
    Skip(r, 1);
  } else if ((tag & 0xe0) == 0xa0) {  // fixstr
    UnpackString(L, r, 1, tag & 0x1f);
  } else if ((tag & 0xf0) == 0x90) {  // fixarray
    Skip(r, 1);
    UnpackArray(L, r, tag & 0x0f);
  } else if ((tag & 0xf0) == 0x80) {  // fixmap
    Skip(r, 1);
    UnpackMap(L, r, tag & 0x0f);
  } else {
    r->err = ReadError::kBadFormat;
  }
}

// Decodes from byte `offset` of argument 1. With limit and offset both 0 everything is
// decoded and only the values are returned; otherwise at most `limit` values are
// decoded and the offset to continue from (-1 once the input is used up) comes first.
int UnpackStream(lua_State* L, lua_Integer limit, lua_Integer offset) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  if (offset < 0 || limit < 0) {
    // The second number is the input length, not the limit (as in Redis).
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                      static_cast<int>(offset), static_cast<int>(len));
  }
  if (static_cast<size_t>(offset) > len) {
    return luaL_error(L, "Start offset %d greater than input length %d.",
                      static_cast<int>(offset), static_cast<int>(len));
  }
  bool everything = limit == 0 && offset == 0;
  if (everything) limit = INT_MAX;
  Reader r{reinterpret_cast<const unsigned char*>(s) + offset, len - static_cast<size_t>(offset),
           ReadError::kNone};
  int count = 0;
  for (; r.left > 0 && count < limit; ++count) {
    UnpackValue(L, &r);
    if (r.err == ReadError::kTruncated) return luaL_error(L, "Missing bytes in input.");
    if (r.err == ReadError::kBadFormat) return luaL_error(L, "Bad data format in input.");
  }
  if (everything) return count;
  luaL_checkstack(L, 1, "in function mp_unpack_full");
  lua_pushinteger(L, r.left == 0 ? -1 : static_cast<lua_Integer>(len - r.left));
  lua_insert(L, 2);
  return count + 1;
}

int MsgUnpack(lua_State* L) { return UnpackStream(L, 0, 0); }

int MsgUnpackOne(lua_State* L) {
  lua_Integer offset = luaL_optinteger(L, 2, 0);
  lua_pop(L, lua_gettop(L) - 1);
  return UnpackStream(L, 1, offset);
}

int MsgUnpackLimit(lua_State* L) {
  lua_Integer limit = luaL_checkinteger(L, 2);
  lua_Integer offset = luaL_optinteger(L, 3, 0);
  lua_pop(L, lua_gettop(L) - 1);
  return UnpackStream(L, limit, offset);
}

}  // namespace

// Leaves the module table on the stack; it does not set any global.
extern "C" int luaopen_cmsgpack(lua_State* L) {
  lua_createtable(L, 0, 8);
  lua_pushcfunction(L, MsgPack);
  lua_setfield(L, -2, "pack");
  lua_pushcfunction(L, MsgUnpack);
  lua_setfield(L, -2, "unpack");
  lua_pushcfunction(L, MsgUnpackOne);
  lua_setfield(L, -2, "unpack_one");
  lua_pushcfunction(L, MsgUnpackLimit);
  lua_setfield(L, -2, "unpack_limit");
  // The metadata fields scripts can read in Redis 7.0.
  lua_pushliteral(L, "cmsgpack");
  lua_setfield(L, -2, "_NAME");
  lua_pushliteral(L, "lua-cmsgpack 0.4.0");
  lua_setfield(L, -2, "_VERSION");
  lua_pushliteral(L, "Copyright (C) 2012, Salvatore Sanfilippo");
  lua_setfield(L, -2, "_COPYRIGHT");
  lua_pushliteral(L, "MessagePack C implementation for Lua");
  lua_setfield(L, -2, "_DESCRIPTION");
  return 1;
}
