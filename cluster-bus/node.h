// A gossip bus node: the Asio side of the bus. It listens for peers, keeps one outbound link
// to every known member (connect with backoff, heartbeats, a bounded send queue), feeds what
// arrives to the Membership table and hands application messages to its user.
//
// Each pair of nodes uses two TCP connections: a node writes only on the links it opened and
// reads only on the links it accepted, so neither side needs to match replies to requests.
// A member learned from a peer's heartbeat gets a link of its own, so a bus assembles itself
// from any one introduction. With a shared secret, frames without a valid MAC are dropped
// (and counted) and an unauthenticated peer never becomes a member.
//
// Single-threaded: every call and every callback happens on the io_context's thread. Boost.Asio
// stays out of this header.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cluster-bus/membership.h"

namespace boost::asio {
class io_context;
}

namespace tessera {
class Clock;
}

namespace tessera::bus {

struct NodeOptions {
  std::string id;               // this node's id (40 hex characters)
  std::string bind_host = "127.0.0.1";  // where to listen ("" = do not listen)
  int port = 0;                 // 0: any free port (see Node::port())
  std::string announce_host;    // what peers should dial ("" = bind_host)
  int announce_port = 0;        // 0 = the port listened on
  std::string secret;           // shared secret: HMAC on every frame ("" = none)
  uint64_t incarnation = 0;     // 0 = the start time in milliseconds
  int64_t heartbeat_ms = 100;
  int64_t node_timeout_ms = 2000;
  int64_t max_backoff_ms = 1000;            // reconnect delay grows from 50 ms to this
  size_t max_queued_bytes = 16u << 20;      // a slower peer's link is dropped past this
};

struct NodeStats {
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  uint64_t bad_mac = 0;       // frames dropped for a missing or wrong MAC
  uint64_t bad_payload = 0;   // frames dropped as not a valid Envelope
  uint64_t bad_stream = 0;    // inbound links closed for a bad magic, version or size
  uint64_t connects = 0;      // outbound connections established
  uint64_t queue_drops = 0;   // outbound links dropped for an over-full queue
};

class Node {
 public:
  // (sender id, application message type, payload)
  using MessageHandler =
      std::function<void(const std::string&, const std::string&, const std::string&)>;
  using MemberHandler = std::function<void(const MemberEvent&)>;

  Node(boost::asio::io_context& io, NodeOptions opts, const Clock& clock);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Listens and starts the heartbeat timer. False with *err when the port cannot be bound.
  bool Start(std::string* err);
  // Closes every link and the listener; callbacks stop.
  void Stop();

  void set_on_message(MessageHandler h);
  void set_on_member(MemberHandler h);

  // A member known from outside the bus (configuration, discovery): links to it. Updates the
  // address of a known member (its link is re-dialed when the address changed).
  void AddPeer(const std::string& id, const std::string& host, int port);
  void RemovePeer(const std::string& id);
  // Queues an application message for one member; false when it has no link up (the message
  // is dropped: the bus does not retry, its users resend what matters).
  bool Send(const std::string& id, const std::string& type, const std::string& payload);
  // Sends to every member whose link is up; returns how many got it.
  size_t Broadcast(const std::string& type, const std::string& payload);

  const Membership& membership() const;
  bool LinkUp(const std::string& id) const;
  int port() const;  // the port listened on
  const std::string& id() const;
  NodeStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::bus
