#include "server/persistence/aof_rewrite.h"

#include <cstdio>
#include <string_view>

#include <fmt/core.h>

#include "server/ds/quicklist.h"
#include "server/keyspace/db.h"
#include "server/keyspace/hash_value.h"
#include "server/keyspace/keyspace.h"
#include "server/keyspace/kv.h"
#include "server/keyspace/list_value.h"
#include "server/keyspace/set_value.h"
#include "server/keyspace/stream.h"
#include "server/keyspace/zset_value.h"

namespace tessera::aof {

namespace {

constexpr size_t kItemsPerCommand = 64;  // AOF_REWRITE_ITEMS_PER_CMD
constexpr size_t kFlushAt = 1 << 16;

// Builds commands in a buffer handed to the sink every 64 KB.
class Out {
 public:
  explicit Out(const rdb::Sink& sink) : sink_(sink) {}
  void Header(size_t n) { fmt::format_to(std::back_inserter(buf_), "*{}\r\n", n); }
  void Bulk(std::string_view s) {
    fmt::format_to(std::back_inserter(buf_), "${}\r\n", s.size());
    buf_.append(s);
    buf_ += "\r\n";
  }
  void Bulk(uint64_t v) { Bulk(std::string_view(fmt::format("{}", v))); }
  void Bulk(StreamID id) { Bulk(std::string_view(id.ToString())); }
  void Double(double d) {
    char b[64];
    int n = snprintf(b, sizeof(b), "%.17g", d);
    Bulk(std::string_view(b, static_cast<size_t>(n)));
  }
  bool MaybeFlush() { return buf_.size() < kFlushAt || Flush(); }
  bool Flush() {
    bool ok = buf_.empty() || sink_(buf_);
    buf_.clear();
    return ok;
  }

 private:
  const rdb::Sink& sink_;
  std::string buf_;
};

// Emits `total` items as commands of up to 64 items each: `cmd key item...`; `emit` writes
// one item (`width` bulks) per call and visits all items in order.
template <typename VisitFn>
void Batched(Out& o, std::string_view cmd, std::string_view key, size_t total, size_t width,
             VisitFn visit) {
  size_t left = total, in_cmd = 0;
  visit([&](auto&& write_item) {
    if (in_cmd == 0) {
      size_t n = std::min(left, kItemsPerCommand);
      o.Header(2 + n * width);
      o.Bulk(cmd);
      o.Bulk(key);
      in_cmd = n;
    }
    write_item();
    --in_cmd;
    --left;
  });
}

void WriteStream(Out& o, std::string_view key, const Stream& s) {
  char buf[24];
  if (s.length > 0) {
    s.Range(StreamID::Min(), StreamID::Max(), false, [&](const StreamEntry& e) {
      o.Header(3 + 2 * e.fields.size());
      o.Bulk("XADD");
      o.Bulk(key);
      o.Bulk(e.id);
      for (const auto& [f, v] : e.fields) {
        o.Bulk(f.View(buf));
        o.Bulk(v.View(buf));
      }
      return true;
    });
  } else {
    // An empty stream: add an entry and trim it away (XSETID below sets the real last ID).
    o.Header(7);
    for (std::string_view a : {std::string_view("XADD"), key, std::string_view("MAXLEN"),
                               std::string_view("0"), std::string_view("0-1"),
                               std::string_view("x"), std::string_view("y")}) {
      o.Bulk(a);
    }
  }
  o.Header(7);
  o.Bulk("XSETID");
  o.Bulk(key);
  o.Bulk(s.last_id);
  o.Bulk("ENTRIESADDED");
  o.Bulk(s.entries_added);
  o.Bulk("MAXDELETEDID");
  o.Bulk(s.max_deleted_id);
  for (const auto& [name, g] : s.groups) {
    o.Header(7);
    o.Bulk("XGROUP");
    o.Bulk("CREATE");
    o.Bulk(key);
    o.Bulk(name);
    o.Bulk(g->last_id);
    o.Bulk("ENTRIESREAD");
    o.Bulk(std::string_view(fmt::format("{}", g->entries_read)));
    for (const auto& [cname, c] : g->consumers) {
      if (c->pel.empty()) {
        o.Header(5);
        for (std::string_view a : {std::string_view("XGROUP"), std::string_view("CREATECONSUMER"),
                                   key, std::string_view(name), std::string_view(cname)}) {
          o.Bulk(a);
        }
        continue;
      }
      for (const auto& [id, nack] : c->pel) {
        o.Header(14);
        o.Bulk("XCLAIM");
        o.Bulk(key);
        o.Bulk(name);
        o.Bulk(cname);
        o.Bulk("0");
        o.Bulk(id);
        o.Bulk("TIME");
        o.Bulk(static_cast<uint64_t>(nack->delivery_time));
        o.Bulk("RETRYCOUNT");
        o.Bulk(nack->delivery_count);
        o.Bulk("JUSTID");
        o.Bulk("FORCE");
        // LASTID keeps the group's last delivered ID as it is.
        o.Bulk("LASTID");
        o.Bulk(g->last_id);
      }
    }
  }
}

void WriteKey(Out& o, KeyValue* kv) {
  char buf[24];
  std::string_view key = kv->key();
  switch (kv->type()) {
    case ObjType::kString:
      o.Header(3);
      o.Bulk("SET");
      o.Bulk(key);
      o.Bulk(StringValue(kv, buf));
      break;
    case ObjType::kList: {
      ds::Quicklist* q = listv::Q(kv);
      Batched(o, "RPUSH", key, q->size(), 1, [&](auto&& item) {
        q->Visit(0, q->size(), false, [&](std::string_view v) {
          item([&] { o.Bulk(v); });
          return true;
        });
      });
      break;
    }
    case ObjType::kSet:
      Batched(o, "SADD", key, setv::Size(kv), 1, [&](auto&& item) {
        setv::ForEach(kv, [&](std::string_view m) { item([&] { o.Bulk(m); }); });
      });
      break;
    case ObjType::kZset: {
      size_t len = zsetv::Length(kv);
      Batched(o, "ZADD", key, len, 2, [&](auto&& item) {
        for (ZIter it = zsetv::AtRank(kv, 0); it.Valid(); it.Next()) {
          item([&] {
            o.Double(it.Score());
            o.Bulk(it.Member(buf));
          });
        }
      });
      break;
    }
    case ObjType::kHash:
      Batched(o, "HMSET", key, hashv::Length(kv), 2, [&](auto&& item) {
        hashv::ForEach(kv, [&](std::string_view f, std::string_view v) {
          item([&] {
            o.Bulk(f);
            o.Bulk(v);
          });
        });
      });
      break;
    case ObjType::kStream:
      WriteStream(o, key, *streamv::S(kv));
      break;
    default:
      return;
  }
  if (kv->has_expire()) {
    o.Header(3);
    o.Bulk("PEXPIREAT");
    o.Bulk(key);
    o.Bulk(static_cast<uint64_t>(kv->expire_ms()));
  }
}

}  // namespace

bool WriteDatasetCommands(Keyspace& ks, const rdb::SaveOptions& opts, const rdb::Sink& sink) {
  Out o(sink);
  for (const std::string& code : opts.functions) {
    o.Header(3);
    o.Bulk("FUNCTION");
    o.Bulk("LOAD");
    o.Bulk(code);
  }
  bool ok = true;
  for (int i = 0; i < ks.dbnum() && ok; ++i) {
    Db& db = ks.db(i);
    if (db.size() == 0) continue;
    o.Header(2);
    o.Bulk("SELECT");
    o.Bulk(static_cast<uint64_t>(i));
    db.keys().ForEach([&](KeyValue* kv) {
      if (!ok) return;
      WriteKey(o, kv);
      ok = o.MaybeFlush();
      rdb::KeyDelay(opts.key_save_delay);
    });
  }
  return ok && o.Flush();
}

bool SaveCommandsFile(const std::string& path, Keyspace& ks, const rdb::SaveOptions& opts,
                      std::string* err) {
  return rdb::WriteFileAtomically(
      path, [&](const rdb::Sink& sink) { return WriteDatasetCommands(ks, opts, sink); }, err);
}

}  // namespace tessera::aof
