// Membership and failure detection for the gossip bus, with no sockets: the link layer tells
// it what it heard (and when), it tells the link layer what changed. Time is passed in, so
// tests step it.
//
// Failure detection is two-staged, as Redis Cluster's PFAIL/FAIL:
//  - SUSPECT is local: nothing valid heard from a member for node_timeout.
//  - FAILED is agreed: this node suspects it and, with the members whose gossip also reports
//    it SUSPECT or FAILED within the last 2 * node_timeout, a majority of all known members
//    (this node included) do. A FAILED verdict spreads: a member told FAILED by a live peer
//    takes it over. A failed member heard from again is ALIVE again; one that restarted (a
//    higher incarnation) starts afresh.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "proto/bus.pb.h"

namespace tessera::bus {

struct MembershipOptions {
  int64_t node_timeout_ms = 5000;
};

enum class MemberState { kAlive, kSuspect, kFailed };
const char* MemberStateName(MemberState s);

struct Member {
  std::string id;
  std::string host;
  int port = 0;
  uint64_t incarnation = 0;
  MemberState state = MemberState::kAlive;
  int64_t last_heard_ms = 0;   // the last valid frame from it (or when it was added)
  int64_t state_since_ms = 0;
  std::map<std::string, int64_t> reports;  // reporter id -> when it reported SUSPECT/FAILED
};

struct MemberEvent {
  enum class Kind { kJoined, kSuspect, kFailed, kAlive, kRestarted };
  Kind kind;
  std::string id;
};

class Membership {
 public:
  Membership(std::string self_id, MembershipOptions opts) : self_(std::move(self_id)), opts_(opts) {}

  const std::string& self() const { return self_; }
  const std::map<std::string, Member>& members() const { return members_; }
  const Member* Find(const std::string& id) const;
  // The votes a verdict needs: a majority of all known members, this node included.
  size_t Majority() const { return (members_.size() + 1) / 2 + 1; }

  // A member learned from configuration or discovery; false if already known (its address
  // is updated).
  bool Add(const std::string& id, const std::string& host, int port, int64_t now_ms);
  void Remove(const std::string& id);
  // A valid frame came from `id` (its envelope's incarnation and address).
  void Heard(const std::string& id, const std::string& host, int port, uint64_t incarnation,
             int64_t now_ms);
  // A live member's gossip about another member.
  void Gossip(const std::string& reporter, const PeerView& view, int64_t now_ms);
  // Timeouts, report expiry and verdicts; call often (every heartbeat period or more).
  void Tick(int64_t now_ms);

  // What changed since the last call.
  std::vector<MemberEvent> TakeEvents();
  // This node's view, for its heartbeats.
  std::vector<PeerView> View() const;

 private:
  void SetState(Member& m, MemberState s, int64_t now_ms);
  void CheckVerdict(Member& m, int64_t now_ms);

  std::string self_;
  MembershipOptions opts_;
  std::map<std::string, Member> members_;
  std::vector<MemberEvent> events_;
};

}  // namespace tessera::bus
