// Tests for the `struct` and `cmsgpack` Lua libraries (server/scripting/lua_struct.cc
// and lua_cmsgpack.cc). The expected bytes, values and error texts were taken from
// redis-server 7.0 running the same snippets.

extern "C" {
#include <lua5.1/lua.h>
#include <lua5.1/lauxlib.h>
#include <lua5.1/lualib.h>
}

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

extern "C" int luaopen_struct(lua_State* L);
extern "C" int luaopen_cmsgpack(lua_State* L);

namespace {

using namespace std::string_literals;

class LuaLibsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    L_ = luaL_newstate();
    luaL_openlibs(L_);
    Register("struct", luaopen_struct);
    Register("cmsgpack", luaopen_cmsgpack);
  }

  void TearDown() override { lua_close(L_); }

  void Register(const char* name, lua_CFunction open) {
    lua_pushcfunction(L_, open);
    lua_call(L_, 0, 1);
    lua_setglobal(L_, name);
  }

  void SetString(const char* name, const std::string& bytes) {
    lua_pushlstring(L_, bytes.data(), bytes.size());
    lua_setglobal(L_, name);
  }

  // Runs `code`; on success returns the results rendered by Render() separated by
  // spaces, on failure "error: " followed by the message.
  std::string Run(const std::string& code) {
    int base = lua_gettop(L_);
    if (luaL_loadbuffer(L_, code.data(), code.size(), "=test") != 0 ||
        lua_pcall(L_, 0, LUA_MULTRET, 0) != 0) {
      std::string msg = "error: "s + (lua_isstring(L_, -1) ? lua_tostring(L_, -1) : "?");
      lua_settop(L_, base);
      return msg;
    }
    std::string out;
    for (int i = base + 1; i <= lua_gettop(L_); ++i) {
      if (!out.empty()) out += ' ';
      out += Render(i);
    }
    lua_settop(L_, base);
    return out;
  }

  // Runs `code`, which must return one string, and returns its bytes.
  std::string Bytes(const std::string& code) {
    int base = lua_gettop(L_);
    if (luaL_loadbuffer(L_, code.data(), code.size(), "=test") != 0 ||
        lua_pcall(L_, 0, 1, 0) != 0) {
      std::string msg = "error: "s + (lua_isstring(L_, -1) ? lua_tostring(L_, -1) : "?");
      lua_settop(L_, base);
      ADD_FAILURE() << code << " -> " << msg;
      return msg;
    }
    std::string out;
    if (lua_type(L_, -1) == LUA_TSTRING) {
      size_t len;
      const char* s = lua_tolstring(L_, -1, &len);
      out.assign(s, len);
    } else {
      ADD_FAILURE() << code << " did not return a string";
    }
    lua_settop(L_, base);
    return out;
  }

  // Numbers: integers as such, others with %.17g. Strings: quoted, bytes outside
  // printable ASCII as \xNN. Tables: {k=v,...} sorted by rendered key.
  std::string Render(int idx) {
    idx = idx < 0 ? lua_gettop(L_) + idx + 1 : idx;
    switch (lua_type(L_, idx)) {
      case LUA_TNIL:
        return "nil";
      case LUA_TBOOLEAN:
        return lua_toboolean(L_, idx) ? "true" : "false";
      case LUA_TNUMBER: {
        double n = lua_tonumber(L_, idx);
        char buf[64];
        if (std::floor(n) == n && std::fabs(n) < 9007199254740992.0) {
          std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
        } else {
          std::snprintf(buf, sizeof buf, "%.17g", n);
        }
        return buf;
      }
      case LUA_TSTRING: {
        size_t len;
        const char* s = lua_tolstring(L_, idx, &len);
        std::string out = "\"";
        for (size_t i = 0; i < len; ++i) {
          unsigned char c = static_cast<unsigned char>(s[i]);
          if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out += static_cast<char>(c);
          } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
          }
        }
        return out + "\"";
      }
      case LUA_TTABLE: {
        std::vector<std::string> items;
        lua_pushnil(L_);
        while (lua_next(L_, idx) != 0) {
          std::string value = Render(-1);
          std::string key = Render(-2);
          items.push_back(key + "=" + value);
          lua_pop(L_, 1);
        }
        std::sort(items.begin(), items.end());
        std::string out = "{";
        for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
        return out + "}";
      }
      default:
        return lua_typename(L_, lua_type(L_, idx));
    }
  }

  lua_State* L_ = nullptr;
};

// ------------------------------------------------------------------------- struct

TEST_F(LuaLibsTest, StructPackIntegers) {
  EXPECT_EQ(Bytes("return struct.pack('>I2', 258)"), "\x01\x02"s);
  EXPECT_EQ(Bytes("return struct.pack('<I2', 258)"), "\x02\x01"s);
  EXPECT_EQ(Bytes("return struct.pack('<i4', -2)"), "\xfe\xff\xff\xff"s);
  EXPECT_EQ(Bytes("return struct.pack('>i4', -2)"), "\xff\xff\xff\xfe"s);
  EXPECT_EQ(Bytes("return struct.pack('<bBhH', -1, 255, -2, 65535)"),
            "\xff\xff\xfe\xff\xff\xff"s);
  EXPECT_EQ(Bytes("return struct.pack('<l', 1)"), "\x01\x00\x00\x00\x00\x00\x00\x00"s);
  EXPECT_EQ(Bytes("return struct.pack('>T', 1)"), "\x00\x00\x00\x00\x00\x00\x00\x01"s);
  EXPECT_EQ(Bytes("return struct.pack('<i', 7)"), "\x07\x00\x00\x00"s);
  EXPECT_EQ(Bytes("return struct.pack('<i3', -2)"), "\xfe\xff\xff"s);
  EXPECT_EQ(Bytes("return struct.pack('i0', 5)"), "");
  // Fractions truncate towards zero.
  EXPECT_EQ(Bytes("return struct.pack('<i4', 1.7)"), "\x01\x00\x00\x00"s);
  EXPECT_EQ(Bytes("return struct.pack('<i4', -1.7)"), "\xff\xff\xff\xff"s);
  // Widths above 8: only 64 bits carry data, the rest is zero (not sign-extended).
  EXPECT_EQ(Bytes("return struct.pack('<i16', -1)"), std::string(8, '\xff') + std::string(8, '\0'));
  EXPECT_EQ(Bytes("return struct.pack('>i12', -2)"),
            "\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xfe"s);
}

TEST_F(LuaLibsTest, StructPackOutOfRangeNumbersMatchRedis) {
  EXPECT_EQ(Bytes("return struct.pack('>I8', 2^63 + 2048)"), "\x80\x00\x00\x00\x00\x00\x08\x00"s);
  EXPECT_EQ(Bytes("return struct.pack('>I8', 2^64)"), std::string(8, '\0'));
  EXPECT_EQ(Bytes("return struct.pack('>I8', 1/0)"), std::string(8, '\0'));
  EXPECT_EQ(Bytes("return struct.pack('>I8', -1/0)"), "\x80" + std::string(7, '\0'));
  EXPECT_EQ(Bytes("return struct.pack('>I8', 0/0)"), "\x80" + std::string(7, '\0'));
  EXPECT_EQ(Bytes("return struct.pack('>i8', -2^70)"), "\x80" + std::string(7, '\0'));
}

TEST_F(LuaLibsTest, StructPackFloatsAndStrings) {
  EXPECT_EQ(Bytes("return struct.pack('>f', 1.5)"), "\x3f\xc0\x00\x00"s);
  EXPECT_EQ(Bytes("return struct.pack('<f', 1.5)"), "\x00\x00\xc0\x3f"s);
  EXPECT_EQ(Bytes("return struct.pack('>d', 1.5)"), "\x3f\xf8\x00\x00\x00\x00\x00\x00"s);
  EXPECT_EQ(Bytes("return struct.pack('<d', 1.5)"), "\x00\x00\x00\x00\x00\x00\xf8\x3f"s);
  EXPECT_EQ(Bytes("return struct.pack('>f', 1e300)"), "\x7f\x80\x00\x00"s);
  EXPECT_EQ(Bytes("return struct.pack('c3', 'abcdef')"), "abc");
  EXPECT_EQ(Bytes("return struct.pack('c', 'xyz')"), "x");
  EXPECT_EQ(Bytes("return struct.pack('c0', 'abc')"), "abc");
  EXPECT_EQ(Bytes("return struct.pack('s', 'a\\0b')"), "a\0b\0"s);
  EXPECT_EQ(Bytes("return struct.pack('x b x', 7)"), "\x00\x07\x00"s);
  // Numbers are accepted where strings are expected.
  EXPECT_EQ(Bytes("return struct.pack('c0', 12)"), "12");
}

TEST_F(LuaLibsTest, StructAlignment) {
  EXPECT_EQ(Bytes("return struct.pack('!4 b i4 !2 b i4', 1, 2, 3, 4)"),
            "\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x04\x00\x00\x00"s);
  EXPECT_EQ(Bytes("return struct.pack('! b d', 1, 2)"),
            "\x01" + std::string(7, '\0') + "\x00\x00\x00\x00\x00\x00\x00\x40"s);
  EXPECT_EQ(Bytes("return struct.pack('!4 b h', 1, 2)"), "\x01\x00\x02\x00"s);
  // Non-power-of-two widths follow the original formula.
  EXPECT_EQ(Bytes("return struct.pack('!4 bi3bi3', 1, 2, 3, 4)"),
            "\x01\x00\x00\x02\x00\x00\x03\x04\x00\x00"s);
  // Strings and c options are never aligned.
  EXPECT_EQ(Bytes("return struct.pack('!4 b c2 s', 1, 'ab', 'z')"), "\x01" "abz\0"s);
  EXPECT_EQ(Run("return struct.unpack('!8 b d', string.rep('\\0', 16))"), "0 0 17");
}

TEST_F(LuaLibsTest, StructSize) {
  EXPECT_EQ(Run("return struct.size('!4 b i4')"), "8");
  EXPECT_EQ(Run("return struct.size('b i4')"), "5");
  EXPECT_EQ(Run("return struct.size('!8 b d')"), "16");
  EXPECT_EQ(Run("return struct.size('!')"), "0");
  EXPECT_EQ(Run("return struct.size('!16 b d')"), "16");
  EXPECT_EQ(Run("return struct.size('<>bBhHlLTfdxc3i2I8')"), "56");
  EXPECT_EQ(Run("return struct.size('!4 bi3bi3')"), "10");
  EXPECT_EQ(Run("return struct.size('i3')"), "3");
  // Unknown letters are not rejected by size (as in Redis); other characters are.
  EXPECT_EQ(Run("return struct.size('X')"), "0");
  EXPECT_EQ(Run("return struct.size('?')"),
            "error: test:1: bad argument #1 to 'size' (invalid format option '?')");
  EXPECT_EQ(Run("return struct.size('s')"),
            "error: test:1: bad argument #1 to 'size' (option 's' has no fixed size)");
  EXPECT_EQ(Run("return struct.size('c0')"),
            "error: test:1: bad argument #1 to 'size' (option 'c0' has no fixed size)");
}

TEST_F(LuaLibsTest, StructUnpack) {
  SetString("s", "\xfe\xff\xff\xff"s);
  EXPECT_EQ(Run("return struct.unpack('<i4', s)"), "-2 5");
  EXPECT_EQ(Run("return struct.unpack('<I4', s)"), "4294967294 5");
  EXPECT_EQ(Run("return struct.unpack('>i4', s)"), "-16777217 5");
  EXPECT_EQ(Run("return struct.unpack('<h', 'xx\\1\\0', 3)"), "1 5");
  EXPECT_EQ(Run("return struct.unpack('<I3', '\\1\\2\\3')"), "197121 4");
  EXPECT_EQ(Run("return struct.unpack('b', 'abc', 3)"), "99 4");
  EXPECT_EQ(Run("return struct.unpack('c1', 'abc', 3.7)"), "\"c\" 4");
  EXPECT_EQ(Run("return struct.unpack('', 'abc', 9)"), "9");
  EXPECT_EQ(Run("return struct.unpack('i0', 'abcd')"), "0 1");
  EXPECT_EQ(Run("return struct.unpack('s', 'ab\\0cd')"), "\"ab\" 4");
  EXPECT_EQ(Run("return struct.unpack('x s', 'zab\\0cd', 1)"), "\"ab\" 5");
  EXPECT_EQ(Run("return struct.unpack('c2 x c1', 'abcd')"), "\"ab\" \"d\" 5");
  // c0 takes its length from the value unpacked just before, which it replaces.
  EXPECT_EQ(Run("return struct.unpack('b c0', '\\2ab')"), "\"ab\" 4");
  EXPECT_EQ(Run("return struct.unpack('b c0 b c0', '\\1a\\1b')"), "\"a\" \"b\" 5");
  EXPECT_EQ(Run("return struct.unpack('c1 c0', '2abc')"), "\"ab\" 4");
  // Unsigned 64-bit values above 2^63 come back as doubles; signed ones wrap.
  EXPECT_EQ(Run("return struct.unpack('>I8', string.rep('\\255', 8))"),
            "1.8446744073709552e+19 9");
  EXPECT_EQ(Run("return struct.unpack('>i8', '\\128' .. string.rep('\\0', 7))"),
            "-9.2233720368547758e+18 9");
  // Widths above 8: the sign mask uses the shift count modulo 64, as in Redis on x86-64.
  EXPECT_EQ(Run("return struct.unpack('<i12', string.rep('\\0', 3) .. '\\128' .. "
                "string.rep('\\0', 8))"),
            "-2147483648 13");
  EXPECT_EQ(Run("return struct.unpack('<i16', string.rep('\\255', 8) .. string.rep('\\0', 8))"),
            "-1 17");
  EXPECT_EQ(Run("return struct.unpack('<i9', string.rep('\\255', 9))"), "-1 10");
}

TEST_F(LuaLibsTest, StructRoundTrips) {
  EXPECT_EQ(Run("return struct.unpack('<d', struct.pack('<d', 1.25))"), "1.25 9");
  EXPECT_EQ(Run("return struct.unpack('>f', struct.pack('>f', 1.25))"), "1.25 5");
  EXPECT_EQ(Run("return struct.unpack('>d', struct.pack('>d', 0.1))"), "0.10000000000000001 9");
  EXPECT_EQ(Run("local fmt = '!4 < b B h H i I l L T f d c3 s x'\n"
                "local p = struct.pack(fmt, -5, 250, -300, 60000, -70000, 4000000000, -2^40,"
                " 2^40, 123, 0.5, -2.25, 'abc', 'hello')\n"
                "return #p, struct.unpack(fmt, p)"),
            "62 -5 250 -300 60000 -70000 4000000000 -1099511627776 1099511627776 123 0.5 -2.25 "
            "\"abc\" \"hello\" 63");
  EXPECT_EQ(Run("local p = struct.pack('>i2 c0', 5, 'hello')\n"
                "return struct.unpack('>i2 c0', p)"),
            "\"hello\" 8");
  EXPECT_EQ(Run("local p = struct.pack('>i2 c0', 6, 'hello')\n"
                "return struct.unpack('>i2 c0', p)"),
            "error: test:2: bad argument #2 to 'unpack' (data string too short)");
}

TEST_F(LuaLibsTest, StructErrors) {
  EXPECT_EQ(Run("return struct.pack('X', 1)"),
            "error: test:1: bad argument #1 to 'pack' (invalid format option 'X')");
  // '=' is not a struct option in Redis 7.0.
  EXPECT_EQ(Run("return struct.pack('=i4', 1)"),
            "error: test:1: bad argument #1 to 'pack' (invalid format option '=')");
  EXPECT_EQ(Run("return struct.pack('i33', 1)"),
            "error: test:1: integral size 33 is larger than limit of 32");
  EXPECT_EQ(Run("return struct.pack('i99999999999', 1)"), "error: test:1: integral size overflow");
  EXPECT_EQ(Run("return struct.pack('c99999999999', 'a')"), "error: test:1: integral size overflow");
  EXPECT_EQ(Run("return struct.pack('!3 i4', 1)"),
            "error: test:1: alignment 3 is not a power of 2");
  EXPECT_EQ(Run("return struct.pack('!0 i4', 1)"),
            "error: test:1: alignment 0 is not a power of 2");
  // The argument number is one past the string's, as in Redis.
  EXPECT_EQ(Run("return struct.pack('c5', 'abc')"),
            "error: test:1: bad argument #3 to 'pack' (string too short)");
  EXPECT_EQ(Run("return struct.pack('i4')"),
            "error: test:1: bad argument #2 to 'pack' (number expected, got nil)");
  EXPECT_EQ(Run("return struct.pack('i4', 'x')"),
            "error: test:1: bad argument #2 to 'pack' (number expected, got string)");
  EXPECT_EQ(Run("return struct.pack()"),
            "error: test:1: bad argument #1 to 'pack' (string expected, got no value)");
  EXPECT_EQ(Run("return struct.unpack('i4', 'abc')"),
            "error: test:1: bad argument #2 to 'unpack' (data string too short)");
  EXPECT_EQ(Run("return struct.unpack('i4', 'abcd', 0)"),
            "error: test:1: bad argument #3 to 'unpack' (offset must be 1 or greater)");
  EXPECT_EQ(Run("return struct.unpack('i4', 'abcd', -3)"),
            "error: test:1: bad argument #2 to 'unpack' (data string too short)");
  EXPECT_EQ(Run("return struct.unpack('b', 'abc', 4)"),
            "error: test:1: bad argument #2 to 'unpack' (data string too short)");
  EXPECT_EQ(Run("return struct.unpack('s', 'abc')"), "error: test:1: unfinished string in data");
  EXPECT_EQ(Run("return struct.unpack('c0', '1')"),
            "error: test:1: format 'c0' needs a previous size");
  EXPECT_EQ(Run("return struct.unpack('c1 c0', 'xabc')"),
            "error: test:1: format 'c0' needs a previous size");
  EXPECT_EQ(Run("return struct.unpack('b c0', '\\255ab')"),
            "error: test:1: bad argument #2 to 'unpack' (data string too short)");
  EXPECT_EQ(Run("return struct.unpack('Q', 'abc')"),
            "error: test:1: bad argument #1 to 'unpack' (invalid format option 'Q')");
  EXPECT_EQ(Run("return struct.unpack('i4', nil)"),
            "error: test:1: bad argument #2 to 'unpack' (string expected, got nil)");
}

TEST_F(LuaLibsTest, StructUnpackResultLimit) {
  // 7997 values plus the position fit the C stack limit of 8000 slots; one more not.
  EXPECT_EQ(Run("return select('#', struct.unpack(string.rep('b', 7997), "
                "string.rep('\\1', 9000)))"),
            "7998");
  EXPECT_EQ(Run("return select('#', struct.unpack(string.rep('b', 7998), "
                "string.rep('\\1', 9000)))"),
            "error: test:1: stack overflow (too many results)");
}

// ----------------------------------------------------------------------- cmsgpack

TEST_F(LuaLibsTest, MsgpackIntegers) {
  EXPECT_EQ(Bytes("return cmsgpack.pack(0)"), "\x00"s);
  EXPECT_EQ(Bytes("return cmsgpack.pack(1)"), "\x01");
  EXPECT_EQ(Bytes("return cmsgpack.pack(127)"), "\x7f");
  EXPECT_EQ(Bytes("return cmsgpack.pack(128)"), "\xcc\x80");
  EXPECT_EQ(Bytes("return cmsgpack.pack(255)"), "\xcc\xff");
  EXPECT_EQ(Bytes("return cmsgpack.pack(300)"), "\xcd\x01\x2c");
  EXPECT_EQ(Bytes("return cmsgpack.pack(65536)"), "\xce\x00\x01\x00\x00"s);
  EXPECT_EQ(Bytes("return cmsgpack.pack(2^32)"), "\xcf\x00\x00\x00\x01\x00\x00\x00\x00"s);
  EXPECT_EQ(Bytes("return cmsgpack.pack(-1)"), "\xff");
  EXPECT_EQ(Bytes("return cmsgpack.pack(-32)"), "\xe0");
  EXPECT_EQ(Bytes("return cmsgpack.pack(-33)"), "\xd0\xdf");
  EXPECT_EQ(Bytes("return cmsgpack.pack(-129)"), "\xd1\xff\x7f");
  EXPECT_EQ(Bytes("return cmsgpack.pack(-32769)"), "\xd2\xff\xff\x7f\xff");
  EXPECT_EQ(Bytes("return cmsgpack.pack(-2^31 - 1)"), "\xd3\xff\xff\xff\xff\x7f\xff\xff\xff");
  EXPECT_EQ(Bytes("return cmsgpack.pack(-2^63)"), "\xd3\x80\x00\x00\x00\x00\x00\x00\x00"s);
  EXPECT_EQ(Bytes("return cmsgpack.pack(-0.0)"), "\x00"s);
}

TEST_F(LuaLibsTest, MsgpackReals) {
  // Float 32 when the value survives the round trip through float, else float 64.
  EXPECT_EQ(Bytes("return cmsgpack.pack(1.5)"), "\xca\x3f\xc0\x00\x00"s);
  EXPECT_EQ(Bytes("return cmsgpack.pack(-0.25)"), "\xca\xbe\x80\x00\x00"s);
  EXPECT_EQ(Bytes("return cmsgpack.pack(0.1)"), "\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a"s);
  EXPECT_EQ(Bytes("return cmsgpack.pack(1e300)"), "\xcb\x7e\x37\xe4\x3c\x88\x00\x75\x9c"s);
  EXPECT_EQ(Bytes("return cmsgpack.pack(1/0)"), "\xca\x7f\x80\x00\x00"s);
  EXPECT_EQ(Bytes("return cmsgpack.pack(-1/0)"), "\xca\xff\x80\x00\x00"s);
  EXPECT_EQ(Bytes("return cmsgpack.pack(2^63)"), "\xca\x5f\x00\x00\x00"s);
  EXPECT_EQ(Bytes("return cmsgpack.pack(2^64)"), "\xca\x5f\x80\x00\x00"s);
  std::string nan = Bytes("return cmsgpack.pack(0/0)");
  ASSERT_EQ(nan.size(), 9u);
  EXPECT_EQ(nan[0], '\xcb');
  EXPECT_EQ(Run("local x = cmsgpack.unpack(cmsgpack.pack(0/0)) return x ~= x"), "true");
}

TEST_F(LuaLibsTest, MsgpackStrings) {
  EXPECT_EQ(Bytes("return cmsgpack.pack('')"), "\xa0");
  EXPECT_EQ(Bytes("return cmsgpack.pack('a')"), "\xa1"
                                                 "a");
  EXPECT_EQ(Bytes("return cmsgpack.pack(string.rep('a', 31))"), "\xbf" + std::string(31, 'a'));
  EXPECT_EQ(Bytes("return cmsgpack.pack(string.rep('a', 32))"), "\xd9\x20" + std::string(32, 'a'));
  EXPECT_EQ(Bytes("return cmsgpack.pack(string.rep('a', 255))"),
            "\xd9\xff" + std::string(255, 'a'));
  EXPECT_EQ(Bytes("return cmsgpack.pack(string.rep('a', 256))"),
            "\xda\x01\x00"s + std::string(256, 'a'));
  EXPECT_EQ(Bytes("return cmsgpack.pack(string.rep('a', 65536))"),
            "\xdb\x00\x01\x00\x00"s + std::string(65536, 'a'));
  EXPECT_EQ(Bytes("return cmsgpack.pack('a\\0b')"), "\xa3" "a\0b"s);
}

TEST_F(LuaLibsTest, MsgpackTablesAndOtherTypes) {
  EXPECT_EQ(Bytes("return cmsgpack.pack({1, 2})"), "\x92\x01\x02");
  EXPECT_EQ(Bytes("return cmsgpack.pack({})"), "\x90");
  EXPECT_EQ(Bytes("return cmsgpack.pack({a = 1})"), "\x81\xa1"
                                                    "a\x01");
  EXPECT_EQ(Bytes("return cmsgpack.pack({[2] = 1})"), "\x81\x02\x01");
  EXPECT_EQ(Bytes("return cmsgpack.pack({1, nil, 3})"), "\x82\x01\x01\x03\x03");
  EXPECT_EQ(Bytes("return cmsgpack.pack({[1.5] = 1})"), "\x81\xca\x3f\xc0\x00\x00\x01"s);
  EXPECT_EQ(Bytes("return cmsgpack.pack({[2^40] = 1})"),
            "\x81\xcf\x00\x00\x01\x00\x00\x00\x00\x00\x01"s);
  EXPECT_EQ(Bytes("local t = {} for i = 1, 16 do t[i] = i end return cmsgpack.pack(t)"),
            "\xdc\x00\x10\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"s);
  EXPECT_EQ(Bytes("local t = {} for i = 1, 70000 do t[i] = 0 end return cmsgpack.pack(t)"),
            "\xdd\x00\x01\x11\x70"s + std::string(70000, '\0'));
  std::string map16 = Bytes("local t = {} for i = 1, 16 do t['k' .. i] = true end "
                            "return cmsgpack.pack(t)");
  EXPECT_EQ(map16.substr(0, 3), "\xde\x00\x10"s);
  EXPECT_EQ(map16.size(), 74u);  // 9 keys of 2 bytes, 7 of 3, each with a 1-byte value
  EXPECT_EQ(Bytes("return cmsgpack.pack(nil)"), "\xc0");
  EXPECT_EQ(Bytes("return cmsgpack.pack(print)"), "\xc0");
  EXPECT_EQ(Bytes("return cmsgpack.pack(coroutine.create(function() end))"), "\xc0");
  EXPECT_EQ(Bytes("return cmsgpack.pack(true, false)"), "\xc3\xc2");
  EXPECT_EQ(Bytes("return cmsgpack.pack(1, 'a', {}, nil)"), "\x01\xa1"
                                                            "a\x90\xc0");
}

TEST_F(LuaLibsTest, MsgpackNestingLimit) {
  EXPECT_EQ(Bytes("local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end "
                  "return cmsgpack.pack(t)"),
            std::string(16, '\x91') + "\xc0");
  EXPECT_EQ(Bytes("local t = {} t[1] = t return cmsgpack.pack(t, {a = t})"),
            std::string(16, '\x91') + "\xc0" + "\x81\xa1" "a" + std::string(15, '\x91') + "\xc0");
}

TEST_F(LuaLibsTest, MsgpackUnpack) {
  EXPECT_EQ(Run("return cmsgpack.unpack('\\1\\2\\3')"), "1 2 3");
  EXPECT_EQ(Run("return select('#', cmsgpack.unpack(''))"), "0");
  EXPECT_EQ(Run("return cmsgpack.unpack('\\1\\2', 5)"), "1 2");
  SetString("s", "\xcc\xff\xd0\x80\xcd\xff\xff\xd1\xff\xfe\xce\xff\xff\xff\xff\xd2\x80\x00\x00\x00"s);
  EXPECT_EQ(Run("return cmsgpack.unpack(s)"), "255 -128 65535 -2 4294967295 -2147483648");
  SetString("s", "\xcf\x7f\xff\xff\xff\xff\xff\xff\xff\xd3\xff\xff\xff\xff\xff\xff\xff\xfe"s);
  EXPECT_EQ(Run("return cmsgpack.unpack(s)"), "9.2233720368547758e+18 -2");
  // uint 64 above 2^63 wraps to a negative number, as in Redis.
  SetString("s", "\xcf\xff\xff\xff\xff\xff\xff\xff\xff"s);
  EXPECT_EQ(Run("return cmsgpack.unpack(s)"), "-1");
  SetString("s", "\xca\x3f\xc0\x00\x00\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a\xc0\xc2\xc3\xe0"s);
  EXPECT_EQ(Run("return cmsgpack.unpack(s)"), "1.5 0.10000000000000001 nil false true -32");
  SetString("s", "\xd9\x02hi\xda\x00\x01x\xdb\x00\x00\x00\x01y\xa0"s);
  EXPECT_EQ(Run("return cmsgpack.unpack(s)"), "\"hi\" \"x\" \"y\" \"\"");
  SetString("s", "\xdc\x00\x02\x01\x02\xdd\x00\x00\x00\x01\x03\xde\x00\x01\xa1k\x90"
                 "\xdf\x00\x00\x00\x00\x80"s);
  EXPECT_EQ(Run("return cmsgpack.unpack(s)"), "{1=1,2=2} {1=3} {\"k\"={}} {} {}");
}

TEST_F(LuaLibsTest, MsgpackRoundTrips) {
  const char* values[] = {
      "0",          "-1",
      "127",        "-33",
      "1e10",       "-1e10",
      "2^53",       "-2^63",
      "1.5",        "0.1",
      "-1e300",     "1/0",
      "'hello'",    "string.rep('x', 300)",
      "true",       "false",
      "{}",         "{1, 2, {3, {4}}}",
      "{a = {b = {c = 'd'}}, [10] = 'ten', [1.5] = false}",
      "{[true] = 1, [false] = 0}",
  };
  for (const char* v : values) {
    std::string code = std::string("local v = ") + v + "\nreturn v, cmsgpack.unpack(cmsgpack.pack(v))";
    std::string out = Run(code);
    size_t mid = out.size() / 2;
    EXPECT_EQ(out.substr(0, mid), out.substr(mid + 1)) << v;
  }
  EXPECT_EQ(Run("return cmsgpack.unpack(cmsgpack.pack(1, 'two', {3}, nil, false))"),
            "1 \"two\" {1=3} nil false");
}

TEST_F(LuaLibsTest, MsgpackUnpackOneAndLimit) {
  SetString("s", "\x01\x02\x03");
  EXPECT_EQ(Run("return cmsgpack.unpack_one(s)"), "1 1");
  EXPECT_EQ(Run("return cmsgpack.unpack_one(s, 1)"), "2 2");
  EXPECT_EQ(Run("return cmsgpack.unpack_one(s, 2)"), "-1 3");
  EXPECT_EQ(Run("return cmsgpack.unpack_one(s, 3)"), "-1");
  EXPECT_EQ(Run("return cmsgpack.unpack_one(s, 1.9)"), "2 2");
  EXPECT_EQ(Run("return cmsgpack.unpack_one('')"), "-1");
  EXPECT_EQ(Run("return cmsgpack.unpack_limit(s, 2)"), "2 1 2");
  EXPECT_EQ(Run("return cmsgpack.unpack_limit(s, 2, 2)"), "-1 3");
  EXPECT_EQ(Run("return cmsgpack.unpack_limit(s, 5)"), "-1 1 2 3");
  // Limit and offset both 0 decode everything and return no offset (as in Redis).
  EXPECT_EQ(Run("return cmsgpack.unpack_limit(s, 0)"), "1 2 3");
  EXPECT_EQ(Run("return cmsgpack.unpack_limit(s, 0, 1)"), "1");
  // Walking a stream with the returned offsets.
  EXPECT_EQ(Run("local p = cmsgpack.pack({1, 2}, 'x', {a = true})\n"
                "local out, off, v = {}, 0\n"
                "repeat off, v = cmsgpack.unpack_one(p, off) out[#out + 1] = v until off == -1\n"
                "return unpack(out)"),
            "{1=1,2=2} \"x\" {\"a\"=true}");
}

TEST_F(LuaLibsTest, MsgpackErrors) {
  EXPECT_EQ(Run("return cmsgpack.pack()"),
            "error: test:1: bad argument #0 to 'pack' (MessagePack pack needs input.)");
  EXPECT_EQ(Run("return cmsgpack.unpack('\\193')"), "error: test:1: Bad data format in input.");
  EXPECT_EQ(Run("return cmsgpack.unpack('\\196\\1a')"), "error: test:1: Bad data format in input.");
  EXPECT_EQ(Run("return cmsgpack.unpack('\\212\\1\\1')"), "error: test:1: Bad data format in input.");
  EXPECT_EQ(Run("return cmsgpack.unpack('\\205\\1')"), "error: test:1: Missing bytes in input.");
  EXPECT_EQ(Run("return cmsgpack.unpack('\\146\\1')"), "error: test:1: Missing bytes in input.");
  EXPECT_EQ(Run("return cmsgpack.unpack('\\163ab')"), "error: test:1: Missing bytes in input.");
  EXPECT_EQ(Run("return cmsgpack.unpack('\\219\\255\\255\\255\\255')"),
            "error: test:1: Missing bytes in input.");
  EXPECT_EQ(Run("return cmsgpack.unpack('\\221\\255\\255\\255\\255')"),
            "error: test:1: Missing bytes in input.");
  EXPECT_EQ(Run("return cmsgpack.unpack('\\1\\2\\205')"), "error: test:1: Missing bytes in input.");
  EXPECT_EQ(Run("return cmsgpack.unpack_one('\\1\\2', -1)"),
            "error: test:1: Invalid request to unpack with offset of -1 and limit of 2.");
  EXPECT_EQ(Run("return cmsgpack.unpack_limit('\\1\\2', -1)"),
            "error: test:1: Invalid request to unpack with offset of 0 and limit of 2.");
  EXPECT_EQ(Run("return cmsgpack.unpack_one('\\1\\2', 3)"),
            "error: test:1: Start offset 3 greater than input length 2.");
  EXPECT_EQ(Run("return cmsgpack.unpack_limit('\\1\\2')"),
            "error: test:1: bad argument #2 to 'unpack_limit' (number expected, got no value)");
  EXPECT_EQ(Run("return cmsgpack.unpack_one('\\1\\2', 'x')"),
            "error: test:1: bad argument #2 to 'unpack_one' (number expected, got string)");
  EXPECT_EQ(Run("return cmsgpack.unpack({})"),
            "error: test:1: bad argument #1 to 'unpack' (string expected, got table)");
  EXPECT_EQ(Run("return cmsgpack.unpack_one()"),
            "error: test:1: bad argument #1 to 'unpack_one' (string expected, got no value)");
  // A nil map key is rejected by Lua itself (hence no position).
  EXPECT_EQ(Run("return cmsgpack.unpack('\\129\\192\\1')"), "error: table index is nil");
}

TEST_F(LuaLibsTest, MsgpackStackLimits) {
  // These thresholds follow from Lua's 8000-slot limit for C functions and match Redis.
  EXPECT_EQ(Run("return #{cmsgpack.unpack(string.rep('\\145', 3998) .. '\\1')}"), "1");
  EXPECT_EQ(Run("return #{cmsgpack.unpack(string.rep('\\145', 3999) .. '\\1')}"), "1");
  EXPECT_EQ(Run("return #{cmsgpack.unpack(string.rep('\\145', 4000) .. '\\1')}"),
            "error: test:1: stack overflow (in function mp_decode_to_lua_array)");
  EXPECT_EQ(Run("return #{cmsgpack.unpack(string.rep('\\145', 3999) .. '\\1', 5)}"),
            "error: test:1: stack overflow (too many return values at once; use unpack_one or "
            "unpack_limit instead.)");
  EXPECT_EQ(Run("local t = {} for i = 1, 9000 do t[i] = i end\n"
                "return #{cmsgpack.unpack(cmsgpack.pack(t):sub(4))}"),
            "error: test:2: stack overflow (too many return values at once; use unpack_one or "
            "unpack_limit instead.)");
  EXPECT_EQ(Run("local t = {} for i = 1, 300 do t[i] = i end\n"
                "return #{cmsgpack.unpack(cmsgpack.pack(t):sub(4))}"),
            "300");
  EXPECT_EQ(Run("local t = {} for i = 1, 9000 do t[i] = i end\n"
                "return #cmsgpack.pack(unpack(t, 1, 7000))"),
            "error: test:2: bad argument #0 to 'pack' (Too many arguments for MessagePack pack.)");
  EXPECT_EQ(Run("local t = {} for i = 1, 4000 do t[i] = 1 end t[4000] = {1}\n"
                "return #cmsgpack.pack(unpack(t))"),
            "error: test:2: stack overflow (in function table_is_an_array)");
  EXPECT_EQ(Run("local t = {} for i = 1, 3997 do t[i] = 1 end t[3997] = {a = {a = {a = {}}}}\n"
                "return #cmsgpack.pack(unpack(t))"),
            "error: test:2: stack overflow (in function mp_encode_lua_table_as_map)");
  EXPECT_EQ(Run("local t = {} for i = 1, 3000 do t[i] = 1 end t[3000] = {a = {a = {a = {}}}}\n"
                "return #cmsgpack.pack(unpack(t))"),
            "3009");
}

TEST_F(LuaLibsTest, ModuleTables) {
  EXPECT_EQ(Run("local r = {} for k, v in pairs(struct) do r[#r + 1] = k .. '=' .. type(v) end "
                "table.sort(r) return table.concat(r, ' ')"),
            "\"pack=function size=function unpack=function\"");
  EXPECT_EQ(Run("return cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, "
                "cmsgpack._DESCRIPTION"),
            "\"cmsgpack\" \"lua-cmsgpack 0.4.0\" \"Copyright (C) 2012, Salvatore Sanfilippo\" "
            "\"MessagePack C implementation for Lua\"");
  EXPECT_EQ(Run("return type(cmsgpack.unpack_one), type(cmsgpack.unpack_limit)"),
            "\"function\" \"function\"");
}

}  // namespace
