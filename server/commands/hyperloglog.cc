// HyperLogLog commands: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST. Values are Redis-format HLL
// strings (see server/keyspace/hll.h), so they can be moved between Tessera and Redis with
// GET/SET or DUMP/RESTORE and give the same counts.
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/core/context.h"
#include "server/keyspace/hll.h"

namespace tessera {

namespace {

constexpr std::string_view kNotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";
constexpr std::string_view kCorrupt = "INVALIDOBJ Corrupted HLL object detected";

// The HLL bytes of a string object, or false (error replied) when it is not a valid HLL.
bool HllView(CommandContext& ctx, const KeyValue* kv, std::string_view* out) {
  if (kv->type() != ObjType::kString) {
    ctx.WrongType();
    return false;
  }
  if (kv->encoding() == Encoding::kInt) {
    ctx.reply.Error(kNotHll);
    return false;
  }
  char buf[24];
  std::string_view v = StringValue(kv, buf);
  if (!hll::IsValid(v)) {
    ctx.reply.Error(kNotHll);
    return false;
  }
  *out = v;
  return true;
}

size_t SparseMax(CommandContext& ctx) {
  return static_cast<size_t>(ctx.server.config().hll_sparse_max_bytes);
}

// The key's HLL as a writable raw string (kv must hold a valid HLL).
RawString* Writable(CommandContext& ctx, std::string_view key, KeyValue* kv) {
  char buf[24];
  size_t len = StringValue(kv, buf).size();
  bool grew;
  return WritableString(ctx, key, kv, len, &grew);
}

KeyValue* CreateHll(CommandContext& ctx, std::string_view key) {
  KeyValue* kv = KeyValue::NewRaw(key, hll::NewEmpty(), -1);
  ctx.ks().InitAccess(kv, ctx.now_ms);
  ctx.AddKey(kv);
  return kv;
}

void PfAdd(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  KeyValue* kv = ctx.LookupWrite(key);
  int updated = 0;
  if (kv == nullptr) {
    kv = CreateHll(ctx, key);
    ++updated;
  } else {
    std::string_view v;
    if (!HllView(ctx, kv, &v)) return;
  }
  RawString* r = Writable(ctx, key, kv);
  size_t max = SparseMax(ctx);
  for (size_t j = 2; j < ctx.argc(); ++j) {
    int ret = hll::Add(&r, ctx.argv[j], max);
    kv->set_ptr(r);
    if (ret == -1) {
      ctx.reply.Error(kCorrupt);
      return;
    }
    updated += ret;
  }
  if (updated > 0) {
    hll::InvalidateCache(r);
    ctx.Modified(key);
    ctx.Notify(kNotifyString, "pfadd", key);
    ctx.Dirty(static_cast<uint64_t>(updated));
  }
  ctx.reply.Integer(updated > 0 ? 1 : 0);
}

void PfCount(CommandContext& ctx) {
  if (ctx.argc() > 2) {
    // The cardinality of the union, computed on a scratch register array.
    std::vector<uint8_t> max(hll::kRegisters, 0);
    for (size_t j = 1; j < ctx.argc(); ++j) {
      KeyValue* kv = ctx.LookupRead(ctx.argv[j]);
      if (kv == nullptr) continue;
      std::string_view v;
      if (!HllView(ctx, kv, &v)) return;
      if (!hll::MergeInto(v, max.data())) {
        ctx.reply.Error(kCorrupt);
        return;
      }
    }
    ctx.reply.Integer(static_cast<int64_t>(hll::CountRegisters(max.data())));
    return;
  }
  std::string_view key = ctx.argv[1];
  KeyValue* kv = ctx.LookupRead(key);
  if (kv == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  std::string_view v;
  if (!HllView(ctx, kv, &v)) return;
  if (hll::CacheValid(v)) {
    ctx.reply.Integer(static_cast<int64_t>(hll::CachedCount(v)));
    return;
  }
  bool invalid = false;
  uint64_t card = hll::Count(v, &invalid);
  if (invalid) {
    ctx.reply.Error(kCorrupt);
    return;
  }
  // Storing the cached count changes the value: replicas and the AOF get the command too.
  RawString* r = Writable(ctx, key, kv);
  hll::StoreCache(r, card);
  ctx.Modified(key);
  ctx.Dirty();
  ctx.reply.Integer(static_cast<int64_t>(card));
}

void PfMerge(CommandContext& ctx) {
  std::vector<uint8_t> max(hll::kRegisters, 0);
  bool use_dense = false;
  for (size_t j = 1; j < ctx.argc(); ++j) {  // the destination is merged too
    KeyValue* kv = ctx.LookupRead(ctx.argv[j]);
    if (kv == nullptr) continue;
    std::string_view v;
    if (!HllView(ctx, kv, &v)) return;
    if (hll::EncodingOf(v) == hll::kDense) use_dense = true;
    if (!hll::MergeInto(v, max.data())) {
      ctx.reply.Error(kCorrupt);
      return;
    }
  }
  std::string_view key = ctx.argv[1];
  KeyValue* kv = ctx.LookupWrite(key);
  if (kv == nullptr) kv = CreateHll(ctx, key);
  RawString* r = Writable(ctx, key, kv);
  if (use_dense && !hll::ToDense(&r)) {
    kv->set_ptr(r);
    ctx.reply.Error(kCorrupt);
    return;
  }
  size_t sparse_max = SparseMax(ctx);
  for (size_t i = 0; i < hll::kRegisters; ++i) {
    if (max[i] != 0) hll::Set(&r, i, max[i], sparse_max);
  }
  kv->set_ptr(r);
  hll::InvalidateCache(r);
  ctx.Modified(key);
  ctx.Notify(kNotifyString, "pfadd", key);
  ctx.Dirty();
  ctx.reply.Ok();
}

void PfDebug(CommandContext& ctx) {
  std::string_view sub = ctx.argv[1];
  std::string_view key = ctx.argv[2];
  KeyValue* kv = ctx.LookupWrite(key);
  if (kv == nullptr) {
    ctx.reply.Error("ERR The specified key does not exist");
    return;
  }
  std::string_view v;
  if (!HllView(ctx, kv, &v)) return;
  auto arity_error = [&] {
    ctx.reply.Error("ERR Wrong number of arguments for the '" + std::string(sub) +
                    "' subcommand");
  };
  bool getreg = EqualsIgnoreCase(sub, "getreg");
  if (getreg || EqualsIgnoreCase(sub, "todense")) {
    if (ctx.argc() != 3) return arity_error();
    bool converted = false;
    RawString* r = Writable(ctx, key, kv);
    if (static_cast<uint8_t>(r->data[4]) == hll::kSparse) {
      bool ok = hll::ToDense(&r);
      kv->set_ptr(r);
      if (!ok) {
        ctx.reply.Error(kCorrupt);
        return;
      }
      converted = true;
      ctx.Dirty();  // the encoding change must reach replicas
    }
    if (!getreg) {
      ctx.reply.Integer(converted ? 1 : 0);
      return;
    }
    const auto* regs = reinterpret_cast<const uint8_t*>(r->data) + hll::kHeaderSize;
    ctx.reply.ArrayHeader(hll::kRegisters);
    for (size_t i = 0; i < hll::kRegisters; ++i) ctx.reply.Integer(hll::DenseGet(regs, i));
  } else if (EqualsIgnoreCase(sub, "decode")) {
    if (ctx.argc() != 3) return arity_error();
    if (hll::EncodingOf(v) != hll::kSparse) {
      ctx.reply.Error("ERR HLL encoding is not sparse");
      return;
    }
    ctx.reply.Bulk(hll::DecodeSparse(v));
  } else if (EqualsIgnoreCase(sub, "encoding")) {
    if (ctx.argc() != 3) return arity_error();
    ctx.reply.SimpleString(hll::EncodingOf(v) == hll::kDense ? "dense" : "sparse");
  } else {
    ctx.reply.Error("ERR Unknown PFDEBUG subcommand '" + std::string(sub) + "'");
  }
}

// Checks the register packing and the estimator's error bounds, as Redis's PFSELFTEST.
void PfSelfTest(CommandContext& ctx) {
  // 1: every register of a dense value reads back what was written.
  std::mt19937_64 rng(static_cast<uint64_t>(ctx.now_ms));
  std::vector<uint8_t> expect(hll::kRegisters);
  for (int round = 0; round < 100; ++round) {
    for (uint8_t& e : expect) e = static_cast<uint8_t>(rng() & 63);
    RawString* dense = hll::NewEmpty();
    hll::ToDense(&dense);
    for (size_t i = 0; i < hll::kRegisters; ++i) {
      if (expect[i] != 0) hll::Set(&dense, i, expect[i], 0);
    }
    const auto* regs = reinterpret_cast<const uint8_t*>(dense->data) + hll::kHeaderSize;
    for (size_t i = 0; i < hll::kRegisters; ++i) {
      if (hll::DenseGet(regs, i) != expect[i]) {
        RawString::Free(dense);
        ctx.reply.Error("ERR TESTFAILED Register error at " + std::to_string(i));
        return;
      }
    }
    RawString::Free(dense);
  }
  // 2: sparse and dense agree, and the error stays within 5 standard errors.
  RawString* sparse = hll::NewEmpty();
  RawString* full = hll::NewEmpty();
  hll::ToDense(&full);
  double relerr = 1.04 / std::sqrt(static_cast<double>(hll::kRegisters));
  uint64_t checkpoint = 1;
  uint64_t seed = rng();
  for (uint64_t j = 1; j <= 10000000; ++j) {
    uint64_t ele = j ^ seed;
    std::string_view e(reinterpret_cast<const char*>(&ele), sizeof(ele));
    hll::Add(&sparse, e, 3000);
    hll::Add(&full, e, 3000);
    if (j != checkpoint) continue;
    bool invalid = false;
    std::string_view sv(sparse->data, sparse->len), dv(full->data, full->len);
    uint64_t a = hll::Count(sv, &invalid), b = hll::Count(dv, &invalid);
    double maxerr = j < 100 ? 1 : relerr * 5 * static_cast<double>(j);
    double abserr = std::fabs(static_cast<double>(b) - static_cast<double>(j));
    if (a != b || invalid || abserr > maxerr) {
      RawString::Free(sparse);
      RawString::Free(full);
      ctx.reply.Error("ERR TESTFAILED Too big error. card:" + std::to_string(b) +
                      " abserr:" + std::to_string(abserr));
      return;
    }
    checkpoint *= 10;
  }
  RawString::Free(sparse);
  RawString::Free(full);
  ctx.reply.Ok();
}

}  // namespace

void RegisterHyperLogLogCommands(CommandTable& t) {
  const uint64_t H = kAclHyperLogLog;
  auto doc = [](std::string_view summary, std::string_view since, std::string_view complexity,
                std::string_view args) {
    return CommandDoc{summary, since, "hyperloglog", complexity, args};
  };
  t.Add({.name = "pfadd", .handler = PfAdd, .arity = -2,
         .flags = kCmdWrite | kCmdDenyOom | kCmdFast, .acl = H,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsInsert)},
         .doc = doc("Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.",
                    "2.8.9", "O(1) to add every element.", "key:key [element:string...]")});
  KeySpec count_keys = KeySpec::Range(1, -1, 1, kKsRW | kKsAccess);
  count_keys.notes =
      "RW because it may change the internal representation of the key, and propagate to "
      "replicas";
  t.Add({.name = "pfcount", .handler = PfCount, .arity = -2,
         .flags = kCmdReadonly | kCmdMayReplicate, .acl = H, .keys = {count_keys},
         .doc = doc("Returns the approximated cardinality of the set(s) observed by the "
                    "HyperLogLog key(s).",
                    "2.8.9", "O(1) with a very small average constant time when called with a "
                    "single key. O(N) with N being the number of keys, and much bigger constant "
                    "times, when called with multiple keys.",
                    "key:key...")});
  t.Add({.name = "pfmerge", .handler = PfMerge, .arity = -2, .flags = kCmdWrite | kCmdDenyOom,
         .acl = H,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsAccess | kKsInsert),
                  KeySpec::Range(2, -1, 1, kKsRO | kKsAccess)},
         .doc = doc("Merges one or more HyperLogLog values into a single key.", "2.8.9",
                    "O(N) to merge N HyperLogLogs, but with high constant times.",
                    "destkey:key [sourcekey:key...]")});
  t.Add({.name = "pfdebug", .handler = PfDebug, .arity = 3,
         .flags = kCmdWrite | kCmdDenyOom | kCmdAdmin, .acl = H,
         .keys = {KeySpec::Range(2, 0, 1, kKsRW | kKsAccess)},
         .doc = doc("Internal commands for debugging HyperLogLog values.", "2.8.9",
                    "N/A", "subcommand:string key:key")});
  t.Add({.name = "pfselftest", .handler = PfSelfTest, .arity = 1, .flags = kCmdAdmin, .acl = H,
         .doc = doc("An internal command for testing HyperLogLog values.", "2.8.9", "N/A", "")});
}

}  // namespace tessera
