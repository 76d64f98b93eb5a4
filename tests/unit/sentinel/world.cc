#include "tests/unit/sentinel/world.h"

#include <fmt/format.h>

namespace tessera::sentinel::testing {

namespace {
std::string Id(int n) { return fmt::format("{:040x}", n); }
}  // namespace

World::World() = default;

FakeServer& World::AddServer(int port, bool master, int master_port) {
  FakeServer& s = servers_[port];
  s.addr = {"10.0.0.1", port};
  s.runid = Id(port * 1000 + 1);
  s.is_master = master;
  if (!master) s.master = {"10.0.0.1", master_port};
  return s;
}

std::vector<Addr> FakeServer::replicas() const { return {}; }

FakeServer* World::ServerAt(const Addr& a) {
  auto it = servers_.find(a.port);
  return it == servers_.end() ? nullptr : &it->second;
}

SentinelNode& World::AddSentinel(const std::vector<std::pair<std::string, int>>& masters,
                                 int quorum, int64_t down_after, int64_t failover_timeout) {
  auto n = std::make_unique<SentinelNode>();
  int index = static_cast<int>(nodes_.size()) + 1;
  n->id = Id(index);
  Identity id;
  id.myid = n->id;
  id.announce = {"10.0.1." + std::to_string(index), 26379};
  id.bus_host = id.announce.host;
  id.bus_port = 36379;
  n->s = std::make_unique<Sentinel>(id, 0);
  n->s->set_random_fn([this]() -> uint64_t {
    if (zero_random) return 0;
    rng_ = rng_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return rng_ >> 33;
  });
  for (const auto& [name, port] : masters) {
    MasterSpec spec;
    spec.name = name;
    spec.addr = {"10.0.0.1", port};
    spec.quorum = quorum;
    spec.down_after_ms = down_after;
    spec.failover_timeout_ms = failover_timeout;
    n->s->Monitor(spec, now_);
  }
  nodes_.push_back(std::move(n));
  Process(*nodes_.back());
  return *nodes_.back();
}

std::string World::InfoOf(const FakeServer& s) const {
  std::string o = fmt::format("# Server\r\nrun_id:{}\r\n# Replication\r\n", s.runid);
  if (s.is_master) {
    o += "role:master\r\n";
    int i = 0;
    for (const auto& [port, r] : servers_) {
      if (r.up && !r.is_master && r.master == s.addr) {
        o += fmt::format("slave{}:ip={},port={},state=online,offset={},lag=0\r\n", i++,
                         r.addr.host, port, r.offset);
      }
    }
    o += fmt::format("master_repl_offset:{}\r\n", s.offset);
  } else {
    const FakeServer* m = nullptr;
    auto it = servers_.find(s.master.port);
    if (it != servers_.end()) m = &it->second;
    bool link_up = m != nullptr && m->up && m->is_master;
    o += fmt::format("role:slave\r\nmaster_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\n",
                     s.master.host, s.master.port, link_up ? "up" : "down");
    if (!link_up) o += "master_link_down_since_seconds:1\r\n";
    o += fmt::format("slave_repl_offset:{}\r\nslave_priority:{}\r\nreplica_announced:1\r\n",
                     s.offset, s.priority);
  }
  o += "# Keyspace\r\n";
  if (s.keys > 0) o += fmt::format("db0:keys={},expires=0,avg_ttl=0\r\n", s.keys);
  return o;
}

void World::Answer(SentinelNode& n, const CommandOut& c) {
  FakeServer* srv = ServerAt(c.addr);
  if (srv == nullptr || !srv->up || n.isolated) {
    n.s->OnLink(c.ref, false);
    return;
  }
  n.s->OnLink(c.ref, true);
  resp::Value reply;
  reply.type = resp::Value::Type::kSimpleString;
  reply.str = "OK";
  switch (c.cmd) {
    case Cmd::kPing:
      reply.str = "PONG";
      break;
    case Cmd::kInfo:
      reply.type = resp::Value::Type::kBulkString;
      reply.str = InfoOf(*srv);
      break;
    case Cmd::kPublishHello:
      // Every sentinel subscribed to this server hears it (ours included, as in Redis).
      for (auto& other : nodes_) {
        if (other->alive && !other->isolated) other->s->OnHello(c.commands[0][2], now_);
      }
      break;
    case Cmd::kPromote:
      if (!srv->ignore_promotion) srv->is_master = true;
      break;
    case Cmd::kReplicaOf: {
      const auto& argv = c.commands[1];
      srv->is_master = false;
      srv->master = {argv[1], std::stoi(argv[2])};
      break;
    }
    case Cmd::kScriptKill:
      break;
    case Cmd::kHandOver: {
      ++srv->handovers;
      FakeServer* target = ServerAt({"", std::stoi(c.commands[0][3])});
      if (refuse_handover || target == nullptr || !srv->is_master) {
        reply.type = resp::Value::Type::kError;
        reply.str = "ERR FAILOVER target HOST and PORT is not a replica.";
        break;
      }
      target->is_master = true;
      srv->is_master = false;
      srv->master = target->addr;
      break;
    }
  }
  n.s->OnReply(c.ref, c.cmd, reply, now_);
}

void World::Deliver(SentinelNode& from, const BusOut& msg) {
  for (auto& n : nodes_) {
    if (n->id != msg.to || !n->alive || n->group != from.group) continue;
    n->s->OnBus(from.id, msg.type, msg.payload, now_);
  }
}

void World::Process(SentinelNode& n) {
  for (int round = 0; round < 50 && n.alive; ++round) {
    Outbox o = n.s->TakeOutbox();
    if (o.commands.empty() && o.bus.empty() && o.events.empty() && !o.crash) return;
    for (const EventOut& e : o.events) n.events.push_back(e);
    if (o.crash) {
      n.alive = false;
      dead_since_[n.id] = now_;
      return;
    }
    for (const CommandOut& c : o.commands) Answer(n, c);
    for (const BusOut& b : o.bus) {
      if (batch_bus) {
        queued_.emplace_back(n.id, b);
      } else {
        Deliver(n, b);
      }
    }
  }
}

void World::KillSentinel(size_t i) {
  nodes_[i]->alive = false;
  dead_since_[nodes_[i]->id] = now_;
}

void World::Step(int64_t ms) {
  for (int64_t t = 0; t < ms; t += 10) {
    now_ += 10;
    for (auto& n : nodes_) {
      if (!n->alive) continue;
      // The bus's failure detector on the dead.
      for (auto& [id, since] : dead_since_) {
        if (since >= 0 && now_ - since == bus_timeout_ms) n->s->OnPeerLiveness(id, false, now_);
      }
      n->s->Tick(now_);
      Process(*n);
    }
    while (!queued_.empty()) {
      auto [from, msg] = queued_.front();
      queued_.pop_front();
      for (auto& n : nodes_) {
        if (n->id == from && n->alive) Deliver(*n, msg);
      }
      for (auto& n : nodes_) Process(*n);
    }
    // Every node drains what deliveries made it produce.
    for (auto& n : nodes_) Process(*n);
  }
}

std::string World::AgreedMaster(const std::string& name) const {
  std::string agreed;
  for (const auto& n : nodes_) {
    if (!n->alive) continue;
    const Master* m = n->s->FindMaster(name);
    if (m == nullptr) return "";
    std::string a = n->s->CurrentMasterAddr(*m).ToString();
    if (agreed.empty()) {
      agreed = a;
    } else if (agreed != a) {
      return "";
    }
  }
  return agreed;
}

int World::CountEvents(const std::string& type) const {
  int c = 0;
  for (size_t i = 0; i < nodes_.size(); ++i) c += CountEvents(i, type);
  return c;
}

int World::CountEvents(size_t node, const std::string& type) const {
  int c = 0;
  for (const EventOut& e : nodes_[node]->events) c += e.type == type ? 1 : 0;
  return c;
}

std::map<uint64_t, int> World::LeadersPerEpoch() const {
  std::map<uint64_t, int> out;
  for (const auto& n : nodes_) {
    uint64_t latest = 0, candidacy = 0;
    for (const EventOut& e : n->events) {
      if (e.type == "+new-epoch") latest = std::stoull(e.message);
      if (e.type == "+try-failover") candidacy = latest;
      if (e.type == "+elected-leader") out[candidacy]++;
    }
  }
  return out;
}

}  // namespace tessera::sentinel::testing
