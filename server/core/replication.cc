#include "server/core/replication.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/core.h>

#include "common/file.h"
#include "common/hash.h"
#include "common/log.h"
#include "server/core/client.h"
#include "server/keyspace/keyspace.h"
#include "server/persistence/aof.h"
#include "server/persistence/rdb_file.h"

namespace tessera {

namespace {

}  // namespace

Replication::Replication(Server& s) : s_(s), replid_(RandomHexId()), replid2_(40, '0') {}

Replication::~Replication() = default;

std::string Replication::ReplicaIp(const Client& c) {
  if (c.repl && !c.repl->announced_ip.empty()) return c.repl->announced_ip;
  std::string ip = c.addr.substr(0, c.addr.rfind(':'));
  if (ip.size() >= 2 && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
  return ip;
}

const char* Replication::StateName(const ReplicaInfo& r) {
  switch (r.state) {
    case ReplicaInfo::State::kWaitBgsaveStart:
    case ReplicaInfo::State::kWaitBgsaveEnd:
      return "wait_bgsave";
    case ReplicaInfo::State::kSendBulk:
    case ReplicaInfo::State::kWaitAck:
      return "send_bulk";
    case ReplicaInfo::State::kOnline:
      return "online";
  }
  return "online";
}

void Replication::CreateBacklog() {
  if (backlog_) return;
  no_replicas_since_ms_ = s_.clock().NowMs();
  backlog_ = std::make_unique<ReplBacklog>(static_cast<size_t>(s_.config().repl_backlog_size),
                                           offset_);
  stream_db_ = -1;
  if (!sink_added_) {
    s_.AddSink(this);
    sink_added_ = true;
  }
}

void Replication::AppendStream(std::string_view bytes) {
  offset_ += static_cast<int64_t>(bytes.size());
  backlog_->Append(bytes);
  for (Client* r : replicas_) {
    const ReplicaInfo& info = *r->repl;
    // A replica waiting for its BGSAVE to start will get a snapshot of a later moment.
    if (info.state == ReplicaInfo::State::kWaitBgsaveStart) continue;
    if (info.catchup) {
      // It reads these bytes from the backlog when its output runs low.
      if (info.state == ReplicaInfo::State::kOnline) s_.QueueWrite(*r);
      continue;
    }
    r->out.Append(bytes);
    s_.QueueWrite(*r);
    s_.CheckOutputLimits(*r);
  }
}

void Replication::StartCatchup(Client& c, int64_t next) {
  ReplicaInfo& r = *c.repl;
  r.catchup = true;
  r.next = next;
  r.lag_checked_ms = 0;
  UpdatePin();
}

void Replication::UpdatePin() {
  if (!backlog_) return;
  int64_t pin = -1;
  for (Client* c : replicas_) {
    const ReplicaInfo& r = *c->repl;
    if (r.catchup && (pin < 0 || r.next < pin)) pin = r.next;
  }
  backlog_->Pin(pin);
}

void Replication::TopUp(Client& c) {
  // Enough to keep a fast socket busy between loop turns, little enough that the stream is
  // held once, in the backlog, rather than per replica.
  constexpr size_t kLowWater = 256 << 10;
  constexpr size_t kTopUp = 1 << 20;
  ReplicaInfo& r = *c.repl;
  if (!r.catchup || r.state != ReplicaInfo::State::kOnline || c.out.pending() >= kLowWater) {
    return;
  }
  if (!backlog_ || !backlog_->Covers(r.next)) {
    LogWarning("Replica {} needs stream offset {} that the backlog no longer holds", c.addr,
               r.next);
    r.catchup = false;
    s_.ScheduleClose(&c, false);
    UpdatePin();
    return;
  }
  r.next += static_cast<int64_t>(
      backlog_->Visit(r.next, kTopUp, [&c](std::string_view piece) { c.out.Append(piece); }));
  if (r.next > offset_) {
    // Every byte is in its output: from now on the stream is appended to it directly.
    r.catchup = false;
    LogVerbose("Replica {} caught up with the stream at offset {}", c.addr, offset_);
  }
  UpdatePin();
}

size_t Replication::MemoryNotCountedForEvict() const {
  size_t n = backlog_ ? backlog_->pinned_excess() : 0;
  const std::string* bulk_counted = nullptr;  // the replicas of one BGSAVE share its bulk
  for (const Client* c : replicas_) {
    const ReplicaInfo& r = *c->repl;
    n += c->out.allocated() + r.preamble.capacity();
    if (r.bulk && r.bulk.get() != bulk_counted) {
      bulk_counted = r.bulk.get();
      n += bulk_counted->size();
    }
  }
  return n;
}

void Replication::CheckCatchupLag(int64_t now) {
  // A full sync produces its own backlog of writes (those made while the snapshot is taken,
  // sent and loaded), whatever the output limit: cutting the replica for holding them would
  // only start another full sync that holds as many (a resync storm). So a catching-up
  // replica is measured by whether it converges: it is cut only when its lag stays above the
  // hard `client-output-buffer-limit replica` for a whole window (the soft seconds, at least
  // 10 s) without shrinking -- its link is slower than the write rate.
  const OutputBufferLimit& lim = s_.config().obuf_limits[kClassReplica];
  int64_t window_ms = std::max<int64_t>(lim.soft_seconds, 10) * 1000;
  for (Client* c : std::vector<Client*>(replicas_)) {
    ReplicaInfo& r = *c->repl;
    if (!r.catchup || r.state != ReplicaInfo::State::kOnline) continue;
    int64_t lag = offset_ + 1 - r.next + static_cast<int64_t>(c->out.pending());
    if (lim.hard <= 0 || lag < lim.hard) {
      r.lag_checked_ms = 0;
      continue;
    }
    if (r.lag_checked_ms == 0) {
      r.lag_checked_ms = now;
      r.lag_at_check = lag;
      continue;
    }
    if (now - r.lag_checked_ms < window_ms) continue;
    if (lag >= r.lag_at_check) {
      LogWarning("Replica {} is not keeping up: {} bytes behind, {} {} s ago; disconnecting",
                 c->addr, lag, r.lag_at_check, (now - r.lag_checked_ms) / 1000);
      ++s_.stats().client_outbuf_limit_disconnections;
      s_.ScheduleClose(c, false);
      continue;
    }
    r.lag_checked_ms = now;
    r.lag_at_check = lag;
  }
}

void Replication::Feed(int dbid, std::span<const std::string> argv) {
  // A replica passes on its master's stream as it came (MasterApplied), not its own effects.
  if (is_replica()) return;
  std::string bytes;
  aof::AppendCommandInDb(bytes, dbid, &stream_db_, argv);
  AppendStream(bytes);
}

void Replication::AppendRdbAux(std::vector<std::pair<std::string, std::string>>* aux) const {
  if (!backlog_) return;
  aux->emplace_back("repl-stream-db", std::to_string(stream_db_ < 0 ? 0 : stream_db_));
  aux->emplace_back("repl-id", replid_);
  aux->emplace_back("repl-offset", std::to_string(offset_));
}

void Replication::Psync(Client& c, std::string_view replid, int64_t next, bool old_sync) {
  if (!c.repl) c.repl = std::make_unique<ReplicaInfo>();
  ReplicaInfo& r = *c.repl;
  r.old_sync = old_sync;
  // Continue from the backlog: the same history (our ID, or the ID we had before a promotion
  // up to where it ended) and the offset still held.
  if (!old_sync && backlog_ &&
      ((replid == replid_) || (replid == replid2_ && next <= second_offset_)) &&
      backlog_->Covers(next)) {
    c.flags |= kClientReplica;
    r.state = ReplicaInfo::State::kOnline;
    r.ack_time_ms = s_.clock().NowMs();
    replicas_.push_back(&c);
    c.out.Append(r.capa_psync2 ? fmt::format("+CONTINUE {}\r\n", replid_) : "+CONTINUE\r\n");
    StartCatchup(c, next);  // the missing bytes come from the backlog as the socket takes them
    s_.QueueWrite(c);
    ++s_.stats().sync_partial_ok;
    LogNotice("Partial resynchronization request from {} accepted. Sending {} bytes of backlog "
              "starting from offset {}.", c.addr, offset_ + 1 - next, next);
    return;
  }
  if (!old_sync && replid != "?") {
    ++s_.stats().sync_partial_err;
    LogNotice("Partial resynchronization not accepted for {} (replid {}, offset {}): full sync",
              c.addr, replid, next);
  } else {
    LogNotice("Replica {} asks for synchronization", c.addr);
  }
  StartFullSync(c, old_sync);
}

void Replication::StartFullSync(Client& c, bool old_sync) {
  ReplicaInfo& r = *c.repl;
  CreateBacklog();
  c.flags |= kClientReplica;
  r.state = ReplicaInfo::State::kWaitBgsaveStart;
  r.ack_time_ms = s_.clock().NowMs();
  replicas_.push_back(&c);
  ++s_.stats().sync_full;
  (void)old_sync;
  if (s_.rdb_child_pid() > 0 || s_.aof_child_pid() > 0) {
    LogNotice("Waiting for the running child to finish before the full sync of {}", c.addr);
  }
  StartPendingSyncs(s_.clock().NowMs());
}

void Replication::StartPendingSyncs(int64_t now) {
  if (s_.rdb_child_pid() > 0 || s_.aof_child_pid() > 0) return;
  if (is_replica() && !LinkStreaming()) return;  // nothing consistent to send yet
  size_t eof_capable = 0, others = 0;
  int64_t oldest = now;
  for (Client* c : replicas_) {
    const ReplicaInfo& r = *c->repl;
    if (r.state != ReplicaInfo::State::kWaitBgsaveStart) continue;
    (r.capa_eof ? eof_capable : others)++;
    oldest = std::min(oldest, r.ack_time_ms);
  }
  const ServerConfig& cfg = s_.config();
  if (cfg.repl_diskless_sync && eof_capable > 0) {
    // Wait repl-diskless-sync-delay seconds for more replicas to share the transfer, unless
    // repl-diskless-sync-max-replicas are already here.
    bool enough = cfg.repl_diskless_sync_max_replicas > 0 &&
                  eof_capable >= static_cast<size_t>(cfg.repl_diskless_sync_max_replicas);
    if (enough || now - oldest >= cfg.repl_diskless_sync_delay * 1000) StartDisklessSync();
    return;
  }
  if (others > 0 || eof_capable > 0) StartBgsaveForReplication();
}

namespace {

// Writes all of `data` to a non-blocking socket, waiting for room up to timeout_ms per wait.
bool WriteFully(int fd, std::string_view data, int timeout_ms) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd p = {fd, POLLOUT, 0};
      if (poll(&p, 1, timeout_ms) <= 0) return false;
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace

bool Replication::StartDisklessSync() {
  const ServerConfig& cfg = s_.config();
  int timeout_ms = static_cast<int>(std::min<int64_t>(cfg.repl_timeout * 1000, INT32_MAX));
  std::string mark = RandomHexId();
  stream_db_ = -1;
  int64_t at = offset_;
  std::vector<int> fds;
  for (Client* c : std::vector<Client*>(replicas_)) {
    ReplicaInfo& r = *c->repl;
    if (r.state != ReplicaInfo::State::kWaitBgsaveStart || !r.capa_eof) continue;
    // What the parent still had for it, +FULLRESYNC and the payload header go out now: from
    // the fork on, only the child writes to this socket until the transfer ends.
    std::string head = r.preamble.substr(r.preamble_sent);
    if (!r.old_sync) head += fmt::format("+FULLRESYNC {} {}\r\n", replid_, at);
    head += "$EOF:" + mark + "\r\n";
    r.preamble.clear();
    r.preamble_sent = 0;
    if (c->fd < 0 || !WriteFully(c->fd, head, 1000)) {
      s_.ScheduleClose(c, false);
      continue;
    }
    r.state = ReplicaInfo::State::kWaitBgsaveEnd;
    r.diskless = true;
    r.initial_offset = at;
    StartCatchup(*c, at + 1);
    fds.push_back(c->fd);
  }
  if (fds.empty()) return false;
  rdb::SaveOptions opts = s_.RdbSaveOptionsForReplication();
  Keyspace& ks = s_.keyspace();
  pid_t pid = s_.ForkChild([&ks, opts, fds, mark, timeout_ms]() mutable {
    // Every chunk goes to every replica still healthy; one that stalls longer than
    // repl-timeout is dropped and the others go on.
    size_t live = fds.size();
    rdb::Sink sink = [&](std::string_view chunk) {
      for (int& fd : fds) {
        if (fd >= 0 && !WriteFully(fd, chunk, timeout_ms)) {
          fd = -1;
          --live;
        }
      }
      return live > 0;
    };
    bool ok = rdb::Stream(ks, opts, sink) && sink(mark);
    return ok && live == fds.size();
  });
  if (pid < 0) {
    LogWarning("Can't fork for the diskless sync: {}", strerror(errno));
    for (Client* c : std::vector<Client*>(replicas_)) {
      if (c->repl->diskless && c->repl->state == ReplicaInfo::State::kWaitBgsaveEnd) {
        s_.ScheduleClose(c, false);
      }
    }
    return false;
  }
  s_.AdoptSocketSave(pid);
  diskless_running_ = true;
  LogNotice("Starting BGSAVE for SYNC with target: replicas sockets ({} replicas)", fds.size());
  return true;
}

bool Replication::StartBgsaveForReplication() {
  // The snapshot is of this moment, which is offset_: every waiting replica starts here, and
  // the next write selects its db again.
  std::string err;
  stream_db_ = -1;
  int64_t at = offset_;
  if (!s_.RdbBackgroundSave(&err)) {
    LogWarning("BGSAVE for replication failed: {}", err);
    for (Client* r : std::vector<Client*>(replicas_)) {
      if (r->repl->state == ReplicaInfo::State::kWaitBgsaveStart) s_.ScheduleClose(r, false);
    }
    return false;
  }
  bgsave_for_replicas_ = true;
  LogNotice("Starting BGSAVE for SYNC with target: disk");
  for (Client* c : replicas_) {
    ReplicaInfo& r = *c->repl;
    if (r.state != ReplicaInfo::State::kWaitBgsaveStart) continue;
    r.state = ReplicaInfo::State::kWaitBgsaveEnd;
    r.initial_offset = at;
    StartCatchup(*c, at + 1);
    if (!r.old_sync) r.preamble += fmt::format("+FULLRESYNC {} {}\r\n", replid_, at);
    s_.QueueWrite(*c);
  }
  return true;
}

void Replication::OnBgsaveDone(bool ok, const std::string& path) {
  if (diskless_running_) {
    diskless_running_ = false;
    for (Client* c : std::vector<Client*>(replicas_)) {
      ReplicaInfo& r = *c->repl;
      if (!r.diskless || r.state != ReplicaInfo::State::kWaitBgsaveEnd) continue;
      if (ok && r.acked_load) {
        BulkSent(*c);  // its ACK came before we noticed the child's end
        s_.QueueWrite(*c);
      } else if (ok) {
        r.state = ReplicaInfo::State::kWaitAck;  // online at its first ACK, after its load
      } else {
        LogWarning("Diskless transfer to replica {} failed", c->addr);
        s_.ScheduleClose(c, false);
      }
    }
    StartPendingSyncs(s_.clock().NowMs());
    return;
  }
  if (!bgsave_for_replicas_) {
    // A user's BGSAVE: replicas waiting for a child to finish get their own now.
    StartPendingSyncs(s_.clock().NowMs());
    return;
  }
  bgsave_for_replicas_ = false;
  auto rdb = std::make_shared<std::string>();
  if (ok) ok = ReadWholeFile(path, rdb.get());
  // rdb-del-sync-files: a server that persists nothing keeps no file made only for a sync.
  if (ok && s_.config().rdb_del_sync_files && s_.config().save.empty() && !s_.aof_enabled()) {
    unlink(path.c_str());
  }
  for (Client* c : std::vector<Client*>(replicas_)) {
    ReplicaInfo& r = *c->repl;
    if (r.state != ReplicaInfo::State::kWaitBgsaveEnd) continue;
    if (!ok) {
      LogWarning("SYNC failed. BGSAVE child returned an error");
      s_.ScheduleClose(c, false);
      continue;
    }
    r.preamble += fmt::format("${}\r\n", rdb->size());
    r.bulk = rdb;
    r.bulk_sent = 0;
    r.state = ReplicaInfo::State::kSendBulk;
    s_.QueueWrite(*c);
    LogNotice("Synchronization with replica {} started: sending {} bytes", c->addr, rdb->size());
  }
  // Replicas that arrived while this child ran need a snapshot of their own.
  StartPendingSyncs(s_.clock().NowMs());
}

void Replication::BulkSent(Client& c) {
  ReplicaInfo& r = *c.repl;
  r.state = ReplicaInfo::State::kOnline;
  r.ack_time_ms = s_.clock().NowMs();
  std::string().swap(r.preamble);
  r.preamble_sent = 0;
  r.bulk.reset();
  r.bulk_sent = 0;
  LogNotice("Synchronization with replica {} succeeded", c.addr);
}

void Replication::Ack(Client& c, int64_t offset) {
  if (!c.repl) return;
  if (c.repl->state == ReplicaInfo::State::kWaitAck) {
    BulkSent(c);
    s_.QueueWrite(c);  // the stream held since the fork goes out now
  } else if (c.repl->state == ReplicaInfo::State::kWaitBgsaveEnd && c.repl->diskless) {
    // The EOF mark is the child's last write: an ACK means the replica loaded it all, though
    // the child's end is noticed only at the next cron.
    c.repl->acked_load = true;
  }
  c.repl->ack_offset = std::max(c.repl->ack_offset, offset);
  c.repl->ack_time_ms = s_.clock().NowMs();
  CheckWaiters();
  if (!held_.empty() || sync_degraded_) CheckHolds(s_.clock().NowMs());
}

void Replication::HoldReplies(Client& c, int64_t offset) {
  if (c.sync_hold_offset == 0) {
    c.sync_hold_since_ms = s_.clock().NowMs();
    held_.push_back(c.id);
  }
  c.sync_hold_offset = offset;
  RequestAcks();  // replicas answer GETACK at once instead of within a second
}

std::string_view Replication::SyncWriteRefusal() const {
  int64_t n = s_.config().min_sync_replicas;
  if (n <= 0 || is_replica()) return {};
  size_t online = 0;
  for (const Client* c : replicas_) {
    if (c->repl->state == ReplicaInfo::State::kOnline) ++online;
  }
  if (online < static_cast<size_t>(n)) {
    return "NOREPLICAS Not enough replicas to acknowledge writes (min-sync-replicas).";
  }
  if (sync_degraded_) {
    return "NOREPLICAS Replicas did not acknowledge writes within repl-timeout "
           "(min-sync-replicas); writes resume once they catch up.";
  }
  return {};
}

void Replication::CheckHolds(int64_t now) {
  int n = static_cast<int>(s_.config().min_sync_replicas);
  if (sync_degraded_ && CountAcked(offset_) >= std::max(n, 1)) {
    sync_degraded_ = false;
    LogNotice("Replicas caught up: synchronous writes accepted again");
  }
  std::vector<uint64_t> still;
  int64_t timeout_ms = s_.config().repl_timeout * 1000;
  for (uint64_t id : held_) {
    Client* c = s_.FindClient(id);
    if (c == nullptr || c->sync_hold_offset == 0) continue;
    if (n <= 0 || CountAcked(c->sync_hold_offset) >= n) {
      c->sync_hold_offset = 0;  // acknowledged: the replies may go
      s_.QueueWrite(*c);
      continue;
    }
    if (now - c->sync_hold_since_ms > timeout_ms) {
      // The write is here but not on enough replicas: its client cannot be told it succeeded.
      // Closing the connection leaves the outcome unknown to it, which is the truth.
      LogWarning("Write of client {} not acknowledged by {} replicas within repl-timeout: "
                 "closing it and refusing writes until the replicas catch up", c->addr, n);
      sync_degraded_ = true;
      c->sync_hold_offset = 0;
      s_.ScheduleClose(c, false);
      continue;
    }
    still.push_back(id);
  }
  held_.swap(still);
}

void Replication::CheckWaiters() {
  std::vector<uint64_t> still;
  for (uint64_t id : waiters_) {
    Client* c = s_.FindClient(id);
    if (c == nullptr || c->blocked == nullptr || c->blocked->wait_offset < 0) continue;
    if (CountAcked(c->blocked->wait_offset) >= c->blocked->wait_replicas) {
      s_.UnblockClient(*c, false);
    } else {
      still.push_back(id);
    }
  }
  waiters_.swap(still);
}

int Replication::GoodReplicas() const {
  int64_t now_s = s_.clock().NowMs() / 1000;
  int n = 0;
  for (const Client* c : replicas_) {
    const ReplicaInfo& r = *c->repl;
    if (r.state == ReplicaInfo::State::kOnline &&
        now_s - r.ack_time_ms / 1000 <= s_.config().min_replicas_max_lag) {
      ++n;
    }
  }
  return n;
}

int Replication::CountAcked(int64_t offset) const {
  int n = 0;
  for (const Client* c : replicas_) {
    if (c->repl->state == ReplicaInfo::State::kOnline && c->repl->ack_offset >= offset) ++n;
  }
  return n;
}

void Replication::AbortTransfer() {
  if (transfer_fd_ >= 0) {
    close(transfer_fd_);
    transfer_fd_ = -1;
    unlink(transfer_tmp_.c_str());
  }
}

void Replication::Remove(Client* c) {
  if (c == master_) {
    master_ = nullptr;
    AbortTransfer();
    if (is_replica()) {
      LogNotice("Connection with master lost ({}).", link_.error().empty() ? "closed" : link_.error());
      if (LinkStreaming()) link_down_since_ms_ = s_.clock().NowMs();
      link_.Reset();
    }
    return;
  }
  auto it = std::find(replicas_.begin(), replicas_.end(), c);
  if (it == replicas_.end()) return;
  replicas_.erase(it);
  UpdatePin();
  LogNotice("Connection with replica {} lost.", c->addr);
}

void Replication::BeforeSleep() {
  if (!waiters_.empty()) CheckWaiters();
  if (!held_.empty()) CheckHolds(s_.clock().NowMs());
  if (!ack_requested_) return;
  // Not while writes are paused (FAILOVER waits for a replica to reach our exact offset, and
  // a GETACK would move it): the replicas' own ACK each second serves then.
  if (s_.pause_type() != PauseType::kNone) return;
  ack_requested_ = false;
  static const std::string kGetAck = "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";
  if (backlog_ && !replicas_.empty()) AppendStream(kGetAck);
}

void Replication::Cron() {
  int64_t now = s_.clock().NowMs();
  stream_rate_.Sample(now, static_cast<uint64_t>(offset_));
  if (backlog_) {
    double need = stream_rate_.Rate() * static_cast<double>(s_.config().repl_timeout);
    backlog_too_small_ = need > static_cast<double>(backlog_->size());
    if (backlog_too_small_ && now - last_backlog_warning_ms_ >= 60000) {
      last_backlog_warning_ms_ = now;
      LogWarning("repl-backlog-size ({} bytes) holds less than repl-timeout ({} s) of writes at "
                 "the current rate ({:.0f} bytes/s): a replica cut off for that long will need a "
                 "full sync. Consider repl-backlog-size {} or more.",
                 backlog_->size(), s_.config().repl_timeout, stream_rate_.Rate(),
                 static_cast<uint64_t>(need * 2));
    }
  }
  if (failover_ != FailoverState::kNone) FailoverCron(now);
  if (is_replica()) ReplicaCron(now);
  if (!held_.empty() || sync_degraded_) CheckHolds(now);
  if (!replicas_.empty()) {
    no_replicas_since_ms_ = now;
  } else if (backlog_ && !is_replica() && s_.config().repl_backlog_ttl > 0 &&
             now - no_replicas_since_ms_ > s_.config().repl_backlog_ttl * 1000) {
    // repl-backlog-ttl: no replica for that long, so nobody can continue this history.
    LogNotice("Replication backlog freed after {} seconds without connected replicas.",
              s_.config().repl_backlog_ttl);
    replid_ = RandomHexId();
    replid2_ = std::string(40, '0');
    second_offset_ = -1;
    backlog_.reset();
    s_.RemoveSink(this);
    sink_added_ = false;
  }
  if (replicas_.empty()) return;
  // Keepalive newlines to replicas waiting for their snapshot (they ignore them).
  if (now - last_newline_ms_ >= 1000) {
    last_newline_ms_ = now;
    for (Client* c : replicas_) {
      ReplicaInfo& r = *c->repl;
      // (Never while a child writes to the socket.)
      if (r.state == ReplicaInfo::State::kWaitBgsaveStart ||
          (r.state == ReplicaInfo::State::kWaitBgsaveEnd && !r.diskless)) {
        r.preamble += "\n";
        s_.QueueWrite(*c);
      }
    }
  }
  // PING into the stream every repl-ping-replica-period seconds, so replicas see a live link
  // (a replica passes on its master's pings instead).
  if (!is_replica() && failover_ == FailoverState::kNone &&
      now - last_ping_ms_ >= s_.config().repl_ping_replica_period * 1000) {
    last_ping_ms_ = now;
    static const std::string kPing = "*1\r\n$4\r\nPING\r\n";
    AppendStream(kPing);
  }
  // Replicas that stopped acknowledging for repl-timeout seconds are dropped.
  int64_t timeout_ms = s_.config().repl_timeout * 1000;
  for (Client* c : std::vector<Client*>(replicas_)) {
    ReplicaInfo& r = *c->repl;
    if (r.state == ReplicaInfo::State::kOnline && now - r.ack_time_ms > timeout_ms &&
        !r.old_sync) {
      LogWarning("Disconnecting timedout replica (streaming sync): {}", c->addr);
      s_.ScheduleClose(c, false);
    }
  }
  CheckCatchupLag(now);
  StartPendingSyncs(now);
  if (backlog_ && backlog_->size() != static_cast<size_t>(s_.config().repl_backlog_size)) {
    backlog_->Resize(static_cast<size_t>(s_.config().repl_backlog_size));
  }
}

// ---------------------------------------------------------------- the replica's side

void Replication::RestoreFromRdb(const std::vector<std::pair<std::string, std::string>>& aux) {
  std::string id;
  int64_t off = -1;
  for (const auto& [k, v] : aux) {
    if (k == "repl-id") id = v;
    if (k == "repl-offset") off = strtoll(v.c_str(), nullptr, 10);
  }
  if (id.size() != 40 || off < 0) return;
  if (is_replica()) {
    replid_ = id;
    offset_ = off;
  } else {
    replid2_ = id;
    second_offset_ = off + 1;
    offset_ = off;
  }
  CreateBacklog();
  LogNotice("Replication ID {} and offset {} restored from the RDB file", id, off);
}

void Replication::DisconnectReplicas() {
  for (Client* c : std::vector<Client*>(replicas_)) s_.ScheduleClose(c, false);
}

void Replication::DropMaster() {
  if (master_ != nullptr) {
    Client* m = master_;
    Remove(m);  // forget it first: its destruction must not start a reconnect
    if (s_.loop() != nullptr) s_.loop()->CloseClient(m);
  }
  AbortTransfer();
}

void Replication::SetMaster(const std::string& host, int port) {
  bool was_master = !is_replica();
  std::string old_host = master_host_;
  master_host_.clear();  // so dropping the old link does not retry it
  DropMaster();
  master_host_ = host;
  master_port_ = port;
  LogSetRole('S');
  link_down_since_ms_ = 0;  // never up with this master yet
  DisconnectReplicas();
  s_.keyspace().expire_deletes = false;  // keys expire by the master's DELs only
  link_.Reset();
  last_connect_ms_ = 0;
  LogNotice("{} {}:{} enabled (user request from '{}')",
            was_master ? "Before turning into a replica, using my own master parameters to "
                         "synthesize a cached master: I may be able to synchronize with the new "
                         "master with just a partial transfer. Connecting to MASTER"
                       : "Connecting to MASTER",
            host, port, old_host.empty() ? "config" : old_host);
}

void Replication::LeaveReplicaRole() {
  master_host_.clear();  // first: dropping the link must not start a reconnect
  LogSetRole('M');
  DropMaster();
  link_.Stop();
  stream_db_ = -1;
  s_.keyspace().expire_deletes = true;
}

void Replication::Promote() {
  if (!is_replica()) return;
  LeaveReplicaRole();
  // The history so far stays continuable under the second ID; writes from now on are ours.
  replid2_ = replid_;
  second_offset_ = offset_ + 1;
  replid_ = RandomHexId();
  CreateBacklog();
  DisconnectReplicas();
  LogNotice("MASTER MODE enabled; new replication ID {}, the old one {} is valid up to offset {}",
            replid_, replid2_, second_offset_ - 1);
}

void Replication::ReplicaCron(int64_t now) {
  if (link_.state() == ReplicaLink::State::kConnect && now - last_connect_ms_ >= 1000) {
    last_connect_ms_ = now;
    std::string err;
    Client* c = s_.loop() != nullptr ? s_.loop()->ConnectTo(master_host_, master_port_, &err)
                                     : nullptr;
    if (c == nullptr) {
      LogWarning("Unable to connect to MASTER {}:{}: {}", master_host_, master_port_, err);
      return;
    }
    // Nothing we execute from the master is answered (ACKs are written directly).
    c->flags |= kClientMaster | kClientReplyOff;
    c->reply.set_muted(true);
    master_ = c;
    link_.Connecting(now);
    LogNotice("MASTER <-> REPLICA sync started");
    return;
  }
  if (master_ != nullptr && !link_.Tick(now)) {
    LogWarning("Timeout connecting to the MASTER {}:{} ({})", master_host_, master_port_,
               link_.StateName());
    DropMaster();
    link_.Reset();
    return;
  }
  if (LinkStreaming() && master_ != nullptr) {
    if (now - master_->last_interaction_ms > s_.config().repl_timeout * 1000) {
      LogWarning("MASTER timeout: no data nor PING received...");
      DropMaster();
      link_.Reset();
      return;
    }
    if (now - last_ack_ms_ >= 1000) SendAck();
  }
}

void Replication::LinkConnected(Client& c) {
  LogNotice("Non blocking connect for SYNC fired the event.");
  ReplicaLink::Options o;
  o.listening_port = static_cast<int>(s_.config().replica_announce_port != 0
                                          ? s_.config().replica_announce_port
                                          : s_.config().port);
  o.announce_ip = s_.config().replica_announce_ip;
  o.failover = failover_ == FailoverState::kInProgress;
  o.masteruser = s_.config().masteruser;
  o.masterauth = s_.config().masterauth;
  o.timeout_ms = s_.config().repl_timeout * 1000;
  c.last_interaction_ms = s_.clock().NowMs();
  link_.Connected(o, replid_, offset_ + 1, s_.clock().NowMs());
}

size_t Replication::LinkFeed(Client& c, const char* data, size_t n) {
  bool ok = true;
  size_t used = link_.Feed(data, n, s_.clock().NowMs(), &ok);
  if (!ok) {
    LogWarning("Replication with {}:{} failed: {}", master_host_, master_port_, link_.error());
    DropMaster();
    link_.Reset();
  }
  (void)c;
  return used;
}

void Replication::LinkSend(std::string_view bytes) {
  if (master_ == nullptr) return;
  master_->out.Append(bytes);
  s_.QueueWrite(*master_);
}

void Replication::SendAck() {
  last_ack_ms_ = s_.clock().NowMs();
  std::string ack;
  std::string argv[3] = {"REPLCONF", "ACK", std::to_string(offset_)};
  aof::AppendCommand(ack, argv);
  LinkSend(ack);
}

bool Replication::TransferBegin(const std::string& replid, int64_t offset, int64_t size) {
  transfer_replid_ = replid;
  transfer_offset_ = offset;
  // repl-diskless-load: on-empty-db keeps the payload in memory when we hold nothing (a file
  // would only be read back); swapdb always does, and our data stays until it fully arrived
  // and its checksum holds. disabled (the default) writes the temp file that becomes
  // dbfilename.
  int mode = static_cast<int>(s_.config().repl_diskless_load);
  transfer_in_memory_ = mode == 2 || (mode == 1 && KeysHeld() == 0);
  transfer_mem_.clear();
  if (!transfer_in_memory_) {
    transfer_tmp_ = fmt::format("temp-{}.{}.rdb", s_.clock().NowMs() / 1000, getpid());
    transfer_fd_ = open(transfer_tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (transfer_fd_ < 0) {
      LogWarning("Opening the temp file needed for MASTER <-> REPLICA synchronization: {}",
                 strerror(errno));
      return false;
    }
  }
  LogNotice("Full resync from master: {}:{}", replid, offset);
  LogNotice("MASTER <-> REPLICA sync: receiving {} {}",
            size < 0 ? std::string("streamed RDB") : fmt::format("{} bytes from master", size),
            transfer_in_memory_ ? "into memory" : "to disk");
  return true;
}

bool Replication::TransferData(std::string_view chunk) {
  if (transfer_in_memory_) {
    transfer_mem_.append(chunk);
    return true;
  }
  while (!chunk.empty()) {
    ssize_t n = write(transfer_fd_, chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      LogWarning("Write error writing the RDB from the master: {}", strerror(errno));
      return false;
    }
    chunk.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool Replication::TransferEnd() {
  std::string path = s_.config().dbfilename;
  if (!transfer_in_memory_) {
    bool ok = fsync(transfer_fd_) == 0;
    close(transfer_fd_);
    transfer_fd_ = -1;
    if (!ok) {
      LogWarning("Failed to fsync the RDB received from the master: {}", strerror(errno));
      unlink(transfer_tmp_.c_str());
      return false;
    }
  } else if (!rdb::ChecksumHolds(transfer_mem_)) {
    // A damaged payload is refused before anything of ours is dropped.
    LogWarning("The RDB received from the master fails its checksum: keeping our data");
    transfer_mem_.clear();
    return false;
  }
  // A master that restarted without persistence comes back empty under a new history; taking
  // its empty dataset would wipe ours (and then every replica's). Refused unless the operator
  // said otherwise (replica-accept-empty-master yes, or an explicit REPLICAOF).
  if (!allow_empty_sync_ && !s_.config().replica_accept_empty_master &&
      transfer_replid_ != replid_ && KeysHeld() > 0 && PayloadHoldsNoKeys()) {
    LogWarning("Refusing the empty dataset of MASTER {}:{} (new replication ID {}) while this "
               "replica holds {} keys: the master probably restarted without persistence. "
               "Keeping our data. Set replica-accept-empty-master yes or send REPLICAOF again "
               "to accept it.", master_host_, master_port_, transfer_replid_, KeysHeld());
    ++empty_master_refusals_;
    if (!transfer_in_memory_) unlink(transfer_tmp_.c_str());
    transfer_mem_.clear();
    return false;
  }
  if (!transfer_in_memory_ && rename(transfer_tmp_.c_str(), path.c_str()) != 0) {
    LogWarning("Failed trying to rename the temp DB into {} in MASTER <-> REPLICA "
               "synchronization: {}", path, strerror(errno));
    unlink(transfer_tmp_.c_str());
    return false;
  }
  allow_empty_sync_ = false;
  rdb::LoadResult res;
  bool missing = false;
  std::string err;
  // Ours while it loads: clients served meanwhile may drop the link, which clears the
  // transfer state.
  std::string payload;
  payload.swap(transfer_mem_);
  std::string_view image(payload);
  // The master link must not be read while the payload loads (its stream waits in the socket).
  master_->flags |= kClientProtected;
  bool ok;
  if (transfer_in_memory_ && static_cast<int>(s_.config().repl_diskless_load) == 2) {
    // swapdb: the new dataset loads beside ours, which clients go on reading meanwhile
    // (async_loading); ours is replaced only once the load succeeded.
    LogNotice("MASTER <-> REPLICA sync: Loading DB in memory beside the current data");
    Keyspace& ks = s_.keyspace();
    Keyspace fresh(ks.dbnum(), ks.db(0).keys().slot_bits(), nullptr);
    ok = s_.RdbLoadFrom(path, &res, &missing, &err, &image, &fresh) && !missing;
    if (ok) {
      LogNotice("MASTER <-> REPLICA sync: Swapping the loaded data in, freeing the old");
      for (int i = 0; i < ks.dbnum(); ++i) {
        ks.Flush(ks.db(i), true);
        ks.db(i).SwapContents(fresh.db(i));
      }
      ok = s_.ReplaceLibraries(res.functions, &err);
    } else {
      LogWarning("Failed loading the MASTER synchronization DB beside ours: {}; our data is "
                 "kept", err);
      fresh.FlushAll(false);
      if (master_ != nullptr) master_->flags &= ~kClientProtected;
      return false;
    }
  } else {
    LogNotice("MASTER <-> REPLICA sync: Flushing old data");
    s_.keyspace().FlushAll(false);
    LogNotice("MASTER <-> REPLICA sync: Loading DB in memory");
    ok = s_.RdbLoadFrom(path, &res, &missing, &err, transfer_in_memory_ ? &image : nullptr) &&
         !missing;
  }
  std::string().swap(payload);
  if (master_ != nullptr) master_->flags &= ~kClientProtected;
  if (!ok) {
    LogWarning("Failed trying to load the MASTER synchronization DB from disk: {}", err);
    s_.keyspace().FlushAll(false);
    return false;
  }
  if (!transfer_in_memory_ && s_.config().rdb_del_sync_files && s_.config().save.empty() &&
      !s_.aof_enabled()) {
    unlink(path.c_str());
  }
  replid_ = transfer_replid_;
  replid2_ = std::string(40, '0');
  second_offset_ = -1;
  offset_ = transfer_offset_;
  backlog_.reset();
  CreateBacklog();
  DisconnectReplicas();  // our replicas had another history: they resync with us
  if (s_.aof_enabled()) {
    // The AOF must describe the new dataset: write a new base of it.
    s_.AofDisable();
    std::string why;
    if (!s_.AofEnable(&why)) LogWarning("Failed restarting the AOF after the sync: {}", why);
  }
  LogNotice("MASTER <-> REPLICA sync: Finished with success");
  if (failover_ == FailoverState::kInProgress) EndFailover(false, "");
  if (link_.eof_marked()) SendAck();  // a diskless master waits for it to start the stream
  return true;
}

size_t Replication::KeysHeld() {
  size_t n = 0;
  for (int i = 0; i < s_.keyspace().dbnum(); ++i) n += s_.keyspace().db(i).size();
  return n;
}

bool Replication::PayloadHoldsNoKeys() {
  std::string file;
  std::string_view data(transfer_mem_);
  if (!transfer_in_memory_) {
    struct stat st;
    if (stat(transfer_tmp_.c_str(), &st) != 0 || st.st_size > (64 << 10)) return false;
    if (!ReadWholeFile(transfer_tmp_, &file)) return false;
    data = file;
  }
  if (data.size() > (64 << 10)) return false;
  static const rdb::DefaultLimits limits;
  Keyspace scratch(static_cast<int>(s_.config().databases), 0, nullptr);
  rdb::LoadOptions o;
  o.limits = limits.Get();
  o.now_ms = s_.clock().NowMs();
  o.drop_expired = false;
  rdb::LoadResult res;
  std::string err;
  if (!rdb::Load(data, scratch, o, &res, &err)) return false;
  return res.keys_loaded == 0;
}

void Replication::Continued(const std::string& replid) {
  LogNotice("Successful partial resynchronization with master.");
  if (failover_ == FailoverState::kInProgress) EndFailover(false, "");
  CreateBacklog();
  if (!replid.empty() && replid != replid_) {
    replid2_ = replid_;
    second_offset_ = offset_ + 1;
    replid_ = replid;
    LogNotice("Master replication ID changed to {}", replid_);
    DisconnectReplicas();
  }
  SendAck();
}

void Replication::MasterApplied(std::string_view bytes) {
  if (!backlog_) CreateBacklog();
  AppendStream(bytes);
}

// ---------------------------------------------------------------- FAILOVER

const char* Replication::FailoverStateName() const {
  switch (failover_) {
    case FailoverState::kNone:
      return "no-failover";
    case FailoverState::kWaitForSync:
      return "waiting-for-sync";
    case FailoverState::kInProgress:
      return "failover-in-progress";
  }
  return "no-failover";
}

std::string Replication::StartFailover(const std::string& host, int port, bool force,
                                       int64_t timeout_ms) {
  if (is_replica()) return "ERR FAILOVER is not valid when server is a replica.";
  if (replicas_.empty()) return "ERR FAILOVER requires connected replicas.";
  if (failover_ != FailoverState::kNone) return "ERR FAILOVER already in progress.";
  if (!host.empty()) {
    Client* target = nullptr;
    for (Client* c : replicas_) {
      if (ReplicaIp(*c) == host && c->repl->listening_port == port) target = c;
    }
    if (target == nullptr) return "ERR FAILOVER target HOST and PORT is not a replica.";
    if (target->repl->state != ReplicaInfo::State::kOnline) {
      return "ERR FAILOVER target replica is not online.";
    }
  }
  failover_host_ = host;
  failover_port_ = port;
  failover_force_ = force;
  failover_deadline_ms_ = timeout_ms > 0 ? s_.clock().NowMs() + timeout_ms : 0;
  failover_ = FailoverState::kWaitForSync;
  // No new writes while the replica catches up; it must end with every byte we have.
  s_.Pause(PauseType::kWrite, INT64_MAX);
  LogNotice("FAILOVER requested to {}.",
            host.empty() ? std::string("any replica") : fmt::format("{}:{}", host, port));
  return {};
}

std::string Replication::AbortFailover() {
  if (failover_ == FailoverState::kNone) return "ERR No failover in progress.";
  EndFailover(true, "FAILOVER manually aborted");
  return {};
}

void Replication::EndFailover(bool reverted, std::string_view why) {
  bool was_in_progress = failover_ == FailoverState::kInProgress;
  failover_ = FailoverState::kNone;
  failover_deadline_ms_ = 0;
  if (reverted) {
    LogWarning("FAILOVER aborted: {}", why);
    if (was_in_progress && is_replica()) LeaveReplicaRole();  // master of this history again
  } else {
    LogNotice("Failover target {}:{} is synced, failover complete.", master_host_, master_port_);
  }
  s_.Unpause();
}

void Replication::FailoverCron(int64_t now) {
  if (failover_ == FailoverState::kWaitForSync) {
    // The target: the one asked for, else the online replica that acknowledged the most.
    Client* target = nullptr;
    for (Client* c : replicas_) {
      const ReplicaInfo& r = *c->repl;
      if (r.state != ReplicaInfo::State::kOnline) continue;
      if (!failover_host_.empty() &&
          (ReplicaIp(*c) != failover_host_ || r.listening_port != failover_port_)) {
        continue;
      }
      if (target == nullptr || r.ack_offset > target->repl->ack_offset) target = c;
    }
    bool timed_out = failover_deadline_ms_ > 0 && now >= failover_deadline_ms_;
    if (target == nullptr) {
      EndFailover(true, "the target replica is gone");
      return;
    }
    if (target->repl->ack_offset < offset_ && !timed_out) return;
    if (target->repl->ack_offset < offset_ && !failover_force_) {
      EndFailover(true, "the target replica did not catch up within the timeout");
      return;
    }
    std::string host = ReplicaIp(*target);
    int port = target->repl->listening_port;
    failover_ = FailoverState::kInProgress;
    failover_deadline_ms_ = failover_deadline_ms_ > 0 ? failover_deadline_ms_ : now + 60000;
    if (failover_deadline_ms_ <= now) failover_deadline_ms_ = now + 1000;  // forced: one try
    LogNotice("Failover target {}:{} is synced, failing over.", host, port);
    // Follow it (keeping our ID and offset); our PSYNC carries FAILOVER, which makes it take
    // over as the master.
    SetMaster(host, port);
    return;
  }
  if (failover_ == FailoverState::kInProgress && failover_deadline_ms_ > 0 &&
      now >= failover_deadline_ms_) {
    EndFailover(true, "the target did not take over in time");
  }
}

bool Replication::AcceptFailover(std::string_view replid) {
  if (!is_replica() || replid != replid_) return false;
  LogNotice("Failover request received for replid {}.", replid);
  Promote();
  return true;
}

}  // namespace tessera
