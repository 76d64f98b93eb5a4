// The event loop: TCP and Unix-socket listeners, client connections, the cron timer and
// signal handling, on one Boost.Asio io_context run by the main thread. Asio stays inside
// network.cc; this header only exposes the loop's control surface.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "server/core/server.h"

namespace tessera {

class EventLoop : public LoopControl {
 public:
  explicit EventLoop(Server& server);
  ~EventLoop() override;

  // Opens the listeners from the config (bind/port, unixsocket). On failure *err says which
  // address failed and why.
  bool Listen(std::string* err);
  // Runs until Stop() (SHUTDOWN, SIGTERM, SIGINT).
  void Run();

  void ScheduleBeforeSleep() override;
  bool RebindListeners(std::string* err) override;
  void Stop() override;
  void CloseClient(Client* c) override;
  void WakeAt(int64_t deadline_ms) override;
  std::vector<std::string> ListeningAddresses() const override;
  void ProcessEventsWhileBlocked() override;
  Client* ConnectTo(const std::string& host, int port, std::string* err) override;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tessera
