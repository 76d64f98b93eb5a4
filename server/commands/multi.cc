// Transactions: MULTI EXEC DISCARD WATCH UNWATCH. Queueing itself happens in the dispatcher
// (Server::ExecuteCommand), which also flags the transaction when it rejects a command.
#include "server/commands/families.h"
#include "server/core/context.h"
#include "server/core/watch.h"

namespace tessera {

namespace {

void Multi(CommandContext& ctx) {
  if (ctx.client.Has(kClientMulti)) {
    ctx.reply.Error("ERR MULTI calls can not be nested");
    return;
  }
  ctx.client.flags |= kClientMulti;
  ctx.reply.Ok();
}

void Discard(CommandContext& ctx) {
  if (!ctx.client.Has(kClientMulti)) {
    ctx.reply.Error("ERR DISCARD without MULTI");
    return;
  }
  ctx.server.DiscardTransaction(ctx.client);
  ctx.reply.Ok();
}

// Runs the queued commands one after the other with nothing in between; their effects are
// propagated as one unit (Call wraps more than one write in MULTI/EXEC).
void Exec(CommandContext& ctx) {
  Client& c = ctx.client;
  Server& s = ctx.server;
  if (!c.Has(kClientMulti)) {
    ctx.reply.Error("ERR EXEC without MULTI");
    return;
  }
  ctx.PreventPropagation();  // the queued commands propagate themselves
  if (WatchTable::AnyExpired(c, ctx.ks(), ctx.now_ms)) c.flags |= kClientDirtyCas;
  if (c.Has(kClientDirtyExec | kClientDirtyCas)) {
    if (c.Has(kClientDirtyExec)) {
      ctx.reply.Error("EXECABORT Transaction discarded because of previous errors.");
    } else {
      ctx.reply.NullArray();
    }
    s.DiscardTransaction(c);
    return;
  }
  s.watches().UnwatchAll(c);  // nothing can break the transaction now
  // The queue stays in place while it runs (CLIENT LIST inside EXEC shows it, as in Redis);
  // nothing run from it can queue more.
  size_t n = c.multi_queue.size();
  ctx.reply.ArrayHeader(n);
  bool outer = s.in_exec();
  s.set_in_exec(true);
  std::vector<std::string_view> views;
  for (size_t i = 0; i < n && i < c.multi_queue.size(); ++i) {
    const QueuedCommand& q = c.multi_queue[i];
    views.assign(q.argv.begin(), q.argv.end());
    s.Call(c, *q.cmd, views);
    if (c.Has(kClientCloseAsap)) break;
  }
  s.set_in_exec(outer);
  s.DiscardTransaction(c);
}

void Watch(CommandContext& ctx) {
  Client& c = ctx.client;
  if (c.Has(kClientMulti)) {
    ctx.reply.Error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  // Already dirty: the next EXEC fails whatever happens, so there is nothing to watch.
  if (!c.Has(kClientDirtyCas)) {
    for (size_t i = 1; i < ctx.argc(); ++i) {
      KeyValue* kv = ctx.db().Find(ctx.argv[i]);
      bool expired = kv != nullptr && Keyspace::IsExpired(kv, ctx.now_ms);
      ctx.server.watches().Watch(c, c.db_index, ctx.argv[i], expired);
    }
  }
  ctx.reply.Ok();
}

void Unwatch(CommandContext& ctx) {
  ctx.server.watches().UnwatchAll(ctx.client);
  ctx.client.flags &= ~kClientDirtyCas;
  ctx.reply.Ok();
}

}  // namespace

void RegisterTransactionCommands(CommandTable& t) {
  const uint64_t kTx = kCmdNoscript | kCmdLoading | kCmdStale;
  const uint64_t T = kAclTransaction;
  t.Add({.name = "multi", .handler = Multi, .arity = 1, .flags = kTx | kCmdFast | kCmdAllowBusy,
         .acl = T,
         .doc = {"Starts a transaction.", "1.2.0", "transactions", "O(1)", ""}});
  t.Add({.name = "exec", .handler = Exec, .arity = 1, .flags = kTx | kCmdSkipSlowlog, .acl = T,
         .doc = {"Executes all commands in a transaction.", "1.2.0", "transactions",
                 "Depends on commands in the transaction", ""}});
  t.Add({.name = "discard", .handler = Discard, .arity = 1,
         .flags = kTx | kCmdFast | kCmdAllowBusy, .acl = T,
         .doc = {"Discards a transaction.", "2.0.0", "transactions",
                 "O(N), when N is the number of queued commands", ""}});
  t.Add({.name = "watch", .handler = Watch, .arity = -2, .flags = kTx | kCmdFast | kCmdAllowBusy,
         .acl = T, .keys = {KeySpec::Range(1, -1, 1, kKsRO)},
         .doc = {"Monitors changes to keys to determine the execution of a transaction.", "2.2.0",
                 "transactions", "O(1) for every key.", "key:key..."}});
  t.Add({.name = "unwatch", .handler = Unwatch, .arity = 1,
         .flags = kTx | kCmdFast | kCmdAllowBusy, .acl = T,
         .doc = {"Forgets about watched keys of a transaction.", "2.2.0", "transactions", "O(1)",
                 ""}});
}

}  // namespace tessera
