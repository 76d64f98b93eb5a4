// The master's side of replication: the replication ID and offset, the backlog, and the
// replicas attached to this server (clients that sent PSYNC or SYNC). Every propagated write
// reaches it as a PropagationSink and becomes RESP bytes appended to the backlog and to each
// replica's output. A full resynchronization sends +FULLRESYNC, forks a BGSAVE, holds the
// replica's stream output meanwhile, then sends the RDB file as a bulk followed by the stream.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/core/server.h"
#include "server/replication/backlog.h"
#include "server/replication/replica_link.h"

namespace tessera {

class Replication : public PropagationSink, public ReplicaLinkHost {
 public:
  explicit Replication(Server& s);
  ~Replication() override;

  void Feed(int dbid, std::span<const std::string> argv) override;

  const std::string& replid() const { return replid_; }
  // Whether the backlog holds less than repl-timeout seconds of the current write rate (so a
  // replica cut off for that long would need a full sync): INFO repl_backlog_too_small.
  bool backlog_too_small() const { return backlog_too_small_; }
  double stream_rate() const { return stream_rate_.Rate(); }
  const std::string& replid2() const { return replid2_; }
  int64_t second_offset() const { return second_offset_; }
  int64_t offset() const { return offset_; }  // master_repl_offset
  const ReplBacklog* backlog() const { return backlog_.get(); }
  const std::vector<Client*>& replicas() const { return replicas_; }
  int stream_db() const { return stream_db_; }

  // PSYNC replid offset (or SYNC when `old_sync`): continues from the backlog when it can,
  // else starts a full resynchronization.
  void Psync(Client& c, std::string_view replid, int64_t next, bool old_sync);
  // REPLCONF ACK from a replica.
  void Ack(Client& c, int64_t offset);
  // A BGSAVE child finished (the RDB file at `path` when ok).
  void OnBgsaveDone(bool ok, const std::string& path);
  // Once per cron run: keepalives, pings, timeouts, pending full syncs, backlog size.
  void Cron();
  // A replica client goes away.
  void Remove(Client* c);
  // ---- FAILOVER (a coordinated handover to a replica, as Redis 6.2+) ----
  enum class FailoverState { kNone, kWaitForSync, kInProgress };
  // Starts it: pauses writes, waits until the target (or the most advanced online replica)
  // has every byte, then makes us its replica with PSYNC ... FAILOVER, which promotes it.
  // Empty on success, else the error reply.
  std::string StartFailover(const std::string& host, int port, bool force, int64_t timeout_ms);
  std::string AbortFailover();
  const char* FailoverStateName() const;
  // PSYNC <our replid> <offset> FAILOVER from our master: we take over as the master.
  bool AcceptFailover(std::string_view replid);

  // ---- synchronous mode (min-sync-replicas) ----
  // After a client's write: its replies wait until enough replicas acknowledge `offset`.
  void HoldReplies(Client& c, int64_t offset);
  // Whether c's output may leave now.
  bool RepliesHeld(const Client& c) const { return c.sync_hold_offset > 0; }
  // Writes are refused while fewer than min-sync-replicas replicas are online, and after a
  // hold timed out until the replicas caught up again; the error to give, or empty.
  std::string_view SyncWriteRefusal() const;

  // Online replicas that acknowledged within min-replicas-max-lag seconds.
  int GoodReplicas() const;
  // An explicit REPLICAOF: the next full sync may replace our data even with an empty
  // dataset under a new history (see TransferEnd).
  void AllowEmptySync() { allow_empty_sync_ = true; }
  // Replicas whose acknowledged offset reaches `offset` (WAIT).
  int CountAcked(int64_t offset) const;
  // A client blocked in WAIT: answered when enough replicas acknowledge (or on timeout).
  void AddWaiter(Client& c) { waiters_.push_back(c.id); }
  // Asks every online replica for an ACK (REPLCONF GETACK *), once per event-loop turn.
  void RequestAcks() { ack_requested_ = true; }
  void BeforeSleep();
  // The replica finished receiving its RDB bulk: it is online.
  void BulkSent(Client& c);
  // Before writing to a catching-up replica: hands it the next part of its stream from the
  // backlog when its output runs low. Leaves catch-up once it has every byte.
  void TopUp(Client& c);
  // Stream bytes held for catching-up replicas and replica output buffers: memory that
  // maxmemory does not count (mem_not_counted_for_evict).
  size_t MemoryNotCountedForEvict() const;
  // The address a replica is known by: REPLCONF ip-address if it sent one, else its peer IP.
  static std::string ReplicaIp(const Client& c);
  // "wait_bgsave", "send_bulk" or "online".
  static const char* StateName(const ReplicaInfo& r);
  // The RDB aux fields that let a replica restarted from this file continue by PSYNC.
  void AppendRdbAux(std::vector<std::pair<std::string, std::string>>* aux) const;
  // At start: the replication ID and offset an RDB file recorded. A replica continues from
  // them with PSYNC; a master keeps them as its second ID, so its replicas can continue too.
  void RestoreFromRdb(const std::vector<std::pair<std::string, std::string>>& aux);

  // ---- the replica's side ----
  bool is_replica() const { return !master_host_.empty(); }
  const std::string& master_host() const { return master_host_; }
  int master_port() const { return master_port_; }
  const ReplicaLink& link() const { return link_; }
  Client* master_client() const { return master_; }
  // REPLICAOF host port: follow that master (dropping our replicas, who resync with us).
  void SetMaster(const std::string& host, int port);
  // REPLICAOF NO ONE: become a master, keeping the history under the second ID.
  void Promote();
  // The network layer's events for the master link.
  void LinkConnected(Client& c);
  size_t LinkFeed(Client& c, const char* data, size_t n);
  bool LinkStreaming() const { return link_.state() == ReplicaLink::State::kConnected; }
  // A command from the master was applied: its bytes advance our offset and go on, as they
  // are, to our backlog and replicas.
  void MasterApplied(std::string_view bytes);
  // REPLCONF ACK <offset> to the master.
  void SendAck();

  // ReplicaLinkHost
  void LinkSend(std::string_view bytes) override;
  bool TransferBegin(const std::string& replid, int64_t offset, int64_t size) override;
  bool TransferData(std::string_view chunk) override;
  bool TransferEnd() override;
  void Continued(const std::string& replid) override;

 private:
  void CreateBacklog();
  void DisconnectReplicas();
  void DropMaster();
  // Closes and deletes a half-received payload file.
  void AbortTransfer();
  // Stops following a master (promotion, or an aborted FAILOVER): no link, keys expire here.
  void LeaveReplicaRole();
  void ReplicaCron(int64_t now);
  size_t KeysHeld();
  // Whether the received payload (the temp file, or memory) is an RDB without keys.
  bool PayloadHoldsNoKeys();
  void CheckWaiters();
  void CheckHolds(int64_t now);
  void FailoverCron(int64_t now);
  void EndFailover(bool reverted, std::string_view why);
  void AppendStream(std::string_view bytes);
  // Starts c's catch-up from stream byte `next`.
  void StartCatchup(Client& c, int64_t next);
  // Pins the backlog at the oldest byte a catching-up replica still needs.
  void UpdatePin();
  // Cuts a catching-up replica whose lag stays above the hard output limit without shrinking.
  void CheckCatchupLag(int64_t now);
  void StartFullSync(Client& c, bool old_sync);
  bool StartBgsaveForReplication();
  // Forks a child that streams the RDB, EOF-marked, to the waiting replicas that can take it.
  bool StartDisklessSync();
  void StartPendingSyncs(int64_t now);

  Server& s_;
  std::string replid_;
  std::string replid2_;
  int64_t second_offset_ = -1;
  int64_t offset_ = 0;
  std::unique_ptr<ReplBacklog> backlog_;
  std::vector<Client*> replicas_;
  int stream_db_ = -1;  // the db the stream last SELECTed (-1: the next write selects)
  bool sink_added_ = false;
  bool ack_requested_ = false;
  std::vector<uint64_t> waiters_;  // client ids blocked in WAIT
  std::vector<uint64_t> held_;     // client ids whose replies wait for replica ACKs
  bool sync_degraded_ = false;     // a hold timed out: refuse writes until replicas catch up
  FailoverState failover_ = FailoverState::kNone;
  std::string failover_host_;
  int failover_port_ = 0;
  bool failover_force_ = false;
  int64_t failover_deadline_ms_ = 0;  // 0: no timeout
  bool bgsave_for_replicas_ = false;  // the running BGSAVE feeds waiting replicas
  bool diskless_running_ = false;     // the running child streams to replica sockets
  int64_t last_ping_ms_ = 0;
  InstantaneousMetric stream_rate_;  // bytes/s fed into the stream
  bool backlog_too_small_ = false;
  int64_t last_backlog_warning_ms_ = 0;
  int64_t no_replicas_since_ms_ = 0;
  // Replica side.
  std::string master_host_;
  int master_port_ = 0;
  ReplicaLink link_{this};
  Client* master_ = nullptr;
  int64_t last_connect_ms_ = 0;
  int64_t link_down_since_ms_ = 0;  // when the link to the master last went down

 public:
  int64_t link_down_since_ms() const { return link_down_since_ms_; }

 private:
  int64_t last_ack_ms_ = 0;
  int transfer_fd_ = -1;
  bool transfer_in_memory_ = false;  // repl-diskless-load: the payload is kept in transfer_mem_
  std::string transfer_mem_;
  bool allow_empty_sync_ = false;
 public:
  uint64_t empty_master_refusals() const { return empty_master_refusals_; }

 private:
  uint64_t empty_master_refusals_ = 0;
  std::string transfer_tmp_;
  std::string transfer_replid_;
  int64_t transfer_offset_ = 0;
  int64_t last_newline_ms_ = 0;
};

}  // namespace tessera
