// Stream values. Entries live in listpack nodes laid out exactly as Redis's (a master entry of
// counters and field names, then entries of flags, ID deltas, fields or values, and a
// back-count), indexed by their master ID in an ordered map where Redis uses a radix tree.
// Consumer groups keep their pending entries (PEL) by ID, shared by group and consumer.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/ds/listpack.h"
#include "server/keyspace/kv.h"

namespace tessera {

struct StreamID {
  uint64_t ms = 0;
  uint64_t seq = 0;
  auto operator<=>(const StreamID&) const = default;
  bool operator==(const StreamID&) const = default;
  std::string ToString() const;
  static constexpr StreamID Min() { return {0, 0}; }
  static constexpr StreamID Max() { return {UINT64_MAX, UINT64_MAX}; }
  // The next / previous ID; false at the end of the ID space.
  bool Incr();
  bool Decr();
};

struct StreamConsumer;

// A pending (delivered, not acknowledged) entry.
struct StreamNack {
  int64_t delivery_time = 0;  // ms
  uint64_t delivery_count = 1;
  StreamConsumer* consumer = nullptr;
};

struct StreamConsumer {
  std::string name;
  int64_t seen_time = 0;
  std::map<StreamID, StreamNack*> pel;  // the group's NACKs owned by this consumer
};

struct StreamGroup {
  StreamID last_id;
  int64_t entries_read = 0;  // -1: unknown (SCAN_INVALID in Redis terms)
  std::map<StreamID, StreamNack> pel;
  std::map<std::string, std::unique_ptr<StreamConsumer>, std::less<>> consumers;
};

// One entry as read from a node: ID and field/value pairs viewing into the listpack.
struct StreamEntry {
  StreamID id;
  std::vector<std::pair<lp::Value, lp::Value>> fields;
};

struct StreamTrim {
  enum class Strategy { kNone, kMaxLen, kMinId } strategy = Strategy::kNone;
  bool approx = false;
  int64_t limit = 0;  // 0: unlimited
  uint64_t maxlen = 0;
  StreamID minid;
};

class Stream {
 public:
  Stream() = default;
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Stream* Clone() const;

  uint64_t length = 0;
  StreamID last_id;
  StreamID first_id;        // of the first live entry (0-0 when empty)
  StreamID max_deleted_id;  // the largest ID removed by XDEL
  uint64_t entries_added = 0;
  std::map<std::string, std::unique_ptr<StreamGroup>, std::less<>> groups;

  // Appends an entry (id > last_id; the caller checks) with fieldvals = f1 v1 f2 v2 ...
  void Append(StreamID id, std::span<const std::string_view> fieldvals, size_t node_max_bytes,
              int64_t node_max_entries);
  // Visits live entries with start <= id <= end, in order (or reverse); fn returns false to
  // stop. The entry's views are valid during the call only.
  void Range(StreamID start, StreamID end, bool reverse,
             const std::function<bool(const StreamEntry&)>& fn) const;
  bool Exists(StreamID id) const;
  // Marks the entry deleted; false if there is no such live entry.
  bool Delete(StreamID id);
  // Trims from the head; returns how many entries were removed.
  int64_t Trim(const StreamTrim& t);
  // The first or last live entry's ID; false when empty.
  bool EdgeId(bool first, StreamID* out) const;

  size_t node_count() const { return nodes_.size(); }
  // The nodes by master ID (for RDB and DUMP).
  const std::map<StreamID, uint8_t*>& nodes() const { return nodes_; }
  // Takes a node loaded from RDB or RESTORE (validated with ValidNode) as the last one.
  void AdoptNode(StreamID master, uint8_t* lp) { nodes_.emplace(master, lp); }
  // Whether a listpack of `size` bytes is a well-formed stream node: a valid listpack whose
  // master entry and entries have the shapes and counts Redis writes (streamValidate-
  // ListpackIntegrity).
  static bool ValidNode(const uint8_t* lp, size_t size);
  size_t Bytes() const;
  // For lazy freeing decisions.
  size_t FreeEffort() const;

  // Consumer groups.
  StreamGroup* FindGroup(std::string_view name) const;
  StreamGroup* CreateGroup(std::string_view name, StreamID id, int64_t entries_read);
  static StreamConsumer* FindConsumer(StreamGroup* g, std::string_view name);
  static StreamConsumer* CreateConsumer(StreamGroup* g, std::string_view name, int64_t now);
  // Deletes the consumer and its pending entries; returns how many were pending.
  static size_t DeleteConsumer(StreamGroup* g, std::string_view name);
  // Redis's streamEstimateDistanceFromFirstEverEntry: the entries_read a reader at id would
  // have, or -1 when it cannot be known.
  int64_t EstimateReadCounter(StreamID id) const;
  // The group's lag: entries added but not yet read; nullopt when unknown.
  std::optional<int64_t> Lag(const StreamGroup& g) const;
  // Whether id lies in the range deleted entries may occupy (so counters are unreliable).
  bool RangeHasTombstones(StreamID start, StreamID end) const;

 private:
  std::map<StreamID, uint8_t*> nodes_;  // master ID -> listpack
};

namespace streamv {
KeyValue* New(std::string_view key);
inline Stream* S(const KeyValue* kv) { return static_cast<Stream*>(kv->ptr()); }
void FreePayload(void* ptr);
void* ClonePayload(const void* ptr);
size_t PayloadBytes(const void* ptr);
size_t FreeEffort(const KeyValue* kv);
}  // namespace streamv

}  // namespace tessera
