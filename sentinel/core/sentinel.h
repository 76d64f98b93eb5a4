// The sentinel's logic as a state machine with no sockets and no clock of its own: the I/O
// shell (sentinel/server.cc) feeds it what happened (replies from watched servers, hello
// messages, bus messages, the time) and carries out what it asks for (commands to send, bus
// messages, events to publish, the state file to save). Unit tests drive it the same way.
//
// Monitoring: PING every ping period (down-after / 10, at most 1 s), INFO every 10 s (1 s
// while the master is down or failing over), a hello on each server's `__sentinel__:hello`
// channel every 2 s. SDOWN: no valid PING reply for down-after-milliseconds. ODOWN: SDOWN here
// and in `quorum` sentinels' reports (pushed over the bus, repeated while down).
//
// Failover: a sentinel that sees ODOWN waits a random moment (less than half a ping period),
// then asks for votes in a new epoch; each sentinel votes once per epoch, and a leader needs
// max(quorum, majority of all known sentinels). The leader asks the candidates for a fresh
// INFO, picks one (priority, then offset, then run id), sends REPLICAOF NO ONE, polls until it
// reports role:master, tells every sentinel the new configuration at once, repoints the other
// replicas parallel-syncs at a time and switches. Every step is bounded by failover-timeout;
// a candidate that wins no election retries after a random delay, and a sentinel that voted
// for a leader that went silent (or took longer than failover-timeout) runs itself.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "common/resp/value.h"
#include "sentinel/core/model.h"

namespace tessera::sentinel {

// One watched server: its master's name, and the replica's "ip:port" ("" for the master).
struct InstanceRef {
  std::string master;
  std::string replica;
  auto operator<=>(const InstanceRef&) const = default;
};

struct CommandOut {
  InstanceRef ref;
  Addr addr;
  std::string auth_user, auth_pass;
  Cmd cmd;
  // Several commands are a batch (MULTI ... EXEC): only the last reply is reported.
  std::vector<std::vector<std::string>> commands;
};

struct BusOut {
  std::string to;       // a sentinel's run id
  std::string type;     // "sentinel.hello", ...
  std::string payload;  // the serialized message
};

struct EventOut {
  LogLevel level;
  std::string type;     // the channel: "+sdown", "+switch-master", ...
  std::string message;  // "master mymaster 127.0.0.1 6379"
};

// A sentinel to link to on the bus (the shell drops bus members no master knows any more).
struct PeerOut {
  std::string id;
  Addr bus;
};

struct Outbox {
  std::vector<CommandOut> commands;
  std::vector<BusOut> bus;
  std::vector<EventOut> events;
  std::vector<PeerOut> peers;
  std::vector<InstanceRef> close_links;  // drop the connection (it is re-made on demand)
  bool save_state = false;
  bool instances_changed = false;        // the set of watched servers changed
  bool crash = false;                    // SENTINEL SIMULATE-FAILURE asked for it now
};

// Timings; SENTINEL DEBUG changes them at runtime.
struct Timing {
  int64_t info_period_ms = 10000;
  int64_t ping_period_ms = 1000;   // at most; a master's is down-after / 10, at least 50 ms
  int64_t publish_period_ms = 2000;
  int64_t bus_hello_period_ms = 1000;
  int64_t tilt_trigger_ms = 2000;
  int64_t tilt_period_ms = 30000;
  int64_t replica_reconf_timeout_ms = 10000;
  int64_t election_timeout_ms = 10000;  // at most; also bounded by failover-timeout
  int64_t default_down_after_ms = 30000;
  int64_t default_failover_timeout_ms = 180000;
  int64_t promotion_poll_ms = 20;
};

struct Identity {
  std::string myid;
  Addr announce;          // the client address in our hellos (host "" = the link's local IP)
  std::string bus_host;   // "" = the same host as announced
  int bus_port = 0;
  bool announce_hostnames = false;
};

// A master's definition (configuration or SENTINEL MONITOR) and what the state file kept.
struct MasterSpec {
  std::string name;
  Addr addr;
  int quorum = 2;
  int64_t down_after_ms = 0;        // 0: the default
  int64_t failover_timeout_ms = 0;  // 0: the default
  int parallel_syncs = 1;
  std::string auth_pass, auth_user;
  uint64_t config_epoch = 0;
  uint64_t leader_epoch = 0;
  std::vector<Addr> known_replicas;
  std::vector<Peer> known_sentinels;
};

// Results of SENTINEL IS-MASTER-DOWN-BY-ADDR.
struct DownVote {
  bool down = false;
  std::string leader = "*";
  uint64_t leader_epoch = 0;
};

enum SimulateFailure : uint32_t {
  kCrashAfterElection = 1,
  kCrashAfterPromotion = 2,
};

class Sentinel {
 public:
  Sentinel(Identity id, uint64_t current_epoch, Timing timing = {});

  // ---- inputs
  void Tick(int64_t now);
  void OnLink(const InstanceRef& ref, bool up);
  // The reply to a command (errors are kError values).
  void OnReply(const InstanceRef& ref, Cmd cmd, const resp::Value& reply, int64_t now);
  // A message on `__sentinel__:hello` (heard on a watched server, or PUBLISHed to us).
  void OnHello(std::string_view payload, int64_t now);
  void OnBus(const std::string& from, const std::string& type, const std::string& payload,
             int64_t now);
  // The bus's failure detector on a sentinel: alive again, or not heard for its timeout.
  void OnPeerLiveness(const std::string& id, bool alive, int64_t now);

  Outbox TakeOutbox();

  // ---- administration (SENTINEL subcommands); errors are full error texts ("ERR ...")
  std::string Monitor(const MasterSpec& spec, int64_t now);
  bool Remove(const std::string& name);
  // One SENTINEL SET option; "" on success.
  std::string Set(const std::string& name, const std::string& option, const std::string& value);
  int Reset(std::string_view pattern, int64_t now);
  std::string Failover(const std::string& name, int64_t now);
  // CKQUORUM: usable sentinels (this one included); the bits say what cannot be reached.
  int UsableSentinels(const Master& m, bool* no_quorum, bool* no_majority) const;
  DownVote IsMasterDownByAddr(const Addr& addr, uint64_t epoch, const std::string& runid,
                              int64_t now);
  void set_simulate_failure(uint32_t flags) { simulate_failure_ = flags; }
  uint32_t simulate_failure() const { return simulate_failure_; }

  // ---- what the API and the state file read
  const std::map<std::string, Master>& masters() const { return masters_; }
  const Master* FindMaster(const std::string& name) const;
  // The address clients should use: the promoted replica once a failover passed promotion.
  Addr CurrentMasterAddr(const Master& m) const;
  // The address to show: a hostname becomes its last resolved IP unless announce-hostnames.
  std::string Shown(const Addr& a) const;
  uint64_t current_epoch() const { return current_epoch_; }
  const Identity& identity() const { return id_; }
  Identity& mutable_identity() { return id_; }
  Timing& timing() { return timing_; }
  bool tilt() const { return tilt_; }
  int64_t tilt_since_ms() const { return tilt_ ? tilt_start_ms_ : -1; }
  int64_t PingPeriod(const Master& m) const;
  // Every server to keep a hello subscription with: (ref, address, auth user, auth pass).
  void ForEachInstance(
      const std::function<void(const InstanceRef&, const Addr&, const Master&)>& fn) const;
  // Sets how a link's local IP is found (hellos announce it when announce-ip is empty).
  void set_local_ip_fn(std::function<std::string(const InstanceRef&)> fn) {
    local_ip_ = std::move(fn);
  }
  // Resolved IPs of hostnames, for Shown().
  void NoteResolved(const std::string& host, const std::string& ip) { resolved_[host] = ip; }
  // Random numbers for election delays (tests make them fixed).
  void set_random_fn(std::function<uint64_t()> fn) { random_ = std::move(fn); }

  // The text of the state file (the format the configuration parser reads).
  std::string SerializeState() const;

 private:
  // monitoring (sentinel.cc)
  Master* FindMasterMut(const std::string& name);
  Instance* Find(const InstanceRef& ref, Master** master = nullptr);
  void TickMaster(Master& m, int64_t now);
  void TickInstance(Master& m, Instance& ri, const InstanceRef& ref, int64_t now);
  void CheckSDown(Master& m, Instance& ri, int64_t now);
  void CheckODown(Master& m, int64_t now);
  void SendDownReports(Master& m, int64_t now);
  void OnPingReply(Master& m, Instance& ri, const resp::Value& reply, int64_t now);
  void OnInfoReply(Master& m, Instance& ri, const InstanceRef& ref, const std::string& text,
                   int64_t now);
  // Whether a replica's last INFO says it replicates from `master`.
  bool FollowsMaster(const Instance& ri, const Addr& master) const;
  void RefreshReplicaRoles(Master& m, Instance& ri, const InstanceRef& ref, int64_t now);
  void Send(const InstanceRef& ref, Instance& ri, const Master& m, Cmd cmd,
            std::vector<std::vector<std::string>> commands);
  void PublishHello(Master& m, Instance& ri, const InstanceRef& ref, int64_t now);
  void SendBusHello(int64_t now);
  std::string HelloText(const Master& m, const InstanceRef& ref) const;
  Peer* NotePeer(Master& m, const std::string& runid, const Addr& addr, const Addr& bus,
                 int64_t now);
  void AdoptEpoch(uint64_t epoch);
  void AdoptConfig(Master& m, const Addr& addr, uint64_t config_epoch, const Peer* from,
                   int64_t now);
  void ResetMaster(Master& m, const Addr& new_addr, int64_t now);
  Instance& AddReplica(Master& m, const Addr& addr, int64_t now);
  void CheckTilt(int64_t now);
  void Event(LogLevel level, const std::string& type, const std::string& msg);
  void EventAbout(LogLevel level, const std::string& type, const Master& m, const Instance* ri,
                  const std::string& extra = "");
  std::string Describe(const Master& m, const Instance* ri) const;
  uint64_t Random();

  // election and failover (failover.cc)
  void StartFailoverIfNeeded(Master& m, int64_t now);
  void StartFailover(Master& m, int64_t now, bool forced);
  void RequestVotes(Master& m);
  void OnVoteRequest(const std::string& from, const std::string& payload, int64_t now);
  void OnVoteReply(const std::string& from, const std::string& payload, int64_t now);
  bool GrantVote(Master& m, uint64_t epoch, const std::string& candidate, int64_t now);
  void TickFailover(Master& m, int64_t now);
  void CheckElection(Master& m, int64_t now);
  void SelectReplica(Master& m, int64_t now);
  Instance* BestReplica(Master& m, int64_t now);
  void SendPromotion(Master& m, int64_t now);
  void OnPromoted(Master& m, Instance& ri, int64_t now);
  void ReconfReplicas(Master& m, int64_t now);
  void CheckReconfDone(Master& m, int64_t now);
  void SwitchToPromoted(Master& m, int64_t now);
  void AbortFailover(Master& m, const std::string& why, int64_t now);
  void SetFailoverState(Master& m, FailoverState s, int64_t now);
  int64_t ElectionTimeout(const Master& m) const;
  size_t VotersNeeded(const Master& m) const;
  std::vector<std::vector<std::string>> ReplicaOfCommands(const Addr& to) const;

  Identity id_;
  uint64_t current_epoch_;
  Timing timing_;
  std::map<std::string, Master> masters_;
  Outbox out_;
  bool tilt_ = false;
  int64_t tilt_start_ms_ = 0;
  int64_t last_tick_ms_ = 0;
  int64_t last_bus_hello_ms_ = 0;
  uint32_t simulate_failure_ = 0;
  std::map<std::string, std::string> resolved_;
  std::function<std::string(const InstanceRef&)> local_ip_;
  std::function<uint64_t()> random_;
  uint64_t rng_state_ = 0x9e3779b97f4a7c15ULL;
};

}  // namespace tessera::sentinel
