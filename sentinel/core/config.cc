#include "sentinel/core/config.h"

#include <fmt/format.h>

#include "common/file.h"
#include "common/strutil.h"

namespace tessera::sentinel {
namespace {

bool ParseYesNo(const std::string& v, bool* out) {
  std::string l = ToLower(v);
  if (l == "yes") {
    *out = true;
  } else if (l == "no") {
    *out = false;
  } else {
    return false;
  }
  return true;
}

bool ParsePort(const std::string& v, int* out, bool allow_zero) {
  auto n = ParseInt64(v);
  if (!n || *n < (allow_zero ? 0 : 1) || *n > 65535) return false;
  *out = static_cast<int>(*n);
  return true;
}

bool IsRunId(const std::string& s) {
  if (s.size() != 40) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

MasterSpec* FindSpec(SentinelConfig* cfg, const std::string& name) {
  for (MasterSpec& m : cfg->masters) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

// One `sentinel <what> ...` line (args without "sentinel").
std::string SentinelDirective(SentinelConfig* cfg, const std::vector<std::string>& a) {
  const std::string what = ToLower(a[0]);
  size_t n = a.size();
  auto int_arg = [&](size_t i, int64_t min, int64_t* out) {
    auto v = ParseInt64(a[i]);
    if (!v || *v < min) return false;
    *out = *v;
    return true;
  };
  if (what == "monitor" && n == 5) {
    MasterSpec spec;
    spec.name = a[1];
    spec.addr.host = a[2];
    int64_t quorum = 0;
    if (!ParsePort(a[3], &spec.addr.port, false)) return "Invalid port number";
    if (!int_arg(4, 1, &quorum) || quorum > INT32_MAX) return "Quorum must be 1 or greater.";
    spec.quorum = static_cast<int>(quorum);
    if (FindSpec(cfg, spec.name) != nullptr) return "Duplicated master name.";
    cfg->masters.push_back(std::move(spec));
    return "";
  }
  if (what == "myid" && n == 2) {
    if (!IsRunId(a[1])) return "Malformed Sentinel id in myid option.";
    cfg->myid = ToLower(a[1]);
    return "";
  }
  if (what == "current-epoch" && n == 2) {
    auto v = ParseUint64(a[1]);
    if (!v) return "Invalid current-epoch";
    cfg->current_epoch = std::max(cfg->current_epoch, *v);
    return "";
  }
  if (what == "announce-ip" && n == 2) {
    cfg->announce_ip = a[1];
    return "";
  }
  if (what == "announce-port" && n == 2) {
    return ParsePort(a[1], &cfg->announce_port, true) ? "" : "Invalid port number";
  }
  // deny-scripts-reconfig is accepted and checked; scripts are refused either way.
  if ((what == "resolve-hostnames" || what == "announce-hostnames" ||
       what == "deny-scripts-reconfig") && n == 2) {
    bool ignored = true;
    bool* target = what == "resolve-hostnames"    ? &cfg->resolve_hostnames
                   : what == "announce-hostnames" ? &cfg->announce_hostnames
                                                  : &ignored;
    return ParseYesNo(a[1], target) ? "" : "Please specify yes or no for the " + what + " option.";
  }
  if (what == "bus-port" && n == 2) {
    return ParsePort(a[1], &cfg->bus_port, true) ? "" : "Invalid bus port";
  }
  if (what == "bus-bind" && n == 2) {
    cfg->bus_bind = a[1];
    return "";
  }
  if (what == "bus-announce-ip" && n == 2) {
    cfg->bus_announce_ip = a[1];
    return "";
  }
  if (what == "bus-announce-port" && n == 2) {
    return ParsePort(a[1], &cfg->bus_announce_port, true) ? "" : "Invalid bus port";
  }
  if (what == "bus-secret" && n == 2) {
    cfg->bus_secret = a[1];
    return "";
  }
  if (what == "bus-node-timeout" && n == 2) {
    return int_arg(1, 100, &cfg->bus_node_timeout_ms) ? "" : "Invalid bus-node-timeout";
  }
  if (what == "state-file" && n == 2) {
    cfg->state_file = a[1];
    return "";
  }
  if (what == "runtime-config" && n == 3) {
    cfg->runtime[ToLower(a[1])] = a[2];
    return "";
  }
  if (what == "removed" && n == 2) {
    cfg->removed.insert(a[1]);
    return "";
  }
  if (what == "notification-script" || what == "client-reconfig-script") {
    return "scripts are not supported by tessera-sentinel (subscribe to its events instead)";
  }
  // The rest name a master that a `sentinel monitor` line declared before.
  if (n < 3) return "Unrecognized sentinel configuration statement.";
  MasterSpec* m = FindSpec(cfg, a[1]);
  if (m == nullptr) return "No such master with specified name.";
  int64_t v = 0;
  if (what == "down-after-milliseconds" && n == 3) {
    if (!int_arg(2, 1, &v)) return "negative or zero time parameter.";
    m->down_after_ms = v;
  } else if (what == "failover-timeout" && n == 3) {
    if (!int_arg(2, 1, &v)) return "negative or zero time parameter.";
    m->failover_timeout_ms = v;
  } else if (what == "parallel-syncs" && n == 3) {
    if (!int_arg(2, 1, &v) || v > INT32_MAX) return "Invalid parallel-syncs";
    m->parallel_syncs = static_cast<int>(v);
  } else if (what == "auth-pass" && n == 3) {
    m->auth_pass = a[2];
  } else if (what == "auth-user" && n == 3) {
    m->auth_user = a[2];
  } else if (what == "config-epoch" && n == 3) {
    auto e = ParseUint64(a[2]);
    if (!e) return "Invalid config-epoch";
    m->config_epoch = *e;
  } else if (what == "leader-epoch" && n == 3) {
    auto e = ParseUint64(a[2]);
    if (!e) return "Invalid leader-epoch";
    m->leader_epoch = *e;
  } else if ((what == "known-replica" || what == "known-slave") && n == 4) {
    Addr r{a[2], 0};
    if (!ParsePort(a[3], &r.port, false)) return "Invalid port number";
    m->known_replicas.push_back(r);
  } else if (what == "known-sentinel" && (n == 5 || n == 7)) {
    Peer p;
    p.addr.host = a[2];
    if (!ParsePort(a[3], &p.addr.port, false)) return "Invalid port number";
    if (!IsRunId(a[4])) return "Malformed Sentinel id in known-sentinel option.";
    p.runid = ToLower(a[4]);
    // Redis's lines have no bus address: such a sentinel is found again through its hellos.
    if (n == 7) {
      p.bus.host = a[5];
      if (!ParsePort(a[6], &p.bus.port, true)) return "Invalid bus port";
    }
    m->known_sentinels.push_back(std::move(p));
  } else {
    return "Unrecognized sentinel configuration statement.";
  }
  return "";
}

bool ParseDepth(std::string_view text, const std::string& origin, SentinelConfig* cfg,
                std::string* err, int depth) {
  std::vector<std::string_view> lines;
  ForEachLine(text, [&lines](std::string_view l) { lines.push_back(l); });
  for (size_t lineno = 1; lineno <= lines.size(); ++lineno) {
    std::string_view line = lines[lineno - 1];
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    if (line.empty() || line[0] == '#') continue;
    auto fail = [&](const std::string& why) {
      *err = fmt::format("*** FATAL CONFIG FILE ERROR *** {}, line {}: >>> '{}' {}", origin,
                         lineno, line, why);
      return false;
    };
    auto args = SplitArgs(line);
    if (!args) return fail("Unbalanced quotes in configuration line");
    if (args->empty()) continue;
    std::vector<std::string>& a = *args;
    std::string name = ToLower(a[0]);
    std::string why;
    if (name == "sentinel") {
      if (a.size() < 2) return fail("wrong number of arguments");
      why = SentinelDirective(cfg, std::vector<std::string>(a.begin() + 1, a.end()));
    } else if (name == "include" && a.size() == 2) {
      if (depth > 8) return fail("includes nested too deeply");
      std::string text2;
      if (!ReadWholeFile(a[1], &text2)) return fail("cannot open the included file");
      if (!ParseDepth(text2, a[1], cfg, err, depth + 1)) return false;
    } else if (name == "port" && a.size() == 2) {
      if (!ParsePort(a[1], &cfg->port, true)) why = "Invalid port";
    } else if (name == "bind" && a.size() >= 2) {
      cfg->bind.assign(a.begin() + 1, a.end());
    } else if (name == "dir" && a.size() == 2) {
      cfg->dir = a[1];
    } else if (name == "logfile" && a.size() == 2) {
      cfg->logfile = a[1];
    } else if (name == "loglevel" && a.size() == 2) {
      std::string l = ToLower(a[1]);
      if (l != "debug" && l != "verbose" && l != "notice" && l != "warning" && l != "nothing") {
        why = "Invalid log level. Must be one of debug, verbose, notice, warning, nothing";
      }
      cfg->loglevel = l;
    } else if (name == "pidfile" && a.size() == 2) {
      cfg->pidfile = a[1];
    } else if (name == "daemonize" && a.size() == 2) {
      if (!ParseYesNo(a[1], &cfg->daemonize)) why = "argument must be 'yes' or 'no'";
    } else if (name == "requirepass" && a.size() == 2) {
      cfg->requirepass = a[1];
    } else if ((name == "protected-mode" || name == "hz" || name == "tcp-keepalive" ||
                name == "latency-tracking-info-percentiles" || name == "user" ||
                name == "supervised" || name == "maxclients" || name == "timeout") &&
               a.size() >= 2) {
      // Found in configurations Redis's sentinel generated; they change nothing here.
    } else {
      why = "Bad directive or wrong number of arguments";
    }
    if (!why.empty()) return fail(why);
  }
  return true;
}

}  // namespace

bool ParseConfig(std::string_view text, const std::string& origin, SentinelConfig* cfg,
                 std::string* err) {
  return ParseDepth(text, origin, cfg, err, 0);
}

bool LoadConfigFile(const std::string& path, SentinelConfig* cfg, std::string* err) {
  std::string text;
  if (!ReadWholeFile(path, &text)) {
    *err = fmt::format("Fatal error, can't open config file '{}': {}", path, strerror(errno));
    return false;
  }
  return ParseConfig(text, path, cfg, err);
}

std::string ArgsToConfigText(int argc, char** argv, int first) {
  std::string text;
  for (int i = first; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.starts_with("--")) {
      if (!text.empty()) text += '\n';
      text += a.substr(2);
    } else {
      std::string quoted;
      AppendRepr(quoted, a);
      text += ' ';
      text += quoted;
    }
  }
  text += '\n';
  return text;
}

void ApplyState(const SentinelConfig& state, SentinelConfig* cfg) {
  if (!state.myid.empty()) cfg->myid = state.myid;
  cfg->current_epoch = std::max(cfg->current_epoch, state.current_epoch);
  for (const auto& [name, value] : state.runtime) {
    std::string err = SetGlobal(cfg, name, value);
    (void)err;  // a bad line in the state file leaves the configured value
  }
  for (const MasterSpec& s : state.masters) {
    MasterSpec* m = FindSpec(cfg, s.name);
    if (m != nullptr) {
      *m = s;
    } else {
      cfg->masters.push_back(s);
    }
  }
  for (const std::string& name : state.removed) {
    std::erase_if(cfg->masters, [&](const MasterSpec& m) { return m.name == name; });
    cfg->removed.insert(name);
  }
}

const std::vector<std::string>& GlobalNames() {
  static const std::vector<std::string> names = {"resolve-hostnames", "announce-hostnames",
                                                 "announce-ip", "announce-port", "loglevel"};
  return names;
}

std::string SetGlobal(SentinelConfig* cfg, const std::string& name, const std::string& value) {
  std::string n = ToLower(name);
  if (n == "resolve-hostnames" || n == "announce-hostnames") {
    bool* target = n == "resolve-hostnames" ? &cfg->resolve_hostnames : &cfg->announce_hostnames;
    if (!ParseYesNo(value, target)) {
      return "ERR Invalid value '" + value + "' to SENTINEL CONFIG SET '" + name + "'";
    }
  } else if (n == "announce-ip") {
    cfg->announce_ip = value;
  } else if (n == "announce-port") {
    if (!ParsePort(value, &cfg->announce_port, true)) {
      return "ERR Invalid value '" + value + "' to SENTINEL CONFIG SET '" + name + "'";
    }
  } else if (n == "loglevel") {
    std::string l = ToLower(value);
    if (l != "debug" && l != "verbose" && l != "notice" && l != "warning" && l != "nothing") {
      return "ERR Invalid value '" + value + "' to SENTINEL CONFIG SET '" + name + "'";
    }
    cfg->loglevel = l;
  } else {
    return "ERR Invalid argument '" + name + "' to SENTINEL CONFIG SET";
  }
  cfg->runtime[n] = value;
  return "";
}

bool GetGlobal(const SentinelConfig& cfg, const std::string& name, std::string* value) {
  std::string n = ToLower(name);
  if (n == "resolve-hostnames") {
    *value = cfg.resolve_hostnames ? "yes" : "no";
  } else if (n == "announce-hostnames") {
    *value = cfg.announce_hostnames ? "yes" : "no";
  } else if (n == "announce-ip") {
    *value = cfg.announce_ip;
  } else if (n == "announce-port") {
    *value = std::to_string(cfg.announce_port);
  } else if (n == "loglevel") {
    *value = cfg.loglevel;
  } else {
    return false;
  }
  return true;
}

}  // namespace tessera::sentinel
