// Monitoring: links, PING/INFO/hello, replica and sentinel discovery, SDOWN/ODOWN, TILT,
// configuration updates from other sentinels, and the administrative operations.
#include "sentinel/core/sentinel.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "common/glob.h"
#include "common/strutil.h"
#include "proto/sentinel.pb.h"
#include "sentinel/core/info.h"

namespace tessera::sentinel {

namespace {
constexpr int kMaxPending = 100;
constexpr const char* kHelloChannel = "__sentinel__:hello";

bool IsValidPingReply(const resp::Value& v) {
  if (v.type == resp::Value::Type::kSimpleString) return v.str == "PONG";
  if (v.type == resp::Value::Type::kError) {
    return v.str.starts_with("LOADING") || v.str.starts_with("MASTERDOWN");
  }
  return false;
}
}  // namespace

std::string Addr::ToString() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

const char* FailoverStateName(FailoverState s) {
  switch (s) {
    case FailoverState::kNone: return "none";
    case FailoverState::kWaitStart: return "wait_start";
    case FailoverState::kSelectReplica: return "select_slave";
    case FailoverState::kSendPromotion: return "send_slaveof_noone";
    case FailoverState::kWaitPromotion: return "wait_promotion";
    case FailoverState::kReconfReplicas: return "reconf_slaves";
    case FailoverState::kUpdateConfig: return "update_config";
  }
  return "unknown";
}

Sentinel::Sentinel(Identity id, uint64_t current_epoch, Timing timing)
    : id_(std::move(id)), current_epoch_(current_epoch), timing_(timing) {}

uint64_t Sentinel::Random() {
  if (random_) return random_();
  // xorshift64*: enough to spread election delays.
  rng_state_ ^= rng_state_ >> 12;
  rng_state_ ^= rng_state_ << 25;
  rng_state_ ^= rng_state_ >> 27;
  return rng_state_ * 2685821657736338717ULL;
}

Outbox Sentinel::TakeOutbox() {
  Outbox out;
  std::swap(out, out_);
  return out;
}

const Master* Sentinel::FindMaster(const std::string& name) const {
  auto it = masters_.find(name);
  return it == masters_.end() ? nullptr : &it->second;
}

Master* Sentinel::FindMasterMut(const std::string& name) {
  auto it = masters_.find(name);
  return it == masters_.end() ? nullptr : &it->second;
}

Instance* Sentinel::Find(const InstanceRef& ref, Master** master) {
  Master* m = FindMasterMut(ref.master);
  if (m == nullptr) return nullptr;
  if (master != nullptr) *master = m;
  if (ref.replica.empty()) return m;
  auto it = m->replicas.find(ref.replica);
  return it == m->replicas.end() ? nullptr : &it->second;
}

int64_t Sentinel::PingPeriod(const Master& m) const {
  return std::clamp<int64_t>(m.down_after_ms / 10, 50, timing_.ping_period_ms);
}

int64_t Sentinel::ElectionTimeout(const Master& m) const {
  int64_t t = std::clamp<int64_t>(m.down_after_ms, 1000, timing_.election_timeout_ms);
  return std::min(t, m.failover_timeout_ms);
}

Addr Sentinel::CurrentMasterAddr(const Master& m) const {
  if (m.failover_state >= FailoverState::kReconfReplicas && !m.promoted.empty()) {
    auto it = m.replicas.find(m.promoted);
    if (it != m.replicas.end()) return it->second.addr;
  }
  return m.addr;
}

std::string Sentinel::Shown(const Addr& a) const {
  if (!id_.announce_hostnames) {
    auto it = resolved_.find(a.host);
    if (it != resolved_.end()) return it->second;
  }
  return a.host;
}

void Sentinel::Event(LogLevel level, const std::string& type, const std::string& msg) {
  out_.events.push_back({level, type, msg});
}

std::string Sentinel::Describe(const Master& m, const Instance* ri) const {
  if (ri == nullptr || ri == &m) {
    return fmt::format("master {} {} {}", m.name, Shown(m.addr), m.addr.port);
  }
  return fmt::format("slave {} {} {} @ {} {} {}", ri->name, Shown(ri->addr), ri->addr.port,
                     m.name, Shown(m.addr), m.addr.port);
}

void Sentinel::EventAbout(LogLevel level, const std::string& type, const Master& m,
                          const Instance* ri, const std::string& extra) {
  std::string msg = Describe(m, ri);
  if (!extra.empty()) msg += " " + extra;
  Event(level, type, msg);
}

void Sentinel::ForEachInstance(
    const std::function<void(const InstanceRef&, const Addr&, const Master&)>& fn) const {
  for (const auto& [name, m] : masters_) {
    fn({name, ""}, m.addr, m);
    for (const auto& [key, r] : m.replicas) fn({name, key}, r.addr, m);
  }
}

// ---------------------------------------------------------------- administration

std::string Sentinel::Monitor(const MasterSpec& spec, int64_t now) {
  if (masters_.count(spec.name)) return "ERR Duplicate master name.";
  if (spec.quorum <= 0) return "ERR Quorum must be 1 or greater.";
  if (spec.addr.port < 0 || spec.addr.port > 65535) return "ERR Invalid port number.";
  Master& m = masters_[spec.name];
  m.name = spec.name;
  m.addr = spec.addr;
  m.flags = kFlagMaster;
  m.quorum = spec.quorum;
  m.down_after_ms = spec.down_after_ms > 0 ? spec.down_after_ms : timing_.default_down_after_ms;
  m.failover_timeout_ms =
      spec.failover_timeout_ms > 0 ? spec.failover_timeout_ms : timing_.default_failover_timeout_ms;
  m.parallel_syncs = spec.parallel_syncs;
  m.auth_pass = spec.auth_pass;
  m.auth_user = spec.auth_user;
  m.config_epoch = spec.config_epoch;
  m.leader_epoch = spec.leader_epoch;
  m.link.created_ms = m.link.last_ok_ms = m.link.last_pong_ms = now;
  EventAbout(LogLevel::kWarning, "+monitor", m, nullptr, fmt::format("quorum {}", m.quorum));
  for (const Addr& a : spec.known_replicas) {
    if (!(a == m.addr)) AddReplica(m, a, now);
  }
  for (const Peer& p : spec.known_sentinels) {
    if (p.runid == id_.myid) continue;
    Peer& q = m.sentinels[p.runid];
    q.runid = p.runid;
    q.addr = p.addr;
    q.bus = p.bus;
    q.last_hello_ms = now;
    if (q.bus.port > 0) out_.peers.push_back({q.runid, q.bus});
  }
  out_.instances_changed = true;
  out_.save_state = true;
  return "";
}

bool Sentinel::Remove(const std::string& name) {
  auto it = masters_.find(name);
  if (it == masters_.end()) return false;
  EventAbout(LogLevel::kWarning, "-monitor", it->second, nullptr);
  out_.close_links.push_back({name, ""});
  for (const auto& [key, r] : it->second.replicas) out_.close_links.push_back({name, key});
  masters_.erase(it);
  out_.instances_changed = true;
  out_.save_state = true;
  return true;
}

std::string Sentinel::Set(const std::string& name, const std::string& option,
                          const std::string& value) {
  Master* m = FindMasterMut(name);
  if (m == nullptr) return "ERR No such master with that name";
  std::string opt = ToLower(option);
  auto positive = [&](int64_t* out) {
    auto v = ParseInt64(value);
    if (!v || *v <= 0) return false;
    *out = *v;
    return true;
  };
  int64_t n = 0;
  bool ok = true;
  if (opt == "down-after-milliseconds") {
    if ((ok = positive(&n))) m->down_after_ms = n;
  } else if (opt == "failover-timeout") {
    if ((ok = positive(&n))) m->failover_timeout_ms = n;
  } else if (opt == "parallel-syncs") {
    if ((ok = positive(&n) && n <= INT32_MAX)) m->parallel_syncs = static_cast<int>(n);
  } else if (opt == "quorum") {
    if ((ok = positive(&n) && n <= INT32_MAX)) m->quorum = static_cast<int>(n);
  } else if (opt == "auth-pass" || opt == "auth-user") {
    (opt == "auth-pass" ? m->auth_pass : m->auth_user) = value;
    // Every link to this set reconnects with the new credentials.
    out_.close_links.push_back({name, ""});
    for (const auto& [key, r] : m->replicas) out_.close_links.push_back({name, key});
    out_.instances_changed = true;
  } else if (opt == "notification-script" || opt == "client-reconfig-script") {
    return "ERR Reconfiguration of scripts path is denied for security reasons. Check the "
           "deny-scripts-reconfig configuration directive in your config file.";
  } else {
    return fmt::format("ERR Unknown option or number of arguments for SENTINEL SET '{}'", option);
  }
  if (!ok) return fmt::format("ERR Invalid argument '{}' for SENTINEL SET '{}'", value, option);
  bool secret = opt == "auth-pass";
  EventAbout(LogLevel::kWarning, "+set", *m, nullptr,
             fmt::format("{} {}", option, secret ? "******" : value));
  out_.save_state = true;
  return "";
}

int Sentinel::Reset(std::string_view pattern, int64_t now) {
  int n = 0;
  for (auto& [name, m] : masters_) {
    if (!GlobMatch(pattern, name)) continue;
    EventAbout(LogLevel::kWarning, "+reset-master", m, nullptr);
    ResetMaster(m, m.addr, now);
    m.replicas.clear();  // forgotten, unlike a switch: INFO rediscovers them
    m.sentinels.clear();
    m.leader.clear();
    ++n;
  }
  if (n > 0) {
    out_.instances_changed = true;
    out_.save_state = true;
  }
  return n;
}

DownVote Sentinel::IsMasterDownByAddr(const Addr& addr, uint64_t epoch, const std::string& runid,
                                      int64_t now) {
  DownVote r;
  for (auto& [name, m] : masters_) {
    if (!(m.addr == addr)) continue;
    r.down = !tilt_ && (m.flags & kFlagSDown);
    if (runid != "*") {
      GrantVote(m, epoch, runid, now);
      r.leader = m.leader.empty() ? "*" : m.leader;
      r.leader_epoch = m.leader_epoch;
    }
    break;
  }
  return r;
}

int Sentinel::UsableSentinels(const Master& m, bool* no_quorum, bool* no_majority) const {
  int usable = 1;
  for (const auto& [id, p] : m.sentinels) usable += p.alive ? 1 : 0;
  int voters = static_cast<int>(m.sentinels.size()) + 1;
  *no_quorum = usable < m.quorum;
  *no_majority = usable < voters / 2 + 1;
  return usable;
}

// ---------------------------------------------------------------- the periodic work

void Sentinel::CheckTilt(int64_t now) {
  if (last_tick_ms_ != 0) {
    int64_t delta = now - last_tick_ms_;
    if (delta < 0 || delta > timing_.tilt_trigger_ms) {
      if (!tilt_) Event(LogLevel::kWarning, "+tilt", "#tilt mode entered");
      tilt_ = true;
      tilt_start_ms_ = now;
      // The time we could not watch is not the servers' fault: their clocks restart.
      for (auto& [name, m] : masters_) {
        auto reset = [&](Instance& ri) {
          ri.link.last_ok_ms = ri.link.last_pong_ms = now;
          ri.link.ping_sent_ms = 0;
        };
        reset(m);
        for (auto& [key, r] : m.replicas) reset(r);
        for (auto& [id, p] : m.sentinels) p.report_ms = 0;
      }
    }
  }
  last_tick_ms_ = now;
  if (tilt_ && now - tilt_start_ms_ >= timing_.tilt_period_ms) {
    tilt_ = false;
    Event(LogLevel::kWarning, "-tilt", "#tilt mode exited");
  }
}

void Sentinel::Tick(int64_t now) {
  CheckTilt(now);
  std::vector<std::string> names;
  for (const auto& [name, m] : masters_) names.push_back(name);
  for (const std::string& name : names) {
    Master* m = FindMasterMut(name);
    if (m != nullptr) TickMaster(*m, now);
  }
  if (now - last_bus_hello_ms_ >= timing_.bus_hello_period_ms) SendBusHello(now);
}

void Sentinel::TickMaster(Master& m, int64_t now) {
  TickInstance(m, m, {m.name, ""}, now);
  for (auto& [key, r] : m.replicas) TickInstance(m, r, {m.name, key}, now);
  if (tilt_) return;  // watching goes on; judging and acting wait
  CheckSDown(m, m, now);
  for (auto& [key, r] : m.replicas) CheckSDown(m, r, now);
  CheckODown(m, now);
  SendDownReports(m, now);
  StartFailoverIfNeeded(m, now);
  TickFailover(m, now);
}

void Sentinel::Send(const InstanceRef& ref, Instance& ri, const Master& m, Cmd cmd,
                    std::vector<std::vector<std::string>> commands) {
  ri.link.pending++;
  out_.commands.push_back({ref, ri.addr, m.auth_user, m.auth_pass, cmd, std::move(commands)});
}

// PING, INFO and the hello, each at its period, as long as the link is not backed up.
void Sentinel::TickInstance(Master& m, Instance& ri, const InstanceRef& ref, int64_t now) {
  LinkState& l = ri.link;
  int64_t ping_period = PingPeriod(m);
  // A PING unanswered for half of down-after on a link that says nothing else: the
  // connection may be stuck (a peer gone without a FIN), so a new one is made.
  if (l.connected && l.ping_sent_ms != 0 && now - l.ping_sent_ms > m.down_after_ms / 2 &&
      now - l.last_pong_ms > m.down_after_ms / 2) {
    out_.close_links.push_back(ref);
    l.connected = false;
    l.pending = 0;
    l.info_sent_ms = 0;
  }
  if (l.pending >= kMaxPending) return;
  bool urgent = (m.flags & (kFlagSDown | kFlagODown | kFlagFailoverInProgress)) != 0;
  int64_t info_period = urgent ? std::min<int64_t>(1000, timing_.info_period_ms)
                               : timing_.info_period_ms;
  // A replica that claims to be a master, or follows another one, is repointed after a
  // settling second: its INFO is wanted that often until then.
  if (&ri != &m && (ri.role == Role::kMaster || !FollowsMaster(ri, m.addr))) {
    info_period = std::min(info_period, timing_.bus_hello_period_ms);
  }
  if (l.info_sent_ms != 0 && now - l.info_sent_ms > std::max(info_period, m.down_after_ms)) {
    l.info_sent_ms = 0;  // lost with a dead connection: ask again
  }
  if (l.info_sent_ms == 0 &&
      (ri.info_refresh_ms == 0 || now - ri.info_refresh_ms > info_period || l.info_wanted)) {
    l.info_sent_ms = now;
    l.info_wanted = false;
    Send(ref, ri, m, Cmd::kInfo, {{"INFO"}});
  }
  if (now - l.last_pong_ms > ping_period && now - l.last_ping_ms > ping_period / 2) {
    l.last_ping_ms = now;
    if (l.ping_sent_ms == 0) l.ping_sent_ms = now;
    Send(ref, ri, m, Cmd::kPing, {{"PING"}});
  }
  // Hellos wait for a connected link: without announce-ip they carry its local address.
  if (l.connected && now - l.last_hello_ms > timing_.publish_period_ms) {
    PublishHello(m, ri, ref, now);
  }
}

std::string Sentinel::HelloText(const Master& m, const InstanceRef& ref) const {
  std::string ip = id_.announce.host;
  if (ip.empty() && local_ip_) ip = local_ip_(ref);
  Addr ma = CurrentMasterAddr(m);
  return fmt::format("{},{},{},{},{},{},{},{},{},{}", ip, id_.announce.port, id_.myid,
                     current_epoch_, m.name, Shown(ma), ma.port, m.config_epoch, id_.bus_host,
                     id_.bus_port);
}

void Sentinel::PublishHello(Master& m, Instance& ri, const InstanceRef& ref, int64_t now) {
  ri.link.last_hello_ms = now;
  Send(ref, ri, m, Cmd::kPublishHello, {{"PUBLISH", kHelloChannel, HelloText(m, ref)}});
}

void Sentinel::SendBusHello(int64_t now) {
  last_bus_hello_ms_ = now;
  Hello h;
  h.set_host(id_.announce.host);
  h.set_port(static_cast<uint32_t>(id_.announce.port));
  h.set_current_epoch(current_epoch_);
  h.set_bus_host(id_.bus_host);
  h.set_bus_port(static_cast<uint32_t>(id_.bus_port));
  std::set<std::string> peers;
  for (const auto& [name, m] : masters_) {
    MasterConfig* c = h.add_masters();
    Addr a = CurrentMasterAddr(m);
    c->set_name(name);
    c->set_host(a.host);
    c->set_port(static_cast<uint32_t>(a.port));
    c->set_config_epoch(m.config_epoch);  // the failover's epoch once it promoted
    for (const auto& [id, p] : m.sentinels) peers.insert(id);
  }
  std::string payload = h.SerializeAsString();
  for (const std::string& id : peers) out_.bus.push_back({id, "sentinel.hello", payload});
}

// ---------------------------------------------------------------- replies

void Sentinel::OnLink(const InstanceRef& ref, bool up) {
  Instance* ri = Find(ref);
  if (ri == nullptr) return;
  // A new connection may be to a restarted server, or one with another role: ask at once.
  if (up && !ri->link.connected) ri->link.info_wanted = true;
  ri->link.connected = up;
  if (!up) {
    ri->link.pending = 0;
    ri->link.info_sent_ms = 0;
  }
}

void Sentinel::OnReply(const InstanceRef& ref, Cmd cmd, const resp::Value& reply, int64_t now) {
  Master* m = nullptr;
  Instance* ri = Find(ref, &m);
  if (ri == nullptr) return;
  if (ri->link.pending > 0) ri->link.pending--;
  switch (cmd) {
    case Cmd::kPing:
      OnPingReply(*m, *ri, reply, now);
      break;
    case Cmd::kInfo:
      ri->link.info_sent_ms = 0;
      if (reply.type == resp::Value::Type::kBulkString ||
          reply.type == resp::Value::Type::kVerbatim) {
        OnInfoReply(*m, *ri, ref, reply.str, now);
      }
      // The choice of a replica waits for these replies: make it as soon as they are in.
      if (m->failover_state == FailoverState::kSelectReplica && !tilt_) SelectReplica(*m, now);
      break;
    case Cmd::kPromote:
      // Ask at once whether it took effect rather than waiting for the next poll.
      if (m->failover_state == FailoverState::kWaitPromotion && ref.replica == m->promoted &&
          ri->link.info_sent_ms == 0) {
        ri->link.info_sent_ms = now;
        Send(ref, *ri, *m, Cmd::kInfo, {{"INFO"}});
      }
      break;
    case Cmd::kHandOver:
      // A master that cannot hand over (an older server, a replica it does not know by that
      // address) is bypassed: the replica is promoted directly, as Redis's sentinel does.
      if (reply.type == resp::Value::Type::kError &&
          m->failover_state == FailoverState::kWaitPromotion && !m->promoted.empty()) {
        EventAbout(LogLevel::kWarning, "-failover-handover-refused", *m, nullptr, reply.str);
        Instance& r = m->replicas[m->promoted];
        Send({m->name, m->promoted}, r, *m, Cmd::kPromote, ReplicaOfCommands({}));
      }
      break;
    case Cmd::kPublishHello:
    case Cmd::kReplicaOf:
    case Cmd::kScriptKill:
      break;
  }
}

void Sentinel::OnPingReply(Master& m, Instance& ri, const resp::Value& reply, int64_t now) {
  ri.link.last_pong_ms = now;
  if (IsValidPingReply(reply)) {
    ri.link.last_ok_ms = now;
    ri.link.ping_sent_ms = 0;
    return;
  }
  // A server busy in a script while we hold it down: kill the script once (Redis does).
  if (reply.type == resp::Value::Type::kError && reply.str.starts_with("BUSY") &&
      (ri.flags & kFlagSDown) && !ri.script_kill_sent) {
    ri.script_kill_sent = true;
    InstanceRef ref{m.name, &ri == &m ? "" : ri.name};
    Send(ref, ri, m, Cmd::kScriptKill, {{"SCRIPT", "KILL"}});
  }
}

Instance& Sentinel::AddReplica(Master& m, const Addr& addr, int64_t now) {
  std::string key = addr.ToString();
  Instance& r = m.replicas[key];
  r.name = key;
  r.addr = addr;
  r.flags = kFlagReplica;
  r.link.created_ms = r.link.last_ok_ms = r.link.last_pong_ms = now;
  EventAbout(LogLevel::kNotice, "+slave", m, &r);
  out_.instances_changed = true;
  out_.save_state = true;
  return r;
}

void Sentinel::OnInfoReply(Master& m, Instance& ri, const InstanceRef& ref,
                           const std::string& text, int64_t now) {
  InfoReport info = ParseInfo(text);
  ri.info_refresh_ms = now;
  ri.info_text = text;
  bool is_master_record = &ri == &m;
  if (!info.run_id.empty() && info.run_id != ri.runid) {
    if (!ri.runid.empty()) {
      EventAbout(LogLevel::kNotice, "+reboot", m, &ri);
      // A master back with nothing may have lost its dataset (no persistence). Whether a
      // replica still holds data is asked afresh: CheckSDown decides on those answers.
      if (is_master_record && !info.has_keys) {
        m.empty_restart_ms = now;
        for (auto& [key, r] : m.replicas) r.link.info_wanted = true;
      }
    }
    ri.runid = info.run_id;
  }
  if (is_master_record && info.has_keys) {
    m.empty_restart_ms = 0;
    m.flags &= ~kFlagEmptyRestart;
  }
  ri.has_keys = info.has_keys;
  if (info.role != ri.role && info.role != Role::kUnknown) {
    if (ri.role != Role::kUnknown) {
      bool expected = (info.role == Role::kMaster) == is_master_record;
      EventAbout(LogLevel::kVerbose, expected ? "+role-change" : "-role-change", m, &ri,
                 fmt::format("new reported role is {}",
                             info.role == Role::kMaster ? "master" : "slave"));
    }
    ri.role = info.role;
    ri.role_reported_ms = ri.conf_change_ms = now;
  } else if (ri.role_reported_ms == 0) {
    ri.role_reported_ms = ri.conf_change_ms = now;
  }
  if (info.role == Role::kMaster) {
    ri.repl_offset = info.master_repl_offset;
  } else if (info.role == Role::kReplica) {
    if (!(ri.master_addr == info.master)) ri.conf_change_ms = now;
    ri.master_addr = info.master;
    ri.master_link_up = info.master_link_up;
    ri.master_link_down_ms = info.master_link_up ? 0 : info.master_link_down_ms;
    ri.priority = info.priority;
    ri.repl_offset = info.slave_repl_offset;
    ri.announced = info.replica_announced;
  }
  // The master's INFO lists its replicas: new ones are watched from now on.
  if (is_master_record && info.role == Role::kMaster) {
    for (const InfoReport::Replica& rep : info.replicas) {
      if (rep.addr == m.addr) continue;
      if (m.replicas.count(rep.addr.ToString()) == 0) AddReplica(m, rep.addr, now);
    }
  }
  if (tilt_) return;
  RefreshReplicaRoles(m, ri, ref, now);
}

bool Sentinel::FollowsMaster(const Instance& ri, const Addr& master) const {
  if (ri.role != Role::kReplica) return false;
  return ri.master_addr.port == master.port &&
         (ri.master_addr.host == master.host || ri.master_addr.host == Shown(master));
}

// What a replica's INFO means for the failover under way, and whether it needs repointing.
void Sentinel::RefreshReplicaRoles(Master& m, Instance& ri, const InstanceRef& ref,
                                   int64_t now) {
  if (&ri == &m) return;
  bool master_sane = m.role == Role::kMaster && !(m.flags & kFlagSDown) &&
                     m.failover_state == FailoverState::kNone && m.link.connected;
  const int64_t settle_ms = timing_.bus_hello_period_ms;  // time for newer configs to arrive
  if (ri.role == Role::kMaster) {
    if ((ri.flags & kFlagPromoted) && m.failover_state == FailoverState::kWaitPromotion) {
      OnPromoted(m, ri, now);
      return;
    }
    // A replica that says it is a master (a demoted master back, a stray promotion) is made
    // to follow the master again once no newer configuration has come in for a moment.
    if (!(ri.flags & kFlagPromoted) && master_sane && now - ri.conf_change_ms >= settle_ms &&
        now - ri.replicaof_sent_ms > m.down_after_ms) {
      ri.replicaof_sent_ms = now;
      Send(ref, ri, m, Cmd::kReplicaOf, ReplicaOfCommands(m.addr));
      EventAbout(LogLevel::kNotice, "+convert-to-slave", m, &ri);
    }
    return;
  }
  if (ri.role != Role::kReplica) return;
  if (!FollowsMaster(ri, m.addr) && master_sane && now - ri.conf_change_ms >= settle_ms &&
      now - ri.replicaof_sent_ms > m.down_after_ms) {
    ri.replicaof_sent_ms = now;
    Send(ref, ri, m, Cmd::kReplicaOf, ReplicaOfCommands(m.addr));
    EventAbout(LogLevel::kNotice, "+fix-slave-config", m, &ri);
    return;
  }
  // A replica being repointed during our failover: sent -> in progress -> done.
  if ((ri.flags & (kFlagReconfSent | kFlagReconfInprog)) && !m.promoted.empty()) {
    bool follows = FollowsMaster(ri, m.replicas[m.promoted].addr);
    if ((ri.flags & kFlagReconfSent) && follows) {
      ri.flags = (ri.flags & ~kFlagReconfSent) | kFlagReconfInprog;
      EventAbout(LogLevel::kNotice, "+slave-reconf-inprog", m, &ri);
    }
    if ((ri.flags & kFlagReconfInprog) && follows && ri.master_link_up) {
      ri.flags = (ri.flags & ~kFlagReconfInprog) | kFlagReconfDone;
      EventAbout(LogLevel::kNotice, "+slave-reconf-done", m, &ri);
    }
  }
}

// ---------------------------------------------------------------- down states

void Sentinel::CheckSDown(Master& m, Instance& ri, int64_t now) {
  bool down = now - ri.link.last_ok_ms > m.down_after_ms;
  if (&ri == &m) {
    // A master that says it is a replica for longer than a reconfiguration takes.
    if (m.role == Role::kReplica &&
        now - m.role_reported_ms > m.down_after_ms + 2 * timing_.info_period_ms) {
      down = true;
    }
    // Restarted empty while a replica (by an INFO read since) still holds data: it must not
    // become the source of truth for the replicas, so it counts as down.
    if (m.empty_restart_ms != 0) {
      bool held = std::any_of(m.replicas.begin(), m.replicas.end(), [&](const auto& kv) {
        return kv.second.has_keys && kv.second.info_refresh_ms >= m.empty_restart_ms;
      });
      if (held && !(m.flags & kFlagEmptyRestart)) {
        m.flags |= kFlagEmptyRestart;
        EventAbout(LogLevel::kWarning, "+empty-restart", m, nullptr,
                   "#the master restarted without its data; a replica still has it");
      } else if (!held) {
        m.flags &= ~kFlagEmptyRestart;
      }
      down = down || held;
    }
  }
  if (down && !(ri.flags & kFlagSDown)) {
    ri.flags |= kFlagSDown;
    ri.sdown_since_ms = now;
    EventAbout(LogLevel::kWarning, "+sdown", m, &ri);
  } else if (!down && (ri.flags & kFlagSDown)) {
    ri.flags &= ~kFlagSDown;
    ri.script_kill_sent = false;
    EventAbout(LogLevel::kWarning, "-sdown", m, &ri);
  }
}

void Sentinel::CheckODown(Master& m, int64_t now) {
  int votes = 0;
  if (m.flags & kFlagSDown) {
    votes = 1;
    int64_t validity = std::max<int64_t>(5 * PingPeriod(m), 500);
    for (auto& [id, p] : m.sentinels) {
      bool fresh = p.reports_down && now - p.report_ms <= validity;
      if (fresh) {
        ++votes;
      } else {
        p.reports_down = false;
      }
    }
  }
  bool odown = (m.flags & kFlagSDown) && votes >= m.quorum;
  if (odown && !(m.flags & kFlagODown)) {
    m.flags |= kFlagODown;
    m.odown_since_ms = now;
    // Candidates wait a random moment so that they rarely split the vote.
    m.failover_not_before_ms = now + static_cast<int64_t>(Random() % (PingPeriod(m) / 2 + 1));
    EventAbout(LogLevel::kWarning, "+odown", m, nullptr,
               fmt::format("#quorum {}/{}", votes, m.quorum));
  } else if (!odown && (m.flags & kFlagODown)) {
    m.flags &= ~kFlagODown;
    EventAbout(LogLevel::kWarning, "-odown", m, nullptr);
  }
}

// Our verdict goes to the other sentinels when it changes, and again every ping period while
// the master is down (a report is only counted while fresh).
void Sentinel::SendDownReports(Master& m, int64_t now) {
  bool down = (m.flags & kFlagSDown) != 0;
  if (down == m.reported_down && (!down || now - m.last_down_report_ms < PingPeriod(m))) return;
  m.reported_down = down;
  m.last_down_report_ms = now;
  if (m.sentinels.empty()) return;
  DownReport r;
  r.mutable_master()->set_name(m.name);
  r.mutable_master()->set_host(m.addr.host);
  r.mutable_master()->set_port(static_cast<uint32_t>(m.addr.port));
  r.mutable_master()->set_config_epoch(m.config_epoch);
  r.set_down(down);
  r.set_current_epoch(current_epoch_);
  std::string payload = r.SerializeAsString();
  for (const auto& [id, p] : m.sentinels) out_.bus.push_back({id, "sentinel.down", payload});
}

// ---------------------------------------------------------------- other sentinels

void Sentinel::AdoptEpoch(uint64_t epoch) {
  if (epoch <= current_epoch_) return;
  current_epoch_ = epoch;
  Event(LogLevel::kWarning, "+new-epoch", std::to_string(epoch));
  out_.save_state = true;
}

Peer* Sentinel::NotePeer(Master& m, const std::string& runid, const Addr& addr, const Addr& bus,
                         int64_t now) {
  auto it = m.sentinels.find(runid);
  if (it == m.sentinels.end()) {
    // The same address under another id is that sentinel restarted with a new identity.
    for (auto d = m.sentinels.begin(); d != m.sentinels.end();) {
      if (!addr.host.empty() && d->second.addr == addr) {
        Event(LogLevel::kNotice, "-dup-sentinel",
              fmt::format("sentinel {} {} {} @ {} {} {} #duplicate of {}:{} or {}", d->first,
                          d->second.addr.host, d->second.addr.port, m.name, Shown(m.addr),
                          m.addr.port, addr.host, addr.port, runid));
        d = m.sentinels.erase(d);
        out_.instances_changed = true;
      } else {
        ++d;
      }
    }
    Peer& p = m.sentinels[runid];
    p.runid = runid;
    p.addr = addr;
    p.bus = bus;
    p.last_hello_ms = now;
    Event(LogLevel::kNotice, "+sentinel",
          fmt::format("sentinel {} {} {} @ {} {} {}", runid, addr.host, addr.port, m.name,
                      Shown(m.addr), m.addr.port));
    if (bus.port > 0) out_.peers.push_back({runid, bus});
    out_.save_state = true;
    return &p;
  }
  Peer& p = it->second;
  p.last_hello_ms = now;
  if (!addr.host.empty() && !(p.addr == addr)) {
    p.addr = addr;
    out_.save_state = true;
  }
  if (bus.port > 0 && !bus.host.empty() && !(p.bus == bus)) {
    p.bus = bus;
    out_.peers.push_back({runid, bus});
    out_.save_state = true;
  }
  return &p;
}

void Sentinel::OnHello(std::string_view payload, int64_t now) {
  std::vector<std::string> f;
  size_t pos = 0;
  while (true) {
    size_t c = payload.find(',', pos);
    f.emplace_back(payload.substr(pos, c == std::string_view::npos ? c : c - pos));
    if (c == std::string_view::npos) break;
    pos = c + 1;
  }
  // Redis sentinels send 8 fields and cannot join our bus: theirs are ignored.
  if (f.size() != 10) return;
  auto port = ParseInt64(f[1]);
  auto epoch = ParseUint64(f[3]);
  auto mport = ParseInt64(f[6]);
  auto mepoch = ParseUint64(f[7]);
  auto bus_port = ParseInt64(f[9]);
  if (!port || !epoch || !mport || !mepoch || !bus_port) return;
  const std::string& runid = f[2];
  if (runid == id_.myid || runid.size() != 40) return;
  Master* m = FindMasterMut(f[4]);
  if (m == nullptr) return;
  Addr bus{f[8].empty() ? f[0] : f[8], static_cast<int>(*bus_port)};
  Peer* p = NotePeer(*m, runid, {f[0], static_cast<int>(*port)}, bus, now);
  AdoptEpoch(*epoch);
  if (*mepoch > m->config_epoch) {
    AdoptConfig(*m, {f[5], static_cast<int>(*mport)}, *mepoch, p, now);
  }
}

void Sentinel::OnPeerLiveness(const std::string& id, bool alive, int64_t now) {
  for (auto& [name, m] : masters_) {
    auto it = m.sentinels.find(id);
    if (it == m.sentinels.end()) continue;
    it->second.alive = alive;
    if (!alive && m.leader == id && m.wait_leader_until_ms > now) {
      // The leader we voted for went silent: no need to give it the whole failover-timeout.
      m.wait_leader_until_ms = now;
    }
  }
}

void Sentinel::OnBus(const std::string& from, const std::string& type,
                     const std::string& payload, int64_t now) {
  if (type == "sentinel.hello") {
    Hello h;
    if (!h.ParseFromString(payload)) return;
    AdoptEpoch(h.current_epoch());
    for (const MasterConfig& c : h.masters()) {
      Master* m = FindMasterMut(c.name());
      if (m == nullptr) continue;
      Addr addr{c.host(), static_cast<int>(c.port())};
      Peer* p = nullptr;
      auto it = m->sentinels.find(from);
      if (it != m->sentinels.end() || (addr == m->addr && !h.host().empty())) {
        Addr bus{h.bus_host().empty() ? h.host() : h.bus_host(), static_cast<int>(h.bus_port())};
        p = NotePeer(*m, from, {h.host(), static_cast<int>(h.port())}, bus, now);
      }
      if (c.config_epoch() > m->config_epoch) AdoptConfig(*m, addr, c.config_epoch(), p, now);
    }
  } else if (type == "sentinel.down") {
    DownReport r;
    if (!r.ParseFromString(payload)) return;
    AdoptEpoch(r.current_epoch());
    Master* m = FindMasterMut(r.master().name());
    if (m == nullptr) return;
    auto it = m->sentinels.find(from);
    if (it == m->sentinels.end()) return;
    Addr addr{r.master().host(), static_cast<int>(r.master().port())};
    if (!(addr == m->addr)) return;  // about an address we no longer watch, or not yet
    it->second.reports_down = r.down();
    it->second.report_ms = now;
    it->second.last_hello_ms = now;
  } else if (type == "sentinel.vote-request") {
    OnVoteRequest(from, payload, now);
  } else if (type == "sentinel.vote") {
    OnVoteReply(from, payload, now);
  }
}

// A newer configuration from another sentinel (a failover it led): follow it.
void Sentinel::AdoptConfig(Master& m, const Addr& addr, uint64_t config_epoch, const Peer* from,
                           int64_t now) {
  if (config_epoch <= m.config_epoch) return;
  if (!(addr == m.addr)) {
    if (from != nullptr) {
      Event(LogLevel::kWarning, "+config-update-from",
            fmt::format("sentinel {} {} {} @ {} {} {}", from->runid, from->addr.host,
                        from->addr.port, m.name, Shown(m.addr), m.addr.port));
    }
    Event(LogLevel::kWarning, "+switch-master",
          fmt::format("{} {} {} {} {}", m.name, Shown(m.addr), m.addr.port, Shown(addr),
                      addr.port));
    ResetMaster(m, addr, now);
  }
  m.config_epoch = config_epoch;
  out_.save_state = true;
}

// The master moves to `new_addr` (or stays, for SENTINEL RESET): the other known servers
// become its replicas, the failover state and the links start over.
void Sentinel::ResetMaster(Master& m, const Addr& new_addr, int64_t now) {
  std::vector<Addr> replicas;
  for (const auto& [key, r] : m.replicas) {
    out_.close_links.push_back({m.name, key});
    if (!(r.addr == new_addr)) replicas.push_back(r.addr);
  }
  if (!(m.addr == new_addr)) replicas.push_back(m.addr);
  out_.close_links.push_back({m.name, ""});
  m.replicas.clear();
  Master fresh;
  // Keep the definition, the epochs and the sentinels; forget the rest.
  fresh.name = m.name;
  fresh.addr = new_addr;
  fresh.flags = kFlagMaster;
  fresh.quorum = m.quorum;
  fresh.down_after_ms = m.down_after_ms;
  fresh.failover_timeout_ms = m.failover_timeout_ms;
  fresh.parallel_syncs = m.parallel_syncs;
  fresh.auth_pass = m.auth_pass;
  fresh.auth_user = m.auth_user;
  fresh.config_epoch = m.config_epoch;
  fresh.leader = m.leader;
  fresh.leader_epoch = m.leader_epoch;
  fresh.sentinels = std::move(m.sentinels);
  for (auto& [id, p] : fresh.sentinels) {
    p.reports_down = false;
    p.report_ms = 0;
    p.leader.clear();
  }
  fresh.next_attempt_ms = m.next_attempt_ms;
  fresh.link.created_ms = fresh.link.last_ok_ms = fresh.link.last_pong_ms = now;
  m = std::move(fresh);
  for (const Addr& a : replicas) AddReplica(m, a, now);
  out_.instances_changed = true;
  out_.save_state = true;
}

// ---------------------------------------------------------------- the state file

std::string Sentinel::SerializeState() const {
  std::string s =
      "# tessera-sentinel state: rewritten by the sentinel as things change; the main\n"
      "# configuration file is never written. Delete this file to start from it afresh.\n";
  auto quote = [](const std::string& v) {
    std::string q;
    AppendRepr(q, v);
    return q;
  };
  s += fmt::format("sentinel myid {}\n", id_.myid);
  s += fmt::format("sentinel current-epoch {}\n", current_epoch_);
  for (const auto& [name, m] : masters_) {
    // Mid-failover (past promotion) the promoted replica is what a restart should watch.
    Addr a = CurrentMasterAddr(m);
    s += fmt::format("sentinel monitor {} {} {} {}\n", quote(name), a.host, a.port, m.quorum);
    s += fmt::format("sentinel down-after-milliseconds {} {}\n", quote(name), m.down_after_ms);
    s += fmt::format("sentinel failover-timeout {} {}\n", quote(name), m.failover_timeout_ms);
    s += fmt::format("sentinel parallel-syncs {} {}\n", quote(name), m.parallel_syncs);
    if (!m.auth_pass.empty()) s += fmt::format("sentinel auth-pass {} {}\n", quote(name), quote(m.auth_pass));
    if (!m.auth_user.empty()) s += fmt::format("sentinel auth-user {} {}\n", quote(name), quote(m.auth_user));
    s += fmt::format("sentinel config-epoch {} {}\n", quote(name), m.config_epoch);
    s += fmt::format("sentinel leader-epoch {} {}\n", quote(name), m.leader_epoch);
    for (const auto& [key, r] : m.replicas) {
      if (r.addr == a) continue;
      s += fmt::format("sentinel known-replica {} {} {}\n", quote(name), r.addr.host,
                       r.addr.port);
    }
    if (!(a == m.addr)) {
      s += fmt::format("sentinel known-replica {} {} {}\n", quote(name), m.addr.host,
                       m.addr.port);
    }
    for (const auto& [id, p] : m.sentinels) {
      s += fmt::format("sentinel known-sentinel {} {} {} {} {} {}\n", quote(name), p.addr.host,
                       p.addr.port, id, p.bus.host, p.bus.port);
    }
  }
  return s;
}

}  // namespace tessera::sentinel
