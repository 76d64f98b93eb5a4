#include "server/core/watch.h"

#include <algorithm>

#include "server/keyspace/db.h"
#include "server/keyspace/keyspace.h"

namespace tessera {

namespace {

WatchedKey* FindWatched(Client& c, int db, std::string_view key) {
  for (WatchedKey& wk : c.watched) {
    if (wk.db == db && wk.key == key) return &wk;
  }
  return nullptr;
}

bool ExpiredIn(Db& db, std::string_view key, int64_t now_ms) {
  KeyValue* kv = db.Find(key);
  return kv != nullptr && Keyspace::IsExpired(kv, now_ms);
}

}  // namespace

void WatchTable::Watch(Client& c, int db, std::string_view key, bool expired) {
  if (FindWatched(c, db, key) != nullptr) return;
  c.watched.push_back(WatchedKey{db, std::string(key), expired});
  keys_[{db, std::string(key)}].push_back(&c);
}

void WatchTable::UnwatchAll(Client& c) {
  for (const WatchedKey& wk : c.watched) {
    auto it = keys_.find(std::make_pair(wk.db, wk.key));
    if (it == keys_.end()) continue;
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), &c), v.end());
    if (v.empty()) keys_.erase(it);
  }
  c.watched.clear();
}

void WatchTable::MarkDirty(Client& c) {
  c.flags |= kClientDirtyCas;
  // Once dirty, nothing more can change the outcome: stop watching.
  UnwatchAll(c);
}

void WatchTable::Touch(int db, std::string_view key, bool exists) {
  if (keys_.empty()) return;
  auto it = keys_.find(std::make_pair(db, std::string(key)));
  if (it == keys_.end()) return;
  std::vector<Client*> watchers = it->second;  // MarkDirty edits the list
  for (Client* c : watchers) {
    WatchedKey* wk = FindWatched(*c, db, key);
    if (wk == nullptr) continue;
    if (wk->expired && !exists) {
      wk->expired = false;  // the expired key was deleted: logically nothing changed
      continue;
    }
    MarkDirty(*c);
  }
}

void WatchTable::TouchDb(Db& emptied, Db* replaced_with, int64_t now_ms) {
  if (keys_.empty()) return;
  std::vector<std::pair<std::string, std::vector<Client*>>> hits;
  for (const auto& [k, clients] : keys_) {
    if (k.first != emptied.id()) continue;
    bool in_emptied = emptied.Find(k.second) != nullptr;
    bool in_replacement = replaced_with != nullptr && replaced_with->Find(k.second) != nullptr;
    if (in_emptied || in_replacement) hits.emplace_back(k.second, clients);
  }
  for (auto& [key, clients] : hits) {
    bool in_emptied = emptied.Find(key) != nullptr;
    bool in_replacement = replaced_with != nullptr && replaced_with->Find(key) != nullptr;
    for (Client* c : clients) {
      WatchedKey* wk = FindWatched(*c, emptied.id(), key);
      if (wk == nullptr) continue;
      if (wk->expired) {
        if (!in_replacement) {
          wk->expired = false;  // an expired key is now deleted: no logical change
          continue;
        }
        if (ExpiredIn(*replaced_with, key, now_ms)) continue;  // still expired
      } else if (!in_emptied && ExpiredIn(*replaced_with, key, now_ms)) {
        wk->expired = true;  // a missing key replaced by an expired one
        continue;
      }
      MarkDirty(*c);
    }
  }
}

bool WatchTable::AnyExpired(const Client& c, Keyspace& ks, int64_t now_ms) {
  for (const WatchedKey& wk : c.watched) {
    if (wk.expired) continue;
    if (ExpiredIn(ks.db(wk.db), wk.key, now_ms)) return true;
  }
  return false;
}

}  // namespace tessera
