// tessera-sentinel's configuration: Redis Sentinel's directives (`sentinel monitor ...`,
// `port`, `bind`, ...) plus the bus's, from a file that is only ever read, and the state file
// (same syntax) that the sentinel rewrites as things change and that overrides the file.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sentinel/core/sentinel.h"

namespace tessera::sentinel {

struct SentinelConfig {
  // The process.
  int port = 26379;
  std::vector<std::string> bind;  // empty: every address
  std::string dir;                // "" = the working directory
  std::string logfile;            // "" = stdout
  std::string loglevel = "notice";
  std::string pidfile;
  bool daemonize = false;
  std::string requirepass;
  // Sentinel.
  std::string myid;
  uint64_t current_epoch = 0;
  std::string announce_ip;
  int announce_port = 0;
  bool resolve_hostnames = false;
  bool announce_hostnames = false;
  // The bus.
  int bus_port = 0;               // 0: port + 10000
  std::string bus_bind;           // "" = the first `bind` address (or every address)
  std::string bus_announce_ip;
  int bus_announce_port = 0;
  std::string bus_secret;
  int64_t bus_node_timeout_ms = 2000;
  std::string state_file;         // "" = sentinel-state-<port>.conf in dir
  std::vector<MasterSpec> masters;
  std::set<std::string> removed;  // state file: masters removed at runtime
  // Settings changed at runtime (SENTINEL CONFIG SET): name -> value, kept in the state file.
  std::map<std::string, std::string> runtime;
};

// Parses configuration text (a file's contents, or `--name value` arguments turned into lines
// by ArgsToConfigText). Errors name the origin, the line and the reason.
bool ParseConfig(std::string_view text, const std::string& origin, SentinelConfig* cfg,
                 std::string* err);
bool LoadConfigFile(const std::string& path, SentinelConfig* cfg, std::string* err);

// "--port 5 --sentinel monitor m h 1 2" -> "port 5\nsentinel monitor m h 1 2\n".
std::string ArgsToConfigText(int argc, char** argv, int first);

// Lays the state file's contents (masters, epochs, runtime settings) over the configuration.
void ApplyState(const SentinelConfig& state, SentinelConfig* cfg);

// Applies one SENTINEL CONFIG SET parameter to cfg (and returns "" or the error text).
std::string SetGlobal(SentinelConfig* cfg, const std::string& name, const std::string& value);
// The value of a SENTINEL CONFIG GET parameter ("" name unknown -> false).
bool GetGlobal(const SentinelConfig& cfg, const std::string& name, std::string* value);
// Every SENTINEL CONFIG parameter name.
const std::vector<std::string>& GlobalNames();

}  // namespace tessera::sentinel
