// Bitmap commands on string values: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO.
// Bit 0 is the most significant bit of the first byte, as in Redis.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/core/context.h"

namespace tessera {

namespace {

constexpr std::string_view kBadOffset = "ERR bit offset is not an integer or out of range";
constexpr std::string_view kBadBit = "ERR bit is not an integer or out of range";
constexpr std::string_view kBadType =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";

// A bit offset as Redis's getBitOffsetFromArgument: a non-negative integer whose byte is
// below proto-max-bulk-len; with `bits` > 0, "#n" means n * bits (BITFIELD).
bool ParseBitOffset(CommandContext& ctx, std::string_view arg, int bits, uint64_t* out) {
  bool hash = bits > 0 && !arg.empty() && arg[0] == '#';
  auto v = ParseInt64(hash ? arg.substr(1) : arg);
  if (!v || *v < 0) {
    ctx.reply.Error(kBadOffset);
    return false;
  }
  uint64_t off = static_cast<uint64_t>(*v);
  if (hash) {
    if (off > UINT64_MAX / static_cast<uint64_t>(bits)) {
      ctx.reply.Error(kBadOffset);
      return false;
    }
    off *= static_cast<uint64_t>(bits);
  }
  if ((off >> 3) >= static_cast<uint64_t>(ctx.server.config().proto_max_bulk_len)) {
    ctx.reply.Error(kBadOffset);
    return false;
  }
  *out = off;
  return true;
}

KeyValue* LookupString(CommandContext& ctx, std::string_view key, bool write, bool* wrong) {
  KeyValue* kv = write ? ctx.LookupWrite(key) : ctx.LookupRead(key);
  *wrong = kv != nullptr && kv->type() != ObjType::kString;
  if (*wrong) ctx.WrongType();
  return *wrong ? nullptr : kv;
}

uint64_t Popcount(const uint8_t* p, size_t n) {
  uint64_t count = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    count += static_cast<uint64_t>(__builtin_popcountll(w));
  }
  for (; i < n; ++i) count += static_cast<uint64_t>(__builtin_popcount(p[i]));
  return count;
}

inline int BitAt(const uint8_t* p, uint64_t bit) { return (p[bit >> 3] >> (7 - (bit & 7))) & 1; }

// The bit range [*first, *last] that BITCOUNT/BITPOS start/end select in a string of `len`
// bytes (indexes in bytes, or in bits with `in_bits`), normalized as Redis does. False when
// the range is empty.
bool BitRange(int64_t len, int64_t start, int64_t end, bool in_bits, uint64_t* first,
              uint64_t* last) {
  int64_t total = in_bits ? len * 8 : len;
  if (start < 0) start += total;
  if (end < 0) end += total;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return false;
  if (in_bits) {
    *first = static_cast<uint64_t>(start);
    *last = static_cast<uint64_t>(end);
  } else {
    *first = static_cast<uint64_t>(start) * 8;
    *last = static_cast<uint64_t>(end) * 8 + 7;
  }
  return true;
}

// Set bits in [first, last].
uint64_t CountBits(const uint8_t* p, uint64_t first, uint64_t last) {
  uint64_t count = 0;
  while (first <= last && (first & 7) != 0) count += static_cast<uint64_t>(BitAt(p, first++));
  if (first > last) return count;
  uint64_t whole = (last + 1 - first) / 8;
  count += Popcount(p + first / 8, whole);
  for (first += whole * 8; first <= last; ++first) count += static_cast<uint64_t>(BitAt(p, first));
  return count;
}

// The first bit equal to `bit` in [first, last], or -1.
int64_t FindBit(const uint8_t* p, uint64_t first, uint64_t last, int bit) {
  while (first <= last && (first & 7) != 0) {
    if (BitAt(p, first) == bit) return static_cast<int64_t>(first);
    ++first;
  }
  // Whole bytes: skip those with no candidate (0x00 when looking for 1, 0xff for 0).
  uint8_t skip = bit ? 0x00 : 0xff;
  while (first + 7 <= last && p[first / 8] == skip) first += 8;
  for (; first <= last; ++first) {
    if (BitAt(p, first) == bit) return static_cast<int64_t>(first);
  }
  return -1;
}

// ---- SETBIT / GETBIT ----

void SetBit(CommandContext& ctx) {
  uint64_t offset;
  if (!ParseBitOffset(ctx, ctx.argv[2], 0, &offset)) return;
  auto on = ParseInt64(ctx.argv[3]);
  if (!on || (*on & ~1) != 0) {
    ctx.reply.Error(kBadBit);
    return;
  }
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = LookupString(ctx, key, true, &wrong);
  if (wrong) return;
  bool grew;
  RawString* r = WritableString(ctx, key, kv, static_cast<size_t>(offset / 8 + 1), &grew);
  auto* p = reinterpret_cast<uint8_t*>(r->data);
  int old = BitAt(p, offset);
  if (grew || old != *on) {
    uint8_t mask = static_cast<uint8_t>(1u << (7 - (offset & 7)));
    p[offset / 8] = static_cast<uint8_t>(*on ? (p[offset / 8] | mask) : (p[offset / 8] & ~mask));
    ctx.Modified(key);
    ctx.Notify(kNotifyString, "setbit", key);
    ctx.Dirty();
  }
  ctx.reply.Integer(old);
}

void GetBit(CommandContext& ctx) {
  uint64_t offset;
  if (!ParseBitOffset(ctx, ctx.argv[2], 0, &offset)) return;
  bool wrong;
  KeyValue* kv = LookupString(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  char buf[24];
  std::string_view v = StringValue(kv, buf);
  if (offset / 8 >= v.size()) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.reply.Integer(BitAt(reinterpret_cast<const uint8_t*>(v.data()), offset));
}

// ---- BITCOUNT / BITPOS ----

// Parses the optional BYTE|BIT unit argument.
bool ParseUnit(CommandContext& ctx, std::string_view arg, bool* in_bits) {
  if (EqualsIgnoreCase(arg, "bit")) {
    *in_bits = true;
  } else if (EqualsIgnoreCase(arg, "byte")) {
    *in_bits = false;
  } else {
    ctx.Syntax();
    return false;
  }
  return true;
}

void BitCount(CommandContext& ctx) {
  // Redis 7.0 looks the key up before it reads the range.
  bool wrong;
  KeyValue* kv = LookupString(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  char buf[24];
  std::string_view v = StringValue(kv, buf);
  auto* p = reinterpret_cast<const uint8_t*>(v.data());
  int64_t len = static_cast<int64_t>(v.size());
  if (ctx.argc() == 2) {
    ctx.reply.Integer(static_cast<int64_t>(Popcount(p, v.size())));
    return;
  }
  if (ctx.argc() != 4 && ctx.argc() != 5) {
    ctx.Syntax();
    return;
  }
  auto start = ParseInt64(ctx.argv[2]);
  auto end = ParseInt64(ctx.argv[3]);
  if (!start || !end) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  if (*start < 0 && *end < 0 && *start > *end) {
    ctx.reply.Integer(0);
    return;
  }
  bool in_bits = false;
  if (ctx.argc() == 5 && !ParseUnit(ctx, ctx.argv[4], &in_bits)) return;
  uint64_t first, last;
  if (!BitRange(len, *start, *end, in_bits, &first, &last)) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.reply.Integer(static_cast<int64_t>(CountBits(p, first, last)));
}

void BitPos(CommandContext& ctx) {
  auto bit = ParseInt64(ctx.argv[2]);
  if (!bit) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  if (*bit != 0 && *bit != 1) {
    ctx.reply.Error("ERR The bit argument must be 1 or 0.");
    return;
  }
  bool wrong;
  KeyValue* kv = LookupString(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    // A missing key is an endless run of zeros.
    ctx.reply.Integer(*bit ? -1 : 0);
    return;
  }
  char buf[24];
  std::string_view v = StringValue(kv, buf);
  auto* p = reinterpret_cast<const uint8_t*>(v.data());
  int64_t len = static_cast<int64_t>(v.size());
  int64_t start = 0, end = len - 1;
  bool in_bits = false, end_given = false;
  if (ctx.argc() > 6) {
    ctx.Syntax();
    return;
  }
  if (ctx.argc() >= 4) {
    auto s = ParseInt64(ctx.argv[3]);
    if (!s) {
      ctx.reply.Error(err::kNotInteger);
      return;
    }
    start = *s;
    if (ctx.argc() == 6 && !ParseUnit(ctx, ctx.argv[5], &in_bits)) return;
    if (ctx.argc() >= 5) {
      auto e = ParseInt64(ctx.argv[4]);
      if (!e) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      end = *e;
      end_given = true;
    } else {
      end = in_bits ? len * 8 - 1 : len - 1;
    }
  }
  uint64_t first, last;
  if (!BitRange(len, start, end, in_bits, &first, &last)) {
    ctx.reply.Integer(-1);
    return;
  }
  int64_t pos = FindBit(p, first, last, static_cast<int>(*bit));
  if (pos == -1 && *bit == 0 && !end_given) {
    // Looking for a zero with no explicit end: the string continues with zeros.
    pos = static_cast<int64_t>(last + 1);
  }
  ctx.reply.Integer(pos);
}

// ---- BITOP ----

void BitOp(CommandContext& ctx) {
  enum { kAnd, kOr, kXor, kNot } op;
  std::string_view name = ctx.argv[1];
  if (EqualsIgnoreCase(name, "and")) {
    op = kAnd;
  } else if (EqualsIgnoreCase(name, "or")) {
    op = kOr;
  } else if (EqualsIgnoreCase(name, "xor")) {
    op = kXor;
  } else if (EqualsIgnoreCase(name, "not")) {
    op = kNot;
  } else {
    ctx.Syntax();
    return;
  }
  if (op == kNot && ctx.argc() != 4) {
    ctx.reply.Error("ERR BITOP NOT must be called with a single source key.");
    return;
  }
  std::string_view dst = ctx.argv[2];
  size_t n = ctx.argc() - 3;
  std::vector<std::string> srcs(n);  // copies: dst may be one of the sources
  size_t maxlen = 0;
  for (size_t i = 0; i < n; ++i) {
    bool wrong;
    KeyValue* kv = LookupString(ctx, ctx.argv[3 + i], false, &wrong);
    if (wrong) return;
    if (kv == nullptr) continue;  // a missing key is an empty string
    char buf[24];
    srcs[i] = std::string(StringValue(kv, buf));
    maxlen = std::max(maxlen, srcs[i].size());
  }
  if (maxlen == 0) {
    if (ctx.LookupWrite(dst) != nullptr) {
      ctx.ks().Delete(ctx.db(), dst, ctx.server.config().lazyfree_lazy_server_del);
      ctx.Modified(dst);
      ctx.Notify(kNotifyGeneric, "del", dst);
      ctx.Dirty();
    }
    ctx.reply.Integer(0);
    return;
  }
  RawString* r = RawString::New("", maxlen);
  auto* out = reinterpret_cast<uint8_t*>(r->data);
  r->len = maxlen;
  r->data[maxlen] = '\0';
  auto byte = [&](size_t s, size_t j) -> uint8_t {
    return j < srcs[s].size() ? static_cast<uint8_t>(srcs[s][j]) : 0;
  };
  for (size_t j = 0; j < maxlen; ++j) {
    uint8_t acc = byte(0, j);
    if (op == kNot) {
      acc = static_cast<uint8_t>(~acc);
    } else {
      for (size_t s = 1; s < n; ++s) {
        uint8_t b = byte(s, j);
        acc = op == kAnd ? (acc & b) : op == kOr ? (acc | b) : (acc ^ b);
      }
    }
    out[j] = acc;
  }
  // The result replaces whatever dst held, TTL included (always raw, as Redis's createObject).
  bool existed = ctx.LookupWrite(dst) != nullptr;
  if (existed) {
    ctx.ks().Delete(ctx.db(), dst, ctx.server.config().lazyfree_lazy_server_del);
  }
  KeyValue* kv = KeyValue::NewRaw(dst, r, -1);
  ctx.ks().InitAccess(kv, ctx.now_ms);
  if (existed) {
    ctx.db().Add(kv);  // replaces dst: no "new" event, as Redis's setKey
  } else {
    ctx.AddKey(kv);
  }
  ctx.Modified(dst);
  ctx.Notify(kNotifyString, "set", dst);
  ctx.Dirty();
  ctx.reply.Integer(static_cast<int64_t>(maxlen));
}

// ---- BITFIELD ----

enum class Overflow { kWrap, kSat, kFail };

struct FieldOp {
  enum Kind { kGet, kSet, kIncrBy } kind;
  uint64_t offset;
  int bits;
  bool sign;
  int64_t value;
  Overflow overflow;
};

uint64_t GetUnsigned(const uint8_t* p, uint64_t offset, int bits) {
  uint64_t v = 0;
  for (int j = 0; j < bits; ++j) v = (v << 1) | static_cast<uint64_t>(BitAt(p, offset + j));
  return v;
}

int64_t GetSigned(const uint8_t* p, uint64_t offset, int bits) {
  uint64_t u = GetUnsigned(p, offset, bits);
  if (bits < 64 && (u & (uint64_t{1} << (bits - 1)))) u |= ~uint64_t{0} << bits;
  return static_cast<int64_t>(u);
}

void SetField(uint8_t* p, uint64_t offset, int bits, uint64_t v) {
  for (int j = 0; j < bits; ++j) {
    uint64_t bit = offset + j;
    uint8_t mask = static_cast<uint8_t>(1u << (7 - (bit & 7)));
    bool on = (v >> (bits - 1 - j)) & 1;
    p[bit >> 3] = static_cast<uint8_t>(on ? (p[bit >> 3] | mask) : (p[bit >> 3] & ~mask));
  }
}

// Redis's checkUnsignedBitfieldOverflow: whether value + incr leaves [0, 2^bits-1]; *limit
// gets the wrapped or saturated result.
bool UnsignedOverflow(uint64_t value, int64_t incr, int bits, Overflow ow, uint64_t* limit) {
  uint64_t max = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
  auto maxincr = static_cast<int64_t>(max - value);
  auto minincr = static_cast<int64_t>(0 - value);
  auto wrap = [&] {
    uint64_t res = value + static_cast<uint64_t>(incr);
    if (bits < 64) res &= ~(~uint64_t{0} << bits);
    *limit = res;
  };
  if (value > max || (incr > 0 && incr > maxincr)) {
    if (ow == Overflow::kWrap) wrap();
    else if (ow == Overflow::kSat) *limit = max;
    return true;
  }
  if (incr < 0 && incr < minincr) {
    if (ow == Overflow::kWrap) wrap();
    else if (ow == Overflow::kSat) *limit = 0;
    return true;
  }
  return false;
}

// Redis's checkSignedBitfieldOverflow.
bool SignedOverflow(int64_t value, int64_t incr, int bits, Overflow ow, int64_t* limit) {
  int64_t max = bits == 64 ? INT64_MAX : (int64_t{1} << (bits - 1)) - 1;
  int64_t min = -max - 1;
  auto maxincr = static_cast<int64_t>(static_cast<uint64_t>(max) - static_cast<uint64_t>(value));
  auto minincr = static_cast<int64_t>(static_cast<uint64_t>(min) - static_cast<uint64_t>(value));
  auto wrap = [&] {
    uint64_t c = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
    if (bits < 64) {
      uint64_t mask = ~uint64_t{0} << bits;
      if (c & (uint64_t{1} << (bits - 1))) {
        c |= mask;
      } else {
        c &= ~mask;
      }
    }
    *limit = static_cast<int64_t>(c);
  };
  if (value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr)) {
    if (ow == Overflow::kWrap) wrap();
    else if (ow == Overflow::kSat) *limit = max;
    return true;
  }
  if (value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr)) {
    if (ow == Overflow::kWrap) wrap();
    else if (ow == Overflow::kSat) *limit = min;
    return true;
  }
  return false;
}

bool ParseFieldType(CommandContext& ctx, std::string_view arg, bool* sign, int* bits) {
  if (arg.empty() || (arg[0] != 'i' && arg[0] != 'u')) {
    ctx.reply.Error(kBadType);
    return false;
  }
  *sign = arg[0] == 'i';
  auto n = ParseInt64(arg.substr(1));
  if (!n || *n < 1 || *n > (*sign ? 64 : 63)) {
    ctx.reply.Error(kBadType);
    return false;
  }
  *bits = static_cast<int>(*n);
  return true;
}

void BitFieldGeneric(CommandContext& ctx, bool ro_command) {
  std::vector<FieldOp> ops;
  Overflow overflow = Overflow::kWrap;
  bool readonly = true;
  uint64_t highest_write = 0;
  for (size_t j = 2; j < ctx.argc(); ++j) {
    size_t remaining = ctx.argc() - j - 1;
    std::string_view sub = ctx.argv[j];
    FieldOp op{};
    if (EqualsIgnoreCase(sub, "get") && remaining >= 2) {
      op.kind = FieldOp::kGet;
    } else if (EqualsIgnoreCase(sub, "set") && remaining >= 3) {
      op.kind = FieldOp::kSet;
    } else if (EqualsIgnoreCase(sub, "incrby") && remaining >= 3) {
      op.kind = FieldOp::kIncrBy;
    } else if (EqualsIgnoreCase(sub, "overflow") && remaining >= 1) {
      std::string_view o = ctx.argv[++j];
      if (EqualsIgnoreCase(o, "wrap")) {
        overflow = Overflow::kWrap;
      } else if (EqualsIgnoreCase(o, "sat")) {
        overflow = Overflow::kSat;
      } else if (EqualsIgnoreCase(o, "fail")) {
        overflow = Overflow::kFail;
      } else {
        ctx.reply.Error("ERR Invalid OVERFLOW type specified");
        return;
      }
      continue;
    } else {
      ctx.Syntax();
      return;
    }
    if (!ParseFieldType(ctx, ctx.argv[j + 1], &op.sign, &op.bits)) return;
    if (!ParseBitOffset(ctx, ctx.argv[j + 2], op.bits, &op.offset)) return;
    if (op.kind != FieldOp::kGet) {
      readonly = false;
      highest_write = std::max(highest_write, op.offset + static_cast<uint64_t>(op.bits) - 1);
      auto v = ParseInt64(ctx.argv[j + 3]);
      if (!v) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      op.value = *v;
    }
    op.overflow = overflow;
    ops.push_back(op);
    j += op.kind == FieldOp::kGet ? 2 : 3;
  }
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = nullptr;
  uint8_t* data = nullptr;
  size_t len = 0;
  bool grew = false;
  char buf[24];
  if (readonly) {
    kv = LookupString(ctx, key, false, &wrong);
    if (wrong) return;
    if (kv != nullptr) {
      std::string_view v = StringValue(kv, buf);
      data = reinterpret_cast<uint8_t*>(const_cast<char*>(v.data()));
      len = v.size();
    }
  } else {
    if (ro_command) {
      ctx.reply.Error("ERR BITFIELD_RO only supports the GET subcommand");
      return;
    }
    kv = LookupString(ctx, key, true, &wrong);
    if (wrong) return;
    RawString* r = WritableString(ctx, key, kv, static_cast<size_t>(highest_write / 8 + 1), &grew);
    data = reinterpret_cast<uint8_t*>(r->data);
    len = r->len;
  }
  ctx.reply.ArrayHeader(ops.size());
  uint64_t changes = 0;
  for (const FieldOp& op : ops) {
    if (op.kind == FieldOp::kGet) {
      // Read from a zero-padded copy of the (up to) 9 bytes the field spans.
      uint8_t window[9] = {};
      uint64_t byte = op.offset >> 3;
      for (uint64_t i = 0; i < 9 && byte + i < len; ++i) window[i] = data[byte + i];
      uint64_t rel = op.offset - byte * 8;
      if (op.sign) {
        ctx.reply.Integer(GetSigned(window, rel, op.bits));
      } else {
        ctx.reply.Integer(static_cast<int64_t>(GetUnsigned(window, rel, op.bits)));
      }
      continue;
    }
    if (op.sign) {
      int64_t oldval = GetSigned(data, op.offset, op.bits);
      int64_t newval, wrapped = 0, ret;
      bool over;
      if (op.kind == FieldOp::kIncrBy) {
        over = SignedOverflow(oldval, op.value, op.bits, op.overflow, &wrapped);
        newval = over ? wrapped
                      : static_cast<int64_t>(static_cast<uint64_t>(oldval) +
                                             static_cast<uint64_t>(op.value));
        ret = newval;
      } else {
        newval = op.value;
        over = SignedOverflow(newval, 0, op.bits, op.overflow, &wrapped);
        if (over) newval = wrapped;
        ret = oldval;
      }
      if (over && op.overflow == Overflow::kFail) {
        ctx.reply.Null();
        continue;
      }
      ctx.reply.Integer(ret);
      SetField(data, op.offset, op.bits, static_cast<uint64_t>(newval));
      if (grew || oldval != newval) ++changes;
    } else {
      uint64_t oldval = GetUnsigned(data, op.offset, op.bits);
      uint64_t newval, wrapped = 0, ret;
      bool over;
      if (op.kind == FieldOp::kIncrBy) {
        newval = oldval + static_cast<uint64_t>(op.value);
        over = UnsignedOverflow(oldval, op.value, op.bits, op.overflow, &wrapped);
        if (over) newval = wrapped;
        ret = newval;
      } else {
        newval = static_cast<uint64_t>(op.value);
        over = UnsignedOverflow(newval, 0, op.bits, op.overflow, &wrapped);
        if (over) newval = wrapped;
        ret = oldval;
      }
      if (over && op.overflow == Overflow::kFail) {
        ctx.reply.Null();
        continue;
      }
      ctx.reply.Integer(static_cast<int64_t>(ret));
      SetField(data, op.offset, op.bits, newval);
      if (grew || oldval != newval) ++changes;
    }
  }
  if (changes > 0) {
    ctx.Modified(key);
    ctx.Notify(kNotifyString, "setbit", key);
    ctx.Dirty(changes);
  }
}

void BitField(CommandContext& ctx) { BitFieldGeneric(ctx, false); }
void BitFieldRo(CommandContext& ctx) { BitFieldGeneric(ctx, true); }

}  // namespace

void RegisterBitmapCommands(CommandTable& t) {
  const uint64_t B = kAclBitmap;
  auto doc = [](std::string_view summary, std::string_view since, std::string_view complexity,
                std::string_view args) {
    return CommandDoc{summary, since, "bitmap", complexity, args};
  };
  constexpr uint32_t kRO = kKsRO | kKsAccess;
  t.Add({.name = "setbit", .handler = SetBit, .arity = 4, .flags = kCmdWrite | kCmdDenyOom,
         .acl = B, .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsAccess | kKsUpdate)},
         .doc = doc("Sets or clears the bit at offset of the string value. Creates the key if "
                    "it doesn't exist.",
                    "2.2.0", "O(1)", "key:key offset:integer value=0|1")});
  t.Add({.name = "getbit", .handler = GetBit, .arity = 3, .flags = kCmdReadonly | kCmdFast,
         .acl = B, .keys = {KeySpec::Range(1, 0, 1, kRO)},
         .doc = doc("Returns a bit value by offset.", "2.2.0", "O(1)",
                    "key:key offset:integer")});
  t.Add({.name = "bitcount", .handler = BitCount, .arity = -2, .flags = kCmdReadonly, .acl = B,
         .keys = {KeySpec::Range(1, 0, 1, kRO)},
         .doc = doc("Counts the number of set bits (population counting) in a string.",
                    "2.6.0", "O(N)",
                    "key:key [range=start:integer end:integer [unit=BYTE|BIT]]")});
  t.Add({.name = "bitpos", .handler = BitPos, .arity = -3, .flags = kCmdReadonly, .acl = B,
         .keys = {KeySpec::Range(1, 0, 1, kRO)},
         .doc = doc("Finds the first set (1) or clear (0) bit in a string.", "2.8.7", "O(N)",
                    "key:key bit:integer [range=start:integer [end-unit-block=end:integer "
                    "[unit=BYTE|BIT]]]")});
  t.Add({.name = "bitop", .handler = BitOp, .arity = -4, .flags = kCmdWrite | kCmdDenyOom,
         .acl = B,
         .keys = {KeySpec::Range(2, 0, 1, kKsOW | kKsUpdate), KeySpec::Range(3, -1, 1, kRO)},
         .doc = doc("Performs bitwise operations on multiple strings, and stores the result.",
                    "2.6.0", "O(N)",
                    "operation=AND|OR|XOR|NOT destkey:key key:key...")});
  KeySpec field_keys = KeySpec::Range(1, 0, 1, kKsRW | kKsAccess | kKsUpdate | kKsVariableFlags);
  field_keys.notes = "This command allows both access and modification of the key";
  t.Add({.name = "bitfield", .handler = BitField, .arity = -2, .flags = kCmdWrite | kCmdDenyOom,
         .acl = B, .keys = {field_keys},
         .doc = doc("Performs arbitrary bitfield integer operations on strings.", "3.2.0",
                    "O(1) for each subcommand specified",
                    "key:key [operation=GET encoding:string offset:integer|(write=[OVERFLOW "
                    "WRAP|SAT|FAIL] write-operation=SET encoding:string offset:integer "
                    "value:integer|INCRBY encoding:string offset:integer increment:integer)]"
                    "...")});
  t.Add({.name = "bitfield_ro", .handler = BitFieldRo, .arity = -2,
         .flags = kCmdReadonly | kCmdFast, .acl = B, .keys = {KeySpec::Range(1, 0, 1, kRO)},
         .doc = doc("Performs arbitrary read-only bitfield integer operations on strings.",
                    "6.0.0", "O(1) for each subcommand specified",
                    "key:key [GET encoding:string offset:integer...]")});
}

}  // namespace tessera
