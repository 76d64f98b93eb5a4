#include "server/core/replication.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/core.h>

#include "common/log.h"
#include "server/core/client.h"

namespace tessera {

namespace {

void AppendRespCommand(std::string& out, std::span<const std::string> argv) {
  fmt::format_to(std::back_inserter(out), "*{}\r\n", argv.size());
  for (const std::string& a : argv) {
    fmt::format_to(std::back_inserter(out), "${}\r\n", a.size());
    out += a;
    out += "\r\n";
  }
}

std::string RandomReplId() {
  std::string id;
  FILE* f = fopen("/dev/urandom", "rb");
  unsigned char b[20] = {0};
  if (f != nullptr) {
    if (fread(b, 1, sizeof(b), f) != sizeof(b)) b[0] ^= 1;
    fclose(f);
  }
  for (unsigned char x : b) id += fmt::format("{:02x}", x);
  return id;
}

}  // namespace

Replication::Replication(Server& s) : s_(s), replid_(RandomReplId()), replid2_(40, '0') {}

Replication::~Replication() = default;

const char* Replication::StateName(const ReplicaInfo& r) {
  switch (r.state) {
    case ReplicaInfo::State::kWaitBgsaveStart:
    case ReplicaInfo::State::kWaitBgsaveEnd:
      return "wait_bgsave";
    case ReplicaInfo::State::kSendBulk:
      return "send_bulk";
    case ReplicaInfo::State::kOnline:
      return "online";
  }
  return "online";
}

void Replication::CreateBacklog() {
  if (backlog_) return;
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
    // A replica waiting for its BGSAVE to start will get a snapshot of a later moment.
    if (r->repl->state == ReplicaInfo::State::kWaitBgsaveStart) continue;
    r->out.Append(bytes);
    s_.QueueWrite(*r);
    s_.CheckOutputLimits(*r);
  }
}

void Replication::Feed(int dbid, std::span<const std::string> argv) {
  std::string bytes;
  if (dbid != stream_db_ && dbid >= 0) {
    std::string sel[2] = {"SELECT", std::to_string(dbid)};
    AppendRespCommand(bytes, sel);
    stream_db_ = dbid;
  }
  AppendRespCommand(bytes, argv);
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
      ((replid == replid_) || (replid == replid2_ && next <= second_offset_ + 1)) &&
      backlog_->Covers(next)) {
    c.flags |= kClientReplica;
    r.state = ReplicaInfo::State::kOnline;
    r.ack_time_ms = s_.clock().NowMs();
    replicas_.push_back(&c);
    std::string data = r.capa_psync2 ? fmt::format("+CONTINUE {}\r\n", replid_) : "+CONTINUE\r\n";
    backlog_->CopyFrom(next, &data);
    c.out.Append(data);
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
  if (s_.rdb_child_pid() <= 0 && s_.aof_child_pid() <= 0) {
    if (!StartBgsaveForReplication()) return;
  } else {
    LogNotice("Waiting for the running child to finish before the full sync of {}", c.addr);
  }
  (void)old_sync;
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
    if (!r.old_sync) r.preamble += fmt::format("+FULLRESYNC {} {}\r\n", replid_, at);
    s_.QueueWrite(*c);
  }
  return true;
}

void Replication::OnBgsaveDone(bool ok, const std::string& path) {
  if (!bgsave_for_replicas_) {
    // A user's BGSAVE: replicas waiting for a child to finish get their own now.
    bool waiting = std::any_of(replicas_.begin(), replicas_.end(), [](Client* c) {
      return c->repl->state == ReplicaInfo::State::kWaitBgsaveStart;
    });
    if (waiting && s_.aof_child_pid() <= 0) StartBgsaveForReplication();
    return;
  }
  bgsave_for_replicas_ = false;
  std::string rdb;
  if (ok) {
    FILE* f = fopen(path.c_str(), "rb");
    ok = f != nullptr;
    if (ok) {
      char buf[1 << 16];
      size_t n;
      while ((n = fread(buf, 1, sizeof(buf), f)) > 0) rdb.append(buf, n);
      ok = ferror(f) == 0;
      fclose(f);
    }
  }
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
    r.preamble += fmt::format("${}\r\n", rdb.size());
    r.preamble += rdb;
    r.state = ReplicaInfo::State::kSendBulk;
    s_.QueueWrite(*c);
    LogNotice("Synchronization with replica {} started: sending {} bytes", c->addr, rdb.size());
  }
  // Replicas that arrived while this child ran need a snapshot of their own.
  bool waiting = std::any_of(replicas_.begin(), replicas_.end(), [](Client* c) {
    return c->repl->state == ReplicaInfo::State::kWaitBgsaveStart;
  });
  if (waiting) StartBgsaveForReplication();
}

void Replication::BulkSent(Client& c) {
  ReplicaInfo& r = *c.repl;
  r.state = ReplicaInfo::State::kOnline;
  r.ack_time_ms = s_.clock().NowMs();
  std::string().swap(r.preamble);
  r.preamble_sent = 0;
  LogNotice("Synchronization with replica {} succeeded", c.addr);
}

void Replication::Ack(Client& c, int64_t offset) {
  if (!c.repl) return;
  c.repl->ack_offset = std::max(c.repl->ack_offset, offset);
  c.repl->ack_time_ms = s_.clock().NowMs();
  CheckWaiters();
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

int Replication::CountAcked(int64_t offset) const {
  int n = 0;
  for (const Client* c : replicas_) {
    if (c->repl->state == ReplicaInfo::State::kOnline && c->repl->ack_offset >= offset) ++n;
  }
  return n;
}

void Replication::Remove(Client* c) {
  auto it = std::find(replicas_.begin(), replicas_.end(), c);
  if (it == replicas_.end()) return;
  replicas_.erase(it);
  LogNotice("Connection with replica {} lost.", c->addr);
}

void Replication::BeforeSleep() {
  if (!waiters_.empty()) CheckWaiters();
  if (!ack_requested_) return;
  ack_requested_ = false;
  static const std::string kGetAck = "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";
  if (backlog_ && !replicas_.empty()) AppendStream(kGetAck);
}

void Replication::Cron() {
  if (replicas_.empty()) return;
  int64_t now = s_.clock().NowMs();
  // Keepalive newlines to replicas waiting for their snapshot (they ignore them).
  if (now - last_newline_ms_ >= 1000) {
    last_newline_ms_ = now;
    for (Client* c : replicas_) {
      ReplicaInfo& r = *c->repl;
      if (r.state == ReplicaInfo::State::kWaitBgsaveStart ||
          r.state == ReplicaInfo::State::kWaitBgsaveEnd) {
        r.preamble += "\n";
        s_.QueueWrite(*c);
      }
    }
  }
  // PING into the stream every repl-ping-replica-period seconds, so replicas see a live link.
  if (now - last_ping_ms_ >= s_.config().repl_ping_replica_period * 1000) {
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
  bool waiting = std::any_of(replicas_.begin(), replicas_.end(), [](Client* c) {
    return c->repl->state == ReplicaInfo::State::kWaitBgsaveStart;
  });
  if (waiting && s_.rdb_child_pid() <= 0 && s_.aof_child_pid() <= 0) StartBgsaveForReplication();
  if (backlog_ && backlog_->size() != static_cast<size_t>(s_.config().repl_backlog_size)) {
    backlog_->Resize(static_cast<size_t>(s_.config().repl_backlog_size));
  }
}

}  // namespace tessera
