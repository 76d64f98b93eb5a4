// The replica's side of the link to its master, without sockets: the server reports events
// (connected, bytes received, the clock) and carries out what the link asks through
// ReplicaLinkHost. States follow Redis's: connect -> connecting -> handshake (PING, AUTH,
// REPLCONF listening-port / ip-address / capa, PSYNC) -> transfer (the RDB bulk, sized or
// EOF-marked) -> connected (the command stream, handled by the server's master client).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tessera {

class ReplicaLinkHost {
 public:
  virtual ~ReplicaLinkHost() = default;
  virtual void LinkSend(std::string_view bytes) = 0;
  // A full resynchronization starts: the payload follows (size -1: EOF-marked).
  virtual bool TransferBegin(const std::string& replid, int64_t offset, int64_t size) = 0;
  virtual bool TransferData(std::string_view chunk) = 0;
  // The payload is complete: load it. False fails the link.
  virtual bool TransferEnd() = 0;
  // PSYNC was accepted (+CONTINUE): the stream continues from our offset; `replid` is the
  // master's ID when it changed, else empty.
  virtual void Continued(const std::string& replid) = 0;
};

class ReplicaLink {
 public:
  enum class State { kNone, kConnect, kConnecting, kHandshake, kPsync, kTransfer, kConnected };

  struct Options {
    int listening_port = 0;
    std::string announce_ip;
    std::string masteruser, masterauth;
    int64_t timeout_ms = 60000;
    bool failover = false;  // PSYNC ... FAILOVER: the master we connect to takes over from us
  };

  explicit ReplicaLink(ReplicaLinkHost* host) : host_(host) {}

  State state() const { return state_; }
  // "connect", "connecting", "handshake", "sync" or "connected" (ROLE / INFO wording).
  const char* StateName() const;
  const std::string& error() const { return error_; }

  // The server is to connect (REPLICAOF, or a retry after the link failed).
  void Reset() { state_ = State::kConnect; }
  void Stop() { state_ = State::kNone; }
  void Connecting(int64_t now_ms);
  // The TCP connection is up: the handshake starts. `psync_replid`/`psync_offset`: what to
  // continue from ("?" and -1 for a full sync).
  void Connected(const Options& o, const std::string& psync_replid, int64_t psync_offset,
                 int64_t now_ms);
  // Bytes from the master before the stream starts; returns how many were used (the rest,
  // once state() is kConnected, belong to the command stream). False in *ok on failure
  // (error() says why; the server drops the connection and retries).
  size_t Feed(const char* data, size_t n, int64_t now_ms, bool* ok);
  // False when a step took longer than the timeout.
  bool Tick(int64_t now_ms) const;
  // Whether the payload was EOF-marked (the master then waits for our first ACK).
  bool eof_marked() const { return size_ < 0; }
  // The transfer's progress (INFO master_sync_*).
  int64_t transfer_size() const { return size_; }
  int64_t transfer_read() const { return read_; }
  int64_t last_io_ms() const { return last_io_ms_; }

 private:
  bool Fail(std::string why);
  bool OnLine(const std::string& line, int64_t now_ms);
  size_t FeedPayload(const char* data, size_t n, bool* ok);

  ReplicaLinkHost* host_;
  State state_ = State::kNone;
  std::string error_;
  std::string line_;          // a reply line being assembled
  int pending_replies_ = 0;   // handshake replies still expected after PING
  bool auth_sent_ = false;
  bool pong_seen_ = false;
  std::string psync_replid_;
  bool failover_ = false;
  int64_t psync_offset_ = -1;
  int64_t size_ = 0;          // payload size (-1: EOF-marked)
  int64_t read_ = 0;
  std::string eof_mark_;
  std::string tail_;          // EOF-marked payloads: bytes not yet passed on
  std::string held_;
  std::string handshake_rest_;
  std::string full_replid_;
  int64_t full_offset_ = -1;
  bool in_payload_ = false;
  int64_t last_io_ms_ = 0;
  int64_t timeout_ms_ = 60000;
};

}  // namespace tessera
