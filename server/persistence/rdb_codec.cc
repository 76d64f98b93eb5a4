#include "server/persistence/rdb_codec.h"

#include <liblzf/lzf.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/hash.h"
#include "server/ds/intset.h"
#include "server/ds/listpack.h"
#include "server/ds/quicklist.h"
#include "server/keyspace/db.h"
#include "server/keyspace/hash_value.h"
#include "server/keyspace/kv.h"
#include "server/keyspace/list_value.h"
#include "server/keyspace/set_value.h"
#include "server/keyspace/stream.h"
#include "server/keyspace/zset_value.h"

namespace tessera::rdb {

namespace {

constexpr uint8_t kEncInt8 = 0, kEncInt16 = 1, kEncInt32 = 2, kEncLzf = 3;
constexpr uint64_t kQuicklistPlain = 1, kQuicklistPacked = 2;
constexpr size_t kMaxLoadString = size_t{1} << 32;  // sanity bound on one string's length

void AppendLzf(std::string& out, const void* blob, size_t clen, size_t ulen) {
  out.push_back(static_cast<char>(0xC0 | kEncLzf));
  AppendLen(out, clen);
  AppendLen(out, ulen);
  out.append(static_cast<const char*>(blob), clen);
}

// Redis's rdbTryIntegerEncoding: canonical integers of up to 11 characters that fit 32 bits.
bool AppendIntEncoded(std::string& out, std::string_view s) {
  if (s.empty() || s.size() > 11) return false;
  int64_t v;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return false;
  char buf[24];
  auto w = std::to_chars(buf, buf + sizeof(buf), v);
  if (std::string_view(buf, static_cast<size_t>(w.ptr - buf)) != s) return false;
  if (v >= INT8_MIN && v <= INT8_MAX) {
    out.push_back(static_cast<char>(0xC0 | kEncInt8));
    out.push_back(static_cast<char>(v & 0xff));
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    out.push_back(static_cast<char>(0xC0 | kEncInt16));
    out.push_back(static_cast<char>(v & 0xff));
    out.push_back(static_cast<char>((v >> 8) & 0xff));
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    out.push_back(static_cast<char>(0xC0 | kEncInt32));
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  } else {
    return false;
  }
  return true;
}

std::string_view Bytes(const uint8_t* p, size_t n) {
  return std::string_view(reinterpret_cast<const char*>(p), n);
}

// Reads a string and requires it to be a valid listpack (deep check).
bool ReadListpack(std::string_view& in, std::string* blob) {
  if (!ReadString(in, blob)) return false;
  return lp::Validate(reinterpret_cast<const uint8_t*>(blob->data()), blob->size(), true);
}

uint8_t* LpData(std::string& blob) { return reinterpret_cast<uint8_t*>(blob.data()); }

// The elements of a validated listpack, as strings.
void ListpackElements(std::string& blob, std::vector<std::string>* out) {
  char buf[24];
  uint8_t* lp = LpData(blob);
  for (uint8_t* p = lp::First(lp); p != nullptr; p = lp::Next(lp, p)) {
    out->emplace_back(lp::Get(p).View(buf));
  }
}

// Ziplists (the compact encoding before listpacks: RDB files from Redis 6 and older) and
// zipmaps (Redis 2.x hashes), decoded into their elements. Every read is bounds-checked: false
// on any malformed byte.
bool ZiplistElements(std::string_view zl, std::vector<std::string>* out) {
  if (zl.size() < 11) return false;
  auto u32 = [&](size_t at) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(zl[at + i]);
    return v;
  };
  if (u32(0) != zl.size()) return false;  // zlbytes
  size_t p = 10;
  for (;;) {
    if (p >= zl.size()) return false;
    auto b = static_cast<uint8_t>(zl[p]);
    if (b == 0xFF) break;  // end marker
    // prevlen: 1 byte, or 0xFE and 4 more
    p += b == 0xFE ? 5 : 1;
    if (p >= zl.size()) return false;
    auto enc = static_cast<uint8_t>(zl[p]);
    size_t len = 0;
    int64_t ival = 0;
    bool is_str = true;
    switch (enc >> 6) {
      case 0:
        len = enc & 0x3f;
        p += 1;
        break;
      case 1:
        if (p + 2 > zl.size()) return false;
        len = (static_cast<size_t>(enc & 0x3f) << 8) | static_cast<uint8_t>(zl[p + 1]);
        p += 2;
        break;
      case 2:
        if (p + 5 > zl.size()) return false;
        len = (static_cast<size_t>(static_cast<uint8_t>(zl[p + 1])) << 24) |
              (static_cast<size_t>(static_cast<uint8_t>(zl[p + 2])) << 16) |
              (static_cast<size_t>(static_cast<uint8_t>(zl[p + 3])) << 8) |
              static_cast<uint8_t>(zl[p + 4]);
        p += 5;
        break;
      default: {
        is_str = false;
        size_t n;
        if (enc == 0xC0) n = 2;
        else if (enc == 0xD0) n = 4;
        else if (enc == 0xE0) n = 8;
        else if (enc == 0xF0) n = 3;
        else if (enc == 0xFE) n = 1;
        else if (enc >= 0xF1 && enc <= 0xFD) n = 0;
        else return false;
        p += 1;
        if (p + n > zl.size()) return false;
        uint64_t u = 0;
        for (size_t i = 0; i < n; ++i) u |= static_cast<uint64_t>(static_cast<uint8_t>(zl[p + i])) << (8 * i);
        if (n == 0) ival = (enc & 0x0f) - 1;
        else if (n == 1) ival = static_cast<int8_t>(u);
        else if (n == 2) ival = static_cast<int16_t>(u);
        else if (n == 3) ival = static_cast<int32_t>(static_cast<uint32_t>(u << 8)) >> 8;
        else if (n == 4) ival = static_cast<int32_t>(u);
        else ival = static_cast<int64_t>(u);
        p += n;
      }
    }
    if (is_str) {
      if (p + len > zl.size()) return false;
      out->emplace_back(zl.substr(p, len));
      p += len;
    } else {
      out->push_back(std::to_string(ival));
    }
  }
  return p == zl.size() - 1;
}

bool ZipmapElements(std::string_view zm, std::vector<std::string>* out) {
  if (zm.empty()) return false;
  size_t p = 1;  // zmlen
  auto read_len = [&](size_t* len) {
    if (p >= zm.size()) return false;
    auto b = static_cast<uint8_t>(zm[p]);
    if (b < 254) {
      *len = b;
      p += 1;
      return true;
    }
    if (b == 255 || p + 5 > zm.size()) return false;
    uint32_t v = 0;
    for (int i = 4; i >= 1; --i) v = (v << 8) | static_cast<uint8_t>(zm[p + i]);
    *len = v;
    p += 5;
    return true;
  };
  for (;;) {
    if (p >= zm.size()) return false;
    if (static_cast<uint8_t>(zm[p]) == 255) break;
    size_t flen, vlen;
    if (!read_len(&flen) || p + flen > zm.size()) return false;
    out->emplace_back(zm.substr(p, flen));
    p += flen;
    if (!read_len(&vlen) || p >= zm.size()) return false;
    size_t free_bytes = static_cast<uint8_t>(zm[p]);
    p += 1;
    if (p + vlen + free_bytes > zm.size()) return false;
    out->emplace_back(zm.substr(p, vlen));
    p += vlen + free_bytes;
  }
  return p == zm.size() - 1;
}

// Frees what a failed load built so far.
KeyValue* Fail(KeyValue* kv) {
  if (kv != nullptr) KeyValue::Free(kv);
  return nullptr;
}

// A listpack-encoded hash or zset from a file is kept as it is (one copy, as Redis does) when
// it is what this server would have built itself: within the listpack limits, no duplicate
// field or member, and for a zset valid scores in (score, member) order. Anything else is
// rebuilt element by element, which applies the limits and refuses duplicates.
bool PairsWithinLimits(uint8_t* lp, int64_t max_entries, int64_t max_value, bool zset) {
  size_t n = lp::Length(lp);
  if (n == 0 || n % 2 != 0 || n / 2 > static_cast<size_t>(max_entries)) return false;
  char buf[24];
  std::vector<std::string> names;
  names.reserve(n / 2);
  double prev_score = 0;
  std::string prev_member;
  bool first = true;
  for (uint8_t* p = lp::First(lp); p != nullptr; p = lp::Next(lp, p)) {
    std::string_view name = lp::Get(p).View(buf);
    if (name.size() > static_cast<size_t>(max_value)) return false;
    names.emplace_back(name);
    p = lp::Next(lp, p);
    if (p == nullptr) return false;
    lp::Value v = lp::Get(p);
    if (!zset) {
      if (v.View(buf).size() > static_cast<size_t>(max_value)) return false;
      continue;
    }
    double score;
    if (v.is_int) {
      score = static_cast<double>(v.ival);
    } else {
      if (v.sval.empty() || v.sval.size() > 127) return false;
      std::string t(v.sval);
      char* end = nullptr;
      score = strtod(t.c_str(), &end);
      if (end != t.c_str() + t.size() || std::isnan(score)) return false;
    }
    if (!first && (score < prev_score || (score == prev_score && names.back() <= prev_member))) {
      return false;
    }
    first = false;
    prev_score = score;
    prev_member = names.back();
  }
  std::sort(names.begin(), names.end());
  return std::adjacent_find(names.begin(), names.end()) == names.end();
}

KeyValue* BuildHash(std::string_view key, const std::vector<std::string>& items,
                    const HashLimits& limits) {
  if (items.empty() || items.size() % 2 != 0) return nullptr;
  KeyValue* kv = hashv::New(key);
  for (size_t i = 0; i < items.size(); i += 2) {
    hashv::ConvertIfTooLong(kv, items[i], limits);
    hashv::ConvertIfTooLong(kv, items[i + 1], limits);
    if (!hashv::Set(kv, items[i], items[i + 1], limits)) return Fail(kv);  // duplicate field
  }
  return kv;
}

KeyValue* BuildSet(std::string_view key, const std::vector<std::string>& members,
                   const SetLimits& limits) {
  if (members.empty()) return nullptr;
  KeyValue* kv = setv::New(key, members[0], members.size(), limits);
  for (const auto& m : members) {
    if (!setv::Add(kv, m, limits)) return Fail(kv);  // duplicate member
  }
  return kv;
}

KeyValue* BuildZset(std::string_view key, const std::vector<std::pair<std::string, double>>& items,
                    const ZsetLimits& limits) {
  if (items.empty()) return nullptr;
  size_t max_len = 0;
  for (const auto& [m, s] : items) max_len = std::max(max_len, m.size());
  KeyValue* kv = zsetv::New(key, items.size(), max_len, limits);
  for (const auto& [m, s] : items) {
    if (std::isnan(s)) return Fail(kv);
    int out = 0;
    double score;
    if (!zsetv::Add(kv, s, m, 0, &out, &score, limits) || !(out & kZAddOutAdded)) {
      return Fail(kv);  // NaN or a duplicate member
    }
  }
  return kv;
}

// A stream ID as the 16 bytes Redis uses for radix-tree keys: ms and seq, big-endian.
void AppendRawId(std::string& out, StreamID id) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((id.ms >> (8 * i)) & 0xff));
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((id.seq >> (8 * i)) & 0xff));
}

bool ReadRawId(std::string_view& in, StreamID* id) {
  if (in.size() < 16) return false;
  id->ms = id->seq = 0;
  for (int i = 0; i < 8; ++i) id->ms = (id->ms << 8) | static_cast<uint8_t>(in[i]);
  for (int i = 8; i < 16; ++i) id->seq = (id->seq << 8) | static_cast<uint8_t>(in[i]);
  in.remove_prefix(16);
  return true;
}

void AppendMillis(std::string& out, int64_t ms) {
  auto u = static_cast<uint64_t>(ms);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}

bool ReadMillis(std::string_view& in, int64_t* ms) {
  if (in.size() < 8) return false;
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  *ms = static_cast<int64_t>(u);
  in.remove_prefix(8);
  return true;
}

// The body of RDB_TYPE_STREAM_LISTPACKS_2 (Redis 7.0): nodes, counters, then consumer groups with their
// PEL and consumers.
void AppendStream(std::string& out, const Stream& s, bool compress) {
  AppendLen(out, s.nodes().size());
  for (const auto& [master, node] : s.nodes()) {
    std::string key;
    AppendRawId(key, master);
    AppendString(out, key, false);
    AppendString(out, Bytes(node, lp::Bytes(node)), compress);
  }
  AppendLen(out, s.length);
  AppendLen(out, s.last_id.ms);
  AppendLen(out, s.last_id.seq);
  AppendLen(out, s.first_id.ms);
  AppendLen(out, s.first_id.seq);
  AppendLen(out, s.max_deleted_id.ms);
  AppendLen(out, s.max_deleted_id.seq);
  AppendLen(out, s.entries_added);
  AppendLen(out, s.groups.size());
  for (const auto& [name, g] : s.groups) {
    AppendString(out, name, false);
    AppendLen(out, g->last_id.ms);
    AppendLen(out, g->last_id.seq);
    AppendLen(out, static_cast<uint64_t>(g->entries_read));  // -1 goes out as 2^64-1
    AppendLen(out, g->pel.size());
    for (const auto& [id, nack] : g->pel) {
      AppendRawId(out, id);
      AppendMillis(out, nack.delivery_time);
      AppendLen(out, nack.delivery_count);
    }
    AppendLen(out, g->consumers.size());
    for (const auto& [cname, c] : g->consumers) {
      AppendString(out, cname, false);
      AppendMillis(out, c->seen_time);
      AppendLen(out, c->pel.size());
      for (const auto& [id, nack] : c->pel) AppendRawId(out, id);
    }
  }
}

bool ReadId(std::string_view& in, StreamID* id) { return ReadLen(in, &id->ms) && ReadLen(in, &id->seq); }

// RDB_TYPE_STREAM_LISTPACKS (v1) and _2: v1 lacks first/max-deleted IDs, entries_added and
// the groups' entries_read, which are derived as Redis 7.0 derives them.
KeyValue* ReadStream(uint8_t type, std::string_view& in, std::string_view key) {
  uint64_t nodes;
  if (!ReadLen(in, &nodes) || nodes > in.size()) return nullptr;
  KeyValue* kv = streamv::New(key);
  Stream& s = *streamv::S(kv);
  std::string k, blob;
  StreamID prev;
  for (uint64_t i = 0; i < nodes; ++i) {
    StreamID master;
    if (!ReadString(in, &k) || k.size() != 16) return Fail(kv);
    std::string_view kk = k;
    ReadRawId(kk, &master);
    if (i > 0 && !(prev < master)) return Fail(kv);  // keys come in order, once each
    prev = master;
    if (!ReadString(in, &blob)) return Fail(kv);
    auto* data = reinterpret_cast<const uint8_t*>(blob.data());
    if (!Stream::ValidNode(data, blob.size()) || lp::First(const_cast<uint8_t*>(data)) == nullptr) {
      return Fail(kv);
    }
    auto* node = static_cast<uint8_t*>(malloc(blob.size()));
    memcpy(node, blob.data(), blob.size());
    s.AdoptNode(master, node);
  }
  if (!ReadLen(in, &s.length) || !ReadId(in, &s.last_id)) return Fail(kv);
  if (nodes == 0 && s.length > 0) return Fail(kv);
  if (type == kStreamListpacks2) {
    if (!ReadId(in, &s.first_id) || !ReadId(in, &s.max_deleted_id) ||
        !ReadLen(in, &s.entries_added)) {
      return Fail(kv);
    }
  } else {
    s.entries_added = s.length;
    s.max_deleted_id = StreamID{};
    if (!s.EdgeId(true, &s.first_id)) s.first_id = StreamID{};
  }
  uint64_t groups;
  if (!ReadLen(in, &groups) || groups > in.size()) return Fail(kv);
  for (uint64_t gi = 0; gi < groups; ++gi) {
    std::string name;
    StreamID last;
    if (!ReadString(in, &name) || !ReadId(in, &last)) return Fail(kv);
    int64_t entries_read;
    if (type == kStreamListpacks2) {
      uint64_t u;
      if (!ReadLen(in, &u)) return Fail(kv);
      entries_read = static_cast<int64_t>(u);
    } else {
      entries_read = s.EstimateReadCounter(last);
    }
    if (s.FindGroup(name) != nullptr) return Fail(kv);  // duplicated group
    StreamGroup* g = s.CreateGroup(name, last, entries_read);
    uint64_t pel;
    if (!ReadLen(in, &pel) || pel > in.size()) return Fail(kv);
    for (uint64_t j = 0; j < pel; ++j) {
      StreamID id;
      StreamNack nack;
      uint64_t count;
      if (!ReadRawId(in, &id) || !ReadMillis(in, &nack.delivery_time) || !ReadLen(in, &count)) {
        return Fail(kv);
      }
      nack.delivery_count = count;
      if (!g->pel.emplace(id, nack).second) return Fail(kv);  // duplicated PEL entry
    }
    uint64_t consumers;
    if (!ReadLen(in, &consumers) || consumers > in.size()) return Fail(kv);
    for (uint64_t j = 0; j < consumers; ++j) {
      std::string cname;
      int64_t seen;
      if (!ReadString(in, &cname) || !ReadMillis(in, &seen)) return Fail(kv);
      if (Stream::FindConsumer(g, cname) != nullptr) return Fail(kv);
      StreamConsumer* c = Stream::CreateConsumer(g, cname, seen);
      uint64_t cpel;
      if (!ReadLen(in, &cpel) || cpel > in.size()) return Fail(kv);
      for (uint64_t x = 0; x < cpel; ++x) {
        StreamID id;
        if (!ReadRawId(in, &id)) return Fail(kv);
        auto it = g->pel.find(id);
        // Every consumer entry points into the group's PEL, and to an entry no other
        // consumer owns.
        if (it == g->pel.end() || it->second.consumer != nullptr) return Fail(kv);
        it->second.consumer = c;
        c->pel.emplace(id, &it->second);
      }
    }
    for (const auto& [id, nack] : g->pel) {
      if (nack.consumer == nullptr) return Fail(kv);  // a pending entry without an owner
    }
  }
  return kv;
}

// A sorted set from member, score-as-text pairs (the listpack and ziplist layouts). As Redis's
// zzlStrtod, a score is read with strtod from its first 127 bytes: text that is not a number
// counts as 0 rather than failing the load.
KeyValue* BuildZsetFromText(std::string_view key, const std::vector<std::string>& elems,
                            const ZsetLimits& limits) {
  if (elems.empty() || elems.size() % 2 != 0) return nullptr;
  std::vector<std::pair<std::string, double>> items;
  for (size_t i = 0; i < elems.size(); i += 2) {
    std::string t = elems[i + 1].substr(0, 127);
    items.emplace_back(elems[i], strtod(t.c_str(), nullptr));
  }
  return BuildZset(key, items, limits);
}

}  // namespace

// ---------------------------------------------------------------- writing

void AppendLen(std::string& out, uint64_t len) {
  if (len < (1 << 6)) {
    out.push_back(static_cast<char>(len));
  } else if (len < (1 << 14)) {
    out.push_back(static_cast<char>(0x40 | (len >> 8)));
    out.push_back(static_cast<char>(len & 0xff));
  } else if (len <= UINT32_MAX) {
    out.push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((len >> (i * 8)) & 0xff));
  } else {
    out.push_back(static_cast<char>(0x81));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((len >> (i * 8)) & 0xff));
  }
}

void AppendString(std::string& out, std::string_view s, bool compress) {
  if (AppendIntEncoded(out, s)) return;
  if (compress && s.size() > 20) {
    std::string buf(s.size() - 4, '\0');
    unsigned clen = lzf_compress(s.data(), static_cast<unsigned>(s.size()), buf.data(),
                                 static_cast<unsigned>(buf.size()));
    if (clen > 0) {
      AppendLzf(out, buf.data(), clen, s.size());
      return;
    }
  }
  AppendLen(out, s.size());
  out.append(s);
}

void AppendBinaryDouble(std::string& out, double d) {
  uint64_t bits;
  memcpy(&bits, &d, 8);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

bool AppendObject(std::string& out, const KeyValue* kv, bool compress, const std::string_view* key) {
  char buf[24];
  // The type byte, then (in RDB files) the key, then the body.
  auto start = [&](Type t) {
    out.push_back(static_cast<char>(t));
    if (key != nullptr) AppendString(out, *key, compress);
  };
  switch (kv->type()) {
    case ObjType::kString: {
      start(kString);
      AppendString(out, StringValue(kv, buf), compress);
      return true;
    }
    case ObjType::kList: {
      // Redis 7.0's quicklist 2: every node as a packed listpack (compressed nodes go as the
      // LZF blobs they already are).
      start(kListQuicklist2);
      auto* q = listv::Q(kv);
      AppendLen(out, q->node_count());
      for (auto* n = q->head(); n != nullptr; n = n->next) {
        AppendLen(out, kQuicklistPacked);
        if (n->compressed) {
          AppendLzf(out, n->data, n->csz, n->sz);
        } else {
          AppendString(out, Bytes(n->data, n->sz), compress);
        }
      }
      return true;
    }
    case ObjType::kSet: {
      if (kv->encoding() == Encoding::kIntset) {
        start(kSetIntset);
        auto* is = static_cast<const uint8_t*>(kv->ptr());
        AppendString(out, Bytes(is, intset::Bytes(is)), compress);
        return true;
      }
      // RDB 10 has no set listpack type (Redis 7.0 keeps such sets as hashtables).
      start(kSet);
      AppendLen(out, setv::Size(kv));
      setv::ForEach(kv, [&](std::string_view m) { AppendString(out, m, compress); });
      return true;
    }
    case ObjType::kZset: {
      if (kv->encoding() == Encoding::kListpack) {
        start(kZsetListpack);
        auto* lp = static_cast<const uint8_t*>(kv->ptr());
        AppendString(out, Bytes(lp, lp::Bytes(lp)), compress);
        return true;
      }
      // From the highest score down, as Redis writes it (loading then inserts at the head).
      start(kZset2);
      size_t len = zsetv::Length(kv);
      AppendLen(out, len);
      for (ZIter it = zsetv::AtRank(kv, len - 1); it.Valid(); it.Prev()) {
        AppendString(out, it.Member(buf), compress);
        AppendBinaryDouble(out, it.Score());
      }
      return true;
    }
    case ObjType::kHash: {
      if (kv->encoding() == Encoding::kListpack) {
        start(kHashListpack);
        auto* lp = static_cast<const uint8_t*>(kv->ptr());
        AppendString(out, Bytes(lp, lp::Bytes(lp)), compress);
        return true;
      }
      start(kHash);
      AppendLen(out, hashv::Length(kv));
      hashv::ForEach(kv, [&](std::string_view f, std::string_view v) {
        AppendString(out, f, compress);
        AppendString(out, v, compress);
      });
      return true;
    }
    case ObjType::kStream:
      start(kStreamListpacks2);
      AppendStream(out, *streamv::S(kv), compress);
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------- reading

bool ReadLen(std::string_view& in, uint64_t* len, bool* encoded) {
  if (in.empty()) return false;
  uint8_t b = static_cast<uint8_t>(in[0]);
  if (encoded != nullptr) *encoded = false;
  int type = b >> 6;
  if (type == 0) {
    *len = b & 0x3f;
    in.remove_prefix(1);
  } else if (type == 1) {
    if (in.size() < 2) return false;
    *len = (static_cast<uint64_t>(b & 0x3f) << 8) | static_cast<uint8_t>(in[1]);
    in.remove_prefix(2);
  } else if (type == 3) {
    if (encoded == nullptr) return false;  // a plain length was expected
    *encoded = true;
    *len = b & 0x3f;
    in.remove_prefix(1);
  } else {
    size_t n = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
    if (n == 0 || in.size() < n + 1) return false;
    uint64_t v = 0;
    for (size_t i = 1; i <= n; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
    *len = v;
    in.remove_prefix(n + 1);
  }
  return true;
}

bool ReadString(std::string_view& in, std::string* out) {
  uint64_t len;
  bool encoded;
  if (!ReadLen(in, &len, &encoded)) return false;
  if (!encoded) {
    if (in.size() < len) return false;
    out->assign(in.substr(0, len));
    in.remove_prefix(len);
    return true;
  }
  if (len <= kEncInt32) {
    size_t n = size_t{1} << len;
    if (in.size() < n) return false;
    uint64_t u = 0;
    for (size_t i = 0; i < n; ++i) u |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
    int64_t v = n == 1 ? static_cast<int8_t>(u) : n == 2 ? static_cast<int16_t>(u)
                                                         : static_cast<int32_t>(u);
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out->assign(buf, static_cast<size_t>(r.ptr - buf));
    in.remove_prefix(n);
    return true;
  }
  if (len != kEncLzf) return false;
  uint64_t clen, ulen;
  if (!ReadLen(in, &clen) || !ReadLen(in, &ulen)) return false;
  if (in.size() < clen || ulen == 0 || ulen > kMaxLoadString) return false;
  out->resize(ulen);
  if (lzf_decompress(in.data(), static_cast<unsigned>(clen), out->data(),
                     static_cast<unsigned>(ulen)) != ulen) {
    return false;
  }
  in.remove_prefix(clen);
  return true;
}

bool ReadBinaryDouble(std::string_view& in, double* out) {
  if (in.size() < 8) return false;
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  memcpy(out, &bits, 8);
  in.remove_prefix(8);
  return true;
}

namespace {

// RDB_TYPE_ZSET's scores: a length byte then the text (253 nan, 254 +inf, 255 -inf).
bool ReadTextDouble(std::string_view& in, double* out) {
  if (in.empty()) return false;
  uint8_t n = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  if (n == 253) *out = NAN;
  else if (n == 254) *out = INFINITY;
  else if (n == 255) *out = -INFINITY;
  else {
    if (in.size() < n) return false;
    std::string text(in.substr(0, n));
    char* end = nullptr;
    *out = strtod(text.c_str(), &end);
    if (end != text.c_str() + n) return false;
    in.remove_prefix(n);
  }
  return true;
}

}  // namespace

KeyValue* ReadObject(uint8_t type, std::string_view& in, std::string_view key,
                     const LoadLimits& limits) {
  std::string s;
  switch (type) {
    case kString: {
      if (!ReadString(in, &s)) return nullptr;
      return Db::MakeString(key, s, -1);  // int, embstr or raw, as Redis's tryObjectEncoding
    }
    case kList:
    case kListQuicklist2: {
      uint64_t n;
      if (!ReadLen(in, &n) || n == 0) return nullptr;
      KeyValue* kv = listv::New(key, *limits.list);
      auto* q = listv::Q(kv);
      std::vector<std::string> elems;
      for (uint64_t i = 0; i < n; ++i) {
        if (type == kList) {  // a plain linked list: one string per element
          if (!ReadString(in, &s)) return Fail(kv);
          q->PushBack(s);
          continue;
        }
        uint64_t container;
        if (!ReadLen(in, &container)) return Fail(kv);
        if (container == kQuicklistPlain) {
          if (!ReadString(in, &s)) return Fail(kv);
          q->PushBack(s);
        } else if (container == kQuicklistPacked) {
          if (!ReadListpack(in, &s)) return Fail(kv);
          elems.clear();
          ListpackElements(s, &elems);  // an empty node is skipped, as Redis does
          for (const auto& e : elems) q->PushBack(e);
        } else {
          return Fail(kv);
        }
      }
      if (q->size() == 0) return Fail(kv);
      return kv;
    }
    case kSet: {
      uint64_t n;
      if (!ReadLen(in, &n) || n == 0 || n > in.size()) return nullptr;
      std::vector<std::string> members(n);
      for (auto& m : members) {
        if (!ReadString(in, &m)) return nullptr;
      }
      return BuildSet(key, members, *limits.set);
    }
    case kSetIntset: {
      if (!ReadString(in, &s)) return nullptr;
      auto* is = reinterpret_cast<const uint8_t*>(s.data());
      if (!intset::Validate(is, s.size(), true)) return nullptr;
      std::vector<std::string> members;
      for (size_t i = 0; i < intset::Length(is); ++i) {
        members.push_back(std::to_string(intset::Get(is, i)));
      }
      return BuildSet(key, members, *limits.set);
    }
    case kZset:
    case kZset2: {
      uint64_t n;
      if (!ReadLen(in, &n) || n == 0 || n > in.size()) return nullptr;
      std::vector<std::pair<std::string, double>> items(n);
      for (auto& [m, score] : items) {
        if (!ReadString(in, &m)) return nullptr;
        if (!(type == kZset2 ? ReadBinaryDouble(in, &score) : ReadTextDouble(in, &score))) {
          return nullptr;
        }
      }
      return BuildZset(key, items, *limits.zset);
    }
    case kZsetListpack: {
      if (!ReadListpack(in, &s)) return nullptr;
      if (PairsWithinLimits(LpData(s), limits.zset->max_listpack_entries,
                            limits.zset->max_listpack_value, true)) {
        return KeyValue::NewPtr(key, ObjType::kZset, Encoding::kListpack, lp::Dup(LpData(s)), -1);
      }
      std::vector<std::string> elems;
      ListpackElements(s, &elems);
      return BuildZsetFromText(key, elems, *limits.zset);
    }
    case kHash: {
      uint64_t n;
      if (!ReadLen(in, &n) || n == 0 || n > in.size()) return nullptr;
      std::vector<std::string> items(n * 2);
      for (auto& x : items) {
        if (!ReadString(in, &x)) return nullptr;
      }
      return BuildHash(key, items, *limits.hash);
    }
    case kHashListpack: {
      if (!ReadListpack(in, &s)) return nullptr;
      if (PairsWithinLimits(LpData(s), limits.hash->max_listpack_entries,
                            limits.hash->max_listpack_value, false)) {
        return KeyValue::NewPtr(key, ObjType::kHash, Encoding::kListpack, lp::Dup(LpData(s)), -1);
      }
      std::vector<std::string> items;
      ListpackElements(s, &items);
      return BuildHash(key, items, *limits.hash);
    }
    case kStreamListpacks:
    case kStreamListpacks2:
      return ReadStream(type, in, key);
    // The encodings of Redis 6 and older files.
    case kListZiplist:
    case kListQuicklist: {
      uint64_t n = 1;  // a whole list in one ziplist, or a quicklist of them
      if (type == kListQuicklist && (!ReadLen(in, &n) || n == 0 || n > in.size())) return nullptr;
      KeyValue* kv = listv::New(key, *limits.list);
      std::vector<std::string> elems;
      for (uint64_t i = 0; i < n; ++i) {
        elems.clear();
        if (!ReadString(in, &s) || !ZiplistElements(s, &elems)) return Fail(kv);
        for (const auto& e : elems) listv::Q(kv)->PushBack(e);
      }
      if (listv::Q(kv)->size() == 0) return Fail(kv);
      return kv;
    }
    case kHashZiplist:
    case kHashZipmap: {
      std::vector<std::string> items;
      if (!ReadString(in, &s)) return nullptr;
      if (!(type == kHashZiplist ? ZiplistElements(s, &items) : ZipmapElements(s, &items))) {
        return nullptr;
      }
      return BuildHash(key, items, *limits.hash);
    }
    case kZsetZiplist: {
      std::vector<std::string> elems;
      if (!ReadString(in, &s) || !ZiplistElements(s, &elems)) return nullptr;
      return BuildZsetFromText(key, elems, *limits.zset);
    }
    default:
      return nullptr;  // modules
  }
}

DefaultLimits::DefaultLimits()
    : hash_(std::make_unique<HashLimits>()),
      set_(std::make_unique<SetLimits>()),
      zset_(std::make_unique<ZsetLimits>()),
      list_(std::make_unique<ListLimits>()) {}

DefaultLimits::~DefaultLimits() = default;

// ---------------------------------------------------------------- DUMP payloads

std::string DumpPayload(const KeyValue* kv, bool compress) {
  std::string out;
  if (!AppendObject(out, kv, compress)) return std::string();
  AppendPayloadFooter(out);
  return out;
}

void AppendPayloadFooter(std::string& out) {
  out.push_back(static_cast<char>(kVersion & 0xff));
  out.push_back(static_cast<char>(kVersion >> 8));
  uint64_t crc = Crc64(0, out.data(), out.size());
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((crc >> (i * 8)) & 0xff));
}

bool VerifyPayload(std::string_view p) {
  if (p.size() < 10) return false;
  uint16_t ver = static_cast<uint8_t>(p[p.size() - 10]) |
                 static_cast<uint16_t>(static_cast<uint8_t>(p[p.size() - 9]) << 8);
  if (ver > kVersion) return false;
  uint64_t crc = 0;
  for (int i = 0; i < 8; ++i) {
    crc |= static_cast<uint64_t>(static_cast<uint8_t>(p[p.size() - 8 + i])) << (i * 8);
  }
  return Crc64(0, p.data(), p.size() - 8) == crc;
}

}  // namespace tessera::rdb
