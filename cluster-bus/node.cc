#include "cluster-bus/node.h"

#include <boost/asio.hpp>
#include <map>
#include <set>

#include "cluster-bus/frame.h"
#include "common/clock.h"
#include "common/log.h"

namespace tessera::bus {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {
constexpr int64_t kMinBackoffMs = 50;
constexpr size_t kReadSize = 16 * 1024;
}  // namespace

// The link this node opened to a member: it carries our frames to it.
struct OutLink {
  OutLink(asio::io_context& io, std::string peer, std::string h, int p)
      : id(std::move(peer)), host(std::move(h)), port(p), resolver(io), sock(io), timer(io) {}

  std::string id, host;
  int port;
  tcp::resolver resolver;
  tcp::socket sock;
  asio::steady_timer timer;  // connect timeout, then the reconnect backoff
  bool up = false, closed = false, writing = false, connecting = false;
  int64_t backoff_ms = kMinBackoffMs;
  std::string queued, in_flight;
  char sink[64];  // the peer never writes here; a pending read only notices the close
};

// A link a member opened to this node: its frames arrive here.
struct InLink {
  InLink(tcp::socket s, const std::string& secret)
      : sock(std::move(s)), reader(secret), buf(kReadSize) {}
  tcp::socket sock;
  FrameReader reader;
  std::vector<char> buf;
  int64_t last_read_ms = 0;
  bool closed = false;
};

struct Node::Impl {
  Impl(asio::io_context& ctx, NodeOptions o, const Clock& c)
      : io(ctx), opts(std::move(o)), clock(c), members(opts.id, {opts.node_timeout_ms}),
        acceptor(ctx), heartbeat(ctx) {
    if (opts.incarnation == 0) opts.incarnation = static_cast<uint64_t>(clock.NowMs());
  }

  void Accept();
  void ReadIn(const std::shared_ptr<InLink>& l);
  void CloseIn(std::shared_ptr<InLink> l);  // by value: it erases the set's copy
  void OnFrame(const Envelope& env);
  void Dial(const std::shared_ptr<OutLink>& l);
  void OnConnected(const std::shared_ptr<OutLink>& l);
  void Retry(const std::shared_ptr<OutLink>& l, int64_t delay_ms);
  void CloseOut(std::shared_ptr<OutLink> l, bool retry);  // by value: it replaces the map's
  void Queue(std::shared_ptr<OutLink> l, const Envelope& env);
  void Flush(const std::shared_ptr<OutLink>& l);
  void Beat();
  void SyncLinks();
  void Dispatch();
  void SendHeartbeat(const std::shared_ptr<OutLink>& l);
  Envelope NewEnvelope();

  asio::io_context& io;
  NodeOptions opts;
  const Clock& clock;
  Membership members;
  tcp::acceptor acceptor;
  asio::steady_timer heartbeat;
  std::map<std::string, std::shared_ptr<OutLink>> out;
  std::set<std::shared_ptr<InLink>> in;
  MessageHandler on_message;
  MemberHandler on_member;
  NodeStats stats;            // bad_mac/bad_payload: of links already closed
  uint64_t seq = 0;
  int listen_port = 0;
  bool running = false;
};

Envelope Node::Impl::NewEnvelope() {
  Envelope env;
  env.set_sender(opts.id);
  // A wildcard bind address says nothing to a peer: it keeps the address it dialed.
  std::string host = opts.announce_host.empty() ? opts.bind_host : opts.announce_host;
  if (host == "0.0.0.0" || host == "::") host.clear();
  env.set_sender_host(host);
  env.set_sender_port(
      static_cast<uint32_t>(opts.announce_port ? opts.announce_port : listen_port));
  env.set_incarnation(opts.incarnation);
  env.set_seq(++seq);
  return env;
}

// Waits for the next peer connection; each gets a reader of its own.
void Node::Impl::Accept() {
  acceptor.async_accept([this](error_code ec, tcp::socket s) {
    if (!running || ec == asio::error::operation_aborted) return;
    if (!ec) {
      s.set_option(tcp::no_delay(true), ec);
      auto l = std::make_shared<InLink>(std::move(s), opts.secret);
      l->last_read_ms = clock.NowMs();
      in.insert(l);
      ReadIn(l);
    }
    Accept();
  });
}

void Node::Impl::CloseIn(std::shared_ptr<InLink> l) {
  if (l->closed) return;
  l->closed = true;
  stats.bad_mac += l->reader.stats().bad_mac;
  stats.bad_payload += l->reader.stats().bad_payload;
  error_code ec;
  l->sock.close(ec);
  in.erase(l);
}

// Reads frames from an inbound link until it fails or sends something that is not the bus.
void Node::Impl::ReadIn(const std::shared_ptr<InLink>& l) {
  l->sock.async_read_some(asio::buffer(l->buf), [this, l](error_code ec, size_t n) {
    if (l->closed || !running) return;
    if (ec) {
      CloseIn(l);
      return;
    }
    l->last_read_ms = clock.NowMs();
    l->reader.Feed(std::string_view(l->buf.data(), n));
    Envelope env;
    std::string err;
    FrameReader::Result r;
    while ((r = l->reader.Next(&env, &err)) == FrameReader::Result::kMessage) {
      OnFrame(env);
      if (!running || l->closed) return;
    }
    if (r == FrameReader::Result::kFatal) {
      ++stats.bad_stream;
      LogWarning("Bus: closing a link from {}: {}",
                 l->sock.remote_endpoint(ec).address().to_string(), err);
      CloseIn(l);
      return;
    }
    ReadIn(l);
  });
}

// One valid frame from a member: it is alive; its heartbeat gossip and messages go on.
void Node::Impl::OnFrame(const Envelope& env) {
  if (env.sender().empty() || env.sender() == opts.id) return;
  ++stats.frames_in;
  int64_t now = clock.NowMs();
  // No announced host: the address we know for it (or will learn) stays.
  int port = env.sender_host().empty() ? 0 : static_cast<int>(env.sender_port());
  members.Heard(env.sender(), env.sender_host(), port, env.incarnation(), now);
  if (env.has_heartbeat()) {
    for (const PeerView& v : env.heartbeat().peers()) members.Gossip(env.sender(), v, now);
  }
  SyncLinks();
  Dispatch();
  if (env.has_app() && on_message) on_message(env.sender(), env.app().type(), env.app().payload());
}

// Every member gets an outbound link to the address it announces.
void Node::Impl::SyncLinks() {
  for (const auto& [id, m] : members.members()) {
    if (m.host.empty() || m.port <= 0) continue;
    auto it = out.find(id);
    if (it != out.end()) {
      if (it->second->host == m.host && it->second->port == m.port) continue;
      CloseOut(it->second, false);
      out.erase(it);
    }
    auto l = std::make_shared<OutLink>(io, id, m.host, m.port);
    out[id] = l;
    Dial(l);
  }
}

// Resolves and connects, bounded by the node timeout.
void Node::Impl::Dial(const std::shared_ptr<OutLink>& l) {
  l->connecting = true;
  l->timer.expires_after(std::chrono::milliseconds(opts.node_timeout_ms));
  l->timer.async_wait([this, l](error_code ec) {
    if (!ec && !l->closed && l->connecting) CloseOut(l, true);
  });
  l->resolver.async_resolve(
      l->host, std::to_string(l->port),
      [this, l](error_code ec, const tcp::resolver::results_type& results) {
        if (l->closed) return;
        if (ec) {
          CloseOut(l, true);
          return;
        }
        asio::async_connect(l->sock, results, [this, l](error_code ec2, const tcp::endpoint&) {
          if (l->closed) return;
          if (ec2) {
            CloseOut(l, true);
            return;
          }
          OnConnected(l);
        });
      });
}

void Node::Impl::OnConnected(const std::shared_ptr<OutLink>& l) {
  error_code ec;
  l->connecting = false;
  l->timer.cancel();
  l->sock.set_option(tcp::no_delay(true), ec);
  l->up = true;
  l->backoff_ms = kMinBackoffMs;
  ++stats.connects;
  // The peer never writes on this link: a completed read means it closed or broke.
  l->sock.async_read_some(asio::buffer(l->sink), [this, l](error_code, size_t) {
    if (!l->closed) CloseOut(l, true);
  });
  SendHeartbeat(l);  // introduces us at once
}

// Drops the connection and what was queued on it; with `retry`, dials again after a backoff.
void Node::Impl::CloseOut(std::shared_ptr<OutLink> l, bool retry) {
  error_code ec;
  l->up = false;
  l->connecting = false;
  l->writing = false;
  l->queued.clear();
  l->in_flight.clear();
  l->resolver.cancel();
  l->sock.close(ec);
  l->timer.cancel();
  if (!retry || !running) {
    l->closed = true;
    return;
  }
  // A fresh socket object for the next attempt: handlers of the old one see `closed`.
  auto next = std::make_shared<OutLink>(io, l->id, l->host, l->port);
  next->backoff_ms = std::min(l->backoff_ms * 2, opts.max_backoff_ms);
  l->closed = true;
  out[l->id] = next;
  Retry(next, l->backoff_ms);
}

void Node::Impl::Retry(const std::shared_ptr<OutLink>& l, int64_t delay_ms) {
  l->timer.expires_after(std::chrono::milliseconds(delay_ms));
  l->timer.async_wait([this, l](error_code ec) {
    if (!ec && !l->closed && running) Dial(l);
  });
}

void Node::Impl::Queue(std::shared_ptr<OutLink> l, const Envelope& env) {
  AppendFrame(env, opts.secret, &l->queued);
  ++stats.frames_out;
  if (l->queued.size() + l->in_flight.size() > opts.max_queued_bytes) {
    ++stats.queue_drops;
    LogWarning("Bus: dropping the link to {} ({} bytes queued)", l->id, l->queued.size());
    CloseOut(l, true);
    return;
  }
  Flush(l);
}

// Writes what is queued, one write at a time.
void Node::Impl::Flush(const std::shared_ptr<OutLink>& l) {
  if (l->writing || !l->up || l->queued.empty()) return;
  l->in_flight.swap(l->queued);
  l->writing = true;
  asio::async_write(l->sock, asio::buffer(l->in_flight), [this, l](error_code ec, size_t) {
    if (l->closed) return;
    l->writing = false;
    l->in_flight.clear();
    if (ec) {
      CloseOut(l, true);
      return;
    }
    Flush(l);
  });
}

void Node::Impl::SendHeartbeat(const std::shared_ptr<OutLink>& l) {
  Envelope env = NewEnvelope();
  for (PeerView& v : members.View()) *env.mutable_heartbeat()->add_peers() = std::move(v);
  Queue(l, env);
}

// The heartbeat period: liveness to every member, then timeouts and verdicts.
void Node::Impl::Beat() {
  heartbeat.expires_after(std::chrono::milliseconds(opts.heartbeat_ms));
  heartbeat.async_wait([this](error_code ec) {
    if (ec || !running) return;
    std::vector<std::shared_ptr<OutLink>> links;
    for (auto& [id, l] : out) {
      if (l->up) links.push_back(l);
    }
    for (auto& l : links) {
      if (!l->closed) SendHeartbeat(l);
    }
    int64_t now = clock.NowMs();
    members.Tick(now);
    // An inbound link silent for three node timeouts belongs to a peer that is gone or
    // stopped; it redials when it comes back.
    std::vector<std::shared_ptr<InLink>> idle;
    for (const auto& l : in) {
      if (now - l->last_read_ms > 3 * opts.node_timeout_ms) idle.push_back(l);
    }
    for (auto& l : idle) CloseIn(l);
    Dispatch();
    Beat();
  });
}

void Node::Impl::Dispatch() {
  for (const MemberEvent& e : members.TakeEvents()) {
    if (on_member) on_member(e);
    if (!running) return;
  }
}

Node::Node(asio::io_context& io, NodeOptions opts, const Clock& clock)
    : impl_(std::make_unique<Impl>(io, std::move(opts), clock)) {}

Node::~Node() { Stop(); }

bool Node::Start(std::string* err) {
  Impl& m = *impl_;
  error_code ec;
  if (!m.opts.bind_host.empty()) {
    tcp::endpoint ep(asio::ip::make_address(m.opts.bind_host, ec),
                     static_cast<uint16_t>(m.opts.port));
    if (ec) {
      *err = "bad bus bind address " + m.opts.bind_host;
      return false;
    }
    m.acceptor.open(ep.protocol(), ec);
    if (!ec) m.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) m.acceptor.bind(ep, ec);
    if (!ec) m.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      *err = "Could not create the bus listener on " + m.opts.bind_host + ":" +
             std::to_string(m.opts.port) + ": " + ec.message();
      return false;
    }
    m.listen_port = m.acceptor.local_endpoint().port();
  }
  m.running = true;
  if (m.acceptor.is_open()) m.Accept();
  m.SyncLinks();
  m.Beat();
  return true;
}

void Node::Stop() {
  Impl& m = *impl_;
  if (!m.running) return;
  m.running = false;
  error_code ec;
  m.acceptor.close(ec);
  m.heartbeat.cancel();
  for (auto& [id, l] : m.out) m.CloseOut(l, false);
  m.out.clear();
  std::vector<std::shared_ptr<InLink>> in(m.in.begin(), m.in.end());
  for (auto& l : in) m.CloseIn(l);
}

void Node::set_on_message(MessageHandler h) { impl_->on_message = std::move(h); }
void Node::set_on_member(MemberHandler h) { impl_->on_member = std::move(h); }

void Node::AddPeer(const std::string& id, const std::string& host, int port) {
  Impl& m = *impl_;
  if (id == m.opts.id || id.empty()) return;
  m.members.Add(id, host, port, m.clock.NowMs());
  if (m.running) {
    m.SyncLinks();
    m.Dispatch();
  }
}

void Node::RemovePeer(const std::string& id) {
  Impl& m = *impl_;
  m.members.Remove(id);
  auto it = m.out.find(id);
  if (it != m.out.end()) {
    m.CloseOut(it->second, false);
    m.out.erase(it);
  }
}

bool Node::Send(const std::string& id, const std::string& type, const std::string& payload) {
  Impl& m = *impl_;
  auto it = m.out.find(id);
  if (it == m.out.end() || !it->second->up) return false;
  Envelope env = m.NewEnvelope();
  env.mutable_app()->set_type(type);
  env.mutable_app()->set_payload(payload);
  m.Queue(it->second, env);
  return true;
}

size_t Node::Broadcast(const std::string& type, const std::string& payload) {
  Impl& m = *impl_;
  std::vector<std::string> ids;
  for (const auto& [id, l] : m.out) {
    if (l->up) ids.push_back(id);
  }
  size_t n = 0;
  for (const std::string& id : ids) n += Send(id, type, payload) ? 1 : 0;
  return n;
}

const Membership& Node::membership() const { return impl_->members; }

bool Node::LinkUp(const std::string& id) const {
  auto it = impl_->out.find(id);
  return it != impl_->out.end() && it->second->up;
}

int Node::port() const { return impl_->listen_port; }
const std::string& Node::id() const { return impl_->opts.id; }

NodeStats Node::stats() const {
  NodeStats s = impl_->stats;
  for (const auto& l : impl_->in) {
    s.bad_mac += l->reader.stats().bad_mac;
    s.bad_payload += l->reader.stats().bad_payload;
  }
  return s;
}

}  // namespace tessera::bus
