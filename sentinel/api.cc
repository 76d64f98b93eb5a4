#include "sentinel/api.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>

#include "common/glob.h"
#include "common/strutil.h"

namespace tessera::sentinel {
namespace {

constexpr std::string_view kTesseraVersion = "0.1.0";

using Args = std::span<const std::string_view>;

std::string Arg(Args a, size_t i) { return std::string(a[i]); }

bool Is(std::string_view a, std::string_view b) { return EqualsIgnoreCase(a, b); }

void WrongArity(ApiClient& c, std::string_view cmd) {
  c.rb.Error(fmt::format("ERR wrong number of arguments for '{}' command", ToLower(cmd)));
}

void UnknownSubcommand(ApiClient& c, std::string_view sub, std::string_view cmd) {
  c.rb.Error(fmt::format("ERR unknown subcommand '{}'. Try {} HELP.", sub, ToUpper(cmd)));
}

// ---------------------------------------------------------------- instance replies

std::string FlagsText(const Instance& ri, bool disconnected) {
  std::string f;
  auto add = [&](uint32_t bit, const char* name) {
    if (ri.flags & bit) f += std::string(name) + ",";
  };
  add(kFlagSDown, "s_down");
  add(kFlagODown, "o_down");
  add(kFlagMaster, "master");
  add(kFlagReplica, "slave");
  if (disconnected) f += "disconnected,";
  add(kFlagFailoverInProgress, "failover_in_progress");
  add(kFlagPromoted, "promoted");
  add(kFlagReconfSent, "reconf_sent");
  add(kFlagReconfInprog, "reconf_inprog");
  add(kFlagReconfDone, "reconf_done");
  add(kFlagForceFailover, "force_failover");
  add(kFlagEmptyRestart, "empty_restart");
  if (!f.empty()) f.pop_back();
  return f;
}

// A master or replica as SENTINEL MASTER / REPLICAS show it: field, value, ...
void ReplyInstance(ApiHost& h, ApiClient& c, const Master& m, const Instance& ri) {
  Sentinel& core = h.core();
  int64_t now = h.Now();
  bool is_master = &ri == &m;
  std::vector<std::pair<std::string, std::string>> f;
  auto put = [&](std::string k, std::string v) { f.emplace_back(std::move(k), std::move(v)); };
  auto num = [&](std::string k, int64_t v) { put(std::move(k), std::to_string(v)); };
  put("name", ri.name);
  put("ip", core.Shown(ri.addr));
  num("port", ri.addr.port);
  put("runid", ri.runid);
  put("flags", FlagsText(ri, !ri.link.connected));
  num("link-pending-commands", ri.link.pending);
  num("link-refcount", 1);
  if (is_master && m.failover_state != FailoverState::kNone) {
    put("failover-state", FailoverStateName(m.failover_state));
  }
  num("last-ping-sent", ri.link.ping_sent_ms ? now - ri.link.ping_sent_ms : 0);
  num("last-ok-ping-reply", now - ri.link.last_ok_ms);
  num("last-ping-reply", now - ri.link.last_pong_ms);
  if (ri.flags & kFlagSDown) num("s-down-time", now - ri.sdown_since_ms);
  if (ri.flags & kFlagODown) num("o-down-time", now - ri.odown_since_ms);
  num("down-after-milliseconds", m.down_after_ms);
  num("info-refresh", now - ri.info_refresh_ms);
  bool reports_master = ri.role == Role::kUnknown ? is_master : ri.role == Role::kMaster;
  put("role-reported", reports_master ? "master" : "slave");
  num("role-reported-time", now - (ri.role_reported_ms ? ri.role_reported_ms : ri.link.created_ms));
  if (is_master) {
    num("config-epoch", static_cast<int64_t>(m.config_epoch));
    num("num-slaves", static_cast<int64_t>(m.replicas.size()));
    num("num-other-sentinels", static_cast<int64_t>(m.sentinels.size()));
    num("quorum", m.quorum);
    num("failover-timeout", m.failover_timeout_ms);
    num("parallel-syncs", m.parallel_syncs);
  } else {
    num("master-link-down-time", ri.master_link_down_ms);
    put("master-link-status", ri.master_link_up ? "ok" : "err");
    put("master-host", ri.master_addr.host.empty() ? "?" : ri.master_addr.host);
    num("master-port", ri.master_addr.port);
    num("slave-priority", ri.priority);
    num("slave-repl-offset", ri.repl_offset);
    num("replica-announced", ri.announced ? 1 : 0);
  }
  c.rb.MapHeader(f.size());
  for (const auto& [k, v] : f) {
    c.rb.Bulk(k);
    c.rb.Bulk(v);
  }
}

void ReplyPeer(ApiHost& h, ApiClient& c, const Master& m, const Peer& p) {
  int64_t now = h.Now();
  int64_t heard = h.BusLastHeard(p.runid);
  if (heard == 0) heard = p.last_hello_ms;
  std::vector<std::pair<std::string, std::string>> f;
  auto put = [&](std::string k, std::string v) { f.emplace_back(std::move(k), std::move(v)); };
  auto num = [&](std::string k, int64_t v) { put(std::move(k), std::to_string(v)); };
  std::string flags = p.alive ? "sentinel" : "s_down,sentinel";
  if (!h.BusLinkUp(p.runid)) flags += ",disconnected";
  if (p.reports_down) flags += ",master_down";
  put("name", p.runid);
  put("ip", p.addr.host);
  num("port", p.addr.port);
  put("runid", p.runid);
  put("flags", flags);
  num("link-pending-commands", 0);
  num("link-refcount", 1);
  num("last-ping-sent", 0);
  num("last-ok-ping-reply", now - heard);
  num("last-ping-reply", now - heard);
  num("down-after-milliseconds", m.down_after_ms);
  num("last-hello-message", now - p.last_hello_ms);
  put("voted-leader", p.leader.empty() ? "?" : p.leader);
  num("voted-leader-epoch", static_cast<int64_t>(p.leader_epoch));
  put("bus-address", p.bus.ToString());
  c.rb.MapHeader(f.size());
  for (const auto& [k, v] : f) {
    c.rb.Bulk(k);
    c.rb.Bulk(v);
  }
}

const Master* MasterOrError(ApiHost& h, ApiClient& c, std::string_view name) {
  const Master* m = h.core().FindMaster(std::string(name));
  if (m == nullptr) c.rb.Error("ERR No such master with that name");
  return m;
}

// ---------------------------------------------------------------- INFO

std::string InfoText(ApiHost& h, std::string_view section) {
  std::string s = ToLower(section);
  bool all = s.empty() || s == "default" || s == "all" || s == "everything";
  std::string o;
  auto want = [&](const char* name) { return all || s == name; };
  if (want("server")) {
    struct utsname u;
    uname(&u);
    int64_t uptime = (h.Now() - h.StartMs()) / 1000;
    char exe[4096] = {0};
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n < 0) exe[0] = '\0';
    o += fmt::format(
        "# Server\r\nredis_version:{}\r\ntessera_version:{}\r\nredis_git_sha1:00000000\r\n"
        "redis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:sentinel\r\nos:{} {} {}\r\n"
        "arch_bits:64\r\nmultiplexing_api:epoll\r\ngcc_version:{}.{}.{}\r\nprocess_id:{}\r\n"
        "process_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\n"
        "uptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:100\r\nconfigured_hz:100\r\n"
        "executable:{}\r\nconfig_file:{}\r\n",
        kRedisVersion, kTesseraVersion, u.sysname, u.release, u.machine, __GNUC__,
        __GNUC_MINOR__, __GNUC_PATCHLEVEL__, getpid(), h.RunId(), h.config().port,
        h.Now() * 1000, uptime, uptime / 86400, exe, h.ConfigFile());
  }
  if (want("clients")) {
    if (!o.empty()) o += "\r\n";
    o += fmt::format("# Clients\r\nconnected_clients:{}\r\nmaxclients:10000\r\n",
                     h.Clients().size());
  }
  if (want("stats")) {
    if (!o.empty()) o += "\r\n";
    o += fmt::format("# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\n",
                     h.TotalConnections(), h.TotalCommands());
  }
  if (want("sentinel")) {
    Sentinel& core = h.core();
    if (!o.empty()) o += "\r\n";
    int64_t tilt_since = core.tilt_since_ms();
    o += fmt::format(
        "# Sentinel\r\nsentinel_masters:{}\r\nsentinel_tilt:{}\r\nsentinel_tilt_since_seconds:{}"
        "\r\nsentinel_running_scripts:0\r\nsentinel_scripts_queue_length:0\r\n"
        "sentinel_simulate_failure_flags:{}\r\n",
        core.masters().size(), core.tilt() ? 1 : 0,
        tilt_since < 0 ? -1 : (h.Now() - tilt_since) / 1000, core.simulate_failure());
    // Tessera's: the gossip bus between sentinels.
    bus::NodeStats b = h.BusStats();
    o += fmt::format(
        "sentinel_bus_port:{}\r\nsentinel_bus_frames_in:{}\r\nsentinel_bus_frames_out:{}\r\n"
        "sentinel_bus_connects:{}\r\nsentinel_bus_bad_mac:{}\r\nsentinel_bus_bad_payload:{}\r\n"
        "sentinel_bus_bad_stream:{}\r\nsentinel_bus_queue_drops:{}\r\n",
        h.BusPort(), b.frames_in, b.frames_out, b.connects, b.bad_mac, b.bad_payload,
        b.bad_stream, b.queue_drops);
    int i = 0;
    for (const auto& [name, m] : core.masters()) {
      const char* status = (m.flags & kFlagODown) ? "odown" : (m.flags & kFlagSDown) ? "sdown" : "ok";
      o += fmt::format("master{}:name={},status={},address={}:{},slaves={},sentinels={}\r\n", i++,
                       name, status, core.Shown(m.addr), m.addr.port, m.replicas.size(),
                       m.sentinels.size() + 1);
    }
  }
  return o;
}

// ---------------------------------------------------------------- SENTINEL

void SentinelDebug(ApiHost& h, ApiClient& c, Args a) {
  Timing& t = h.core().timing();
  struct Knob {
    const char* name;
    int64_t* value;
  };
  Knob knobs[] = {{"INFO-PERIOD", &t.info_period_ms},
                  {"PING-PERIOD", &t.ping_period_ms},
                  {"PUBLISH-PERIOD", &t.publish_period_ms},
                  {"BUS-HELLO-PERIOD", &t.bus_hello_period_ms},
                  {"DEFAULT-DOWN-AFTER", &t.default_down_after_ms},
                  {"DEFAULT-FAILOVER-TIMEOUT", &t.default_failover_timeout_ms},
                  {"TILT-TRIGGER", &t.tilt_trigger_ms},
                  {"TILT-PERIOD", &t.tilt_period_ms},
                  {"SLAVE-RECONF-TIMEOUT", &t.replica_reconf_timeout_ms},
                  {"ELECTION-TIMEOUT", &t.election_timeout_ms},
                  {"PROMOTION-POLL", &t.promotion_poll_ms}};
  if (a.size() == 2) {
    c.rb.MapHeader(std::size(knobs));
    for (const Knob& k : knobs) {
      c.rb.Bulk(k.name);
      c.rb.Bulk(std::to_string(*k.value));
    }
    return;
  }
  for (size_t i = 2; i < a.size(); i += 2) {
    Knob* k = nullptr;
    for (Knob& kk : knobs) {
      if (Is(a[i], kk.name)) k = &kk;
    }
    if (k == nullptr || i + 1 == a.size()) {
      c.rb.Error(fmt::format(
          "ERR Unknown option or number of arguments for SENTINEL DEBUG '{}'", a[i]));
      return;
    }
    auto v = ParseInt64(a[i + 1]);
    if (!v || *v <= 0) {
      c.rb.Error(fmt::format("ERR Invalid argument '{}' for SENTINEL DEBUG '{}'", a[i + 1], a[i]));
      return;
    }
    *k->value = *v;
  }
  c.rb.Ok();
}

void SentinelConfigCmd(ApiHost& h, ApiClient& c, Args a) {
  if (a.size() >= 4 && Is(a[2], "GET") && a.size() == 4) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const std::string& name : GlobalNames()) {
      std::string v;
      if (GlobMatch(a[3], name, true) && GetGlobal(h.config(), name, &v)) out.emplace_back(name, v);
    }
    c.rb.MapHeader(out.size());
    for (const auto& [k, v] : out) {
      c.rb.Bulk(k);
      c.rb.Bulk(v);
    }
    return;
  }
  if (a.size() >= 5 && Is(a[2], "SET") && a.size() % 2 == 1) {
    SentinelConfig copy = h.config();
    for (size_t i = 3; i + 1 < a.size(); i += 2) {
      std::string err = SetGlobal(&copy, Arg(a, i), Arg(a, i + 1));
      if (!err.empty()) {
        c.rb.Error(err);
        return;
      }
    }
    h.config() = std::move(copy);
    Identity& id = h.core().mutable_identity();
    id.announce.host = h.config().announce_ip;
    if (h.config().announce_port) id.announce.port = h.config().announce_port;
    id.announce_hostnames = h.config().announce_hostnames;
    LogSetLevel(h.config().loglevel == "debug"     ? LogLevel::kDebug
                : h.config().loglevel == "verbose" ? LogLevel::kVerbose
                : h.config().loglevel == "warning" ? LogLevel::kWarning
                : h.config().loglevel == "nothing" ? LogLevel::kNothing
                                                   : LogLevel::kNotice);
    std::string err;
    if (!h.SaveState(&err)) {
      c.rb.Error("ERR Failed to save config file: " + err);
      return;
    }
    c.rb.Ok();
    return;
  }
  c.rb.Error("ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.");
}

void SentinelCommand(ApiHost& h, ApiClient& c, Args a) {
  Sentinel& core = h.core();
  if (a.size() < 2) {
    WrongArity(c, "sentinel");
    return;
  }
  std::string_view sub = a[1];
  auto arity = [&](size_t n) {
    if (a.size() == n) return true;
    c.rb.Error(fmt::format("ERR wrong number of arguments for 'sentinel|{}' command",
                           ToLower(sub)));
    return false;
  };
  if (Is(sub, "MASTERS")) {
    if (!arity(2)) return;
    c.rb.ArrayHeader(core.masters().size());
    for (const auto& [name, m] : core.masters()) ReplyInstance(h, c, m, m);
  } else if (Is(sub, "MASTER")) {
    if (!arity(3)) return;
    if (const Master* m = MasterOrError(h, c, a[2])) ReplyInstance(h, c, *m, *m);
  } else if (Is(sub, "REPLICAS") || Is(sub, "SLAVES")) {
    if (!arity(3)) return;
    const Master* m = MasterOrError(h, c, a[2]);
    if (m == nullptr) return;
    std::vector<const Instance*> shown;
    for (const auto& [key, r] : m->replicas) {
      if (r.announced) shown.push_back(&r);
    }
    c.rb.ArrayHeader(shown.size());
    for (const Instance* r : shown) ReplyInstance(h, c, *m, *r);
  } else if (Is(sub, "SENTINELS")) {
    if (!arity(3)) return;
    const Master* m = MasterOrError(h, c, a[2]);
    if (m == nullptr) return;
    c.rb.ArrayHeader(m->sentinels.size());
    for (const auto& [id, p] : m->sentinels) ReplyPeer(h, c, *m, p);
  } else if (Is(sub, "GET-MASTER-ADDR-BY-NAME")) {
    if (!arity(3)) return;
    const Master* m = core.FindMaster(Arg(a, 2));
    if (m == nullptr) {
      c.rb.NullArray();
      return;
    }
    Addr addr = core.CurrentMasterAddr(*m);
    c.rb.ArrayHeader(2);
    c.rb.Bulk(core.Shown(addr));
    c.rb.BulkInt(addr.port);
  } else if (Is(sub, "RESET")) {
    if (!arity(3)) return;
    c.rb.Integer(core.Reset(a[2], h.Now()));
    h.AfterChange();
  } else if (Is(sub, "FAILOVER")) {
    if (!arity(3)) return;
    std::string err = core.Failover(Arg(a, 2), h.Now());
    if (err.empty()) {
      c.rb.Ok();
    } else {
      c.rb.Error(err);
    }
    h.AfterChange();
  } else if (Is(sub, "CKQUORUM")) {
    if (!arity(3)) return;
    const Master* m = MasterOrError(h, c, a[2]);
    if (m == nullptr) return;
    bool no_quorum = false, no_majority = false;
    int usable = core.UsableSentinels(*m, &no_quorum, &no_majority);
    if (!no_quorum && !no_majority) {
      c.rb.SimpleString(fmt::format(
          "OK {} usable Sentinels. Quorum and failover authorization can be reached", usable));
      return;
    }
    std::string e = fmt::format("NOQUORUM {} usable Sentinels. ", usable);
    if (no_quorum) e += "Not enough available Sentinels to reach the specified quorum for this master";
    if (no_majority) {
      if (no_quorum) e += ". ";
      e += "Not enough available Sentinels to reach the majority and authorize a failover";
    }
    c.rb.Error(e);
  } else if (Is(sub, "FLUSHCONFIG")) {
    if (!arity(2)) return;
    std::string err;
    if (h.SaveState(&err)) {
      c.rb.Ok();
    } else {
      c.rb.Error("ERR Failed to save config file: " + err);
    }
  } else if (Is(sub, "MONITOR")) {
    if (!arity(6)) return;
    auto quorum = ParseInt64(a[5]);
    if (!quorum) {
      c.rb.Error("ERR Invalid quorum");
      return;
    }
    if (*quorum <= 0) {
      c.rb.Error("ERR Quorum must be 1 or greater.");
      return;
    }
    auto port = ParseInt64(a[4]);
    if (!port) {
      c.rb.Error("ERR Invalid port");
      return;
    }
    if (*port < 0 || *port > 65535) {
      c.rb.Error("ERR Invalid port number.");
      return;
    }
    std::string ip;
    if (!h.ResolveHost(Arg(a, 3), &ip)) {
      c.rb.Error("ERR Invalid IP address or hostname specified");
      return;
    }
    MasterSpec spec;
    spec.name = Arg(a, 2);
    spec.addr = {Arg(a, 3), static_cast<int>(*port)};
    spec.quorum = static_cast<int>(*quorum);
    std::string err = core.Monitor(spec, h.Now());
    if (!err.empty()) {
      c.rb.Error(err);
      return;
    }
    h.config().removed.erase(spec.name);
    h.AfterChange();
    c.rb.Ok();
  } else if (Is(sub, "REMOVE")) {
    if (!arity(3)) return;
    if (!core.Remove(Arg(a, 2))) {
      c.rb.Error("ERR No such master with that name");
      return;
    }
    h.config().removed.insert(Arg(a, 2));
    h.AfterChange();
    c.rb.Ok();
  } else if (Is(sub, "SET")) {
    if (a.size() < 5) {
      c.rb.Error("ERR wrong number of arguments for 'sentinel|set' command");
      return;
    }
    if (MasterOrError(h, c, a[2]) == nullptr) return;
    for (size_t i = 3; i < a.size(); i += 2) {
      if (i + 1 == a.size()) {  // an option without its value
        h.AfterChange();
        c.rb.Error(fmt::format(
            "ERR Unknown option or number of arguments for SENTINEL SET '{}'", a[i]));
        return;
      }
      std::string err = core.Set(Arg(a, 2), Arg(a, i), Arg(a, i + 1));
      if (!err.empty()) {
        h.AfterChange();
        c.rb.Error(err);
        return;
      }
    }
    h.AfterChange();
    c.rb.Ok();
  } else if (Is(sub, "IS-MASTER-DOWN-BY-ADDR")) {
    if (!arity(6)) return;
    auto port = ParseInt64(a[3]);
    auto epoch = ParseUint64(a[4]);
    if (!port || !epoch) {
      c.rb.Error("ERR value is not an integer or out of range");
      return;
    }
    DownVote v = core.IsMasterDownByAddr({Arg(a, 2), static_cast<int>(*port)}, *epoch,
                                         Arg(a, 5), h.Now());
    h.AfterChange();
    c.rb.ArrayHeader(3);
    c.rb.Integer(v.down ? 1 : 0);
    c.rb.Bulk(v.leader);
    c.rb.Integer(static_cast<int64_t>(v.leader_epoch));
  } else if (Is(sub, "MYID")) {
    if (!arity(2)) return;
    c.rb.Bulk(core.identity().myid);
  } else if (Is(sub, "CONFIG")) {
    SentinelConfigCmd(h, c, a);
  } else if (Is(sub, "INFO-CACHE")) {
    int64_t now = h.Now();
    std::vector<const Master*> ms;
    for (const auto& [name, m] : core.masters()) {
      bool wanted = a.size() == 2;
      for (size_t i = 2; i < a.size(); ++i) wanted = wanted || a[i] == name;
      if (wanted) ms.push_back(&m);
    }
    c.rb.ArrayHeader(2 * ms.size());
    for (const Master* m : ms) {
      c.rb.Bulk(m->name);
      c.rb.ArrayHeader(m->replicas.size() + 1);
      auto one = [&](const Instance& ri) {
        c.rb.ArrayHeader(2);
        c.rb.Integer(ri.info_refresh_ms ? now - ri.info_refresh_ms : 0);
        if (ri.info_text.empty()) {
          c.rb.Null();
        } else {
          c.rb.Bulk(ri.info_text);
        }
      };
      one(*m);
      for (const auto& [key, r] : m->replicas) one(r);
    }
  } else if (Is(sub, "SIMULATE-FAILURE")) {
    uint32_t flags = 0;
    for (size_t i = 2; i < a.size(); ++i) {
      if (Is(a[i], "crash-after-election")) {
        flags |= kCrashAfterElection;
      } else if (Is(a[i], "crash-after-promotion")) {
        flags |= kCrashAfterPromotion;
      } else if (Is(a[i], "help")) {
        c.rb.ArrayHeader(2);
        c.rb.Bulk("crash-after-election");
        c.rb.Bulk("crash-after-promotion");
        return;
      } else {
        c.rb.Error("ERR Unknown failure simulation specified");
        return;
      }
    }
    core.set_simulate_failure(flags);
    c.rb.Ok();
  } else if (Is(sub, "DEBUG")) {
    SentinelDebug(h, c, a);
  } else if (Is(sub, "PENDING-SCRIPTS")) {
    c.rb.EmptyArray();
  } else if (Is(sub, "HELP")) {
    static const char* lines[] = {
        "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CKQUORUM <master-name>", "CONFIG SET <param> <value> / CONFIG GET <param>",
        "DEBUG [<param> <value> ...]", "GET-MASTER-ADDR-BY-NAME <master-name>",
        "FAILOVER <master-name>", "FLUSHCONFIG", "INFO-CACHE <master-name>",
        "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>", "MASTER <master-name>",
        "MASTERS", "MONITOR <name> <ip> <port> <quorum>", "MYID", "PENDING-SCRIPTS",
        "REMOVE <master-name>", "REPLICAS <master-name>", "RESET <pattern>",
        "SENTINELS <master-name>", "SET <master-name> <option> <value> [<option> <value> ...]",
        "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
        "HELP"};
    c.rb.ArrayHeader(std::size(lines));
    for (const char* l : lines) c.rb.SimpleString(l);
  } else {
    UnknownSubcommand(c, sub, "SENTINEL");
  }
}

// ---------------------------------------------------------------- connection commands

std::string ClientLine(ApiHost& h, const ApiClient& c) {
  int64_t now = h.Now();
  return fmt::format(
      "id={} addr={} laddr={} fd=-1 name={} age={} idle={} flags={} db=0 sub={} psub={} ssub=0 "
      "multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 obl=0 oll=0 omem={} tot-mem=0 "
      "events=r cmd={} user=default redir=-1 resp={}",
      c.id, c.addr, c.laddr, c.name, (now - c.created_ms) / 1000, (now - c.last_cmd_ms) / 1000,
      c.subscribed() ? "P" : "N", c.channels.size(), c.patterns.size(), c.out.pending(),
      c.last_cmd, c.rb.resp3() ? 3 : 2);
}

void ClientCommand(ApiHost& h, ApiClient& c, Args a) {
  if (a.size() < 2) {
    WrongArity(c, "client");
    return;
  }
  std::string_view sub = a[1];
  if (Is(sub, "ID") && a.size() == 2) {
    c.rb.Integer(static_cast<int64_t>(c.id));
  } else if (Is(sub, "SETNAME") && a.size() == 3) {
    for (char ch : a[2]) {
      if (ch < '!' || ch > '~') {
        c.rb.Error("ERR Client names cannot contain spaces, newlines or special characters.");
        return;
      }
    }
    c.name = Arg(a, 2);
    c.rb.Ok();
  } else if (Is(sub, "GETNAME") && a.size() == 2) {
    if (c.name.empty()) {
      c.rb.Null();
    } else {
      c.rb.Bulk(c.name);
    }
  } else if (Is(sub, "SETINFO") && a.size() == 4) {
    c.rb.Ok();
  } else if (Is(sub, "INFO") && a.size() == 2) {
    c.rb.Verbatim(ClientLine(h, c) + "\n");
  } else if (Is(sub, "LIST")) {
    std::string out;
    for (ApiClient* o : h.Clients()) out += ClientLine(h, *o) + "\n";
    c.rb.Verbatim(out);
  } else if (Is(sub, "KILL") && a.size() >= 3) {
    std::vector<ApiClient*> victims;
    if (a.size() == 3) {  // the old form: CLIENT KILL addr
      for (ApiClient* o : h.Clients()) {
        if (o->addr == a[2]) victims.push_back(o);
      }
      if (victims.empty()) {
        c.rb.Error("ERR No such client");
        return;
      }
      for (ApiClient* o : victims) h.Kill(o);
      c.rb.Ok();
      return;
    }
    if (a.size() % 2 != 0) {
      c.rb.Error("ERR syntax error");
      return;
    }
    for (ApiClient* o : h.Clients()) {
      bool match = true;
      for (size_t i = 2; i + 1 < a.size(); i += 2) {
        if (Is(a[i], "ID")) {
          match = match && std::to_string(o->id) == a[i + 1];
        } else if (Is(a[i], "ADDR")) {
          match = match && o->addr == a[i + 1];
        } else if (Is(a[i], "LADDR")) {
          match = match && o->laddr == a[i + 1];
        } else if (Is(a[i], "TYPE")) {
          bool pubsub = o->subscribed();
          match = match && ((Is(a[i + 1], "pubsub") && pubsub) ||
                            (Is(a[i + 1], "normal") && !pubsub));
        } else if (Is(a[i], "SKIPME")) {
          match = match && !(Is(a[i + 1], "yes") && o == &c);
        } else {
          c.rb.Error("ERR syntax error");
          return;
        }
      }
      if (match) victims.push_back(o);
    }
    for (ApiClient* o : victims) h.Kill(o);
    c.rb.Integer(static_cast<int64_t>(victims.size()));
  } else if (Is(sub, "HELP")) {
    c.rb.ArrayHeader(1);
    c.rb.SimpleString("CLIENT ID | SETNAME | GETNAME | INFO | LIST | KILL | SETINFO");
  } else {
    UnknownSubcommand(c, sub, "CLIENT");
  }
}

bool CheckPassword(ApiHost& h, std::string_view user, std::string_view pass) {
  const std::string& want = h.config().requirepass;
  return user == "default" && (want.empty() || want == pass);
}

void AuthCommand(ApiHost& h, ApiClient& c, Args a) {
  if (a.size() < 2 || a.size() > 3) {
    WrongArity(c, "auth");
    return;
  }
  if (a.size() == 2 && h.config().requirepass.empty()) {
    c.rb.Error("ERR AUTH <password> called without any password configured for the default "
               "user. Are you sure your configuration is correct?");
    return;
  }
  std::string_view user = a.size() == 3 ? a[1] : "default";
  if (!CheckPassword(h, user, a.back())) {
    c.rb.Error("WRONGPASS invalid username-password pair or user is disabled.");
    return;
  }
  c.authenticated = true;
  c.rb.Ok();
}

void HelloCommand(ApiHost& h, ApiClient& c, Args a) {
  int proto = c.rb.resp3() ? 3 : 2;
  size_t i = 1;
  if (a.size() >= 2) {
    auto v = ParseInt64(a[1]);
    if (!v) {
      c.rb.Error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (*v != 2 && *v != 3) {
      c.rb.Error("NOPROTO unsupported protocol version");
      return;
    }
    proto = static_cast<int>(*v);
    i = 2;
  }
  std::string name;
  bool set_name = false;
  for (; i < a.size(); ++i) {
    if (Is(a[i], "AUTH") && i + 2 < a.size()) {
      if (!CheckPassword(h, a[i + 1], a[i + 2])) {
        c.rb.Error("WRONGPASS invalid username-password pair or user is disabled.");
        return;
      }
      c.authenticated = true;
      i += 2;
    } else if (Is(a[i], "SETNAME") && i + 1 < a.size()) {
      name = Arg(a, i + 1);
      set_name = true;
      ++i;
    } else {
      c.rb.Error(fmt::format("ERR Syntax error in HELLO option '{}'", a[i]));
      return;
    }
  }
  if (!c.authenticated) {
    c.rb.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise "
               "the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the "
               "client and select the RESP protocol version at the same time");
    return;
  }
  if (set_name) c.name = name;
  c.rb.set_resp3(proto == 3);
  c.rb.MapHeader(7);
  c.rb.Bulk("server");
  c.rb.Bulk("redis");
  c.rb.Bulk("version");
  c.rb.Bulk(kRedisVersion);
  c.rb.Bulk("proto");
  c.rb.Integer(proto);
  c.rb.Bulk("id");
  c.rb.Integer(static_cast<int64_t>(c.id));
  c.rb.Bulk("mode");
  c.rb.Bulk("sentinel");
  c.rb.Bulk("role");
  c.rb.Bulk("master");
  c.rb.Bulk("modules");
  c.rb.EmptyArray();
}

// ---------------------------------------------------------------- pub/sub

void SubscriptionReply(ApiClient& c, std::string_view kind, const std::string* channel) {
  c.rb.PushHeader(3);
  c.rb.Bulk(kind);
  if (channel == nullptr) {
    c.rb.Null();
  } else {
    c.rb.Bulk(*channel);
  }
  c.rb.Integer(static_cast<int64_t>(c.channels.size() + c.patterns.size()));
}

void Subscribe(ApiClient& c, Args a, bool pattern) {
  std::set<std::string>& set = pattern ? c.patterns : c.channels;
  for (size_t i = 1; i < a.size(); ++i) {
    std::string ch = Arg(a, i);
    set.insert(ch);
    SubscriptionReply(c, pattern ? "psubscribe" : "subscribe", &ch);
  }
}

void Unsubscribe(ApiClient& c, Args a, bool pattern) {
  std::set<std::string>& set = pattern ? c.patterns : c.channels;
  const char* kind = pattern ? "punsubscribe" : "unsubscribe";
  std::vector<std::string> names;
  if (a.size() == 1) {
    names.assign(set.begin(), set.end());
    if (names.empty()) {
      SubscriptionReply(c, kind, nullptr);
      return;
    }
  } else {
    for (size_t i = 1; i < a.size(); ++i) names.push_back(Arg(a, i));
  }
  for (const std::string& n : names) {
    set.erase(n);
    SubscriptionReply(c, kind, &n);
  }
}

}  // namespace

void RunCommand(ApiHost& h, ApiClient& c, std::span<const std::string_view> a) {
  if (a.empty()) return;
  std::string_view cmd = a[0];
  c.last_cmd = ToLower(cmd);
  c.last_cmd_ms = h.Now();
  if (!c.authenticated && !Is(cmd, "AUTH") && !Is(cmd, "HELLO") && !Is(cmd, "QUIT")) {
    c.rb.Error("NOAUTH Authentication required.");
    return;
  }
  if (c.subscribed() && !c.rb.resp3() && !Is(cmd, "SUBSCRIBE") && !Is(cmd, "PSUBSCRIBE") &&
      !Is(cmd, "UNSUBSCRIBE") && !Is(cmd, "PUNSUBSCRIBE") && !Is(cmd, "PING") &&
      !Is(cmd, "QUIT") && !Is(cmd, "RESET")) {
    c.rb.Error(fmt::format("ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
                           "PING / QUIT / RESET are allowed in this context",
                           ToLower(cmd)));
    return;
  }
  if (Is(cmd, "PING")) {
    if (a.size() > 2) {
      WrongArity(c, cmd);
    } else if (c.subscribed() && !c.rb.resp3()) {
      c.rb.ArrayHeader(2);
      c.rb.Bulk("pong");
      c.rb.Bulk(a.size() == 2 ? a[1] : "");
    } else if (a.size() == 2) {
      c.rb.Bulk(a[1]);
    } else {
      c.rb.SimpleString("PONG");
    }
  } else if (Is(cmd, "SENTINEL")) {
    SentinelCommand(h, c, a);
  } else if (Is(cmd, "INFO")) {
    if (a.size() > 2) {
      c.rb.Error("ERR syntax error");
      return;
    }
    c.rb.Verbatim(InfoText(h, a.size() == 2 ? a[1] : ""));
  } else if (Is(cmd, "ROLE")) {
    c.rb.ArrayHeader(2);
    c.rb.Bulk("sentinel");
    c.rb.ArrayHeader(h.core().masters().size());
    for (const auto& [name, m] : h.core().masters()) c.rb.Bulk(name);
  } else if (Is(cmd, "AUTH")) {
    AuthCommand(h, c, a);
  } else if (Is(cmd, "HELLO")) {
    HelloCommand(h, c, a);
  } else if (Is(cmd, "CLIENT")) {
    ClientCommand(h, c, a);
  } else if (Is(cmd, "SUBSCRIBE") || Is(cmd, "PSUBSCRIBE")) {
    if (a.size() < 2) {
      WrongArity(c, cmd);
      return;
    }
    Subscribe(c, a, Is(cmd, "PSUBSCRIBE"));
  } else if (Is(cmd, "UNSUBSCRIBE") || Is(cmd, "PUNSUBSCRIBE")) {
    Unsubscribe(c, a, Is(cmd, "PUNSUBSCRIBE"));
  } else if (Is(cmd, "PUBLISH")) {
    if (a.size() != 3) {
      WrongArity(c, cmd);
      return;
    }
    if (a[1] != "__sentinel__:hello") {
      c.rb.Error("ERR Only HELLO messages are accepted by Sentinel instances.");
      return;
    }
    h.core().OnHello(a[2], h.Now());
    h.AfterChange();
    c.rb.Integer(1);
  } else if (Is(cmd, "QUIT")) {
    c.rb.Ok();
    c.close_after_reply = true;
  } else if (Is(cmd, "RESET")) {
    c.channels.clear();
    c.patterns.clear();
    c.name.clear();
    c.rb.set_resp3(false);
    c.authenticated = h.config().requirepass.empty();
    c.rb.SimpleString("RESET");
  } else if (Is(cmd, "COMMAND")) {
    if (a.size() >= 2 && Is(a[1], "COUNT")) {
      c.rb.Integer(16);  // PING SENTINEL INFO ROLE AUTH HELLO CLIENT (P)(UN)SUBSCRIBE PUBLISH
                         // QUIT RESET COMMAND SHUTDOWN
    } else if (a.size() >= 2 && Is(a[1], "DOCS")) {
      c.rb.MapHeader(0);
    } else {
      c.rb.EmptyArray();
    }
  } else if (Is(cmd, "SHUTDOWN")) {
    std::string err;
    bool nosave = a.size() >= 2 && Is(a[1], "NOSAVE");
    if (!nosave && !h.SaveState(&err)) {
      c.rb.Error("ERR Errors trying to SHUTDOWN. Check logs.");
      return;
    }
    h.Shutdown();
  } else {
    std::string args;
    for (size_t i = 1; i < a.size() && args.size() < 128; ++i) {
      args += fmt::format("'{}' ", a[i].substr(0, 128 - args.size()));
    }
    c.rb.Error(fmt::format("ERR unknown command '{}', with args beginning with: {}", cmd, args));
  }
}

}  // namespace tessera::sentinel
