#include "server/core/network.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "server/commands/info.h"
#include "server/core/errors.h"

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
        io(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO),
        cron_timer(io),
        signals(io, SIGTERM, SIGINT),
        shared_in(new char[kSharedReadSize]) {}

  void AcceptTcp(size_t idx);
  void AcceptUnix();
  void OnAccepted(int fd, bool unix_socket);
  void StartCron();
  void BeforeSleep();
  void CloseClient(Client* c);
  bool OpenTcp(std::string* err);

  EventLoop* self;
  Server& server;
  asio::io_context io;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> tcp;
  std::unique_ptr<asio::local::stream_protocol::acceptor> unix_acceptor;
  std::vector<std::string> addresses;
  asio::steady_timer cron_timer;
  asio::signal_set signals;
  bool before_sleep_scheduled = false;
  bool stopping = false;
  std::unique_ptr<char[]> shared_in;
};

// One client socket. Owns itself: deleted once closed and no handler is outstanding.
class Connection {
 public:
  Connection(EventLoop::Impl* loop, Client* client, int fd)
      : loop_(loop), client_(client), sd_(loop->io, fd), fd_(fd) {
    client_->conn = this;
  }

  void StartRead() {
    ++pending_;
    // Wait for readability, then read ourselves into the shared or the private buffer.
    sd_.async_wait(asio::posix::descriptor_base::wait_read,
                   [this](const error_code& ec) { OnReadable(ec); });
  }

  // Writes as much pending output as the socket takes, in one gathered write per loop turn;
  // waits for writability when the socket is full.
  void Flush() {
    if (client_ == nullptr || write_waiting_) return;
    Client& c = *client_;
    while (!c.out.empty()) {
      struct iovec iov[kMaxIov];
      int cnt = c.out.Gather(iov, kMaxIov);
      size_t total = 0;
      for (int i = 0; i < cnt; ++i) total += iov[i].iov_len;
      ssize_t n = ::writev(fd_, iov, cnt);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          WaitWritable();
          return;
        }
        LogVerbose("Error writing to client: {}", strerror(errno));
        loop_->CloseClient(client_);
        return;
      }
      Server& s = loop_->server;
      ++s.stats().total_writes_processed;
      s.stats().net_output_bytes += static_cast<uint64_t>(n);
      c.net_output_bytes += static_cast<uint64_t>(n);
      c.out.Consume(static_cast<size_t>(n));
      if (static_cast<size_t>(n) < total) {
        WaitWritable();
        return;
      }
    }
    if (c.Has(kClientCloseAfterReply)) {
      loop_->CloseClient(client_);
    }
  }

  // Closes the socket; the object goes away once no handler refers to it.
  void Close() {
    client_ = nullptr;
    error_code ec;
    sd_.close(ec);
    MaybeDelete();
  }

 private:
  void MaybeDelete() {
    if (client_ == nullptr && pending_ == 0) delete this;
  }

  // Counts a running handler as pending until it returns, so that closing the connection
  // from inside the handler never deletes the object under it.
  struct HandlerScope {
    Connection* c;
    ~HandlerScope() {
      --c->pending_;
      c->MaybeDelete();
    }
  };

  void WaitWritable() {
    write_waiting_ = true;
    ++pending_;
    sd_.async_wait(asio::posix::descriptor_base::wait_write, [this](const error_code& ec) {
      HandlerScope scope{this};
      write_waiting_ = false;
      if (client_ == nullptr || ec) return;
      Flush();
    });
  }

  void OnReadable(const error_code& ec) {
    HandlerScope scope{this};
    if (client_ == nullptr || ec == asio::error::operation_aborted) return;
    if (ec) {
      loop_->CloseClient(client_);
      return;
    }
    bool more = ReadOnce();
    if (client_ == nullptr) return;  // closed while processing
    Flush();
    if (client_ == nullptr) return;
    if (more) {
      // The read filled the buffer: more input may be waiting. Continue after the other
      // ready handlers, for fairness (the descriptor is edge-triggered).
      ++pending_;
      asio::post(loop_->io, [this] { OnReadable(error_code()); });
    } else {
      StartRead();
    }
  }

  // Reads once and processes what arrived. Returns true if the read filled the buffer.
  bool ReadOnce() {
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
      dst = loop_->shared_in.get();
    }
    ssize_t n = ::read(fd_, dst, want);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
      LogVerbose("Reading from client: {}", strerror(errno));
      loop_->CloseClient(client_);
      return false;
    }
    if (n == 0) {
      LogVerbose("Client closed connection id={} addr={}", c.id, c.addr);
      loop_->CloseClient(client_);
      return false;
    }
    size_t got = static_cast<size_t>(n);
    ++s.stats().total_reads_processed;
    s.stats().net_input_bytes += got;
    c.net_input_bytes += got;
    c.last_interaction_ms = s.clock().NowMs();
    if (use_private) {
      c.qbuf.Commit(got);
      size_t used = s.ProcessInput(c, c.qbuf.begin(), c.qbuf.pending());
      if (client_ == nullptr) return false;
      c.qbuf.Consume(used);
    } else {
      size_t used = s.ProcessInput(c, dst, got);
      if (client_ == nullptr) return false;
      if (used < got) c.qbuf.Append(dst + used, got - used);
    }
    if (c.qbuf.pending() > static_cast<size_t>(s.config().client_query_buffer_limit)) {
      LogWarning("Closing client that reached max query buffer length: id={} addr={} (qbuf "
                 "initial bytes: {:?})",
                 c.id, c.addr, std::string_view(c.qbuf.begin(), std::min<size_t>(64, c.qbuf.pending())));
      ++s.stats().client_qbuf_limit_disconnections;
      loop_->CloseClient(client_);
      return false;
    }
    return got == want;
  }

  EventLoop::Impl* loop_;
  Client* client_;
  asio::posix::stream_descriptor sd_;
  int fd_;
  int pending_ = 0;
  bool write_waiting_ = false;
};

void EventLoop::Impl::CloseClient(Client* c) {
  if (c == nullptr) return;
  Connection* conn = c->conn;
  c->conn = nullptr;
  server.DestroyClient(c);
  if (conn != nullptr) conn->Close();
}

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
  auto* conn = new Connection(this, c, fd);
  conn->StartRead();
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
    if (!server.pending_writes().empty()) self->ScheduleBeforeSleep();
    StartCron();
  });
}

void EventLoop::Impl::BeforeSleep() {
  before_sleep_scheduled = false;
  server.BeforeSleep();
  std::vector<Client*> writes;
  writes.swap(server.pending_writes());
  for (Client* c : writes) {
    c->flags &= ~kClientPendingWrite;
  }
  for (Client* c : writes) {
    if (c->conn != nullptr && !c->Has(kClientCloseAsap)) c->conn->Flush();
  }
  for (Client* c : server.TakeClientsToClose()) CloseClient(c);
}

EventLoop::EventLoop(Server& server) : impl_(std::make_unique<Impl>(this, server)) {}

EventLoop::~EventLoop() {
  impl_->stopping = true;
  std::vector<Client*> all;
  for (const auto& [id, c] : impl_->server.clients()) all.push_back(c.get());
  for (Client* c : all) impl_->CloseClient(c);
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

void EventLoop::Run() {
  Impl& im = *impl_;
  im.signals.async_wait([&im](const error_code& ec, int sig) {
    if (ec) return;
    LogWarning("Received {} scheduling shutdown...", sig == SIGINT ? "SIGINT" : "SIGTERM");
    std::string why;
    im.server.PrepareShutdown(0, &why);
  });
  im.StartCron();
  im.io.run();
}

void EventLoop::ScheduleBeforeSleep() {
  Impl& im = *impl_;
  if (im.before_sleep_scheduled || im.stopping) return;
  im.before_sleep_scheduled = true;
  asio::post(im.io, [&im] { im.BeforeSleep(); });
}

bool EventLoop::RebindListeners(std::string* err) {
  std::string detail;
  if (impl_->OpenTcp(&detail)) return true;
  LogWarning("{}", detail);
  *err = "Unable to listen on this port. Check server logs.";
  return false;
}

void EventLoop::CloseClient(Client* c) { impl_->CloseClient(c); }

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

}  // namespace tessera
