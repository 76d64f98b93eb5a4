#include "server/keyspace/stream.h"

#include <malloc.h>

#include <cstring>

#include "common/strutil.h"

namespace tessera {

namespace {

constexpr int64_t kFlagNone = 0;
constexpr int64_t kFlagDeleted = 1;
constexpr int64_t kFlagSameFields = 2;
constexpr size_t kListpackMaxSize = size_t{1} << 30;
constexpr size_t kPreallocate = 4096;

int64_t GetInt(const uint8_t* p) {
  lp::Value v = lp::Get(p);
  if (v.is_int) return v.ival;
  auto n = ParseInt64(v.sval);
  return n ? *n : 0;
}

uint8_t* ReplaceInt(uint8_t* lp, uint8_t** p, int64_t v) {
  return lp::InsertInt(lp, v, *p, lp::Where::kReplace, p);
}

// Walks a node's entries. Positions are listpack element pointers, invalidated by changes.
struct NodeCursor {
  uint8_t* lp;
  StreamID master;
  int64_t master_fields = 0;
  uint8_t* master_first_field = nullptr;  // first master field name
  uint8_t* p = nullptr;                   // current entry's flags element

  NodeCursor(uint8_t* listpack, StreamID master_id) : lp(listpack), master(master_id) {}

  // Positions p on the first entry after the master entry.
  void Start() {
    uint8_t* e = lp::First(lp);  // count
    e = lp::Next(lp, e);         // deleted
    e = lp::Next(lp, e);         // master field count
    master_fields = GetInt(e);
    e = lp::Next(lp, e);
    master_first_field = e;
    for (int64_t i = 0; i < master_fields; ++i) e = lp::Next(lp, e);
    p = lp::Next(lp, e);  // skip the zero terminator
  }

  // Positions p on the last entry (nullptr when the node has none).
  void StartFromEnd() {
    Start();
    uint8_t* last = lp::Last(lp);
    if (p == nullptr || last == nullptr) {
      p = nullptr;
      return;
    }
    p = EntryStartFromBackCount(last);
  }

  uint8_t* EntryStartFromBackCount(uint8_t* backcount) {
    int64_t n = GetInt(backcount);
    uint8_t* e = backcount;
    for (int64_t i = 0; i < n; ++i) e = lp::Prev(lp, e);
    return e;
  }

  // Reads the entry at p. Returns the element after it (next entry's flags or nullptr).
  uint8_t* Read(int64_t* flags, StreamEntry* out, bool want_fields) {
    uint8_t* e = p;
    *flags = GetInt(e);
    e = lp::Next(lp, e);
    out->id.ms = master.ms + static_cast<uint64_t>(GetInt(e));
    e = lp::Next(lp, e);
    out->id.seq = master.seq + static_cast<uint64_t>(GetInt(e));
    e = lp::Next(lp, e);
    out->fields.clear();
    if (*flags & kFlagSameFields) {
      uint8_t* f = master_first_field;
      for (int64_t i = 0; i < master_fields; ++i) {
        if (want_fields) out->fields.emplace_back(lp::Get(f), lp::Get(e));
        f = lp::Next(lp, f);
        e = lp::Next(lp, e);
      }
    } else {
      int64_t n = GetInt(e);
      e = lp::Next(lp, e);
      for (int64_t i = 0; i < n; ++i) {
        uint8_t* v = lp::Next(lp, e);
        if (want_fields) out->fields.emplace_back(lp::Get(e), lp::Get(v));
        e = lp::Next(lp, v);
      }
    }
    return lp::Next(lp, e);  // skip the back count
  }

  // The entry before the one at p (nullptr when p is the first).
  uint8_t* PrevEntry() {
    uint8_t* back = lp::Prev(lp, p);
    // Before the first entry is the master terminator: recognise it by position.
    uint8_t* first = FirstEntry();
    if (p == first || back == nullptr) return nullptr;
    return EntryStartFromBackCount(back);
  }

  uint8_t* FirstEntry() {
    uint8_t* e = master_first_field;
    for (int64_t i = 0; i < master_fields; ++i) e = lp::Next(lp, e);
    return lp::Next(lp, e);
  }
};

}  // namespace

bool Stream::ValidNode(const uint8_t* node, size_t size) {
  if (!lp::Validate(node, size, true)) return false;
  auto* l = const_cast<uint8_t*>(node);
  uint8_t* p = lp::First(l);
  // The next element as an integer; false when missing or not an integer.
  auto next_int = [&](int64_t* out) {
    if (p == nullptr) return false;
    lp::Value v = lp::Get(p);
    int64_t n;
    if (v.is_int) {
      n = v.ival;
    } else {
      auto parsed = ParseInt64(v.sval);
      if (!parsed) return false;
      n = *parsed;
    }
    *out = n;
    p = lp::Next(l, p);
    return true;
  };
  auto skip = [&](int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      if (p == nullptr) return false;
      p = lp::Next(l, p);
    }
    return true;
  };
  int64_t count, deleted, master_fields, zero;
  if (!next_int(&count) || !next_int(&deleted) || !next_int(&master_fields)) return false;
  if (count < 0 || deleted < 0 || master_fields < 0) return false;
  if (!skip(master_fields) || !next_int(&zero) || zero != 0) return false;
  for (int64_t e = 0; e < count + deleted; ++e) {
    int64_t flags, ms_delta, seq_delta, fields = master_fields, extra = 3;
    if (!next_int(&flags) || !next_int(&ms_delta) || !next_int(&seq_delta)) return false;
    if (!(flags & kFlagSameFields)) {
      if (!next_int(&fields) || fields < 0 || !skip(fields * 2)) return false;
      extra += fields + 1;
    } else if (!skip(fields)) {
      return false;
    }
    int64_t back;
    if (!next_int(&back) || back != fields + extra) return false;
  }
  return p == nullptr;
}

std::string StreamID::ToString() const {
  return Uint64ToString(ms) + "-" + Uint64ToString(seq);
}

bool StreamID::Incr() {
  if (seq == UINT64_MAX) {
    if (ms == UINT64_MAX) return false;
    ++ms;
    seq = 0;
  } else {
    ++seq;
  }
  return true;
}

bool StreamID::Decr() {
  if (seq == 0) {
    if (ms == 0) return false;
    --ms;
    seq = UINT64_MAX;
  } else {
    --seq;
  }
  return true;
}

Stream::~Stream() {
  for (auto& [id, lp] : nodes_) lp::Free(lp);
}

Stream* Stream::Clone() const {
  auto* s = new Stream();
  for (const auto& [id, node] : nodes_) s->nodes_.emplace(id, lp::Dup(node));
  s->length = length;
  s->last_id = last_id;
  s->first_id = first_id;
  s->max_deleted_id = max_deleted_id;
  s->entries_added = entries_added;
  for (const auto& [name, g] : groups) {
    auto ng = std::make_unique<StreamGroup>();
    ng->last_id = g->last_id;
    ng->entries_read = g->entries_read;
    for (const auto& [cname, c] : g->consumers) {
      auto nc = std::make_unique<StreamConsumer>();
      nc->name = c->name;
      nc->seen_time = c->seen_time;
      ng->consumers.emplace(cname, std::move(nc));
    }
    for (const auto& [id, nack] : g->pel) {
      StreamNack& n = ng->pel[id];
      n.delivery_time = nack.delivery_time;
      n.delivery_count = nack.delivery_count;
      StreamConsumer* owner = ng->consumers.find(nack.consumer->name)->second.get();
      n.consumer = owner;
      owner->pel.emplace(id, &n);
    }
    s->groups.emplace(name, std::move(ng));
  }
  return s;
}

void Stream::Append(StreamID id, std::span<const std::string_view> fieldvals,
                    size_t node_max_bytes, int64_t node_max_entries) {
  int64_t numfields = static_cast<int64_t>(fieldvals.size() / 2);
  size_t totelelen = 0;
  for (std::string_view s : fieldvals) totelelen += s.size();
  if (node_max_bytes == 0 || node_max_bytes > kListpackMaxSize) node_max_bytes = kListpackMaxSize;

  uint8_t* lp = nullptr;
  StreamID master;
  if (!nodes_.empty()) {
    auto tail = std::prev(nodes_.end());
    lp = tail->second;
    master = tail->first;
    bool new_node = lp::Bytes(lp) + totelelen >= node_max_bytes;
    if (!new_node && node_max_entries > 0) {
      uint8_t* e = lp::First(lp);
      int64_t count = GetInt(e) + GetInt(lp::Next(lp, e));  // live and deleted
      new_node = count >= node_max_entries;
    }
    if (new_node) lp = nullptr;
  }
  int64_t flags = kFlagNone;
  if (lp == nullptr) {
    // A new node: its master entry holds this entry's field names.
    master = id;
    size_t prealloc = kPreallocate;
    if (node_max_bytes < prealloc) prealloc = node_max_bytes;
    lp = lp::New(prealloc);
    lp = lp::AppendInt(lp, 1);  // one live entry
    lp = lp::AppendInt(lp, 0);  // none deleted
    lp = lp::AppendInt(lp, numfields);
    for (int64_t i = 0; i < numfields; ++i) lp = lp::Append(lp, fieldvals[i * 2]);
    lp = lp::AppendInt(lp, 0);  // master entry terminator
    nodes_.emplace(master, lp);
    flags |= kFlagSameFields;
  } else {
    uint8_t* e = lp::First(lp);
    lp = ReplaceInt(lp, &e, GetInt(e) + 1);
    e = lp::Next(lp, e);  // deleted
    e = lp::Next(lp, e);  // master field count
    int64_t master_fields = GetInt(e);
    e = lp::Next(lp, e);
    if (numfields == master_fields) {
      int64_t i = 0;
      for (; i < master_fields; ++i) {
        if (!lp::Get(e).Equals(fieldvals[i * 2])) break;
        // Equals() treats "1" and "01" alike for integers; compare the bytes exactly.
        char buf[24];
        if (lp::Get(e).View(buf) != fieldvals[i * 2]) break;
        e = lp::Next(lp, e);
      }
      if (i == master_fields) flags |= kFlagSameFields;
    }
  }
  lp = lp::AppendInt(lp, flags);
  lp = lp::AppendInt(lp, static_cast<int64_t>(id.ms - master.ms));
  lp = lp::AppendInt(lp, static_cast<int64_t>(id.seq - master.seq));
  if (!(flags & kFlagSameFields)) lp = lp::AppendInt(lp, numfields);
  for (int64_t i = 0; i < numfields; ++i) {
    if (!(flags & kFlagSameFields)) lp = lp::Append(lp, fieldvals[i * 2]);
    lp = lp::Append(lp, fieldvals[i * 2 + 1]);
  }
  int64_t lp_count = numfields + 3;
  if (!(flags & kFlagSameFields)) lp_count += numfields + 1;
  lp = lp::AppendInt(lp, lp_count);
  nodes_[master] = lp;
  ++length;
  ++entries_added;
  last_id = id;
  if (length == 1) first_id = id;
}

void Stream::Range(StreamID start, StreamID end, bool reverse,
                   const std::function<bool(const StreamEntry&)>& fn) const {
  if (start > end || nodes_.empty()) return;
  StreamEntry entry;
  int64_t flags;
  if (!reverse) {
    // The node holding start is the last one whose master ID <= start.
    auto it = nodes_.upper_bound(start);
    if (it != nodes_.begin()) --it;
    for (; it != nodes_.end() && it->first <= end; ++it) {
      NodeCursor c(it->second, it->first);
      c.Start();
      while (c.p != nullptr) {
        uint8_t* next = c.Read(&flags, &entry, true);
        c.p = next;
        if (flags & kFlagDeleted) continue;
        if (entry.id < start) continue;
        if (entry.id > end) return;
        if (!fn(entry)) return;
      }
    }
    return;
  }
  auto it = nodes_.upper_bound(end);
  while (it != nodes_.begin()) {
    --it;
    NodeCursor c(it->second, it->first);
    c.StartFromEnd();
    while (c.p != nullptr) {
      c.Read(&flags, &entry, true);
      uint8_t* prev = c.PrevEntry();
      c.p = prev;
      if (flags & kFlagDeleted) continue;
      if (entry.id > end) continue;
      if (entry.id < start) return;
      if (!fn(entry)) return;
    }
  }
}

bool Stream::Exists(StreamID id) const {
  bool found = false;
  Range(id, id, false, [&](const StreamEntry&) {
    found = true;
    return false;
  });
  return found;
}

bool Stream::Delete(StreamID id) {
  auto it = nodes_.upper_bound(id);
  if (it == nodes_.begin()) return false;
  --it;
  NodeCursor c(it->second, it->first);
  c.Start();
  StreamEntry entry;
  int64_t flags;
  while (c.p != nullptr) {
    uint8_t* flags_at = c.p;
    uint8_t* next = c.Read(&flags, &entry, false);
    if (entry.id > id) return false;
    if (entry.id == id) {
      if (flags & kFlagDeleted) return false;
      uint8_t* lp = c.lp;
      lp = ReplaceInt(lp, &flags_at, flags | kFlagDeleted);
      uint8_t* e = lp::First(lp);
      int64_t live = GetInt(e) - 1;
      lp = ReplaceInt(lp, &e, live);
      e = lp::Next(lp, e);
      lp = ReplaceInt(lp, &e, GetInt(e) + 1);
      if (live == 0) {
        lp::Free(lp);
        nodes_.erase(it);
      } else {
        it->second = lp;
      }
      --length;
      if (length == 0) {
        first_id = StreamID{};
      } else if (id == first_id) {
        EdgeId(true, &first_id);
      }
      return true;
    }
    c.p = next;
  }
  return false;
}

int64_t Stream::Trim(const StreamTrim& t) {
  if (t.strategy == StreamTrim::Strategy::kNone) return 0;
  int64_t deleted = 0;
  auto it = nodes_.begin();
  while (it != nodes_.end()) {
    if (t.strategy == StreamTrim::Strategy::kMaxLen && length <= t.maxlen) break;
    uint8_t* lp = it->second;
    int64_t entries = GetInt(lp::First(lp));
    if (t.limit != 0 && deleted + entries > t.limit) break;
    bool remove_node;
    if (t.strategy == StreamTrim::Strategy::kMaxLen) {
      remove_node = length - static_cast<uint64_t>(entries) >= t.maxlen;
    } else {
      // The node goes when its last entry (live or not) is below minid.
      NodeCursor c(lp, it->first);
      c.StartFromEnd();
      StreamEntry last;
      int64_t flags;
      c.Read(&flags, &last, false);
      remove_node = last.id < t.minid;
    }
    if (remove_node) {
      lp::Free(lp);
      it = nodes_.erase(it);
      length -= static_cast<uint64_t>(entries);
      deleted += entries;
      continue;
    }
    if (t.approx) break;
    // Mark entries deleted one by one from the head of this node.
    NodeCursor c(lp, it->first);
    c.Start();
    int64_t from_node = 0;
    StreamEntry entry;
    int64_t flags;
    while (c.p != nullptr) {
      uint8_t* flags_at = c.p;
      // Read the entry's ID and position of the next one.
      uint8_t* next = c.Read(&flags, &entry, false);
      bool stop = t.strategy == StreamTrim::Strategy::kMaxLen ? length <= t.maxlen
                                                              : entry.id >= t.minid;
      if (stop) break;
      if (!(flags & kFlagDeleted)) {
        size_t next_off = next == nullptr ? 0 : static_cast<size_t>(next - c.lp);
        size_t old_bytes = lp::Bytes(c.lp);
        c.lp = ReplaceInt(c.lp, &flags_at, flags | kFlagDeleted);
        // The flags field may change size: shift the saved offset accordingly.
        if (next != nullptr) {
          next_off += lp::Bytes(c.lp) - old_bytes;
          next = c.lp + next_off;
        }
        ++from_node;
        --length;
        // The cursor's master pointers moved with the listpack: recompute them.
        uint8_t* e = lp::First(c.lp);
        e = lp::Next(c.lp, lp::Next(c.lp, e));
        c.master_first_field = lp::Next(c.lp, e);
      }
      c.p = next;
    }
    deleted += from_node;
    uint8_t* e = lp::First(c.lp);
    c.lp = ReplaceInt(c.lp, &e, entries - from_node);
    e = lp::Next(c.lp, e);
    c.lp = ReplaceInt(c.lp, &e, GetInt(e) + from_node);
    it->second = c.lp;
    break;  // this node had enough to trim
  }
  if (length == 0) {
    first_id = StreamID{};
  } else {
    EdgeId(true, &first_id);
  }
  return deleted;
}

bool Stream::EdgeId(bool first, StreamID* out) const {
  bool found = false;
  Range(StreamID::Min(), StreamID::Max(), !first, [&](const StreamEntry& e) {
    *out = e.id;
    found = true;
    return false;
  });
  return found;
}

size_t Stream::Bytes() const {
  size_t n = sizeof(Stream) + malloc_usable_size(const_cast<Stream*>(this)) * 0;
  for (const auto& [id, lp] : nodes_) n += lp::Bytes(lp) + 64;  // node + map overhead
  for (const auto& [name, g] : groups) {
    n += sizeof(StreamGroup) + name.size() + 64;
    n += g->pel.size() * (sizeof(StreamNack) + 64);
    for (const auto& [cname, c] : g->consumers) {
      n += sizeof(StreamConsumer) + cname.size() + 64 + c->pel.size() * 56;
    }
  }
  return n;
}

size_t Stream::FreeEffort() const {
  size_t effort = nodes_.size();
  if (!groups.empty()) effort += groups.size() * (1 + groups.begin()->second->pel.size());
  return effort;
}

StreamGroup* Stream::FindGroup(std::string_view name) const {
  auto it = groups.find(name);
  return it == groups.end() ? nullptr : it->second.get();
}

StreamGroup* Stream::CreateGroup(std::string_view name, StreamID id, int64_t entries_read) {
  if (groups.find(name) != groups.end()) return nullptr;
  auto g = std::make_unique<StreamGroup>();
  g->last_id = id;
  g->entries_read = entries_read;
  StreamGroup* raw = g.get();
  groups.emplace(std::string(name), std::move(g));
  return raw;
}

StreamConsumer* Stream::FindConsumer(StreamGroup* g, std::string_view name) {
  auto it = g->consumers.find(name);
  return it == g->consumers.end() ? nullptr : it->second.get();
}

StreamConsumer* Stream::CreateConsumer(StreamGroup* g, std::string_view name, int64_t now) {
  if (g->consumers.find(name) != g->consumers.end()) return nullptr;
  auto c = std::make_unique<StreamConsumer>();
  c->name = std::string(name);
  c->seen_time = now;
  StreamConsumer* raw = c.get();
  g->consumers.emplace(c->name, std::move(c));
  return raw;
}

size_t Stream::DeleteConsumer(StreamGroup* g, std::string_view name) {
  auto it = g->consumers.find(name);
  if (it == g->consumers.end()) return 0;
  size_t pending = it->second->pel.size();
  for (const auto& [id, nack] : it->second->pel) g->pel.erase(id);
  g->consumers.erase(it);
  return pending;
}

bool Stream::RangeHasTombstones(StreamID start, StreamID end) const {
  if (length == 0 || max_deleted_id == StreamID{}) return false;
  if (first_id > max_deleted_id) return false;  // the latest tombstone is before the first
  return start <= max_deleted_id && max_deleted_id <= end;
}

int64_t Stream::EstimateReadCounter(StreamID id) const {
  if (entries_added == 0) return 0;  // never used: every counter is 0
  if (length == 0 && id <= last_id) return static_cast<int64_t>(entries_added);
  if (id == last_id) return static_cast<int64_t>(entries_added);
  if (id > last_id) return -1;  // a future ID
  if (max_deleted_id == StreamID{} || max_deleted_id < first_id) {
    // No tombstones ahead: positions before or at the first entry are known.
    if (id < first_id) return static_cast<int64_t>(entries_added - length);
    if (id == first_id) return static_cast<int64_t>(entries_added - length + 1);
  }
  return -1;
}

std::optional<int64_t> Stream::Lag(const StreamGroup& g) const {
  if (entries_added == 0) return 0;
  if (g.entries_read != -1 && !RangeHasTombstones(g.last_id, StreamID::Max())) {
    return static_cast<int64_t>(entries_added) - g.entries_read;
  }
  int64_t read = EstimateReadCounter(g.last_id);
  if (read == -1) return std::nullopt;
  return static_cast<int64_t>(entries_added) - read;
}

namespace streamv {

KeyValue* New(std::string_view key) {
  return KeyValue::NewPtr(key, ObjType::kStream, Encoding::kStream, new Stream(), -1);
}

void FreePayload(void* ptr) { delete static_cast<Stream*>(ptr); }
void* ClonePayload(const void* ptr) { return static_cast<const Stream*>(ptr)->Clone(); }
size_t PayloadBytes(const void* ptr) { return static_cast<const Stream*>(ptr)->Bytes(); }
size_t FreeEffort(const KeyValue* kv) { return S(kv)->FreeEffort(); }

}  // namespace streamv

}  // namespace tessera
