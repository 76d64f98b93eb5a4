// tessera-sentinel's process: the I/O shell around the Sentinel state machine. One Asio
// io_context on one thread runs the client API listener, the command and hello links to the
// watched servers, the gossip bus node and a 10 ms tick. Boost.Asio stays in server.cc.
#pragma once

#include <memory>
#include <string>

#include "sentinel/core/config.h"

namespace tessera::sentinel {

class SentinelServer {
 public:
  // `config_path` is read once and never written; `cfg` holds it plus command-line overrides.
  SentinelServer(SentinelConfig cfg, std::string config_path);
  ~SentinelServer();

  // Loads the state file, listens, and serves until SIGTERM/SIGINT or SHUTDOWN. Returns the
  // process exit code (non-zero when it could not start).
  int Run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::sentinel
