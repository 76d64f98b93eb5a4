// What a sentinel knows: the masters it watches, their replicas, the other sentinels, and the
// state of each failover. Plain data; sentinel/core/sentinel.h changes it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tessera::sentinel {

struct Addr {
  std::string host;
  int port = 0;

  // "host:port", with IPv6 literals in brackets (Redis's replica names).
  std::string ToString() const;
  bool operator==(const Addr&) const = default;
};

// Instance flags, named in SENTINEL MASTER/REPLICAS replies as Redis names them.
enum Flag : uint32_t {
  kFlagMaster = 1 << 0,
  kFlagReplica = 1 << 1,
  kFlagSDown = 1 << 3,
  kFlagODown = 1 << 4,
  kFlagFailoverInProgress = 1 << 6,
  kFlagPromoted = 1 << 7,          // the replica chosen for promotion
  kFlagReconfSent = 1 << 8,
  kFlagReconfInprog = 1 << 9,
  kFlagReconfDone = 1 << 10,
  kFlagForceFailover = 1 << 11,
  kFlagEmptyRestart = 1 << 12,     // a master restarted empty while its replicas hold data
};

enum class FailoverState {
  kNone,
  kWaitStart,         // asking for votes
  kSelectReplica,     // elected: fresh INFO from the candidates, then the choice
  kSendPromotion,     // REPLICAOF NO ONE to the chosen replica
  kWaitPromotion,     // until it reports role:master
  kReconfReplicas,    // the other replicas follow it, parallel-syncs at a time
  kUpdateConfig,      // done: the master's address switches
};
const char* FailoverStateName(FailoverState s);

// The commands a sentinel sends to a watched server; the link tags each reply with one.
// kHandOver is FAILOVER TO sent to a live master (SENTINEL FAILOVER): it hands over itself.
enum class Cmd { kPing, kInfo, kPublishHello, kPromote, kReplicaOf, kScriptKill, kHandOver };

// The command link to one server, as the core sees it.
struct LinkState {
  bool connected = false;
  int64_t created_ms = 0;     // when the instance was added (or its link last reset)
  int64_t ping_sent_ms = 0;   // the oldest PING still unanswered (0: none)
  int64_t last_ping_ms = 0;   // the last PING sent
  int64_t last_ok_ms = 0;     // the last valid PING reply (PONG, LOADING, MASTERDOWN)
  int64_t last_pong_ms = 0;   // the last reply of any kind
  int64_t info_sent_ms = 0;   // an INFO is outstanding since (0: none)
  int64_t last_hello_ms = 0;  // our last hello published there
  bool info_wanted = false;   // INFO at the next tick, whatever the period
  int pending = 0;            // commands sent without a reply yet
};

enum class Role { kUnknown, kMaster, kReplica };

// A master or a replica.
struct Instance {
  std::string name;    // the master's name, or "ip:port" for a replica
  Addr addr;
  uint32_t flags = 0;
  std::string runid;
  LinkState link;
  int64_t sdown_since_ms = 0;
  int64_t odown_since_ms = 0;
  // From its INFO.
  int64_t info_refresh_ms = 0;   // when the last INFO reply came (0: never)
  std::string info_text;         // that reply (SENTINEL INFO-CACHE)
  Role role = Role::kUnknown;
  int64_t role_reported_ms = 0;
  int64_t conf_change_ms = 0;    // its role or its master last changed
  bool has_keys = false;
  int64_t repl_offset = 0;       // master_repl_offset (master) / slave_repl_offset (replica)
  // Replicas: what they say of their master.
  Addr master_addr;
  bool master_link_up = false;
  int64_t master_link_down_ms = 0;   // master_link_down_since_seconds * 1000
  int priority = 100;
  bool announced = true;
  int64_t reconf_sent_ms = 0;
  int64_t replicaof_sent_ms = 0;     // a +fix-slave-config / +convert-to-slave sent then
  int64_t promotion_failed_ms = 0;   // it did not finish a promotion: skipped for a while
  bool script_kill_sent = false;     // BUSY while SDOWN: SCRIPT KILL was sent once
};

// Another sentinel watching the same master.
struct Peer {
  std::string runid;
  Addr addr;          // its client port, as it announces it
  Addr bus;           // its bus address
  int64_t last_hello_ms = 0;
  bool alive = true;         // the bus's failure detector hears it
  bool reports_down = false;
  int64_t report_ms = 0;
  std::string leader;        // whom it voted for (its reply to our vote request)
  uint64_t leader_epoch = 0;
};

struct Master : Instance {
  int quorum = 2;
  int64_t down_after_ms = 30000;
  int64_t failover_timeout_ms = 180000;
  int parallel_syncs = 1;
  std::string auth_pass, auth_user;
  uint64_t config_epoch = 0;
  // Our vote in this master's elections.
  std::string leader;
  uint64_t leader_epoch = 0;
  int64_t wait_leader_until_ms = 0;   // we voted for another candidate: give it until then
  std::map<std::string, Instance> replicas;  // by "ip:port"
  std::map<std::string, Peer> sentinels;     // by run id
  // The failover this sentinel leads (or tries to).
  FailoverState failover_state = FailoverState::kNone;
  uint64_t failover_epoch = 0;
  int64_t failover_start_ms = 0;
  int64_t failover_state_ms = 0;      // when the state last changed
  int64_t next_attempt_ms = 0;        // no new attempt before then
  int64_t select_deadline_ms = 0;     // kSelectReplica waits for fresh INFO until then
  std::string promoted;               // the chosen replica's key
  bool reported_down = false;         // what our last DownReport said
  int64_t last_down_report_ms = 0;    // when it was sent
  int64_t failover_not_before_ms = 0; // ODOWN seen: the candidacy waits a random moment
  int64_t empty_restart_ms = 0;       // it came back with a new run id and no keys then
};

}  // namespace tessera::sentinel
