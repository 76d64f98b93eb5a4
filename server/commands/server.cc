// Server commands: INFO CONFIG (GET SET RESETSTAT REWRITE HELP) TIME SHUTDOWN MONITOR SLOWLOG
// (GET LEN RESET HELP) LATENCY (LATEST HISTORY RESET DOCTOR GRAPH HELP).
#include <fmt/core.h>

#include <algorithm>

#include "common/log.h"
#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/commands/info.h"
#include "server/core/context.h"
#include "server/scripting/lua_engine.h"

namespace tessera {

namespace {

void Info(CommandContext& ctx) {
  std::string text = BuildInfo(ctx.server, ctx.argv.subspan(1));
  ctx.reply.Verbatim(text);
}

// ---- CONFIG ----

void ConfigGet(CommandContext& ctx) {
  std::vector<std::string> patterns(ctx.argv.begin() + 2, ctx.argv.end());
  auto pairs = ctx.server.registry().Get(patterns);
  ctx.reply.MapHeader(pairs.size());
  for (const auto& [k, v] : pairs) {
    ctx.reply.Bulk(k);
    ctx.reply.Bulk(v);
  }
}

void ConfigSet(CommandContext& ctx) {
  if ((ctx.argc() - 2) % 2 != 0) {
    ctx.Syntax();
    return;
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 2; i + 1 < ctx.argc(); i += 2) {
    pairs.emplace_back(std::string(ctx.argv[i]), std::string(ctx.argv[i + 1]));
  }
  auto mode = static_cast<DebugCommandMode>(ctx.server.config().enable_protected_configs);
  bool allow_protected = mode == DebugCommandMode::kYes ||
                         (mode == DebugCommandMode::kLocal && ctx.client.Has(kClientLocal));
  std::string error;
  if (!ctx.server.registry().SetAtomic(pairs, allow_protected, &error)) {
    ctx.reply.Error(error);
    return;
  }
  ctx.reply.Ok();
}

void ConfigResetStat(CommandContext& ctx) {
  ctx.server.ResetStats();
  ctx.server.slowlog().Reset();
  ctx.reply.Ok();
}

void ConfigRewrite(CommandContext& ctx) {
  std::string error;
  if (!ctx.server.registry().Rewrite(&error)) {
    LogWarning("CONFIG REWRITE failed: {}", error);
    ctx.reply.Error(error);
    return;
  }
  LogNotice("CONFIG REWRITE executed with success.");
  ctx.reply.Ok();
}

void ConfigHelp(CommandContext& ctx) {
  ReplyLines(ctx.reply, {"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                   "GET <pattern> [<pattern> ...]",
                   "    Return the parameters matching the glob-like patterns and their values.",
                   "SET <directive> <value> [<directive> <value> ...]",
                   "    Set parameters to values, all of them or none.",
                   "RESETSTAT",
                   "    Reset the statistics reported by INFO.",
                   "REWRITE",
                   "    Write the running configuration into the configuration file.",
                   "HELP",
                   "    Print this help."});
}

// ---- TIME, SHUTDOWN, MONITOR ----

void Time(CommandContext& ctx) {
  int64_t us = Clock::RealUs();
  ctx.reply.ArrayHeader(2);
  ctx.reply.BulkInt(us / 1000000);
  ctx.reply.BulkInt(us % 1000000);
}

void Shutdown(CommandContext& ctx) {
  bool nosave = false, save = false, now = false, force = false, abort = false;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string_view a = ctx.argv[i];
    if (EqualsIgnoreCase(a, "nosave")) nosave = true;
    else if (EqualsIgnoreCase(a, "save")) save = true;
    else if (EqualsIgnoreCase(a, "now")) now = true;
    else if (EqualsIgnoreCase(a, "force")) force = true;
    else if (EqualsIgnoreCase(a, "abort")) abort = true;
    else {
      ctx.Syntax();
      return;
    }
  }
  if ((abort && (nosave || save || now || force)) || (nosave && save)) {
    ctx.Syntax();
    return;
  }
  if (!nosave && !ctx.server.BusyError().empty()) {
    // From inside a busy script only SHUTDOWN NOSAVE may stop the server.
    ctx.reply.Error(ctx.server.BusyError());
    return;
  }
  if (abort) {
    // Shutdown here never waits (no replicas to catch up yet), so none can be in progress.
    ctx.reply.Error("ERR No shutdown in progress.");
    return;
  }
  std::string why;
  int flags = (nosave ? kShutdownNoSave : 0) | (save ? kShutdownSave : 0) |
              (force ? kShutdownForce : 0);
  if (!ctx.server.PrepareShutdown(flags, &why)) {
    ctx.reply.Error(err::kShutdownErrors);
  }
}

void Monitor(CommandContext& ctx) {
  Client& c = ctx.client;
  if (c.Has(kClientMonitor)) return;
  c.flags |= kClientMonitor;
  ctx.server.monitors().push_back(&c);
  ctx.reply.Ok();
}

// ---- SLOWLOG ----

void SlowlogGet(CommandContext& ctx) {
  int64_t count = 10;
  if (ctx.argc() == 3) {
    auto v = ParseInt64(ctx.argv[2]);
    if (!v || *v < -1) {
      ctx.reply.Error("ERR count should be greater than or equal to -1");
      return;
    }
    count = *v == -1 ? INT64_MAX : *v;
  }
  const auto& entries = ctx.server.slowlog().entries();
  size_t n = std::min<size_t>(entries.size(), static_cast<size_t>(count));
  ctx.reply.ArrayHeader(n);
  for (size_t i = 0; i < n; ++i) {
    const SlowLogEntry& e = entries[i];
    ctx.reply.ArrayHeader(6);
    ctx.reply.Integer(static_cast<int64_t>(e.id));
    ctx.reply.Integer(e.time_s);
    ctx.reply.Integer(e.duration_us);
    ctx.reply.ArrayHeader(e.args.size());
    for (const std::string& a : e.args) ctx.reply.Bulk(a);
    ctx.reply.Bulk(e.client_addr);
    ctx.reply.Bulk(e.client_name);
  }
}

void SlowlogLen(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.slowlog().entries().size()));
}

void SlowlogReset(CommandContext& ctx) {
  ctx.server.slowlog().Reset();
  ctx.reply.Ok();
}

void SlowlogHelp(CommandContext& ctx) {
  ReplyLines(ctx.reply, {"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                   "GET [<count>]",
                   "    Return the <count> most recent entries (10 by default, -1 for all).",
                   "    Each entry is: id, unix time, duration in microseconds, arguments,",
                   "    client address, client name.",
                   "LEN",
                   "    Return the number of entries.",
                   "RESET",
                   "    Delete all entries.",
                   "HELP",
                   "    Print this help."});
}

// ---- LATENCY ----

void LatencyLatest(CommandContext& ctx) {
  const auto& events = ctx.server.latency().events();
  ctx.reply.ArrayHeader(events.size());
  for (const auto& [name, ev] : events) {
    ctx.reply.ArrayHeader(4);
    ctx.reply.Bulk(name);
    ctx.reply.Integer(ev.samples.empty() ? 0 : ev.samples.back().time_s);
    ctx.reply.Integer(ev.samples.empty() ? 0 : ev.samples.back().latency_ms);
    ctx.reply.Integer(ev.max_ms);
  }
}

void LatencyHistory(CommandContext& ctx) {
  const auto& events = ctx.server.latency().events();
  auto it = events.find(ctx.argv[2]);
  if (it == events.end()) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  ctx.reply.ArrayHeader(it->second.samples.size());
  for (const LatencySample& s : it->second.samples) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(s.time_s);
    ctx.reply.Integer(s.latency_ms);
  }
}

void LatencyReset(CommandContext& ctx) {
  std::vector<std::string_view> names(ctx.argv.begin() + 2, ctx.argv.end());
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.latency().Reset(names)));
}

void LatencyDoctor(CommandContext& ctx) {
  ctx.reply.Verbatim(ctx.server.latency().Doctor(ctx.server.config().latency_monitor_threshold));
}

void LatencyGraph(CommandContext& ctx) {
  const auto& events = ctx.server.latency().events();
  auto it = events.find(ctx.argv[2]);
  if (it == events.end()) {
    ctx.reply.Error(fmt::format("ERR No samples available for event '{}'", ctx.argv[2]));
    return;
  }
  // One row per sample, newest last: time, latency and a bar scaled to the maximum.
  const LatencyEvent& ev = it->second;
  uint32_t hi = 1, lo = UINT32_MAX;
  for (const auto& s : ev.samples) {
    hi = std::max(hi, s.latency_ms);
    lo = std::min(lo, s.latency_ms);
  }
  std::string out = fmt::format("{} - high {} ms, low {} ms (all time high {} ms)\n", it->first, hi,
                    ev.samples.empty() ? 0 : lo, ev.max_ms);
  for (const auto& s : ev.samples) {
    size_t bar = static_cast<size_t>(s.latency_ms) * 40 / hi;
    out += fmt::format("{:>10} {:>6} ms |{}\n", s.time_s, s.latency_ms, std::string(bar, '#'));
  }
  ctx.reply.Verbatim(out);
}

void LatencyHistogramCmd(CommandContext& ctx) {
  std::vector<const Command*> list;
  auto add_tree = [&](const Command& c) {
    if (c.stats.latency.total() > 0) list.push_back(&c);
    for (const auto& s : c.subcommands) {
      if (s->stats.latency.total() > 0) list.push_back(s.get());
    }
  };
  if (ctx.argc() == 2) {
    for (const auto& c : ctx.server.commands().all()) add_tree(*c);
  } else {
    for (size_t i = 2; i < ctx.argc(); ++i) {
      std::string_view name = ctx.argv[i];
      size_t bar = name.find('|');
      const Command* c = ctx.server.commands().Find(name.substr(0, bar));
      if (c == nullptr) continue;
      if (bar != std::string_view::npos) {
        c = c->FindSub(name.substr(bar + 1));
        if (c != nullptr && c->stats.latency.total() > 0) list.push_back(c);
      } else {
        add_tree(*c);
      }
    }
  }
  ctx.reply.MapHeader(list.size());
  for (const Command* c : list) {
    ctx.reply.Bulk(c->fullname);
    ctx.reply.MapHeader(2);
    ctx.reply.Bulk("calls");
    ctx.reply.Integer(static_cast<int64_t>(c->stats.calls));
    ctx.reply.Bulk("histogram_usec");
    auto buckets = c->stats.latency.CumulativeUsecBuckets();
    ctx.reply.MapHeader(buckets.size());
    for (const auto& [bound, count] : buckets) {
      ctx.reply.Integer(static_cast<int64_t>(bound));
      ctx.reply.Integer(static_cast<int64_t>(count));
    }
  }
}

void LatencyHelp(CommandContext& ctx) {
  ReplyLines(ctx.reply, {"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                   "DOCTOR",
                   "    Return a human readable latency analysis report.",
                   "GRAPH <event>",
                   "    Return a text graph of the samples of <event>.",
                   "HISTOGRAM [<command> ...]",
                   "    Return a cumulative latency histogram (microsecond buckets) per command.",
                   "HISTORY <event>",
                   "    Return (time, latency in ms) samples of <event>.",
                   "LATEST",
                   "    Return the latest sample of every event.",
                   "RESET [<event> ...]",
                   "    Reset the samples of the given events, or of all of them.",
                   "HELP",
                   "    Print this help."});
}

}  // namespace

void RegisterServerCommands(CommandTable& t) {
  const uint64_t kAdminFlags = kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale;
  t.Add({.name = "info", .handler = Info, .arity = -1,
         .flags = kCmdLoading | kCmdStale | kCmdSentinel, .acl = kAclDangerous,
         .tips = "nondeterministic_output request_policy:all_shards response_policy:special",
         .doc = {"Returns information and statistics about the server.", "1.0.0", "server",
                 "O(1)", "[section:string...]"}});
  auto cfg = [&](std::string_view name, CommandHandler h, int arity, uint64_t flags,
                 std::string_view summary, std::string_view since, std::string_view complexity,
                 std::string_view args, std::string_view tips = "") {
    return CommandSpec{.name = name, .handler = h, .arity = arity, .flags = flags,
                       .tips = tips, .doc = {summary, since, "server", complexity, args}};
  };
  t.Add({.name = "config",
         .arity = -2,
         .doc = {"A container for server configuration commands.", "2.0.0", "server",
                 "Depends on subcommand.", ""},
         .subcommands = {
             cfg("get", ConfigGet, -3, kAdminFlags,
                 "Returns the effective values of configuration parameters.", "2.0.0",
                 "O(N) when N is the number of configuration parameters provided",
                 "parameter:string..."),
             cfg("set", ConfigSet, -4, kAdminFlags,
                 "Sets configuration parameters in-flight.", "2.0.0",
                 "O(N) when N is the number of configuration parameters provided",
                 "(data=parameter:string value:string)...",
                 "request_policy:all_nodes response_policy:all_succeeded"),
             cfg("resetstat", ConfigResetStat, 2, kAdminFlags,
                 "Resets the server's statistics.", "2.0.0", "O(1)", ""),
             cfg("rewrite", ConfigRewrite, 2, kAdminFlags,
                 "Persists the effective configuration to file.", "2.8.0", "O(1)", ""),
             cfg("help", ConfigHelp, 2, kCmdLoading | kCmdStale,
                 "Returns helpful text about the different subcommands.", "5.0.0", "O(1)", ""),
         }});
  t.Add({.name = "time", .handler = Time, .arity = 1,
         .flags = kCmdLoading | kCmdStale | kCmdFast, .tips = "nondeterministic_output",
         .doc = {"Returns the server time.", "2.6.0", "server", "O(1)", ""}});
  t.Add({.name = "shutdown", .handler = Shutdown, .arity = -1,
         .flags = kAdminFlags | kCmdNoMulti | kCmdSentinel | kCmdAllowBusy,
         .doc = {"Synchronously saves the database(s) to disk and shuts down the Redis server.",
                 "1.0.0", "server",
                 "O(N) when saving, where N is the total number of keys in all databases when "
                 "saving data, otherwise O(1)",
                 "[save-selector=NOSAVE|SAVE] [NOW] [FORCE] [ABORT]"}});
  t.Add({.name = "monitor", .handler = Monitor, .arity = 1, .flags = kAdminFlags,
         .doc = {"Listens for all requests received by the server in real-time.", "1.0.0",
                 "server", "", ""}});
  auto sl = [&](std::string_view name, CommandHandler h, int arity, uint64_t flags,
                std::string_view summary, std::string_view since, std::string_view complexity,
                std::string_view args, std::string_view tips) {
    return CommandSpec{.name = name, .handler = h, .arity = arity, .flags = flags,
                       .tips = tips, .doc = {summary, since, "server", complexity, args}};
  };
  t.Add({.name = "slowlog",
         .arity = -2,
         .doc = {"A container for slow log commands.", "2.2.12", "server",
                 "Depends on subcommand.", ""},
         .subcommands = {
             sl("get", SlowlogGet, -2, kCmdAdmin | kCmdLoading | kCmdStale,
                "Returns the slow log's entries.", "2.2.12",
                "O(N) where N is the number of entries returned", "[count:integer]",
                "request_policy:all_nodes nondeterministic_output"),
             sl("len", SlowlogLen, 2, kCmdAdmin | kCmdLoading | kCmdStale,
                "Returns the number of entries in the slow log.", "2.2.12", "O(1)", "",
                "request_policy:all_nodes response_policy:agg_sum nondeterministic_output"),
             sl("reset", SlowlogReset, 2, kCmdAdmin | kCmdLoading | kCmdStale,
                "Clears all entries from the slow log.", "2.2.12",
                "O(N) where N is the number of entries in the slowlog", "",
                "request_policy:all_nodes response_policy:all_succeeded"),
             sl("help", SlowlogHelp, 2, kCmdLoading | kCmdStale,
                "Show helpful text about the different subcommands", "6.2.0", "O(1)", "", ""),
         }});
  t.Add({.name = "latency",
         .arity = -2,
         .doc = {"A container for latency diagnostics commands.", "2.8.13", "server",
                 "Depends on subcommand.", ""},
         .subcommands = {
             sl("latest", LatencyLatest, 2, kAdminFlags,
                "Returns the latest latency samples for all events.", "2.8.13", "O(1)", "",
                "nondeterministic_output request_policy:all_nodes response_policy:special"),
             sl("history", LatencyHistory, 3, kAdminFlags,
                "Returns timestamp-latency samples for an event.", "2.8.13", "O(1)",
                "event:string",
                "nondeterministic_output request_policy:all_nodes response_policy:special"),
             sl("reset", LatencyReset, -2, kAdminFlags,
                "Resets the latency data for one or more events.", "2.8.13", "O(1)",
                "[event:string...]", "request_policy:all_nodes response_policy:all_succeeded"),
             sl("doctor", LatencyDoctor, 2, kAdminFlags,
                "Returns a human-readable latency analysis report.", "2.8.13", "O(1)", "",
                "nondeterministic_output request_policy:all_nodes response_policy:special"),
             sl("graph", LatencyGraph, 3, kAdminFlags,
                "Returns a latency graph for an event.", "2.8.13", "O(1)", "event:string",
                "nondeterministic_output request_policy:all_nodes response_policy:special"),
             sl("histogram", LatencyHistogramCmd, -2, kAdminFlags,
                "Returns the cumulative distribution of latencies of a subset or all commands.",
                "7.0.0", "O(N) where N is the number of commands with latency information being "
                "retrieved.",
                "[command:string...]",
                "nondeterministic_output request_policy:all_nodes response_policy:special"),
             sl("help", LatencyHelp, 2, kCmdLoading | kCmdStale,
                "Returns helpful text about the different subcommands.", "2.8.13", "O(1)", "",
                ""),
         }});
}

}  // namespace tessera
