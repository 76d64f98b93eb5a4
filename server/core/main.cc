// tessera-server [configfile|-] [--directive value ...]: the same invocation as redis-server.
// (The arguments are parsed by hand rather than with CLI11 because redis-server's grammar
// lets any directive take several values, e.g. `--save 900 1 300 10`.)
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/strutil.h"
#include "server/commands/info.h"
#include "server/core/network.h"
#include "server/core/server.h"

namespace tessera {
namespace {

void Usage() {
  fprintf(stderr,
          "Usage: tessera-server [/path/to/tessera.conf] [options] [-]\n"
          "       tessera-server - (read the configuration from stdin)\n"
          "       tessera-server -v or --version\n"
          "       tessera-server -h or --help\n\n"
          "Examples:\n"
          "       tessera-server (run with the built-in defaults: 127.0.0.1:6379)\n"
          "       tessera-server /etc/tessera/6379.conf\n"
          "       tessera-server --port 7777\n"
          "       tessera-server /etc/myserver.conf --loglevel verbose --save \"\"\n");
}

// Turns "--port 7777 --save 900 1" into config text lines ("port 7777\nsave 900 1\n").
std::string OptionsToConfigText(const std::vector<std::string>& args, size_t start) {
  std::string text;
  bool first = true;
  for (size_t i = start; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() > 2 && a[0] == '-' && a[1] == '-') {
      if (!first) text += "\n";
      text += a.substr(2);
      first = false;
    } else {
      std::string quoted;
      AppendRepr(quoted, a);
      text += " " + quoted;
    }
  }
  return text + "\n";
}

// Raises the open-files limit so maxclients connections fit (Redis's adjustOpenFilesLimit).
void AdjustOpenFilesLimit(ServerConfig& cfg) {
  rlim_t needed = static_cast<rlim_t>(cfg.maxclients) + 32;
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_cur >= needed) return;
  struct rlimit want = lim;
  want.rlim_cur = std::max(needed, lim.rlim_cur);
  if (want.rlim_max < want.rlim_cur) want.rlim_max = want.rlim_cur;
  if (setrlimit(RLIMIT_NOFILE, &want) == 0) return;
  want.rlim_max = lim.rlim_max;
  want.rlim_cur = std::min(needed, lim.rlim_max);
  if (setrlimit(RLIMIT_NOFILE, &want) != 0) want.rlim_cur = lim.rlim_cur;
  int64_t possible = static_cast<int64_t>(want.rlim_cur) - 32;
  if (possible < cfg.maxclients && possible > 0) {
    LogWarning("You requested maxclients of {} requiring at least {} max file descriptors. "
               "Server can't set maximum open files to {}; maxclients reduced to {}.",
               cfg.maxclients, needed, needed, possible);
    cfg.maxclients = possible;
  }
}

void Daemonize() {
  if (fork() != 0) _exit(0);
  setsid();
  int fd = open("/dev/null", O_RDWR, 0);
  if (fd != -1) {
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO) close(fd);
  }
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  if (argc >= 2 && (args[1] == "-v" || args[1] == "--version")) {
    printf("Tessera server v=%s (Redis protocol %s) sha=00000000:0 malloc=%s bits=64\n",
           std::string(kTesseraVersion).c_str(), std::string(kRedisVersion).c_str(),
#ifdef TESSERA_WITH_JEMALLOC
           "jemalloc"
#else
           "libc"
#endif
    );
    return 0;
  }
  if (argc >= 2 && (args[1] == "-h" || args[1] == "--help")) {
    Usage();
    return 0;
  }
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);

  Server server;
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) server.set_executable(std::string(exe, static_cast<size_t>(n)));

  std::string err;
  size_t options_start = 1;
  if (argc >= 2 && !(args[1].size() > 2 && args[1][0] == '-' && args[1][1] == '-')) {
    if (!server.registry().LoadFile(args[1], &err)) {
      LogFatal(err);
      return 1;
    }
    options_start = 2;
  }
  if (options_start < args.size()) {
    if (!server.registry().LoadText(OptionsToConfigText(args, options_start), "command line",
                                    &err)) {
      LogFatal(err);
      return 1;
    }
  }
  ServerConfig& cfg = server.config();
  if (!cfg.dir.empty() && chdir(cfg.dir.c_str()) != 0) {
    LogFatal("Can't chdir to '" + cfg.dir + "': " + strerror(errno));
    return 1;
  }
  if (cfg.daemonize) Daemonize();
  if (!cfg.logfile.empty() && !LogSetFile(cfg.logfile, &err)) {
    LogFatal("Can't open the log file: " + err);
    return 1;
  }
  LogSetLevel(static_cast<LogLevel>(cfg.loglevel));
  if (!cfg.pidfile.empty()) {
    FILE* f = fopen(cfg.pidfile.c_str(), "w");
    if (f != nullptr) {
      fprintf(f, "%d\n", static_cast<int>(getpid()));
      fclose(f);
    }
  }
  LogNotice("Tessera version={} (Redis protocol {}), pid={}, just started", kTesseraVersion,
            kRedisVersion, getpid());
  if (argc == 1) {
    LogWarning("No config file specified, using the default config. In order to specify a "
               "config file use {} /path/to/tessera.conf", args[0]);
  }
  AdjustOpenFilesLimit(cfg);
  if (!server.Init(&err)) {
    LogFatal(err);
    return 1;
  }
  EventLoop loop(server);
  server.set_loop(&loop);
  if (!loop.Listen(&err)) {
    LogFatal(err);
    return 1;
  }
  // Clients may connect while the dataset loads (they get LOADING until it is in).
  if (!server.LoadDataAtStart(&err)) {
    if (server.shutdown_requested) {
      fflush(stdout);
      _exit(0);
    }
    LogFatal("Fatal error loading the DB: " + err + ". Exiting.");
    return 1;
  }
  SampleMemoryPeak(server);
  LogNotice("Running mode=standalone, port={}.", cfg.port);
  LogNotice("Server initialized");
  std::string where;
  for (const std::string& a : loop.ListeningAddresses()) where += (where.empty() ? "" : ", ") + a;
  LogNotice("Ready to accept connections on {}", where);
  loop.Run();
  // As Redis: exit without freeing the dataset (that could take seconds for millions of keys
  // and serves no one). Log lines are already flushed.
  fflush(stdout);
  _exit(0);
}

}  // namespace
}  // namespace tessera

int main(int argc, char** argv) { return tessera::Main(argc, argv); }
