// An in-process world for the sentinel state machine: fake data servers that answer PING,
// INFO, PUBLISH and REPLICAOF from their state, a bus that delivers messages between
// Sentinel objects (with partitions and dead sentinels), and one fake clock for all. No
// sockets, no sleeping: tests step time in 10 ms ticks.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sentinel/core/sentinel.h"

namespace tessera::sentinel::testing {

struct FakeServer {
  Addr addr;
  std::string runid;
  bool up = true;
  bool is_master = true;
  Addr master;            // when a replica
  int64_t offset = 0;
  int priority = 100;
  int keys = 10;
  bool ignore_promotion = false;  // REPLICAOF NO ONE is acknowledged but changes nothing
  int handovers = 0;              // FAILOVER TO commands received
  std::vector<Addr> replicas() const;
};

struct SentinelNode {
  std::string id;
  std::unique_ptr<Sentinel> s;
  bool alive = true;
  std::vector<EventOut> events;
  int group = 0;   // bus partition: nodes only reach nodes of the same group
  bool isolated = false;  // cannot reach any data server either
};

class World {
 public:
  World();

  FakeServer& AddServer(int port, bool master, int master_port = 0);
  FakeServer& Server(int port) { return servers_.at(port); }
  // A sentinel watching the master on `master_port` under `name`.
  SentinelNode& AddSentinel(const std::vector<std::pair<std::string, int>>& masters,
                            int quorum = 2, int64_t down_after = 1000,
                            int64_t failover_timeout = 5000);
  SentinelNode& Node(size_t i) { return *nodes_[i]; }
  size_t size() const { return nodes_.size(); }

  // Advances time by `ms` in 10 ms ticks; every message is delivered within its tick.
  void Step(int64_t ms);
  // Steps until pred() or `limit_ms` passed; returns whether pred() held.
  template <typename Pred>
  bool StepUntil(Pred pred, int64_t limit_ms) {
    for (int64_t t = 0; t <= limit_ms; t += 10) {
      if (pred()) return true;
      Step(10);
    }
    return pred();
  }
  int64_t now() const { return now_; }
  void Kill(int port) { servers_.at(port).up = false; }
  // The master address every live sentinel reports for `name` (empty if they disagree).
  std::string AgreedMaster(const std::string& name) const;
  int CountEvents(const std::string& type) const;
  int CountEvents(size_t node, const std::string& type) const;
  // How many sentinels were elected leader in each epoch (at most one is the safety rule).
  std::map<uint64_t, int> LeadersPerEpoch() const;
  void KillSentinel(size_t i);
  // Messages between different groups are dropped.
  void SetGroup(size_t i, int group) { nodes_[i]->group = group; }
  // When a node's bus failure detector calls a dead peer down (ms after its death).
  int64_t bus_timeout_ms = 2000;
  // Bus messages queue and are delivered after every node ticked (so candidacies race).
  bool batch_bus = false;
  // Every election delay is zero: candidates that see ODOWN together start together.
  bool zero_random = false;
  // Masters answer FAILOVER TO with an error (an old server).
  bool refuse_handover = false;

 private:
  void Process(SentinelNode& n);
  void Deliver(SentinelNode& from, const BusOut& msg);
  void Answer(SentinelNode& n, const CommandOut& c);
  std::string InfoOf(const FakeServer& s) const;
  FakeServer* ServerAt(const Addr& a);

  int64_t now_ = 1'700'000'000'000;
  std::map<int, FakeServer> servers_;
  std::vector<std::unique_ptr<SentinelNode>> nodes_;
  std::deque<std::pair<std::string, BusOut>> queued_;
  std::map<std::string, int64_t> dead_since_;
  uint64_t rng_ = 12345;
};

}  // namespace tessera::sentinel::testing
