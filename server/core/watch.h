// The WATCH table: which clients watch which keys, and the rules (Redis 7.0's) for when a
// change to a key makes their next EXEC fail. Keys that were already logically expired when
// watched are special: their deletion by expiry is no change, their reappearance is.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/core/client.h"

namespace tessera {

class Db;
class Keyspace;

class WatchTable {
 public:
  // Starts watching key in db for c (nothing if it already does). `expired`: the key is
  // logically expired now.
  void Watch(Client& c, int db, std::string_view key, bool expired);
  // Forgets every key c watches (EXEC, DISCARD, UNWATCH, RESET, disconnect).
  void UnwatchAll(Client& c);
  // A write touched key; `exists` says whether the key is in the db now. Watchers are marked
  // dirty (and stop watching), except a watcher that saw the key expired and sees it gone.
  void Touch(int db, std::string_view key, bool exists);
  // FLUSHDB/FLUSHALL (replaced_with null) or SWAPDB (db's contents about to be replaced with
  // replaced_with's): marks the watchers of keys that exist in either, as Redis's
  // touchAllWatchedKeysInDb. Call before the contents change.
  void TouchDb(Db& emptied, Db* replaced_with, int64_t now_ms);
  // True if a key c watches, live when watched, is logically expired now (checked by EXEC).
  static bool AnyExpired(const Client& c, Keyspace& ks, int64_t now_ms);
  bool empty() const { return keys_.empty(); }
  size_t size() const { return keys_.size(); }

 private:
  void MarkDirty(Client& c);
  std::map<std::pair<int, std::string>, std::vector<Client*>, std::less<>> keys_;
};

}  // namespace tessera
