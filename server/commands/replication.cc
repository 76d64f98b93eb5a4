// The master's replication commands: REPLCONF, PSYNC, SYNC, WAIT, ROLE.
#include <fmt/core.h>

#include "common/log.h"
#include "common/strutil.h"
#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/core/command.h"
#include "server/core/context.h"
#include "server/core/errors.h"
#include "server/core/replication.h"
#include "server/core/server.h"

namespace tessera {

namespace {

void ReplConf(CommandContext& ctx) {
  if (ctx.argc() % 2 == 0) {
    ctx.reply.Error(err::kSyntax);
    return;
  }
  Client& c = ctx.client;
  for (size_t i = 1; i < ctx.argc(); i += 2) {
    std::string_view opt = ctx.argv[i], val = ctx.argv[i + 1];
    if (EqualsIgnoreCase(opt, "listening-port")) {
      auto port = ParseInt64(val);
      if (!port) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      if (!c.repl) c.repl = std::make_unique<ReplicaInfo>();
      c.repl->listening_port = static_cast<int>(*port);
    } else if (EqualsIgnoreCase(opt, "ip-address")) {
      if (!c.repl) c.repl = std::make_unique<ReplicaInfo>();
      c.repl->announced_ip = std::string(val);
    } else if (EqualsIgnoreCase(opt, "capa")) {
      if (!c.repl) c.repl = std::make_unique<ReplicaInfo>();
      if (EqualsIgnoreCase(val, "eof")) c.repl->capa_eof = true;
      if (EqualsIgnoreCase(val, "psync2")) c.repl->capa_psync2 = true;
    } else if (EqualsIgnoreCase(opt, "ack")) {
      // From a replica: its processed offset. No reply, as Redis.
      auto off = ParseInt64(val);
      if (c.Has(kClientReplica) && off) ctx.server.replication().Ack(c, *off);
      ctx.reply.set_muted(true);
      return;
    } else if (EqualsIgnoreCase(opt, "getack")) {
      // Our master asks where we are: the ACK carries the offset before this command.
      if (c.Has(kClientMaster)) ctx.server.replication().SendAck();
      ctx.reply.set_muted(true);
      return;
    } else if (EqualsIgnoreCase(opt, "rdb-only") || EqualsIgnoreCase(opt, "rdb-filter-only")) {
      // Accepted for redis-cli --rdb; nothing changes for a normal sync.
    } else {
      ctx.reply.Error(fmt::format("ERR Unrecognized REPLCONF option: {}", opt));
      return;
    }
  }
  ctx.reply.Ok();
}

bool SyncAllowed(CommandContext& ctx) {
  if (ctx.client.Has(kClientReplica)) return false;  // ignored, as Redis
  Replication& r = ctx.server.replication();
  if (r.is_replica() && !r.LinkStreaming()) {
    ctx.reply.Error("NOMASTERLINK Can't SYNC while not connected with my master");
    return false;
  }
  if (!ctx.client.out.empty()) {
    ctx.reply.Error("ERR SYNC and PSYNC are invalid with pending output");
    return false;
  }
  return true;
}

void Psync(CommandContext& ctx) {
  auto next = ParseInt64(ctx.argv[2]);
  if (ctx.argc() > 3 && EqualsIgnoreCase(ctx.argv[3], "failover") &&
      !ctx.client.Has(kClientReplica)) {
    // Our master hands over (FAILOVER on its side): we become the master it then follows.
    if (!ctx.server.replication().AcceptFailover(ctx.argv[1])) {
      ctx.reply.Error("ERR PSYNC FAILOVER replid must match my replid.");
      return;
    }
  }
  if (!SyncAllowed(ctx)) return;
  if (!next) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  ctx.server.replication().Psync(ctx.client, ctx.argv[1], *next, false);
}

void Sync(CommandContext& ctx) {
  if (!SyncAllowed(ctx)) return;
  ctx.server.replication().Psync(ctx.client, "?", -1, true);
}

void Wait(CommandContext& ctx) {
  auto n = ParseInt64(ctx.argv[1]);
  if (!n) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  int64_t deadline = 0;
  if (!ParseBlockTimeoutMs(ctx, ctx.argv[2], &deadline)) return;
  Replication& r = ctx.server.replication();
  int64_t off = ctx.client.woff;
  int acked = r.CountAcked(off);
  if (acked >= *n || ctx.client.Has(kClientMulti) || ctx.server.in_exec()) {
    ctx.reply.Integer(acked);
    return;
  }
  ctx.server.BlockClient(ctx.client, {}, ctx.argv, deadline, -1);
  ctx.client.blocked->wait_offset = off;
  ctx.client.blocked->wait_replicas = static_cast<int>(*n);
  r.AddWaiter(ctx.client);
  r.RequestAcks();
}

void ReplicaOf(CommandContext& ctx) {
  Replication& r = ctx.server.replication();
  if (EqualsIgnoreCase(ctx.argv[1], "no") && EqualsIgnoreCase(ctx.argv[2], "one")) {
    if (r.is_replica()) {
      r.Promote();
      LogNotice("MASTER MODE enabled (user request from '{}')", ctx.client.addr);
    }
    ctx.reply.Ok();
    return;
  }
  if (ctx.client.Has(kClientReplica)) {
    ctx.reply.Error("ERR Command is not valid when client is a replica.");
    return;
  }
  auto port = ParseInt64(ctx.argv[2]);
  if (!port || *port < 0 || *port > 65535) {
    ctx.reply.Error(port ? "ERR Invalid master port" : err::kNotInteger);
    return;
  }
  std::string host(ctx.argv[1]);
  r.AllowEmptySync();
  if (r.is_replica() && r.master_host() == host && r.master_port() == *port) {
    ctx.reply.SimpleString("OK Already connected to specified master");
    return;
  }
  r.SetMaster(host, static_cast<int>(*port));
  ctx.reply.Ok();
}

// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]
void Failover(CommandContext& ctx) {
  std::string host;
  int64_t port = 0, timeout = 0;
  bool force = false, abort = false, has_to = false, has_timeout = false;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string_view a = ctx.argv[i];
    if (EqualsIgnoreCase(a, "to") && i + 2 < ctx.argc() && !has_to) {
      host = std::string(ctx.argv[i + 1]);
      auto p = ParseInt64(ctx.argv[i + 2]);
      if (!p) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      port = *p;
      has_to = true;
      i += 2;
    } else if (EqualsIgnoreCase(a, "timeout") && i + 1 < ctx.argc() && !has_timeout) {
      auto t = ParseInt64(ctx.argv[i + 1]);
      if (!t) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      if (*t <= 0) {
        ctx.reply.Error("ERR FAILOVER timeout must be greater than 0");
        return;
      }
      timeout = *t;
      has_timeout = true;
      ++i;
    } else if (EqualsIgnoreCase(a, "force") && !force) {
      force = true;
    } else if (EqualsIgnoreCase(a, "abort") && !abort) {
      abort = true;
    } else {
      ctx.reply.Error(err::kSyntax);
      return;
    }
  }
  Replication& r = ctx.server.replication();
  if (abort) {
    if (ctx.argc() != 2) {
      ctx.reply.Error("ERR FAILOVER abort cannot be used with other arguments.");
      return;
    }
    std::string e = r.AbortFailover();
    if (!e.empty()) {
      ctx.reply.Error(e);
    } else {
      ctx.reply.Ok();
    }
    return;
  }
  if (force && (!has_timeout || !has_to)) {
    ctx.reply.Error("ERR FAILOVER with force option requires both a timeout and target HOST "
                    "and IP.");
    return;
  }
  std::string e = r.StartFailover(host, static_cast<int>(port), force, timeout);
  if (!e.empty()) {
    ctx.reply.Error(e);
    return;
  }
  ctx.reply.Ok();
}

void Role(CommandContext& ctx) {
  Replication& r = ctx.server.replication();
  if (r.is_replica()) {
    ctx.reply.ArrayHeader(5);
    ctx.reply.Bulk("slave");
    ctx.reply.Bulk(r.master_host());
    ctx.reply.Integer(r.master_port());
    ctx.reply.Bulk(r.link().StateName());
    ctx.reply.Integer(r.LinkStreaming() ? r.offset() : -1);
    return;
  }
  ctx.reply.ArrayHeader(3);
  ctx.reply.Bulk("master");
  ctx.reply.Integer(r.offset());
  size_t online = 0;
  for (const Client* c : r.replicas()) {
    if (c->repl->state == ReplicaInfo::State::kOnline) ++online;
  }
  ctx.reply.ArrayHeader(online);
  for (const Client* c : r.replicas()) {
    const ReplicaInfo& ri = *c->repl;
    if (ri.state != ReplicaInfo::State::kOnline) continue;
    ctx.reply.ArrayHeader(3);
    ctx.reply.Bulk(Replication::ReplicaIp(*c));
    ctx.reply.Bulk(std::to_string(ri.listening_port));
    ctx.reply.Bulk(std::to_string(ri.ack_offset));
  }
}

}  // namespace

void RegisterReplicationCommands(CommandTable& t) {
  constexpr uint64_t kSyncFlags = kCmdAdmin | kCmdNoscript | kCmdNoAsyncLoading | kCmdNoMulti;
  t.Add({.name = "replconf", .handler = ReplConf, .arity = -1,
         .flags = kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale | kCmdAllowBusy,
         .doc = {"An internal command for configuring the replication stream", "3.0.0",
                 "server", "O(1)", ""}});
  t.Add({.name = "psync", .handler = Psync, .arity = -3, .flags = kSyncFlags,
         .doc = {"Internal command used for replication", "2.8.0", "server", "", ""}});
  t.Add({.name = "sync", .handler = Sync, .arity = 1, .flags = kSyncFlags,
         .doc = {"Internal command used for replication", "1.0.0", "server", "", ""}});
  t.Add({.name = "wait", .handler = Wait, .arity = 3, .flags = kCmdNoscript,
         .acl = kAclConnection, .tips = "request_policy:all_shards response_policy:agg_min",
         .doc = {"Wait for the synchronous replication of all the write commands sent in the "
                 "context of the current connection", "3.0.0", "generic", "O(1)", ""}});
  for (const char* name : {"replicaof", "slaveof"}) {
    t.Add({.name = name, .handler = ReplicaOf, .arity = 3,
           .flags = kCmdAdmin | kCmdNoscript | kCmdStale | kCmdNoAsyncLoading,
           .doc = {name[0] == 'r' ? "Make the server a replica of another instance, or promote "
                                    "it as master"
                                  : "Make the server a replica of another instance, or promote "
                                    "it as master. Deprecated starting with Redis 5. Use "
                                    "REPLICAOF instead",
                   name[0] == 'r' ? "5.0.0" : "1.0.0", "server", "O(1)", "host port"}});
  }
  t.Add({.name = "failover", .handler = Failover, .arity = -1,
         .flags = kCmdAdmin | kCmdNoscript | kCmdStale,
         .doc = {"Start a coordinated failover between this server and one of its replicas.",
                 "6.2.0", "server", "O(1)", "[TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds]"}});
  t.Add({.name = "role", .handler = Role, .arity = 1,
         .flags = kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast,
         .acl = kAclAdmin | kAclDangerous,
         .doc = {"Return the role of the instance in the context of replication", "2.8.12",
                 "server", "O(1)", ""}});
}

}  // namespace tessera
