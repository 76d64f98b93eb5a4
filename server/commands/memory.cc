// MEMORY: USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP.
#include "common/strutil.h"
#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/commands/info.h"
#include "server/core/command.h"
#include "server/core/errors.h"
#include "server/core/memory_stats.h"
#include "server/core/server.h"
#include "server/keyspace/db.h"

namespace tessera {

namespace {

constexpr size_t kDefaultSamples = 5;  // Redis's OBJ_COMPUTE_SIZE_DEF_SAMPLES

// MEMORY USAGE key [SAMPLES count]: the key's allocation (key, header, small values inline)
// plus its value's allocations, measured with the allocator's usable sizes; collections
// extrapolate from `count` elements (0: all of them).
void MemoryUsageCmd(CommandContext& ctx) {
  size_t samples = kDefaultSamples;
  for (size_t j = 3; j < ctx.argc(); ++j) {
    if (EqualsIgnoreCase(ctx.argv[j], "samples") && j + 1 < ctx.argc()) {
      auto n = ParseInt64(ctx.argv[j + 1]);
      if (!n) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      if (*n < 0) {
        ctx.reply.Error(err::kSyntax);
        return;
      }
      samples = static_cast<size_t>(*n);
      ++j;
    } else {
      ctx.reply.Error(err::kSyntax);
      return;
    }
  }
  // As Redis, a plain find: no expiry check, no LRU touch, no hit/miss statistics.
  KeyValue* kv = ctx.db().Find(ctx.argv[2]);
  if (kv == nullptr) {
    ctx.reply.Null();
    return;
  }
  size_t bytes = kv->AllocSize();
  if (kv->encoding() != Encoding::kEmbstr && kv->encoding() != Encoding::kInt) {
    bytes += ValuePayloadBytes(kv->type(), kv->encoding(), kv->ptr(), samples);
  }
  ctx.reply.Integer(static_cast<int64_t>(bytes));
}

void MemoryStatsCmd(CommandContext& ctx) {
  MemoryOverview m = ComputeMemoryOverview(ctx.server);
  auto& r = ctx.reply;
  r.MapHeader(27 + m.dbs.size());
  auto num = [&](std::string_view name, int64_t v) {
    r.Bulk(name);
    r.Integer(v);
  };
  auto dbl = [&](std::string_view name, double v) {
    r.Bulk(name);
    r.Double(v);
  };
  num("peak.allocated", static_cast<int64_t>(m.peak));
  num("total.allocated", static_cast<int64_t>(m.used));
  num("startup.allocated", static_cast<int64_t>(m.startup));
  num("replication.backlog", static_cast<int64_t>(m.repl_backlog));
  num("clients.slaves", static_cast<int64_t>(m.clients_replicas));
  num("clients.normal", static_cast<int64_t>(m.clients_normal));
  num("cluster.links", 0);
  num("aof.buffer", static_cast<int64_t>(m.aof_buffer));
  num("lua.caches", static_cast<int64_t>(m.lua_caches));
  num("functions.caches", static_cast<int64_t>(m.functions_caches));
  for (const auto& d : m.dbs) {
    r.Bulk("db." + std::to_string(d.id));
    r.MapHeader(3);
    num("overhead.hashtable.main", static_cast<int64_t>(d.main));
    num("overhead.hashtable.expires", static_cast<int64_t>(d.expires));
    num("overhead.hashtable.slot-to-keys", 0);
  }
  num("overhead.total", static_cast<int64_t>(m.overhead));
  num("keys.count", static_cast<int64_t>(m.keys));
  size_t net = m.used > m.startup ? m.used - m.startup : 0;
  num("keys.bytes-per-key", m.keys == 0 ? 0 : static_cast<int64_t>(net / m.keys));
  num("dataset.bytes", static_cast<int64_t>(m.dataset));
  dbl("dataset.percentage", m.dataset_perc);
  dbl("peak.percentage", m.peak_perc);
  num("allocator.allocated", static_cast<int64_t>(m.allocator_allocated));
  num("allocator.active", static_cast<int64_t>(m.allocator_active));
  num("allocator.resident", static_cast<int64_t>(m.allocator_resident));
  dbl("allocator-fragmentation.ratio", m.allocator_frag);
  num("allocator-fragmentation.bytes", m.allocator_frag_bytes);
  dbl("allocator.rss-ratio", m.allocator_rss);
  num("allocator.rss-bytes", m.allocator_rss_bytes);
  dbl("rss-overhead.ratio", m.rss_extra);
  num("rss-overhead.bytes", m.rss_extra_bytes);
  dbl("fragmentation", m.total_frag);
  num("fragmentation.bytes", m.total_frag_bytes);
}

void MemoryDoctor(CommandContext& ctx) {
  ctx.reply.Verbatim(MemoryDoctorReport(ctx.server));
}

void MemoryMallocStats(CommandContext& ctx) { ctx.reply.Verbatim(AllocatorReport()); }

void MemoryPurge(CommandContext& ctx) {
  PurgeAllocator();
  ctx.reply.Ok();
}

void MemoryHelp(CommandContext& ctx) {
  ReplyLines(ctx.reply,
             {"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
              "DOCTOR",
              "    Report memory problems found in this instance, with advice.",
              "MALLOC-STATS",
              "    Print the memory allocator's internal statistics.",
              "PURGE",
              "    Ask the allocator to return unused dirty pages to the system.",
              "STATS",
              "    Return a breakdown of the server's memory use.",
              "USAGE <key> [SAMPLES <count>]",
              "    Return the bytes used by <key> and its value. Collections are measured",
              "    on <count> elements and extrapolated (default: 5, 0 means all of them).",
              "HELP",
              "    Print this help."});
}

}  // namespace

void RegisterMemoryCommands(CommandTable& t) {
  auto sub = [](std::string_view name, CommandHandler h, std::string_view summary,
                std::string_view complexity, std::string_view tips) {
    return CommandSpec{.name = name, .handler = h, .arity = 2, .acl = kAclSlow, .tips = tips,
                       .doc = {summary, "4.0.0", "server", complexity, ""}};
  };
  t.Add({.name = "memory",
         .arity = -2,
         .doc = {"A container for memory diagnostics commands", "4.0.0", "server",
                 "Depends on subcommand.", ""},
         .subcommands = {
             sub("doctor", MemoryDoctor, "Outputs memory problems report", "O(1)",
                 "nondeterministic_output request_policy:all_shards response_policy:special"),
             {.name = "help", .handler = MemoryHelp, .arity = 2,
              .flags = kCmdLoading | kCmdStale, .acl = kAclSlow,
              .doc = {"Show helpful text about the different subcommands", "4.0.0", "server",
                      "O(1)", ""}},
             sub("malloc-stats", MemoryMallocStats, "Show allocator internal stats",
                 "Depends on how much memory is allocated, could be slow",
                 "nondeterministic_output request_policy:all_shards response_policy:special"),
             sub("purge", MemoryPurge, "Ask the allocator to release memory",
                 "Depends on how much memory is allocated, could be slow",
                 "request_policy:all_shards response_policy:all_succeeded"),
             sub("stats", MemoryStatsCmd, "Show memory usage details", "O(1)",
                 "nondeterministic_output request_policy:all_shards response_policy:special"),
             {.name = "usage", .handler = MemoryUsageCmd, .arity = -3, .flags = kCmdReadonly,
              .acl = kAclRead | kAclSlow, .keys = {KeySpec::Range(2, 0, 1, kKsRO)},
              .doc = {"Estimate the memory usage of a key", "4.0.0", "server",
                      "O(N) where N is the number of samples.",
                      "key:key [SAMPLES count:integer]"}},
         }});
}

}  // namespace tessera
