// In-process test fixture: a real Server with a frozen clock and a fake client, no sockets.
//   EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
//   AdvanceMs(1500);
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/resp/value.h"
#include "server/core/server.h"

namespace tessera::testing {

// Records what the server propagates (the stream AOF and replicas will receive).
class RecordingSink : public PropagationSink {
 public:
  void Feed(int dbid, std::span<const std::string> argv) override {
    std::string line = std::to_string(dbid) + ":";
    for (const auto& a : argv) line += " " + a;
    lines.push_back(line);
  }
  std::vector<std::string> lines;
};

class ServerFixture : public ::testing::Test {
 protected:
  static constexpr int64_t kStartUs = 1700000000000000;  // 2023-11-14T22:13:20Z

  ServerFixture();
  ~ServerFixture() override;

  // Runs one command as the fake client; returns the reply rendered by Value::ToString().
  std::string Run(std::initializer_list<std::string_view> args) { return RunOn(client_, args); }
  std::string RunOn(Client* c, std::initializer_list<std::string_view> args);
  // What c has been sent since its last command (e.g. a blocked client's late reply).
  std::string Pending(Client* c);
  // Every reply or message c has been sent since, one rendered value each.
  std::vector<std::string> PendingAll(Client* c);
  std::string RunVec(const std::vector<std::string>& args);
  resp::Value RunValue(std::initializer_list<std::string_view> args);
  void AdvanceMs(int64_t ms) { server_.clock().AdvanceMs(ms); }
  int64_t NowMs() { return server_.clock().NowMs(); }
  void Cron() { server_.Cron(); }

  Server server_;
  Client* client_ = nullptr;
};

}  // namespace tessera::testing
