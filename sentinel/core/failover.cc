// Leader election and the failover state machine (see sentinel.h for the sequence).
#include <fmt/format.h>

#include <algorithm>

#include "proto/sentinel.pb.h"
#include "sentinel/core/sentinel.h"

namespace tessera::sentinel {

size_t Sentinel::VotersNeeded(const Master& m) const {
  size_t majority = (m.sentinels.size() + 1) / 2 + 1;
  return std::max(majority, static_cast<size_t>(m.quorum));
}

void Sentinel::SetFailoverState(Master& m, FailoverState s, int64_t now) {
  m.failover_state = s;
  m.failover_state_ms = now;
}

std::vector<std::vector<std::string>> Sentinel::ReplicaOfCommands(const Addr& to) const {
  // As Redis's sentinel: one transaction that also persists the change and drops the
  // server's clients, so they ask a sentinel again where the master is.
  std::vector<std::string> replicaof = {"REPLICAOF", "NO", "ONE"};
  if (to.port > 0) replicaof = {"REPLICAOF", to.host, std::to_string(to.port)};
  return {{"MULTI"},
          replicaof,
          {"CONFIG", "REWRITE"},
          {"CLIENT", "KILL", "TYPE", "normal"},
          {"CLIENT", "KILL", "TYPE", "pubsub"},
          {"EXEC"}};
}

// ---------------------------------------------------------------- the election

void Sentinel::StartFailoverIfNeeded(Master& m, int64_t now) {
  if (!(m.flags & kFlagODown) || m.failover_state != FailoverState::kNone) return;
  if (now < m.failover_not_before_ms || now < m.next_attempt_ms) return;
  if (now < m.wait_leader_until_ms) return;  // the leader we voted for is on it
  StartFailover(m, now, false);
}

void Sentinel::StartFailover(Master& m, int64_t now, bool forced) {
  current_epoch_++;
  out_.save_state = true;
  Event(LogLevel::kWarning, "+new-epoch", std::to_string(current_epoch_));
  SetFailoverState(m, FailoverState::kWaitStart, now);
  m.failover_epoch = current_epoch_;
  m.failover_start_ms = now;
  m.flags |= kFlagFailoverInProgress | (forced ? static_cast<uint32_t>(kFlagForceFailover) : 0u);
  for (auto& [id, p] : m.sentinels) p.leader.clear();
  EventAbout(LogLevel::kWarning, "+try-failover", m, nullptr);
  GrantVote(m, m.failover_epoch, id_.myid, now);
  if (!forced) RequestVotes(m);
  CheckElection(m, now);
}

void Sentinel::RequestVotes(Master& m) {
  VoteRequest req;
  req.mutable_master()->set_name(m.name);
  req.mutable_master()->set_host(m.addr.host);
  req.mutable_master()->set_port(static_cast<uint32_t>(m.addr.port));
  req.mutable_master()->set_config_epoch(m.config_epoch);
  req.set_epoch(m.failover_epoch);
  std::string payload = req.SerializeAsString();
  for (const auto& [id, p] : m.sentinels) out_.bus.push_back({id, "sentinel.vote-request", payload});
}

// One vote per epoch, to the first candidate that asks (Redis's sentinelVoteLeader). The vote
// is saved before the reply leaves (the shell saves the state first), so a restart cannot
// vote twice in one epoch.
bool Sentinel::GrantVote(Master& m, uint64_t epoch, const std::string& candidate, int64_t now) {
  AdoptEpoch(epoch);
  if (m.leader_epoch >= epoch || current_epoch_ > epoch) return false;
  m.leader = candidate;
  m.leader_epoch = epoch;
  out_.save_state = true;
  Event(LogLevel::kWarning, "+vote-for-leader", fmt::format("{} {}", candidate, epoch));
  if (candidate != id_.myid) {
    // Give that leader the failover-timeout (less if the bus finds it gone) before trying.
    m.wait_leader_until_ms = now + m.failover_timeout_ms;
    if (m.failover_state == FailoverState::kWaitStart) {
      AbortFailover(m, "-failover-abort-not-elected", now);
    }
  }
  return true;
}

void Sentinel::OnVoteRequest(const std::string& from, const std::string& payload, int64_t now) {
  VoteRequest req;
  if (!req.ParseFromString(payload)) return;
  Master* m = FindMasterMut(req.master().name());
  if (m == nullptr) return;
  Addr addr{req.master().host(), static_cast<int>(req.master().port())};
  // A request about an address this master no longer has (or not yet) gets no vote.
  if (addr == m->addr && !tilt_) GrantVote(*m, req.epoch(), from, now);
  VoteReply rep;
  *rep.mutable_master() = req.master();
  rep.set_epoch(req.epoch());
  rep.set_leader(m->leader);
  rep.set_leader_epoch(m->leader_epoch);
  out_.bus.push_back({from, "sentinel.vote", rep.SerializeAsString()});
}

void Sentinel::OnVoteReply(const std::string& from, const std::string& payload, int64_t now) {
  VoteReply rep;
  if (!rep.ParseFromString(payload)) return;
  Master* m = FindMasterMut(rep.master().name());
  if (m == nullptr) return;
  auto it = m->sentinels.find(from);
  if (it == m->sentinels.end()) return;
  it->second.leader = rep.leader();
  it->second.leader_epoch = rep.leader_epoch();
  it->second.last_hello_ms = now;
  AdoptEpoch(rep.leader_epoch());
  if (m->failover_state == FailoverState::kWaitStart) CheckElection(*m, now);
}

void Sentinel::CheckElection(Master& m, int64_t now) {
  if (out_.crash) return;  // a simulated crash is pending: the process ends before acting
  size_t votes = (m.leader == id_.myid && m.leader_epoch == m.failover_epoch) ? 1 : 0;
  for (const auto& [id, p] : m.sentinels) {
    if (p.leader == id_.myid && p.leader_epoch == m.failover_epoch) ++votes;
  }
  bool forced = (m.flags & kFlagForceFailover) != 0;
  if (votes >= VotersNeeded(m) || (forced && votes >= 1)) {
    EventAbout(LogLevel::kWarning, "+elected-leader", m, nullptr);
    if (simulate_failure_ & kCrashAfterElection) {
      out_.crash = true;
      return;
    }
    SetFailoverState(m, FailoverState::kSelectReplica, now);
    EventAbout(LogLevel::kWarning, "+failover-state-select-slave", m, nullptr);
    // Offsets move until the very end: ask the candidates afresh before choosing.
    m.select_deadline_ms = now + std::clamp<int64_t>(2 * PingPeriod(m), 100, 500);
    for (auto& [key, r] : m.replicas) {
      if ((r.flags & kFlagSDown) || r.link.info_sent_ms != 0) continue;
      r.link.info_sent_ms = now;
      Send({m.name, key}, r, m, Cmd::kInfo, {{"INFO"}});
    }
    SelectReplica(m, now);
    return;
  }
  if (now - m.failover_start_ms > ElectionTimeout(m)) {
    AbortFailover(m, "-failover-abort-not-elected", now);
  }
}

// ---------------------------------------------------------------- the failover

void Sentinel::TickFailover(Master& m, int64_t now) {
  if (m.failover_state >= FailoverState::kSendPromotion && !m.replicas.count(m.promoted)) {
    AbortFailover(m, "-failover-abort-slave-timeout", now);  // the chosen one was forgotten
    return;
  }
  switch (m.failover_state) {
    case FailoverState::kNone:
    case FailoverState::kUpdateConfig:
      return;
    case FailoverState::kWaitStart:
      CheckElection(m, now);
      return;
    case FailoverState::kSelectReplica:
      SelectReplica(m, now);
      return;
    case FailoverState::kSendPromotion:
      SendPromotion(m, now);
      return;
    case FailoverState::kWaitPromotion: {
      if (now - m.failover_state_ms > m.failover_timeout_ms) {
        AbortFailover(m, "-failover-abort-slave-timeout", now);
        return;
      }
      Instance& r = m.replicas[m.promoted];
      if (r.link.info_sent_ms == 0 && now - r.info_refresh_ms >= timing_.promotion_poll_ms) {
        r.link.info_sent_ms = now;
        Send({m.name, m.promoted}, r, m, Cmd::kInfo, {{"INFO"}});
      }
      return;
    }
    case FailoverState::kReconfReplicas:
      ReconfReplicas(m, now);
      for (auto& [key, r] : m.replicas) {
        bool watching = (r.flags & (kFlagReconfSent | kFlagReconfInprog)) || key == m.promoted;
        if (watching && r.link.info_sent_ms == 0 &&
            now - r.info_refresh_ms >= 5 * timing_.promotion_poll_ms) {
          r.link.info_sent_ms = now;
          Send({m.name, key}, r, m, Cmd::kInfo, {{"INFO"}});
        }
      }
      CheckReconfDone(m, now);
      return;
  }
}

Instance* Sentinel::BestReplica(Master& m, int64_t now) {
  int64_t max_master_down = ((m.flags & kFlagSDown) ? now - m.sdown_since_ms : 0) +
                            10 * m.down_after_ms;
  int64_t info_validity = (m.flags & kFlagSDown) ? std::max<int64_t>(5 * PingPeriod(m), 1000)
                                                 : 3 * timing_.info_period_ms;
  std::vector<Instance*> candidates;
  for (auto& [key, r] : m.replicas) {
    if (r.flags & (kFlagSDown | kFlagODown)) continue;
    if (!r.link.connected || r.role != Role::kReplica) continue;
    if (now - r.link.last_ok_ms > std::max<int64_t>(5 * PingPeriod(m), 1000)) continue;
    if (r.priority == 0) continue;
    if (r.info_refresh_ms == 0 || now - r.info_refresh_ms > info_validity) continue;
    if (r.master_link_down_ms > max_master_down) continue;
    if (r.promotion_failed_ms != 0 && now - r.promotion_failed_ms < 2 * m.failover_timeout_ms) {
      continue;
    }
    candidates.push_back(&r);
  }
  if (candidates.empty()) return nullptr;
  std::sort(candidates.begin(), candidates.end(), [](const Instance* a, const Instance* b) {
    if (a->priority != b->priority) return a->priority < b->priority;
    if (a->repl_offset != b->repl_offset) return a->repl_offset > b->repl_offset;
    if (a->runid.empty() != b->runid.empty()) return b->runid.empty();
    return a->runid < b->runid;
  });
  return candidates.front();
}

void Sentinel::SelectReplica(Master& m, int64_t now) {
  // Wait for the fresh INFO replies (bounded by the deadline).
  if (now < m.select_deadline_ms) {
    for (const auto& [key, r] : m.replicas) {
      if (r.link.info_sent_ms != 0 && !(r.flags & kFlagSDown)) return;
    }
  }
  Instance* best = BestReplica(m, now);
  if (best == nullptr) {
    AbortFailover(m, "-failover-abort-no-good-slave", now);
    return;
  }
  best->flags |= kFlagPromoted;
  m.promoted = best->name;
  EventAbout(LogLevel::kWarning, "+selected-slave", m, best);
  SetFailoverState(m, FailoverState::kSendPromotion, now);
  EventAbout(LogLevel::kNotice, "+failover-state-send-slaveof-noone", m, best);
  SendPromotion(m, now);
}

void Sentinel::SendPromotion(Master& m, int64_t now) {
  Instance& r = m.replicas[m.promoted];
  if (r.flags & kFlagSDown) {
    if (now - m.failover_state_ms > m.failover_timeout_ms) {
      AbortFailover(m, "-failover-abort-slave-timeout", now);
    }
    return;  // wait for it to come back, bounded by failover-timeout
  }
  // SENTINEL FAILOVER with the master alive: the master hands over itself (FAILOVER TO, in
  // tessera-server and Redis >= 6.2). It pauses writes until the replica has every one, so
  // nothing it acknowledged is lost, and it follows the new master afterwards. Redis's
  // sentinel promotes the replica while the master still takes writes.
  bool master_alive = m.link.connected && !(m.flags & kFlagSDown) && m.role == Role::kMaster;
  if ((m.flags & kFlagForceFailover) && master_alive) {
    int64_t timeout = std::clamp<int64_t>(m.failover_timeout_ms / 2, 1000, 60000);
    Send({m.name, ""}, m, m, Cmd::kHandOver,
         {{"FAILOVER", "TO", r.addr.host, std::to_string(r.addr.port), "TIMEOUT",
           std::to_string(timeout)}});
  } else {
    Send({m.name, m.promoted}, r, m, Cmd::kPromote, ReplicaOfCommands({}));
  }
  SetFailoverState(m, FailoverState::kWaitPromotion, now);
  EventAbout(LogLevel::kNotice, "+failover-state-wait-promotion", m, &r);
}

void Sentinel::OnPromoted(Master& m, Instance& r, int64_t now) {
  EventAbout(LogLevel::kWarning, "+promoted-slave", m, &r);
  if (simulate_failure_ & kCrashAfterPromotion) {
    out_.crash = true;
    return;
  }
  m.config_epoch = m.failover_epoch;
  SetFailoverState(m, FailoverState::kReconfReplicas, now);
  EventAbout(LogLevel::kWarning, "+failover-state-reconf-slaves", m, nullptr);
  out_.save_state = true;
  // Every sentinel learns the new configuration now, not at its next hello.
  SendBusHello(now);
  m.link.last_hello_ms = 0;
  for (auto& [key, rr] : m.replicas) rr.link.last_hello_ms = 0;
  ReconfReplicas(m, now);
  CheckReconfDone(m, now);
}

void Sentinel::ReconfReplicas(Master& m, int64_t now) {
  const Addr to = m.replicas[m.promoted].addr;
  int in_progress = 0;
  for (const auto& [key, r] : m.replicas) {
    if (key != m.promoted && (r.flags & (kFlagReconfSent | kFlagReconfInprog))) ++in_progress;
  }
  for (auto& [key, r] : m.replicas) {
    if (key == m.promoted || (r.flags & kFlagReconfDone)) continue;
    if ((r.flags & kFlagReconfSent) && now - r.reconf_sent_ms > timing_.replica_reconf_timeout_ms) {
      EventAbout(LogLevel::kNotice, "-slave-reconf-sent-timeout", m, &r);
      r.flags = (r.flags & ~kFlagReconfSent) | kFlagReconfDone;
      --in_progress;
      continue;
    }
    if (r.flags & (kFlagReconfSent | kFlagReconfInprog)) continue;
    if (in_progress >= m.parallel_syncs || (r.flags & kFlagSDown)) continue;
    Send({m.name, key}, r, m, Cmd::kReplicaOf, ReplicaOfCommands(to));
    r.flags |= kFlagReconfSent;
    r.reconf_sent_ms = now;
    EventAbout(LogLevel::kNotice, "+slave-reconf-sent", m, &r);
    ++in_progress;
  }
}

void Sentinel::CheckReconfDone(Master& m, int64_t now) {
  Instance& promoted = m.replicas[m.promoted];
  if (promoted.flags & kFlagSDown) return;
  bool timeout = now - m.failover_state_ms > m.failover_timeout_ms;
  int pending = 0;
  for (const auto& [key, r] : m.replicas) {
    if (key == m.promoted) continue;
    if (!(r.flags & kFlagReconfDone) && !(r.flags & kFlagSDown)) ++pending;
  }
  if (pending > 0 && !timeout) return;
  if (timeout) {
    EventAbout(LogLevel::kWarning, "-failover-end-for-timeout", m, nullptr);
    // Best effort for the ones left: they are told once more, all at once.
    for (auto& [key, r] : m.replicas) {
      if (key == m.promoted || (r.flags & (kFlagReconfDone | kFlagReconfSent))) continue;
      Send({m.name, key}, r, m, Cmd::kReplicaOf, ReplicaOfCommands(promoted.addr));
      EventAbout(LogLevel::kNotice, "+slave-reconf-sent-be", m, &r);
    }
  }
  EventAbout(LogLevel::kWarning, "+failover-end", m, nullptr);
  SetFailoverState(m, FailoverState::kUpdateConfig, now);
  SwitchToPromoted(m, now);
}

void Sentinel::SwitchToPromoted(Master& m, int64_t now) {
  Addr to = m.replicas[m.promoted].addr;
  Event(LogLevel::kWarning, "+switch-master",
        fmt::format("{} {} {} {} {}", m.name, Shown(m.addr), m.addr.port, Shown(to), to.port));
  ResetMaster(m, to, now);
}

void Sentinel::AbortFailover(Master& m, const std::string& why, int64_t now) {
  EventAbout(LogLevel::kWarning, why, m, nullptr);
  if (!m.promoted.empty()) {
    auto it = m.replicas.find(m.promoted);
    if (it != m.replicas.end()) {
      it->second.flags &= ~kFlagPromoted;
      if (why == "-failover-abort-slave-timeout") it->second.promotion_failed_ms = now;
    }
  }
  for (auto& [key, r] : m.replicas) {
    r.flags &= ~(kFlagReconfSent | kFlagReconfInprog | kFlagReconfDone);
  }
  m.promoted.clear();
  m.flags &= ~(kFlagFailoverInProgress | kFlagForceFailover);
  SetFailoverState(m, FailoverState::kNone, now);
  // Another attempt (ours or another sentinel's) after a random part of the election timeout;
  // without a replica to promote, not before one could have come back (each attempt costs
  // an epoch).
  int64_t t = ElectionTimeout(m);
  if (why == "-failover-abort-no-good-slave") t = std::min<int64_t>(m.failover_timeout_ms, 10000);
  m.next_attempt_ms = now + t / 2 + static_cast<int64_t>(Random() % (t / 2 + 1));
}

std::string Sentinel::Failover(const std::string& name, int64_t now) {
  Master* m = FindMasterMut(name);
  if (m == nullptr) return "ERR No such master with that name";
  if (m->failover_state != FailoverState::kNone) return "INPROG Failover already in progress";
  if (BestReplica(*m, now) == nullptr) return "NOGOODSLAVE No suitable replica to promote";
  StartFailover(*m, now, true);
  return "";
}

}  // namespace tessera::sentinel
