#include "server/core/network.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "server/commands/info.h"
#include "server/core/errors.h"
#include "server/core/replication.h"

namespace tessera {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr size_t kSharedReadSize = 64 * 1024;
constexpr size_t kPrivateReadSize = 16 * 1024;
constexpr int kMaxIov = 64;

std::string FormatAddr(const std::string& ip, int port) {
  return ip.find(':') != std::string::npos ? "[" + ip + "]:" + std::to_string(port)
                                           : ip + ":" + std::to_string(port);
}

bool PeerString(int fd, bool local_side, std::string* ip, int* port) {
  sockaddr_storage sa;
  socklen_t len = sizeof(sa);
  int rc = local_side ? getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len)
                      : getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  if (rc != 0) return false;
  char buf[INET6_ADDRSTRLEN] = {0};
  if (sa.ss_family == AF_INET) {
    auto* s = reinterpret_cast<sockaddr_in*>(&sa);
    inet_ntop(AF_INET, &s->sin_addr, buf, sizeof(buf));
    *port = ntohs(s->sin_port);
  } else if (sa.ss_family == AF_INET6) {
    auto* s = reinterpret_cast<sockaddr_in6*>(&sa);
    inet_ntop(AF_INET6, &s->sin6_addr, buf, sizeof(buf));
    *port = ntohs(s->sin6_port);
  } else {
    return false;
  }
  *ip = buf;
  return true;
}
}  // namespace

class Connection;

struct EventLoop::Impl {
  Impl(EventLoop* owner, Server& s)
      : self(owner),
        server(s),
        io(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE),
        cron_timer(io),
        signals(io, SIGTERM, SIGINT),
        shared_in(new char[kSharedReadSize]) {
    epfd = epoll_create1(EPOLL_CLOEXEC);
    poller = std::make_unique<asio::posix::stream_descriptor>(io, epfd);
  }
  ~Impl() {
    poller->release();
    ::close(epfd);
  }

  void AcceptTcp(size_t idx);
  void AcceptUnix();
  void OnAccepted(int fd, bool unix_socket);
  Client* ConnectTo(const std::string& host, int port, std::string* err);
  void StartCron();
  void WaitSignals();
  void ArmPoller();
  void OnClientsReady();
  void BeforeSleep();
  void CloseClient(Client* c);
  void FreeClosed();
  bool OpenTcp(std::string* err);

  EventLoop* self;
  Server& server;
  asio::io_context io;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> tcp;
  std::unique_ptr<asio::local::stream_protocol::acceptor> unix_acceptor;
  std::vector<std::string> addresses;
  asio::steady_timer cron_timer;
  asio::steady_timer wake_timer{io};
  int64_t wake_at_ms = 0;
  asio::signal_set signals;
  // Client sockets live in this level-triggered epoll set (registered once, as Redis does);
  // Asio watches the set's descriptor, so one readiness wait covers every client.
  int epfd = -1;
  std::unique_ptr<asio::posix::stream_descriptor> poller;
  bool in_batch = false;
  bool before_sleep_scheduled = false;
  bool stopping = false;
  std::unique_ptr<char[]> shared_in;
  // Reads made from inside a busy script use their own buffer: the script's arguments may
  // still point into shared_in.
  std::unique_ptr<char[]> nested_in;
  bool nested = false;
  void ProcessWhileBlocked();
  void AcceptWhileBlocked();
  std::vector<Connection*> closed;  // freed once no event of this turn can refer to them
};

// One client socket in the epoll set.
class Connection {
 public:
  Connection(EventLoop::Impl* loop, Client* client, int fd, bool connecting = false)
      : loop_(loop), client_(client), fd_(fd), connecting_(connecting) {
    client_->conn = this;
    // An outgoing connection waits for writability: the connect's outcome.
    Register(EPOLL_CTL_ADD, connecting ? EPOLLOUT : EPOLLIN);
    want_write_ = connecting;
  }
  ~Connection() = default;

  bool closed() const { return client_ == nullptr; }
  Client* client() const { return client_; }

  void OnEvents(uint32_t events) {
    if (closed()) return;
    if (connecting_) {
      FinishConnect();
      return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) ReadOnce();
    if (!closed() && (events & EPOLLOUT)) Flush();
  }

  // Writes as much pending output as the socket takes with gathered writes; asks for
  // writability when the socket is full.
  void Flush() {
    if (closed()) return;
    Client& c = *client_;
    if (c.Has(kClientReplica) && c.repl->state != ReplicaInfo::State::kOnline &&
        !FlushPreamble()) {
      return;
    }
    if (c.sync_hold_offset > 0) return;  // waiting for replicas to acknowledge its write
    Server& srv = loop_->server;
    while (true) {
      // A replica catching up takes its stream from the backlog as its socket drains.
      if (c.repl != nullptr && c.repl->catchup) srv.replication().TopUp(c);
      if (c.out.empty()) break;
      struct iovec iov[kMaxIov];
      int cnt = c.out.Gather(iov, kMaxIov);
      size_t total = 0;
      for (int i = 0; i < cnt; ++i) total += iov[i].iov_len;
      ssize_t n = ::writev(fd_, iov, cnt);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          WantWrite(true);
          return;
        }
        LogVerbose("Error writing to client: {}", strerror(errno));
        loop_->CloseClient(client_);
        return;
      }
      CountWritten(static_cast<size_t>(n));
      c.out.Consume(static_cast<size_t>(n));
      if (static_cast<size_t>(n) < total) {
        WantWrite(true);
        return;
      }
    }
    WantWrite(false);
    if (c.Has(kClientCloseAfterReply)) loop_->CloseClient(client_);
  }

  // The outgoing connection to our master finished connecting (or failed).
  void FinishConnect() {
    connecting_ = false;
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    Server& s = loop_->server;
    if (err != 0) {
      LogWarning("Error condition on socket for SYNC: {}", strerror(err));
      loop_->CloseClient(client_);
      return;
    }
    std::string ip, lip;
    int port = 0, lport = 0;
    if (PeerString(fd_, false, &ip, &port)) client_->addr = FormatAddr(ip, port);
    if (PeerString(fd_, true, &lip, &lport)) client_->laddr = FormatAddr(lip, lport);
    WantWrite(false);
    s.replication().LinkConnected(*client_);
    if (!closed() && !client_->out.empty()) s.QueueWrite(*client_);
  }

  // A replica being synchronized: +FULLRESYNC, keepalive newlines and the RDB bulk go out
  // first; the stream waiting in its output follows once the bulk is through. False while
  // the stream must still wait (or the socket is full, or closed).
  bool FlushPreamble() {
    Client& c = *client_;
    ReplicaInfo& r = *c.repl;
    Server& s = loop_->server;
    static const std::string kNone;
    for (;;) {
      // The preamble, then the shared RDB bulk.
      bool head = r.preamble_sent < r.preamble.size();
      const std::string& src = head ? r.preamble : (r.bulk ? *r.bulk : kNone);
      size_t& sent = head ? r.preamble_sent : r.bulk_sent;
      if (sent >= src.size()) break;
      ssize_t n = ::write(fd_, src.data() + sent, src.size() - sent);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          WantWrite(true);
          return false;
        }
        LogWarning("Error writing to replica {}: {}", c.addr, strerror(errno));
        loop_->CloseClient(client_);
        return false;
      }
      CountWritten(static_cast<size_t>(n));
      sent += static_cast<size_t>(n);
    }
    if (r.state == ReplicaInfo::State::kSendBulk) {
      s.replication().BulkSent(c);
      return true;
    }
    r.preamble.clear();
    r.preamble_sent = 0;
    WantWrite(false);
    return false;
  }

  // Leaves the epoll set and closes the socket; the object is freed after this turn.
  void Close() {
    epoll_ctl(loop_->epfd, EPOLL_CTL_DEL, fd_, nullptr);
    ::close(fd_);
    client_ = nullptr;
    loop_->closed.push_back(this);
  }

 private:
  // The statistics of n bytes written to the socket.
  void CountWritten(size_t n) {
    Server& s = loop_->server;
    ++s.stats().total_writes_processed;
    s.stats().net_output_bytes += n;
    client_->net_output_bytes += n;
  }

  void Register(int op, uint32_t events) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.ptr = this;
    epoll_ctl(loop_->epfd, op, fd_, &ev);
  }

  void WantWrite(bool on) {
    if (on == want_write_) return;
    want_write_ = on;
    Register(EPOLL_CTL_MOD, on ? (EPOLLIN | EPOLLOUT) : EPOLLIN);
  }

  // Reads once (at most one buffer: the socket stays readable if more is waiting, and the
  // level-triggered set reports it next turn) and processes what arrived.
  void ReadOnce() {
    Client& c = *client_;
    Server& s = loop_->server;
    bool use_private = c.qbuf.pending() > 0;
    size_t want;
    char* dst;
    if (use_private) {
      want = std::max(kPrivateReadSize, c.parser.bytes_wanted());
      dst = c.qbuf.Reserve(want);
    } else {
      want = kSharedReadSize;
      if (loop_->nested) {
        if (!loop_->nested_in) loop_->nested_in.reset(new char[kSharedReadSize]);
        dst = loop_->nested_in.get();
      } else {
        dst = loop_->shared_in.get();
      }
    }
    ssize_t n = ::read(fd_, dst, want);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      LogVerbose("Reading from client: {}", strerror(errno));
      loop_->CloseClient(client_);
      return;
    }
    if (n == 0) {
      LogVerbose("Client closed connection id={} addr={}", c.id, c.addr);
      loop_->CloseClient(client_);
      return;
    }
    size_t got = static_cast<size_t>(n);
    ++s.stats().total_reads_processed;
    s.stats().net_input_bytes += got;
    c.net_input_bytes += got;
    c.last_interaction_ms = s.clock().NowMs();
    if (c.Has(kClientMaster) && !use_private && !s.replication().LinkStreaming()) {
      // Our master's replies to the handshake and the RDB payload; what follows them is the
      // command stream, processed like any client's input.
      size_t used = s.replication().LinkFeed(c, dst, got);
      if (closed() || used == got) return;
      dst += used;
      got -= used;
    }
    if (use_private) {
      c.qbuf.Commit(got);
      size_t used = s.ProcessInput(c, c.qbuf.begin(), c.qbuf.pending());
      if (closed()) return;
      c.qbuf.Consume(used);
    } else {
      size_t used = s.ProcessInput(c, dst, got);
      if (closed()) return;
      if (used < got) c.qbuf.Append(dst + used, got - used);
    }
    if (c.qbuf.pending() > static_cast<size_t>(s.config().client_query_buffer_limit)) {
      LogWarning("Closing client that reached max query buffer length: id={} addr={} (qbuf "
                 "initial bytes: {:?})",
                 c.id, c.addr,
                 std::string_view(c.qbuf.begin(), std::min<size_t>(64, c.qbuf.pending())));
      ++s.stats().client_qbuf_limit_disconnections;
      loop_->CloseClient(client_);
      return;
    }
    s.AccountClientMemory(c);
    if (!c.out.empty()) s.QueueWrite(c);
  }

  EventLoop::Impl* loop_;
  Client* client_;
  int fd_;
  bool connecting_ = false;
  bool want_write_ = false;
};

void EventLoop::Impl::CloseClient(Client* c) {
  if (c == nullptr) return;
  Connection* conn = c->conn;
  c->conn = nullptr;
  server.DestroyClient(c);
  if (conn != nullptr) conn->Close();  // freed later, at a point no handler refers to it
}

void EventLoop::Impl::FreeClosed() {
  for (Connection* c : closed) delete c;
  closed.clear();
}

void EventLoop::Impl::ArmPoller() {
  poller->async_wait(asio::posix::descriptor_base::wait_read, [this](const error_code& ec) {
    if (ec || stopping) return;
    OnClientsReady();
  });
}

// One loop turn for clients: every ready socket is read and its commands run, then all
// pending replies are written (one gathered write per client), as Redis's beforeSleep does.
void EventLoop::Impl::OnClientsReady() {
  constexpr int kMaxEvents = 512;
  // While clients keep being ready, run a few turns back to back before going back to Asio
  // (timers, accepts, signals): saves re-arming the wait when the server is busy.
  constexpr int kMaxTurns = 8;
  struct epoll_event events[kMaxEvents];
  // Only a large turn suggests more work is already waiting; after a small one the extra
  // (probably empty) look would cost a syscall.
  constexpr int kBusyTurn = 8;
  for (int turn = 0; turn < kMaxTurns && !stopping; ++turn) {
    int n = epoll_wait(epfd, events, kMaxEvents, 0);
    if (n <= 0) break;
    in_batch = true;
    for (int i = 0; i < n; ++i) {
      static_cast<Connection*>(events[i].data.ptr)->OnEvents(events[i].events);
    }
    BeforeSleep();
    in_batch = false;
    FreeClosed();
    if (n < kBusyTurn) break;
  }
  if (!stopping) ArmPoller();
}

// Takes the connections waiting on the listeners without going through Asio (which cannot
// run from inside a handler): clients that connect during a busy script get answered too.
void EventLoop::Impl::AcceptWhileBlocked() {
  auto drain = [this](int lfd, bool unix_socket) {
    for (int i = 0; i < 16; ++i) {
      struct pollfd p = {lfd, POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0) return;
      int fd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      OnAccepted(fd, unix_socket);
    }
  };
  for (auto& a : tcp) {
    if (a->is_open()) drain(a->native_handle(), false);
  }
  if (unix_acceptor && unix_acceptor->is_open()) drain(unix_acceptor->native_handle(), true);
}

void EventLoop::Impl::ProcessWhileBlocked() {
  AcceptWhileBlocked();
  constexpr int kMaxEvents = 128;
  struct epoll_event events[kMaxEvents];
  int n = epoll_wait(epfd, events, kMaxEvents, 0);
  bool outer_nested = nested;
  nested = true;
  for (int i = 0; i < n; ++i) {
    auto* conn = static_cast<Connection*>(events[i].data.ptr);
    // The script's own client keeps its input for after the script.
    if (conn->closed() || conn->client()->Has(kClientProtected)) continue;
    conn->OnEvents(events[i].events);
  }
  nested = outer_nested;
  std::vector<Client*> writes;
  writes.swap(server.pending_writes());
  std::vector<Client*> later;
  for (Client* c : writes) {
    if (c->Has(kClientProtected)) {
      later.push_back(c);  // its reply is not complete yet
      continue;
    }
    c->flags &= ~kClientPendingWrite;
    if (c->conn != nullptr && !c->Has(kClientCloseAsap)) c->conn->Flush();
  }
  for (Client* c : later) server.pending_writes().push_back(c);
  for (Client* c : server.TakeClientsToClose()) CloseClient(c);
}

void EventLoop::ProcessEventsWhileBlocked() { impl_->ProcessWhileBlocked(); }

void EventLoop::Impl::OnAccepted(int fd, bool unix_socket) {
  int one = 1;
  std::string ip, lip;
  int port = 0, lport = 0;
  bool local = unix_socket;
  if (!unix_socket) {
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int64_t ka = server.config().tcp_keepalive;
    if (ka > 0) {
      setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
      int idle = static_cast<int>(ka), intvl = std::max(1, static_cast<int>(ka / 3)), cnt = 3;
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
    }
    PeerString(fd, false, &ip, &port);
    PeerString(fd, true, &lip, &lport);
    local = ip.rfind("127.", 0) == 0 || ip == "::1";
  }
  auto reject = [&](std::string_view error) {
    std::string line = "-" + std::string(error) + "\r\n";
    ssize_t ignored = ::write(fd, line.data(), line.size());
    (void)ignored;
    ::close(fd);
    ++server.stats().rejected_connections;
  };
  if (static_cast<int64_t>(server.client_count()) >= server.config().maxclients) {
    reject(err::kMaxClients);
    return;
  }
  if (server.config().protected_mode && server.config().requirepass.empty() && !local) {
    reject(err::kProtectedMode);
    return;
  }
  std::string addr, laddr;
  if (unix_socket) {
    addr = laddr = server.config().unixsocket + ":0";
  } else {
    addr = FormatAddr(ip, port);
    laddr = FormatAddr(lip, lport);
  }
  Client* c = server.CreateClient(fd, addr, laddr, unix_socket, local);
  c->authenticated = server.config().requirepass.empty();
  new Connection(this, c, fd);
}

Client* EventLoop::Impl::ConnectTo(const std::string& host, int port, std::string* err) {
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) {
    *err = gai_strerror(rc);
    return nullptr;
  }
  int fd = -1;
  for (struct addrinfo* a = res; a != nullptr; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) break;
    *err = strerror(errno);
    ::close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    if (err->empty()) *err = "no usable address";
    return nullptr;
  }
  int one = 1;
  if (!server.config().repl_disable_tcp_nodelay) {
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  Client* c = server.CreateClient(fd, FormatAddr(host, port), "", false, false);
  c->authenticated = true;
  new Connection(this, c, fd, true);
  return c;
}

void EventLoop::Impl::AcceptTcp(size_t idx) {
  tcp[idx]->async_accept([this, idx](const error_code& ec, asio::ip::tcp::socket sock) {
    if (ec == asio::error::operation_aborted || stopping) return;
    if (!ec) {
      sock.non_blocking(true);
      OnAccepted(sock.release(), false);
    } else {
      LogWarning("Accepting client connection: {}", ec.message());
    }
    if (idx < tcp.size() && tcp[idx]->is_open()) AcceptTcp(idx);
  });
}

void EventLoop::Impl::AcceptUnix() {
  unix_acceptor->async_accept(
      [this](const error_code& ec, asio::local::stream_protocol::socket sock) {
        if (ec == asio::error::operation_aborted || stopping) return;
        if (!ec) {
          sock.non_blocking(true);
          OnAccepted(sock.release(), true);
        } else {
          LogWarning("Accepting client connection: {}", ec.message());
        }
        AcceptUnix();
      });
}

bool EventLoop::Impl::OpenTcp(std::string* err) {
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> opened;
  std::vector<std::string> addrs;
  const ServerConfig& cfg = server.config();
  if (cfg.port != 0) {
    for (std::string spec : cfg.bind) {
      bool optional = !spec.empty() && spec[0] == '-';
      if (optional) spec = spec.substr(1);
      std::string host = spec == "*" ? "0.0.0.0" : spec == "::*" ? "::" : spec;
      error_code ec;
      auto address = asio::ip::make_address(host, ec);
      if (ec) {
        *err = "Invalid bind address '" + spec + "'";
        return false;
      }
      asio::ip::tcp::endpoint ep(address, static_cast<unsigned short>(cfg.port));
      auto acc = std::make_unique<asio::ip::tcp::acceptor>(io);
      acc->open(ep.protocol(), ec);
      if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec && address.is_v6()) acc->set_option(asio::ip::v6_only(true), ec);
      if (!ec) acc->bind(ep, ec);
      if (!ec) acc->listen(static_cast<int>(cfg.tcp_backlog), ec);
      if (ec) {
        bool unavailable = ec.value() == EADDRNOTAVAIL || ec.value() == EAFNOSUPPORT ||
                           ec.value() == EPROTONOSUPPORT;
        if (optional && unavailable) {
          LogNotice("Skipping optional bind address {}: {}", spec, ec.message());
          continue;
        }
        *err = "Could not create server TCP listening socket " + FormatAddr(host, cfg.port) +
               ": " + ec.message();
        return false;
      }
      addrs.push_back(FormatAddr(host, cfg.port));
      opened.push_back(std::move(acc));
    }
  }
  for (auto& a : tcp) {
    error_code ec;
    a->close(ec);
  }
  tcp = std::move(opened);
  addresses = addrs;
  for (size_t i = 0; i < tcp.size(); ++i) AcceptTcp(i);
  return true;
}

void EventLoop::Impl::StartCron() {
  int64_t hz = std::max<int64_t>(server.config().hz, 1);
  cron_timer.expires_after(std::chrono::microseconds(1000000 / hz));
  cron_timer.async_wait([this](const error_code& ec) {
    if (ec || stopping) return;
    server.Cron();
    SampleMemoryPeak(server);
    for (Client* c : server.TakeClientsToClose()) CloseClient(c);
    FreeClosed();
    if (!server.pending_writes().empty()) self->ScheduleBeforeSleep();
    StartCron();
  });
}

void EventLoop::Impl::BeforeSleep() {
  server.BeforeSleep();
  std::vector<Client*> writes;
  writes.swap(server.pending_writes());
  for (Client* c : writes) {
    c->flags &= ~kClientPendingWrite;
  }
  for (Client* c : writes) {
    if (c->conn != nullptr && !c->Has(kClientCloseAsap)) {
      // Flush may close the client (and free it); the connection object lives to the turn's end.
      Connection* conn = c->conn;
      conn->Flush();
      if (!conn->closed()) server.AccountClientMemory(*c);
    }
  }
  // Clients over maxmemory-clients go after their output had its chance to leave.
  server.EvictClients();
  for (Client* c : server.TakeClientsToClose()) CloseClient(c);
  if (!in_batch) FreeClosed();
}

EventLoop::EventLoop(Server& server) : impl_(std::make_unique<Impl>(this, server)) {}

EventLoop::~EventLoop() {
  impl_->stopping = true;
  std::vector<Client*> all;
  for (const auto& [id, c] : impl_->server.clients()) all.push_back(c.get());
  for (Client* c : all) impl_->CloseClient(c);
  impl_->FreeClosed();
}

bool EventLoop::Listen(std::string* err) {
  if (!impl_->OpenTcp(err)) return false;
  const ServerConfig& cfg = impl_->server.config();
  if (!cfg.unixsocket.empty()) {
    unlink(cfg.unixsocket.c_str());
    error_code ec;
    auto acc = std::make_unique<asio::local::stream_protocol::acceptor>(impl_->io);
    asio::local::stream_protocol::endpoint ep(cfg.unixsocket);
    acc->open(ep.protocol(), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(static_cast<int>(cfg.tcp_backlog), ec);
    if (ec) {
      *err = "Failed opening Unix socket " + cfg.unixsocket + ": " + ec.message();
      return false;
    }
    if (cfg.unixsocketperm != 0) chmod(cfg.unixsocket.c_str(), static_cast<mode_t>(cfg.unixsocketperm));
    impl_->unix_acceptor = std::move(acc);
    impl_->addresses.push_back("unix:" + cfg.unixsocket);
    impl_->AcceptUnix();
  }
  if (impl_->addresses.empty()) {
    *err = "Configured to not listen anywhere, exiting.";
    return false;
  }
  return true;
}

void EventLoop::Impl::WaitSignals() {
  signals.async_wait([this](const error_code& ec, int sig) {
    if (ec) return;
    LogWarning("Received {} scheduling shutdown...", sig == SIGINT ? "SIGINT" : "SIGTERM");
    std::string why;
    // A failed final save keeps the server running, as Redis does; the next signal retries.
    if (!server.PrepareShutdown(0, &why)) WaitSignals();
  });
}

void EventLoop::Run() {
  Impl& im = *impl_;
  im.WaitSignals();
  im.StartCron();
  im.ArmPoller();
  im.io.run();
}

void EventLoop::ScheduleBeforeSleep() {
  Impl& im = *impl_;
  // Inside a client turn the turn ends with BeforeSleep anyway.
  if (im.in_batch || im.before_sleep_scheduled || im.stopping) return;
  im.before_sleep_scheduled = true;
  asio::post(im.io, [&im] {
    im.before_sleep_scheduled = false;
    im.BeforeSleep();
  });
}

bool EventLoop::RebindListeners(std::string* err) {
  std::string detail;
  if (impl_->OpenTcp(&detail)) return true;
  LogWarning("{}", detail);
  *err = "Unable to listen on this port. Check server logs.";
  return false;
}

void EventLoop::CloseClient(Client* c) { impl_->CloseClient(c); }

void EventLoop::WakeAt(int64_t deadline_ms) {
  Impl& im = *impl_;
  if (im.wake_at_ms != 0 && im.wake_at_ms <= deadline_ms) return;  // an earlier wake is set
  im.wake_at_ms = deadline_ms;
  int64_t delay = deadline_ms - im.server.clock().NowMs();
  im.wake_timer.expires_after(std::chrono::milliseconds(delay > 0 ? delay : 0));
  im.wake_timer.async_wait([&im](const error_code& ec) {
    if (ec) return;  // replaced by an earlier deadline
    im.wake_at_ms = 0;
    im.BeforeSleep();
  });
}

void EventLoop::Stop() {
  Impl& im = *impl_;
  im.stopping = true;
  // Write what is pending (best effort) before the loop ends.
  for (const auto& [id, c] : im.server.clients()) {
    if (c->conn != nullptr) c->conn->Flush();
  }
  im.io.stop();
}

std::vector<std::string> EventLoop::ListeningAddresses() const { return impl_->addresses; }

Client* EventLoop::ConnectTo(const std::string& host, int port, std::string* err) {
  return impl_->ConnectTo(host, port, err);
}

}  // namespace tessera
