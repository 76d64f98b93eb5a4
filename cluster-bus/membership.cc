#include "cluster-bus/membership.h"

namespace tessera::bus {

const char* MemberStateName(MemberState s) {
  switch (s) {
    case MemberState::kAlive: return "alive";
    case MemberState::kSuspect: return "suspect";
    case MemberState::kFailed: return "failed";
  }
  return "?";
}

const Member* Membership::Find(const std::string& id) const {
  auto it = members_.find(id);
  return it == members_.end() ? nullptr : &it->second;
}

bool Membership::Add(const std::string& id, const std::string& host, int port, int64_t now_ms) {
  if (id == self_) return false;
  auto [it, added] = members_.try_emplace(id);
  Member& m = it->second;
  if (!host.empty()) {
    m.host = host;
    m.port = port;
  }
  if (!added) return false;
  m.id = id;
  m.last_heard_ms = now_ms;
  m.state_since_ms = now_ms;
  events_.push_back({MemberEvent::Kind::kJoined, id});
  return true;
}

void Membership::Remove(const std::string& id) {
  members_.erase(id);
  for (auto& [_, m] : members_) m.reports.erase(id);
}

void Membership::SetState(Member& m, MemberState s, int64_t now_ms) {
  if (m.state == s) return;
  m.state = s;
  m.state_since_ms = now_ms;
  MemberEvent::Kind kind = s == MemberState::kAlive     ? MemberEvent::Kind::kAlive
                           : s == MemberState::kSuspect ? MemberEvent::Kind::kSuspect
                                                        : MemberEvent::Kind::kFailed;
  events_.push_back({kind, m.id});
}

void Membership::Heard(const std::string& id, const std::string& host, int port,
                       uint64_t incarnation, int64_t now_ms) {
  if (id == self_) return;
  Add(id, host, port, now_ms);
  Member& m = members_[id];
  if (!host.empty()) {
    m.host = host;
    m.port = port;
  }
  if (incarnation > m.incarnation) {
    if (m.incarnation != 0) events_.push_back({MemberEvent::Kind::kRestarted, id});
    m.incarnation = incarnation;
    m.reports.clear();
  }
  m.last_heard_ms = now_ms;
  if (m.state != MemberState::kAlive) {
    m.reports.clear();
    SetState(m, MemberState::kAlive, now_ms);
  }
}

void Membership::Gossip(const std::string& reporter, const PeerView& view, int64_t now_ms) {
  if (view.id() == reporter) return;
  if (view.id() == self_) return;  // what others think of us changes nothing here
  auto rep = members_.find(reporter);
  // Only a member we hold alive is a witness.
  if (rep == members_.end() || rep->second.state != MemberState::kAlive) return;
  if (Add(view.id(), view.host(), static_cast<int>(view.port()), now_ms)) {
    members_[view.id()].incarnation = view.incarnation();
  }
  Member& m = members_[view.id()];
  if (view.incarnation() < m.incarnation) return;  // about an earlier life of it
  switch (view.state()) {
    case PeerView::ALIVE:
      m.reports.erase(reporter);
      break;
    case PeerView::SUSPECT:
      m.reports[reporter] = now_ms;
      CheckVerdict(m, now_ms);
      break;
    case PeerView::FAILED:
      m.reports[reporter] = now_ms;
      // An agreed verdict spreads; a member we still hear from directly keeps its state here
      // until our own timeout says otherwise.
      if (m.state != MemberState::kAlive) SetState(m, MemberState::kFailed, now_ms);
      break;
    default:
      break;
  }
}

void Membership::CheckVerdict(Member& m, int64_t now_ms) {
  if (m.state != MemberState::kSuspect) return;
  size_t votes = 1;  // ours
  for (const auto& [reporter, at] : m.reports) {
    if (now_ms - at > 2 * opts_.node_timeout_ms) continue;
    auto r = members_.find(reporter);
    if (r != members_.end() && r->second.state == MemberState::kAlive) ++votes;
  }
  if (votes >= Majority()) SetState(m, MemberState::kFailed, now_ms);
}

void Membership::Tick(int64_t now_ms) {
  for (auto& [id, m] : members_) {
    for (auto it = m.reports.begin(); it != m.reports.end();) {
      it = now_ms - it->second > 2 * opts_.node_timeout_ms ? m.reports.erase(it) : std::next(it);
    }
    if (m.state == MemberState::kAlive && now_ms - m.last_heard_ms > opts_.node_timeout_ms) {
      SetState(m, MemberState::kSuspect, now_ms);
    }
  }
  for (auto& [id, m] : members_) CheckVerdict(m, now_ms);
}

std::vector<MemberEvent> Membership::TakeEvents() {
  std::vector<MemberEvent> out;
  out.swap(events_);
  return out;
}

std::vector<PeerView> Membership::View() const {
  std::vector<PeerView> out;
  out.reserve(members_.size());
  for (const auto& [id, m] : members_) {
    PeerView v;
    v.set_id(id);
    v.set_host(m.host);
    v.set_port(static_cast<uint32_t>(m.port));
    v.set_incarnation(m.incarnation);
    v.set_state(m.state == MemberState::kAlive     ? PeerView::ALIVE
                : m.state == MemberState::kSuspect ? PeerView::SUSPECT
                                                   : PeerView::FAILED);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace tessera::bus
