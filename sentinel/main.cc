// tessera-sentinel /path/sentinel.conf [--directive value ...]
//
// Watches master-replica sets and fails them over (see sentinel/README.md). The configuration
// file is only read; what changes at runtime goes to the state file (`sentinel state-file`).
#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "common/log.h"
#include "sentinel/api.h"
#include "sentinel/core/config.h"
#include "sentinel/server.h"

int main(int argc, char** argv) {
  using namespace tessera;
  using namespace tessera::sentinel;
  int first = 1;
  std::string config_path;
  if (argc > 1) {
    std::string_view a = argv[1];
    if (a == "-v" || a == "--version") {
      printf("tessera-sentinel v=0.1.0 (Redis Sentinel %s compatible)\n",
             std::string(kRedisVersion).c_str());
      return 0;
    }
    if (a == "-h" || a == "--help") {
      printf("Usage: tessera-sentinel [/path/to/sentinel.conf] [--directive value ...]\n"
             "Example: tessera-sentinel sentinel.conf --port 26380 "
             "--sentinel announce-ip 10.0.0.5\n");
      return 0;
    }
    if (!a.starts_with("--")) {
      config_path = argv[1];
      first = 2;
    }
  }
  SentinelConfig cfg;
  std::string err;
  if (!config_path.empty() && !LoadConfigFile(config_path, &cfg, &err)) {
    LogFatal(err);
    return 1;
  }
  if (first < argc && !ParseConfig(ArgsToConfigText(argc, argv, first), "(command line)", &cfg,
                                   &err)) {
    LogFatal(err);
    return 1;
  }
  if (!config_path.empty() && config_path[0] != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) != nullptr) config_path = std::string(cwd) + "/" + config_path;
  }
  if (cfg.daemonize && daemon(1, 0) != 0) {
    LogFatal("Can't daemonize");
    return 1;
  }
  SentinelServer server(std::move(cfg), config_path);
  return server.Run();
}
