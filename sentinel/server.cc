#include "sentinel/server.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <deque>
#include <map>
#include <set>

#include "cluster-bus/node.h"
#include "common/clock.h"
#include "common/file.h"
#include "common/glob.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/resp/request_parser.h"
#include "common/resp/value.h"
#include "common/strutil.h"
#include "sentinel/api.h"

namespace tessera::sentinel {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {
constexpr int64_t kTickMs = 10;
constexpr int64_t kConnectTimeoutMs = 1000;
constexpr int64_t kPubSubRetryMs = 500;
constexpr size_t kReadSize = 16 * 1024;
constexpr size_t kMaxLinkOutput = 1 << 20;       // a watched server that stops reading
constexpr size_t kMaxClientQuery = 16 << 20;     // per API client
constexpr size_t kMaxClientOutput = 32 << 20;    // a subscriber that stops reading

LogLevel ParseLevel(const std::string& l) {
  if (l == "debug") return LogLevel::kDebug;
  if (l == "verbose") return LogLevel::kVerbose;
  if (l == "warning") return LogLevel::kWarning;
  if (l == "nothing") return LogLevel::kNothing;
  return LogLevel::kNotice;
}

bool IsIpLiteral(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}
}  // namespace

// The command link to one watched server: AUTH and CLIENT SETNAME first, then the core's
// commands in order, each reply matched to the command that asked.
struct CmdLink {
  CmdLink(asio::io_context& io, InstanceRef r) : ref(std::move(r)), resolver(io), sock(io), timer(io) {}
  InstanceRef ref;
  Addr addr;
  std::string auth_user, auth_pass;
  tcp::resolver resolver;
  tcp::socket sock;
  asio::steady_timer timer;
  bool connected = false, connecting = false, closed = false, writing = false;
  std::string out, in_flight;
  // INFO is the largest reply a sentinel asks for: a server sending more is not trusted.
  resp::ValueParser parser{resp::ValueLimits{.max_bulk_len = 16 << 20,
                                             .max_aggregate_len = 1 << 16,
                                             .max_depth = 8}};
  std::vector<char> buf = std::vector<char>(kReadSize);
  struct Pending {
    Cmd cmd;
    int replies;   // replies still to come for this entry (a MULTI batch has several)
    bool report;   // the handshake's replies are not the core's business
  };
  std::deque<Pending> pending;
};

// The hello subscription on one watched server.
struct PubLink {
  PubLink(asio::io_context& io, InstanceRef r) : ref(std::move(r)), resolver(io), sock(io), timer(io) {}
  InstanceRef ref;
  Addr addr;
  std::string auth_user, auth_pass;
  tcp::resolver resolver;
  tcp::socket sock;
  asio::steady_timer timer;
  bool connected = false, closed = false;
  int64_t last_activity_ms = 0;
  resp::ValueParser parser{resp::ValueLimits{.max_bulk_len = 1 << 20,
                                             .max_aggregate_len = 16,
                                             .max_depth = 4}};
  std::vector<char> buf = std::vector<char>(kReadSize);
  std::string out;
};

// One API client connection.
struct Session {
  explicit Session(tcp::socket s) : sock(std::move(s)), parser(&limits) {}
  tcp::socket sock;
  ApiClient client;
  resp::RequestLimits limits{.max_bulk_len = 1 << 20, .max_multibulk_len = 1 << 16};
  resp::RequestParser parser;
  std::string in;
  size_t in_used = 0;
  std::vector<char> buf = std::vector<char>(kReadSize);
  bool writing = false, closed = false;
};

struct SentinelServer::Impl : ApiHost {
  Impl(SentinelConfig c, std::string path)
      : cfg(std::move(c)), config_path(std::move(path)), tick(io), signals(io, SIGTERM, SIGINT) {}

  // ---- ApiHost
  Sentinel& core() override { return *sentinel; }
  SentinelConfig& config() override { return cfg; }
  int64_t Now() override { return clock.NowMs(); }
  void AfterChange() override { RunOutbox(); }
  std::vector<ApiClient*> Clients() override {
    std::vector<ApiClient*> v;
    for (auto& s : sessions) v.push_back(&s->client);
    return v;
  }
  void Kill(ApiClient* c) override;
  bool SaveState(std::string* err) override;
  void Shutdown() override;
  int Publish(const std::string& channel, const std::string& message) override;
  bool ResolveHost(const std::string& host, std::string* ip) override;
  std::string RunId() override { return run_id; }
  std::string ConfigFile() override { return config_path; }
  int64_t StartMs() override { return start_ms; }
  int64_t BusLastHeard(const std::string& id) override {
    const bus::Member* m = bus->membership().Find(id);
    return m == nullptr ? 0 : m->last_heard_ms;
  }
  bool BusLinkUp(const std::string& id) override { return bus->LinkUp(id); }
  bus::NodeStats BusStats() override { return bus->stats(); }
  int BusPort() override { return bus->port(); }
  uint64_t TotalConnections() override { return total_connections; }
  uint64_t TotalCommands() override { return total_commands; }

  // ---- start-up
  bool LoadState(std::string* err);
  bool Listen(std::string* err);
  void Tick();
  void RunOutbox();

  // ---- links to watched servers
  void Execute(CommandOut& cmd);
  void ConnectCmd(const std::shared_ptr<CmdLink>& l);
  void ReadCmd(const std::shared_ptr<CmdLink>& l);
  void FlushCmd(const std::shared_ptr<CmdLink>& l);
  void CloseCmd(std::shared_ptr<CmdLink> l, bool report);
  void ConnectPub(const std::shared_ptr<PubLink>& l);
  void ReadPub(const std::shared_ptr<PubLink>& l);
  void ClosePub(std::shared_ptr<PubLink> l, bool retry);
  void Reconcile();
  std::string LocalIp(const InstanceRef& ref);
  std::string Handshake(const std::string& user, const std::string& pass, const char* role,
                        int* replies);

  // ---- API clients
  void Accept(tcp::acceptor& a);
  void ReadSession(const std::shared_ptr<Session>& s);
  void FlushSession(const std::shared_ptr<Session>& s);
  void CloseSession(std::shared_ptr<Session> s);

  SentinelConfig cfg;
  std::string config_path;
  std::string state_path;
  asio::io_context io{1};
  Clock clock;
  std::unique_ptr<Sentinel> sentinel;
  std::unique_ptr<bus::Node> bus;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  asio::steady_timer tick;
  asio::signal_set signals;
  std::map<InstanceRef, std::shared_ptr<CmdLink>> cmd_links;
  std::map<InstanceRef, std::shared_ptr<PubLink>> pub_links;
  std::set<std::shared_ptr<Session>> sessions;
  std::string run_id = RandomHexId();
  int64_t start_ms = 0;
  int64_t last_idle_check_ms = 0;
  uint64_t next_client_id = 1;
  uint64_t total_connections = 0, total_commands = 0;
  bool stopping = false;
  bool in_outbox = false;
};

// ---------------------------------------------------------------- state file

bool SentinelServer::Impl::LoadState(std::string* err) {
  std::string text;
  if (!ReadWholeFile(state_path, &text)) {
    if (errno == ENOENT) return true;
    *err = fmt::format("Can't read the state file {}: {}", state_path, strerror(errno));
    return false;
  }
  SentinelConfig state;
  if (!ParseConfig(text, state_path, &state, err)) return false;
  ApplyState(state, &cfg);
  return true;
}

bool SentinelServer::Impl::SaveState(std::string* err) {
  std::string text = sentinel->SerializeState();
  for (const auto& [name, value] : cfg.runtime) {
    std::string q;
    AppendRepr(q, value);
    text += fmt::format("sentinel runtime-config {} {}\n", name, q);
  }
  for (const std::string& name : cfg.removed) {
    if (sentinel->FindMaster(name) != nullptr) continue;
    std::string q;
    AppendRepr(q, name);
    text += fmt::format("sentinel removed {}\n", q);
  }
  // The file holds auth-pass values: readable by the sentinel's user only.
  if (!WriteFileAtomic(state_path, text, 0600, err)) {
    LogWarning("Can't save the sentinel state to {}: {}", state_path, *err);
    return false;
  }
  return true;
}

// ---------------------------------------------------------------- the outbox

void SentinelServer::Impl::RunOutbox() {
  if (in_outbox) return;  // the caller's loop picks up what a nested change adds
  in_outbox = true;
  for (int round = 0; round < 8; ++round) {
    Outbox o = sentinel->TakeOutbox();
    bool empty = o.commands.empty() && o.bus.empty() && o.events.empty() && o.peers.empty() &&
                 o.close_links.empty() && !o.save_state && !o.instances_changed && !o.crash;
    if (empty) break;
    // Votes and epochs are on disk before any message that depends on them leaves.
    if (o.save_state) {
      std::string err;
      SaveState(&err);
    }
    for (const EventOut& e : o.events) {
      LogAt(e.level, "{} {}", e.type, e.message);
      Publish(e.type, e.message);
    }
    if (o.crash) {
      LogWarning("Simulated crash (SENTINEL SIMULATE-FAILURE)");
      _exit(99);
    }
    for (const InstanceRef& ref : o.close_links) {
      auto it = cmd_links.find(ref);
      if (it != cmd_links.end()) CloseCmd(it->second, false);
    }
    for (CommandOut& c : o.commands) Execute(c);
    for (const PeerOut& p : o.peers) bus->AddPeer(p.id, p.bus.host, p.bus.port);
    for (const BusOut& b : o.bus) bus->Send(b.to, b.type, b.payload);
    if (o.instances_changed) Reconcile();
  }
  in_outbox = false;
}

void SentinelServer::Impl::Tick() {
  tick.expires_after(std::chrono::milliseconds(kTickMs));
  tick.async_wait([this](error_code ec) {
    if (ec || stopping) return;
    clock.Resync();
    int64_t now = clock.NowMs();
    sentinel->Tick(now);
    RunOutbox();
    if (now - last_idle_check_ms >= 1000) {
      last_idle_check_ms = now;
      // A hello link that heard nothing (not even our own hellos) for three publish periods
      // is stuck: it is made anew.
      std::vector<std::shared_ptr<PubLink>> stale;
      for (auto& [ref, l] : pub_links) {
        if (l->connected && now - l->last_activity_ms > 3 * sentinel->timing().publish_period_ms) {
          stale.push_back(l);
        }
      }
      for (auto& l : stale) ClosePub(l, true);
    }
    Tick();
  });
}

// ---------------------------------------------------------------- command links

std::string SentinelServer::Impl::Handshake(const std::string& user, const std::string& pass,
                                            const char* role, int* replies) {
  std::string out;
  *replies = 0;
  if (!pass.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!user.empty()) auth.push_back(user);
    auth.push_back(pass);
    resp::AppendCommand(out, auth);
    ++*replies;
  }
  std::vector<std::string> name = {"CLIENT", "SETNAME",
                                   fmt::format("sentinel-{}-{}", cfg.myid.substr(0, 8), role)};
  resp::AppendCommand(out, name);
  ++*replies;
  return out;
}

void SentinelServer::Impl::Execute(CommandOut& cmd) {
  auto it = cmd_links.find(cmd.ref);
  std::shared_ptr<CmdLink> l = it == cmd_links.end() ? nullptr : it->second;
  // A new address or new credentials need a new connection.
  if (l && (l->closed || !(l->addr == cmd.addr) || l->auth_pass != cmd.auth_pass ||
            l->auth_user != cmd.auth_user)) {
    CloseCmd(l, false);
    l.reset();
  }
  if (!l) {
    l = std::make_shared<CmdLink>(io, cmd.ref);
    l->addr = cmd.addr;
    l->auth_user = cmd.auth_user;
    l->auth_pass = cmd.auth_pass;
    int n = 0;
    l->out = Handshake(cmd.auth_user, cmd.auth_pass, "cmd", &n);
    l->pending.push_back({Cmd::kPing, n, false});
    cmd_links[cmd.ref] = l;
  }
  for (const auto& argv : cmd.commands) resp::AppendCommand(l->out, argv);
  l->pending.push_back({cmd.cmd, static_cast<int>(cmd.commands.size()), true});
  if (l->out.size() > kMaxLinkOutput) {
    LogWarning("Closing the link to {}: {} bytes not read", l->addr.ToString(), l->out.size());
    CloseCmd(l, true);
    return;
  }
  if (!l->connected && !l->connecting) {
    ConnectCmd(l);
  } else {
    FlushCmd(l);
  }
}

// Resolves and connects, bounded by kConnectTimeoutMs; then the queued commands go out.
void SentinelServer::Impl::ConnectCmd(const std::shared_ptr<CmdLink>& l) {
  l->connecting = true;
  l->timer.expires_after(std::chrono::milliseconds(kConnectTimeoutMs));
  l->timer.async_wait([this, l](error_code ec) {
    if (!ec && !l->closed && l->connecting) CloseCmd(l, true);
  });
  l->resolver.async_resolve(
      l->addr.host, std::to_string(l->addr.port),
      [this, l](error_code ec, const tcp::resolver::results_type& results) {
        if (l->closed) return;
        if (ec || results.empty()) {
          CloseCmd(l, true);
          return;
        }
        asio::async_connect(l->sock, results, [this, l](error_code ec2, const tcp::endpoint& ep) {
          if (l->closed) return;
          if (ec2) {
            CloseCmd(l, true);
            return;
          }
          // A host name is shown as the address it was reached at (unless announce-hostnames).
          std::string ip = ep.address().to_string();
          if (ip != l->addr.host) sentinel->NoteResolved(l->addr.host, ip);
          l->connecting = false;
          l->connected = true;
          l->timer.cancel();
          error_code ignored;
          l->sock.set_option(tcp::no_delay(true), ignored);
          sentinel->OnLink(l->ref, true);
          ReadCmd(l);
          FlushCmd(l);
          RunOutbox();
        });
      });
}

void SentinelServer::Impl::FlushCmd(const std::shared_ptr<CmdLink>& l) {
  if (l->writing || !l->connected || l->out.empty()) return;
  l->in_flight.swap(l->out);
  l->writing = true;
  asio::async_write(l->sock, asio::buffer(l->in_flight), [this, l](error_code ec, size_t) {
    if (l->closed) return;
    l->writing = false;
    l->in_flight.clear();
    if (ec) {
      CloseCmd(l, true);
      RunOutbox();
      return;
    }
    FlushCmd(l);
  });
}

void SentinelServer::Impl::ReadCmd(const std::shared_ptr<CmdLink>& l) {
  l->sock.async_read_some(asio::buffer(l->buf), [this, l](error_code ec, size_t n) {
    if (l->closed) return;
    if (ec) {
      CloseCmd(l, true);
      RunOutbox();
      return;
    }
    const char* p = l->buf.data();
    size_t left = n;
    int64_t now = clock.NowMs();
    while (left > 0) {
      auto r = l->parser.Feed(p, left);
      p += l->parser.consumed();
      left -= l->parser.consumed();
      if (r == resp::ValueParser::Result::kNeedMore) break;
      if (r == resp::ValueParser::Result::kError || l->pending.empty()) {
        LogWarning("Bad reply from {}: closing its link", l->addr.ToString());
        CloseCmd(l, true);
        RunOutbox();
        return;
      }
      resp::Value v = l->parser.take();
      CmdLink::Pending& front = l->pending.front();
      if (--front.replies > 0) continue;
      CmdLink::Pending done = front;
      l->pending.pop_front();
      if (done.report) sentinel->OnReply(l->ref, done.cmd, v, now);
      if (l->closed) break;
    }
    RunOutbox();
    if (!l->closed) ReadCmd(l);
  });
}

void SentinelServer::Impl::CloseCmd(std::shared_ptr<CmdLink> l, bool report) {
  if (l->closed) return;
  l->closed = true;
  bool was_connected = l->connected;
  l->connected = l->connecting = false;
  error_code ec;
  l->resolver.cancel();
  l->sock.close(ec);
  l->timer.cancel();
  auto it = cmd_links.find(l->ref);
  if (it != cmd_links.end() && it->second == l) cmd_links.erase(it);
  if (report || was_connected) sentinel->OnLink(l->ref, false);
}

std::string SentinelServer::Impl::LocalIp(const InstanceRef& ref) {
  auto it = cmd_links.find(ref);
  if (it == cmd_links.end() || !it->second->connected) return "";
  error_code ec;
  tcp::endpoint ep = it->second->sock.local_endpoint(ec);
  return ec ? "" : ep.address().to_string();
}

// ---------------------------------------------------------------- hello links

void SentinelServer::Impl::ConnectPub(const std::shared_ptr<PubLink>& l) {
  l->timer.expires_after(std::chrono::milliseconds(kConnectTimeoutMs));
  l->timer.async_wait([this, l](error_code ec) {
    if (!ec && !l->closed && !l->connected) ClosePub(l, true);
  });
  l->resolver.async_resolve(
      l->addr.host, std::to_string(l->addr.port),
      [this, l](error_code ec, const tcp::resolver::results_type& results) {
        if (l->closed) return;
        if (ec || results.empty()) {
          ClosePub(l, true);
          return;
        }
        asio::async_connect(l->sock, results, [this, l](error_code ec2, const tcp::endpoint&) {
          if (l->closed) return;
          if (ec2) {
            ClosePub(l, true);
            return;
          }
          l->connected = true;
          l->timer.cancel();
          l->last_activity_ms = clock.NowMs();
          int n = 0;
          l->out = Handshake(l->auth_user, l->auth_pass, "pubsub", &n);
          std::vector<std::string> sub = {"SUBSCRIBE", "__sentinel__:hello"};
          resp::AppendCommand(l->out, sub);
          asio::async_write(l->sock, asio::buffer(l->out), [this, l](error_code ec3, size_t) {
            if (!l->closed && ec3) ClosePub(l, true);
          });
          ReadPub(l);
        });
      });
}

void SentinelServer::Impl::ReadPub(const std::shared_ptr<PubLink>& l) {
  l->sock.async_read_some(asio::buffer(l->buf), [this, l](error_code ec, size_t n) {
    if (l->closed) return;
    if (ec) {
      ClosePub(l, true);
      return;
    }
    int64_t now = clock.NowMs();
    l->last_activity_ms = now;
    const char* p = l->buf.data();
    size_t left = n;
    while (left > 0) {
      auto r = l->parser.Feed(p, left);
      p += l->parser.consumed();
      left -= l->parser.consumed();
      if (r == resp::ValueParser::Result::kNeedMore) break;
      if (r == resp::ValueParser::Result::kError) {
        ClosePub(l, true);
        return;
      }
      resp::Value v = l->parser.take();
      if ((v.type == resp::Value::Type::kArray || v.type == resp::Value::Type::kPush) &&
          v.elements.size() == 3 && v.elements[0].str == "message") {
        sentinel->OnHello(v.elements[2].str, now);
        if (l->closed) return;
      }
    }
    RunOutbox();
    if (!l->closed) ReadPub(l);
  });
}

// Closes a hello link; with `retry` a new one is made after a pause while the server is
// still watched.
void SentinelServer::Impl::ClosePub(std::shared_ptr<PubLink> l, bool retry) {
  if (l->closed) return;
  l->closed = true;
  error_code ec;
  l->resolver.cancel();
  l->sock.close(ec);
  l->timer.cancel();
  auto it = pub_links.find(l->ref);
  if (it == pub_links.end() || it->second != l) return;
  if (!retry || stopping) {
    pub_links.erase(it);
    return;
  }
  auto next = std::make_shared<PubLink>(io, l->ref);
  next->addr = l->addr;
  next->auth_user = l->auth_user;
  next->auth_pass = l->auth_pass;
  it->second = next;
  next->timer.expires_after(std::chrono::milliseconds(kPubSubRetryMs));
  next->timer.async_wait([this, next](error_code ec2) {
    if (!ec2 && !next->closed) ConnectPub(next);
  });
}

// Makes the hello links (and the bus members) match what the core watches.
void SentinelServer::Impl::Reconcile() {
  std::map<InstanceRef, std::tuple<Addr, std::string, std::string>> want;
  sentinel->ForEachInstance([&](const InstanceRef& ref, const Addr& addr, const Master& m) {
    want[ref] = {addr, m.auth_user, m.auth_pass};
  });
  std::vector<std::shared_ptr<PubLink>> drop;
  for (auto& [ref, l] : pub_links) {
    auto it = want.find(ref);
    if (it == want.end() || !(std::get<0>(it->second) == l->addr) ||
        std::get<1>(it->second) != l->auth_user || std::get<2>(it->second) != l->auth_pass) {
      drop.push_back(l);
    }
  }
  for (auto& l : drop) ClosePub(l, false);
  for (const auto& [ref, w] : want) {
    if (pub_links.count(ref)) continue;
    auto l = std::make_shared<PubLink>(io, ref);
    std::tie(l->addr, l->auth_user, l->auth_pass) = w;
    pub_links[ref] = l;
    ConnectPub(l);
  }
  std::vector<std::shared_ptr<CmdLink>> gone;
  for (auto& [ref, l] : cmd_links) {
    if (!want.count(ref)) gone.push_back(l);
  }
  for (auto& l : gone) CloseCmd(l, false);
  std::set<std::string> peers;
  for (const auto& [name, m] : sentinel->masters()) {
    for (const auto& [id, p] : m.sentinels) peers.insert(id);
  }
  std::vector<std::string> stale;
  for (const auto& [id, m] : bus->membership().members()) {
    if (!peers.count(id)) stale.push_back(id);
  }
  for (const std::string& id : stale) bus->RemovePeer(id);
}

// ---------------------------------------------------------------- API clients

void SentinelServer::Impl::Accept(tcp::acceptor& a) {
  a.async_accept([this, &a](error_code ec, tcp::socket sock) {
    if (stopping) return;
    if (!ec) {
      error_code ignored;
      sock.set_option(tcp::no_delay(true), ignored);
      auto s = std::make_shared<Session>(std::move(sock));
      s->client.id = next_client_id++;
      s->client.created_ms = s->client.last_cmd_ms = clock.NowMs();
      s->client.authenticated = cfg.requirepass.empty();
      tcp::endpoint r = s->sock.remote_endpoint(ignored), lo = s->sock.local_endpoint(ignored);
      s->client.addr = fmt::format("{}:{}", r.address().to_string(), r.port());
      s->client.laddr = fmt::format("{}:{}", lo.address().to_string(), lo.port());
      sessions.insert(s);
      ++total_connections;
      ReadSession(s);
    } else if (ec == asio::error::operation_aborted) {
      return;
    }
    Accept(a);
  });
}

void SentinelServer::Impl::ReadSession(const std::shared_ptr<Session>& s) {
  s->sock.async_read_some(asio::buffer(s->buf), [this, s](error_code ec, size_t n) {
    if (s->closed) return;
    if (ec) {
      CloseSession(s);
      return;
    }
    s->in.append(s->buf.data(), n);
    size_t pos = 0;
    while (pos < s->in.size() && !s->client.close_after_reply && !s->closed) {
      auto r = s->parser.Parse(s->in.data() + pos, s->in.size() - pos,
                               !s->client.authenticated);
      if (r == resp::RequestParser::Result::kNeedMore) {
        pos += s->parser.consumed();
        break;
      }
      if (r == resp::RequestParser::Result::kError) {
        s->client.rb.Error(s->parser.error());
        s->client.close_after_reply = true;
        break;
      }
      auto args = s->parser.args();
      ++total_commands;
      if (!args.empty()) RunCommand(*this, s->client, args);
      pos += s->parser.consumed();
      if (stopping) return;
    }
    s->in.erase(0, pos);
    if (s->in.size() > kMaxClientQuery) {
      LogWarning("Closing client {}: query buffer over {} bytes", s->client.addr, kMaxClientQuery);
      CloseSession(s);
      return;
    }
    FlushSession(s);
    if (!s->closed && !s->client.close_after_reply) ReadSession(s);
  });
}

void SentinelServer::Impl::FlushSession(const std::shared_ptr<Session>& s) {
  if (s->closed || s->writing) return;
  if (s->client.out.empty()) {
    if (s->client.close_after_reply) CloseSession(s);
    return;
  }
  if (s->client.out.pending() > kMaxClientOutput) {
    LogWarning("Closing client {}: {} bytes of output not read", s->client.addr,
               s->client.out.pending());
    CloseSession(s);
    return;
  }
  struct iovec iov[64];
  int cnt = s->client.out.Gather(iov, 64);
  std::vector<asio::const_buffer> bufs;
  for (int i = 0; i < cnt; ++i) bufs.emplace_back(iov[i].iov_base, iov[i].iov_len);
  s->writing = true;
  asio::async_write(s->sock, bufs, [this, s](error_code ec, size_t written) {
    if (s->closed) return;
    s->writing = false;
    if (ec) {
      CloseSession(s);
      return;
    }
    s->client.out.Consume(written);
    FlushSession(s);
  });
}

void SentinelServer::Impl::CloseSession(std::shared_ptr<Session> s) {
  if (s->closed) return;
  s->closed = true;
  error_code ec;
  s->sock.close(ec);
  sessions.erase(s);
}

void SentinelServer::Impl::Kill(ApiClient* c) {
  for (auto& s : sessions) {
    if (&s->client != c) continue;
    // The killer's own connection ends after its reply.
    c->close_after_reply = true;
    auto keep = s;
    asio::post(io, [this, keep] { FlushSession(keep); });
    return;
  }
}

int SentinelServer::Impl::Publish(const std::string& channel, const std::string& message) {
  int n = 0;
  std::vector<std::shared_ptr<Session>> targets;
  for (const auto& s : sessions) {
    ApiClient& c = s->client;
    bool any = false;
    if (c.channels.count(channel)) {
      c.rb.PushHeader(3);
      c.rb.Bulk("message");
      c.rb.Bulk(channel);
      c.rb.Bulk(message);
      ++n;
      any = true;
    }
    for (const std::string& p : c.patterns) {
      if (!GlobMatch(p, channel)) continue;
      c.rb.PushHeader(4);
      c.rb.Bulk("pmessage");
      c.rb.Bulk(p);
      c.rb.Bulk(channel);
      c.rb.Bulk(message);
      ++n;
      any = true;
    }
    if (any) targets.push_back(s);
  }
  for (auto& s : targets) FlushSession(s);
  return n;
}

bool SentinelServer::Impl::ResolveHost(const std::string& host, std::string* ip) {
  if (IsIpLiteral(host)) {
    *ip = host;
    return true;
  }
  if (!cfg.resolve_hostnames) return false;
  error_code ec;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, "", ec);
  if (ec || results.empty()) return false;
  *ip = results.begin()->endpoint().address().to_string();
  sentinel->NoteResolved(host, *ip);
  return true;
}

void SentinelServer::Impl::Shutdown() {
  LogWarning("User requested shutdown...");
  stopping = true;
  io.stop();
}

bool SentinelServer::Impl::Listen(std::string* err) {
  std::vector<std::string> binds = cfg.bind;
  if (binds.empty()) binds = {"0.0.0.0"};
  for (const std::string& b : binds) {
    std::string host = b;
    if (!host.empty() && host[0] == '-') host = host.substr(1);  // Redis's optional marker
    if (host == "*") host = "0.0.0.0";
    error_code ec;
    tcp::endpoint ep(asio::ip::make_address(host, ec), static_cast<uint16_t>(cfg.port));
    if (ec) {
      *err = "Invalid bind address '" + b + "'";
      return false;
    }
    auto a = std::make_unique<tcp::acceptor>(io);
    a->open(ep.protocol(), ec);
    if (!ec) a->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) a->bind(ep, ec);
    if (!ec) a->listen(511, ec);
    if (ec) {
      *err = fmt::format("Could not create server TCP listening socket {}:{}: {}", host,
                         cfg.port, ec.message());
      return false;
    }
    acceptors.push_back(std::move(a));
  }
  return true;
}

// ---------------------------------------------------------------- the process

SentinelServer::SentinelServer(SentinelConfig cfg, std::string config_path)
    : impl_(std::make_unique<Impl>(std::move(cfg), std::move(config_path))) {}

SentinelServer::~SentinelServer() = default;

int SentinelServer::Run() {
  Impl& m = *impl_;
  LogSetRole('X');
  std::string err;
  if (!m.cfg.logfile.empty() && !LogSetFile(m.cfg.logfile, &err)) {
    LogFatal(err);
    return 1;
  }
  LogSetLevel(ParseLevel(m.cfg.loglevel));
  if (!m.cfg.dir.empty() && chdir(m.cfg.dir.c_str()) != 0) {
    LogFatal(fmt::format("Can't chdir to '{}': {}", m.cfg.dir, strerror(errno)));
    return 1;
  }
  m.state_path = m.cfg.state_file.empty() ? fmt::format("sentinel-state-{}.conf", m.cfg.port)
                                          : m.cfg.state_file;
  if (!m.LoadState(&err)) {
    LogFatal(err);
    return 1;
  }
  if (m.cfg.myid.empty()) m.cfg.myid = RandomHexId();
  for (const MasterSpec& s : m.cfg.masters) {
    if (!m.cfg.resolve_hostnames && !IsIpLiteral(s.addr.host)) {
      LogFatal(fmt::format("Can't resolve instance hostname '{}' of master {} (set sentinel "
                           "resolve-hostnames yes to use hostnames)", s.addr.host, s.name));
      return 1;
    }
  }
  if (!m.Listen(&err)) {
    LogFatal(err);
    return 1;
  }
  bus::NodeOptions bo;
  bo.id = m.cfg.myid;
  bo.bind_host = !m.cfg.bus_bind.empty() ? m.cfg.bus_bind
                 : (!m.cfg.bind.empty() && m.cfg.bind[0] != "*" && m.cfg.bind[0][0] != '-')
                     ? m.cfg.bind[0]
                     : "0.0.0.0";
  bo.port = m.cfg.bus_port ? m.cfg.bus_port : m.cfg.port + 10000;
  bo.announce_host = !m.cfg.bus_announce_ip.empty() ? m.cfg.bus_announce_ip : m.cfg.announce_ip;
  bo.announce_port = m.cfg.bus_announce_port;
  bo.secret = m.cfg.bus_secret;
  bo.node_timeout_ms = m.cfg.bus_node_timeout_ms;
  m.bus = std::make_unique<bus::Node>(m.io, bo, m.clock);
  if (!m.bus->Start(&err)) {
    LogFatal(err);
    return 1;
  }
  Identity id;
  id.myid = m.cfg.myid;
  id.announce = {m.cfg.announce_ip, m.cfg.announce_port ? m.cfg.announce_port : m.cfg.port};
  id.bus_host = bo.announce_host;
  id.bus_port = bo.announce_port ? bo.announce_port : m.bus->port();
  id.announce_hostnames = m.cfg.announce_hostnames;
  m.sentinel = std::make_unique<Sentinel>(id, m.cfg.current_epoch);
  m.sentinel->set_local_ip_fn([&m](const InstanceRef& ref) { return m.LocalIp(ref); });
  uint64_t seed = 0;
  RandomBytes(&seed, sizeof(seed));
  m.sentinel->set_random_fn([state = seed | 1]() mutable {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 2685821657736338717ULL;
  });
  m.bus->set_on_message([&m](const std::string& from, const std::string& type,
                             const std::string& payload) {
    m.sentinel->OnBus(from, type, payload, m.clock.NowMs());
    m.RunOutbox();
  });
  m.bus->set_on_member([&m](const bus::MemberEvent& e) {
    bool alive = e.kind == bus::MemberEvent::Kind::kAlive ||
                 e.kind == bus::MemberEvent::Kind::kJoined ||
                 e.kind == bus::MemberEvent::Kind::kRestarted;
    m.sentinel->OnPeerLiveness(e.id, alive, m.clock.NowMs());
    m.RunOutbox();
  });
  m.start_ms = m.clock.NowMs();
  LogNotice("Running mode=sentinel, port={}, bus port={}.", m.cfg.port, m.bus->port());
  LogWarning("Sentinel ID is {}", m.cfg.myid);
  for (const MasterSpec& s : m.cfg.masters) {
    std::string e = m.sentinel->Monitor(s, m.start_ms);
    if (!e.empty()) LogWarning("Can't monitor {}: {}", s.name, e);
  }
  // The state file must be writable from the start: a vote that cannot be saved is unsafe.
  if (!m.SaveState(&err)) {
    LogFatal(fmt::format("Sentinel can't write its state file {}: {}", m.state_path, err));
    return 1;
  }
  m.RunOutbox();
  if (!m.cfg.pidfile.empty()) {
    std::string pid = std::to_string(getpid()) + "\n";
    std::string perr;
    if (!WriteFileAtomic(m.cfg.pidfile, pid, 0644, &perr)) {
      LogWarning("Failed to write PID file: {}", perr);
    }
  }
  for (auto& a : m.acceptors) m.Accept(*a);
  m.signals.async_wait([&m](error_code ec, int sig) {
    if (ec) return;
    LogWarning("Received {} scheduling shutdown...", sig == SIGINT ? "SIGINT" : "SIGTERM");
    m.Shutdown();
  });
  m.Tick();
  m.io.run();
  std::string serr;
  m.SaveState(&serr);
  m.bus->Stop();
  if (!m.cfg.pidfile.empty()) unlink(m.cfg.pidfile.c_str());
  LogWarning("Sentinel is now ready to exit, bye bye...");
  return 0;
}

}  // namespace tessera::sentinel
