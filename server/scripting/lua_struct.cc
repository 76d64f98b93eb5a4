// The `struct` library that Redis exposes to Lua scripts: struct.pack, struct.unpack
// and struct.size. Written for Tessera from the library's documented behaviour and
// checked byte for byte against redis-server 7.0 on x86-64 (including the results
// of its conversions that C leaves to the platform, reproduced here explicitly).
//
// Format letters:
//   <  >        little / big endian for what follows (the default is the host's)
//   !n          maximum alignment n (a power of two; plain `!` means the natural one)
//   b B h H     signed / unsigned char and short
//   l L T       signed / unsigned long, size_t
//   i I  in In  signed / unsigned int, or of n bytes (n <= 32)
//   f d         float, double
//   cn          n bytes of a string; c0 means: pack the whole string, or unpack as many
//               bytes as the value unpacked just before says
//   s           zero-terminated string
//   x           one padding byte
//   ' '         ignored
//
// Every function here may longjmp out through lua_error, so nothing in these frames
// owns a resource or has a destructor; the output is assembled in a luaL_Buffer.

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
#include <cstring>

extern "C" int luaopen_struct(lua_State* L);

namespace {

// Largest width accepted for the i/I options.
constexpr int kWidestInteger = 32;

// What `!` without a number selects: the alignment a double gets inside a struct, or
// the size of an int if that is larger.
struct DoubleAfterChar {
  char c;
  double d;
};
constexpr int kNaturalAlignment =
    offsetof(DoubleAfterChar, d) > sizeof(int) ? static_cast<int>(offsetof(DoubleAfterChar, d))
                                               : static_cast<int>(sizeof(int));

constexpr bool kHostIsLittle = std::endian::native == std::endian::little;

struct Layout {
  bool little = kHostIsLittle;
  int max_align = 1;
};

bool IsDigit(int c) { return c >= '0' && c <= '9'; }
bool IsLower(int c) { return c >= 'a' && c <= 'z'; }
bool IsAlnum(int c) { return IsDigit(c) || IsLower(c) || (c >= 'A' && c <= 'Z'); }

// Reads the optional decimal count that follows an option letter.
int ReadCount(lua_State* L, const char** fmt, int fallback) {
  if (!IsDigit(**fmt)) return fallback;
  int value = 0;
  while (IsDigit(**fmt)) {
    int digit = **fmt - '0';
    if (value > INT_MAX / 10 || value * 10 > INT_MAX - digit) {
      luaL_error(L, "integral size overflow");
    }
    value = value * 10 + digit;
    ++*fmt;
  }
  return value;
}

// Number of bytes an option occupies (0 for options without data or whose length is
// only known from the argument).
size_t OptionWidth(lua_State* L, int opt, const char** fmt) {
  switch (opt) {
    case 'b':
    case 'B':
      return 1;
    case 'h':
    case 'H':
      return sizeof(short);
    case 'l':
    case 'L':
      return sizeof(long);
    case 'T':
      return sizeof(size_t);
    case 'f':
      return sizeof(float);
    case 'd':
      return sizeof(double);
    case 'x':
      return 1;
    case 'c':
      return static_cast<size_t>(ReadCount(L, fmt, 1));
    case 'i':
    case 'I': {
      int width = ReadCount(L, fmt, static_cast<int>(sizeof(int)));
      if (width > kWidestInteger) {
        luaL_error(L, "integral size %d is larger than limit of %d", width, kWidestInteger);
      }
      return static_cast<size_t>(width);
    }
    default:
      return 0;
  }
}

// Zero bytes to insert before an item of `width` bytes that would start at `offset`.
// Kept to the original arithmetic, which is also what it does for widths that are
// not powers of two (e.g. i3 under !4).
size_t PaddingBefore(size_t offset, const Layout& layout, int opt, size_t width) {
  if (width == 0 || opt == 'c') return 0;
  size_t a = width;
  if (a > static_cast<size_t>(layout.max_align)) a = static_cast<size_t>(layout.max_align);
  return (a - (offset & (a - 1))) & (a - 1);
}

// Handles the options that only change the layout; anything else is an error.
void ApplyControl(lua_State* L, int opt, const char** fmt, Layout* layout) {
  switch (opt) {
    case ' ':
      return;
    case '<':
      layout->little = true;
      return;
    case '>':
      layout->little = false;
      return;
    case '!': {
      int a = ReadCount(L, fmt, kNaturalAlignment);
      if (a <= 0 || (a & (a - 1)) != 0) luaL_error(L, "alignment %d is not a power of 2", a);
      layout->max_align = a;
      return;
    }
    default: {
      const char* msg = lua_pushfstring(L, "invalid format option '%c'", opt);
      luaL_argerror(L, 1, msg);
    }
  }
}

// The x86-64 truncating conversion of a double to a signed 64-bit integer (cvttsd2si):
// NaN and anything outside the range give INT64_MIN.
uint64_t TruncateToInt64Bits(double d) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return uint64_t{1} << 63;
  return static_cast<uint64_t>(static_cast<int64_t>(d));
}

// How a Lua number becomes the 64-bit pattern that is written for an integer option,
// and how a number becomes a length: negative values wrap as signed integers, values
// in [2^63, 2^64) convert exactly, larger values and +inf give 0, NaN gives 2^63.
uint64_t NumberToBits(double n) {
  if (!(n >= 9223372036854775808.0)) return TruncateToInt64Bits(n);
  return TruncateToInt64Bits(n - 9223372036854775808.0) ^ (uint64_t{1} << 63);
}

// double -> float with IEEE round-to-nearest, also for values beyond FLT_MAX.
float ToFloat(double d) {
  if (std::isfinite(d) && std::fabs(d) > FLT_MAX) {
    // Halfway between FLT_MAX and 2^128; ties go to the even neighbour, which is inf.
    const double halfway = 340282356779733661637539395458142568448.0;  // 2^128 - 2^103
    float big = std::fabs(d) < halfway ? FLT_MAX : HUGE_VALF;
    return d < 0 ? -big : big;
  }
  return static_cast<float>(d);
}

void PutInteger(lua_State* L, luaL_Buffer* b, int arg, bool little, size_t width) {
  uint64_t v = NumberToBits(luaL_checknumber(L, arg));
  char bytes[kWidestInteger];
  if (little) {
    for (size_t k = 0; k < width; ++k) {
      bytes[k] = static_cast<char>(v & 0xff);
      v >>= 8;
    }
  } else {
    for (size_t k = width; k-- > 0;) {
      bytes[k] = static_cast<char>(v & 0xff);
      v >>= 8;
    }
  }
  luaL_addlstring(b, bytes, width);
}

// Reverses `n` bytes when the requested byte order is not the host's.
void FixByteOrder(char* p, size_t n, bool little) {
  if (little == kHostIsLittle || n == 0) return;
  for (size_t i = 0, j = n - 1; i < j; ++i, --j) {
    char t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
}

// Reads an integer of `width` bytes. Only the last 64 bits assembled are kept, and the
// sign mask for widths above 8 uses the shift count modulo 64, as the x86 build does.
lua_Number GetInteger(const char* p, bool little, bool is_signed, size_t width) {
  uint64_t v = 0;
  if (little) {
    for (size_t k = width; k-- > 0;) v = (v << 8) | static_cast<unsigned char>(p[k]);
  } else {
    for (size_t k = 0; k < width; ++k) v = (v << 8) | static_cast<unsigned char>(p[k]);
  }
  if (!is_signed) return static_cast<lua_Number>(v);
  unsigned shift = static_cast<unsigned>(static_cast<int>(width) * 8 - 1) & 63u;
  uint64_t sign_bits = ~uint64_t{0} << shift;
  if (v & sign_bits) v |= sign_bits;
  return static_cast<lua_Number>(static_cast<int64_t>(v));
}

int StructPack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Layout layout;
  int arg = 2;
  size_t written = 0;
  // A nil right after the arguments: a missing argument then reads as nil instead of
  // as a piece of the buffer below.
  lua_pushnil(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (*fmt != '\0') {
    int opt = *fmt++;
    size_t width = OptionWidth(L, opt, &fmt);
    size_t pad = PaddingBefore(written, layout, opt, width);
    written += pad;
    while (pad-- > 0) luaL_addchar(&b, '\0');
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        PutInteger(L, &b, arg++, layout.little, width);
        break;
      case 'x':
        luaL_addchar(&b, '\0');
        break;
      case 'f': {
        float f = ToFloat(luaL_checknumber(L, arg++));
        char bytes[sizeof f];
        std::memcpy(bytes, &f, sizeof f);
        FixByteOrder(bytes, sizeof bytes, layout.little);
        luaL_addlstring(&b, bytes, sizeof bytes);
        break;
      }
      case 'd': {
        double d = luaL_checknumber(L, arg++);
        char bytes[sizeof d];
        std::memcpy(bytes, &d, sizeof d);
        FixByteOrder(bytes, sizeof bytes, layout.little);
        luaL_addlstring(&b, bytes, sizeof bytes);
        break;
      }
      case 'c':
      case 's': {
        size_t len;
        const char* s = luaL_checklstring(L, arg++, &len);
        if (width == 0) width = len;
        // The argument number reported is one past the string's (as in Redis).
        luaL_argcheck(L, len >= width, arg, "string too short");
        luaL_addlstring(&b, s, width);
        if (opt == 's') {
          luaL_addchar(&b, '\0');
          ++width;
        }
        break;
      }
      default:
        ApplyControl(L, opt, &fmt, &layout);
    }
    written += width;
  }
  luaL_pushresult(&b);
  return 1;
}

int StructUnpack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  size_t data_len;
  const char* data = luaL_checklstring(L, 2, &data_len);
  size_t pos = static_cast<size_t>(luaL_optinteger(L, 3, 1));
  luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
  --pos;
  Layout layout;
  int results = 0;
  while (*fmt != '\0') {
    int opt = *fmt++;
    size_t width = OptionWidth(L, opt, &fmt);
    pos += PaddingBefore(pos, layout, opt, width);
    luaL_argcheck(L, width <= data_len && pos <= data_len - width, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        lua_pushnumber(L, GetInteger(data + pos, layout.little, IsLower(opt), width));
        ++results;
        break;
      case 'x':
        break;
      case 'f': {
        char bytes[sizeof(float)];
        std::memcpy(bytes, data + pos, sizeof bytes);
        FixByteOrder(bytes, sizeof bytes, layout.little);
        float f;
        std::memcpy(&f, bytes, sizeof f);
        lua_pushnumber(L, f);
        ++results;
        break;
      }
      case 'd': {
        char bytes[sizeof(double)];
        std::memcpy(bytes, data + pos, sizeof bytes);
        FixByteOrder(bytes, sizeof bytes, layout.little);
        double d;
        std::memcpy(&d, bytes, sizeof d);
        lua_pushnumber(L, d);
        ++results;
        break;
      }
      case 'c':
        if (width == 0) {
          // The length is the value unpacked just before, which is replaced.
          if (results == 0 || !lua_isnumber(L, -1)) {
            luaL_error(L, "format 'c0' needs a previous size");
          }
          width = static_cast<size_t>(NumberToBits(lua_tonumber(L, -1)));
          lua_pop(L, 1);
          --results;
          luaL_argcheck(L, width <= data_len && pos <= data_len - width, 2,
                        "data string too short");
        }
        lua_pushlstring(L, data + pos, width);
        ++results;
        break;
      case 's': {
        const void* nul = std::memchr(data + pos, '\0', data_len - pos);
        if (nul == nullptr) luaL_error(L, "unfinished string in data");
        width = static_cast<size_t>(static_cast<const char*>(nul) - (data + pos)) + 1;
        lua_pushlstring(L, data + pos, width - 1);
        ++results;
        break;
      }
      default:
        ApplyControl(L, opt, &fmt, &layout);
    }
    pos += width;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos + 1));
  return results + 1;
}

int StructSize(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Layout layout;
  size_t pos = 0;
  while (*fmt != '\0') {
    int opt = *fmt++;
    size_t width = OptionWidth(L, opt, &fmt);
    pos += PaddingBefore(pos, layout, opt, width);
    if (opt == 's') {
      luaL_argerror(L, 1, "option 's' has no fixed size");
    } else if (opt == 'c' && width == 0) {
      luaL_argerror(L, 1, "option 'c0' has no fixed size");
    }
    // Letters and digits never reach the layout handler here, so an unknown letter
    // counts as zero bytes instead of being rejected (as in Redis).
    if (!IsAlnum(opt)) ApplyControl(L, opt, &fmt, &layout);
    pos += width;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos));
  return 1;
}

}  // namespace

// Leaves the module table on the stack; it does not set any global.
extern "C" int luaopen_struct(lua_State* L) {
  lua_createtable(L, 0, 3);
  lua_pushcfunction(L, StructPack);
  lua_setfield(L, -2, "pack");
  lua_pushcfunction(L, StructUnpack);
  lua_setfield(L, -2, "unpack");
  lua_pushcfunction(L, StructSize);
  lua_setfield(L, -2, "size");
  return 1;
}
