// The client-facing commands of tessera-sentinel (port 26379), Redis Sentinel's API: PING,
// INFO, ROLE, AUTH, HELLO, CLIENT, SENTINEL <subcommand>, pub/sub of the events, SHUTDOWN.
// No sockets here: the server hands each parsed command to RunCommand with the client's state,
// and the replies land in the client's output buffer.
#pragma once

#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cluster-bus/node.h"
#include "common/resp/output_buffer.h"
#include "common/resp/reply_builder.h"
#include "sentinel/core/config.h"
#include "sentinel/core/sentinel.h"

namespace tessera::sentinel {

inline constexpr std::string_view kRedisVersion = "7.0.15";  // the compatibility level

// One client connection's state as the commands see it.
struct ApiClient {
  uint64_t id = 0;
  std::string addr, laddr, name;
  bool authenticated = false;
  int64_t created_ms = 0, last_cmd_ms = 0;
  std::string last_cmd = "NULL";
  std::set<std::string> channels, patterns;
  bool close_after_reply = false;
  resp::OutputBuffer out;
  resp::ReplyBuilder rb{&out};

  bool subscribed() const { return !channels.empty() || !patterns.empty(); }
};

// What the commands need from the process around them.
class ApiHost {
 public:
  virtual ~ApiHost() = default;
  virtual Sentinel& core() = 0;
  virtual SentinelConfig& config() = 0;
  virtual int64_t Now() = 0;
  // Carries out what the core asked for after a command changed it.
  virtual void AfterChange() = 0;
  virtual std::vector<ApiClient*> Clients() = 0;
  virtual void Kill(ApiClient* c) = 0;
  virtual bool SaveState(std::string* err) = 0;
  virtual void Shutdown() = 0;
  // Sends `message` on `channel` to the subscribers; returns how many got it.
  virtual int Publish(const std::string& channel, const std::string& message) = 0;
  // Resolves a SENTINEL MONITOR host (honouring resolve-hostnames); false if it cannot.
  virtual bool ResolveHost(const std::string& host, std::string* ip) = 0;
  virtual std::string RunId() = 0;
  virtual std::string ConfigFile() = 0;
  virtual int64_t StartMs() = 0;
  // When the bus last heard from a sentinel (0: never), and whether its link is up.
  virtual int64_t BusLastHeard(const std::string& id) = 0;
  virtual bool BusLinkUp(const std::string& id) = 0;
  virtual bus::NodeStats BusStats() = 0;
  virtual int BusPort() = 0;
  virtual uint64_t TotalConnections() = 0;
  virtual uint64_t TotalCommands() = 0;
};

// Runs one command for client c, writing its reply.
void RunCommand(ApiHost& host, ApiClient& c, std::span<const std::string_view> argv);

}  // namespace tessera::sentinel
