// Client-side caching (CLIENT TRACKING): which clients may hold which keys, and the
// invalidation messages sent when those keys change. Default mode remembers the keys each
// tracking client read (one table for all databases, as Redis); BCAST mode sends every change
// under a client's prefixes, batched per loop turn.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tessera {

class Client;
class Server;
struct Command;

// A tracking client's settings (Client::tracking).
struct TrackingState {
  uint64_t redirect = 0;  // 0: to itself
  bool bcast = false;
  bool optin = false;
  bool optout = false;
  bool noloop = false;
  bool caching = false;        // CLIENT CACHING yes/no was given for the next command
  bool broken_redirect = false;
  std::vector<std::string> prefixes;
};

class TrackingTable {
 public:
  explicit TrackingTable(Server& server) : server_(server) {}

  // CLIENT TRACKING ON with its options (already validated), or OFF.
  void Enable(Client& c, const TrackingState& settings);
  void Disable(Client& c);

  // After a read-only command of a tracking client: remembers its keys (default mode).
  void RememberKeys(Client& c, const Command& cmd, std::span<const std::string_view> argv);
  // A key changed (by `by`, the client running the command, or null).
  // bcast_by: whom BCAST's NOLOOP treats as the writer (Redis: not the caller of a script).
  void InvalidateKey(std::string_view key, Client* by, Client* bcast_by);
  // FLUSHDB/FLUSHALL: every tracking client is told to drop everything.
  void InvalidateAll(Client* by);
  // Sends what is pending: invalidations for the client whose command just ran (after its
  // reply), and the BCAST batches (before the loop sleeps).
  void FlushPendingFor(Client& c);
  void BroadcastPending();
  // Keeps the table within tracking-table-max-keys (invalidating what it drops).
  void Limit(size_t max_keys);

  bool active() const { return !keys_.empty() || !prefixes_.empty(); }
  size_t total_keys() const { return keys_.size(); }
  size_t total_items() const { return items_; }
  size_t total_prefixes() const { return prefixes_.size(); }
  size_t tracking_clients() const { return clients_; }

  // Prefix checks for CLIENT TRACKING ... BCAST PREFIX: the error text, or empty.
  static std::string CheckPrefixes(const Client& c, std::span<const std::string> prefixes);

 private:
  // Sends one invalidation (keys; none = null payload) to c or its redirection target.
  void Send(Client& c, const std::vector<std::string>* keys);

  struct PrefixEntry {
    std::vector<uint64_t> clients;
    std::vector<std::pair<std::string, uint64_t>> pending;  // key, id of the client that changed it
  };
  Server& server_;
  std::unordered_map<std::string, std::vector<uint64_t>> keys_;
  size_t items_ = 0;
  std::map<std::string, PrefixEntry, std::less<>> prefixes_;
  std::vector<std::optional<std::string>> pending_self_;  // for the running client; nullopt: flush
  uint64_t pending_self_id_ = 0;
  size_t clients_ = 0;
};

}  // namespace tessera
