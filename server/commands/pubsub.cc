// Pub/sub: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE SSUBSCRIBE SUNSUBSCRIBE PUBLISH
// SPUBLISH and PUBSUB (CHANNELS NUMSUB NUMPAT SHARDCHANNELS SHARDNUMSUB HELP). Standalone
// mode: shard channels are a separate namespace on this node, as in Redis without cluster.
#include <fmt/core.h>

#include "common/glob.h"
#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/core/context.h"

namespace tessera {

namespace {

size_t CountFor(const Client& c, PubSubKind kind) {
  return kind == PubSubKind::kShard ? c.ShardSubscriptionCount() : c.SubscriptionCount();
}

void SubscribeGeneric(CommandContext& ctx, PubSubKind kind, std::string_view word) {
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string name(ctx.argv[i]);
    ctx.server.pubsub().Subscribe(ctx.client, kind, name);
    Server::ReplySubscription(ctx.client, word, &name, CountFor(ctx.client, kind));
  }
}

void UnsubscribeGeneric(CommandContext& ctx, PubSubKind kind, std::string_view word) {
  if (ctx.argc() == 1) {
    ctx.server.UnsubscribeAll(ctx.client, kind, true);
    return;
  }
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string name(ctx.argv[i]);
    ctx.server.pubsub().Unsubscribe(ctx.client, kind, name);
    Server::ReplySubscription(ctx.client, word, &name, CountFor(ctx.client, kind));
  }
}

void Subscribe(CommandContext& ctx) { SubscribeGeneric(ctx, PubSubKind::kChannel, "subscribe"); }
void Psubscribe(CommandContext& ctx) {
  SubscribeGeneric(ctx, PubSubKind::kPattern, "psubscribe");
}
void Ssubscribe(CommandContext& ctx) {
  if (ctx.server.in_exec()) {
    // As Redis: a client that expects one reply per command cannot enter subscriber mode.
    ctx.reply.Error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
    return;
  }
  SubscribeGeneric(ctx, PubSubKind::kShard, "ssubscribe");
}
void Unsubscribe(CommandContext& ctx) {
  UnsubscribeGeneric(ctx, PubSubKind::kChannel, "unsubscribe");
}
void Punsubscribe(CommandContext& ctx) {
  UnsubscribeGeneric(ctx, PubSubKind::kPattern, "punsubscribe");
}
void Sunsubscribe(CommandContext& ctx) {
  UnsubscribeGeneric(ctx, PubSubKind::kShard, "sunsubscribe");
}

void Publish(CommandContext& ctx) {
  size_t n = ctx.server.Publish(ctx.argv[1], ctx.argv[2]);
  ctx.reply.Integer(static_cast<int64_t>(n));
}

void Spublish(CommandContext& ctx) {
  size_t n = ctx.server.Publish(ctx.argv[1], ctx.argv[2], true);
  ctx.reply.Integer(static_cast<int64_t>(n));
}

void ChannelsGeneric(CommandContext& ctx, PubSubKind kind) {
  if (ctx.argc() > 3) {
    ctx.reply.Error(fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. "
                                "Try PUBSUB HELP.",
                                ctx.argv[1]));
    return;
  }
  std::string_view pattern = ctx.argc() > 2 ? ctx.argv[2] : std::string_view();
  std::vector<std::string_view> out;
  for (const auto& [name, subs] : ctx.server.pubsub().channels(kind)) {
    if (pattern.empty() || GlobMatch(pattern, name)) out.push_back(name);
  }
  ctx.reply.ArrayHeader(out.size());
  for (std::string_view n : out) ctx.reply.Bulk(n);
}

void NumsubGeneric(CommandContext& ctx, PubSubKind kind) {
  ctx.reply.ArrayHeader((ctx.argc() - 2) * 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    const std::vector<Client*>* subs = ctx.server.pubsub().Subscribers(kind, ctx.argv[i]);
    ctx.reply.Bulk(ctx.argv[i]);
    ctx.reply.Integer(subs ? static_cast<int64_t>(subs->size()) : 0);
  }
}

void PubsubChannels(CommandContext& ctx) { ChannelsGeneric(ctx, PubSubKind::kChannel); }
void PubsubShardChannels(CommandContext& ctx) { ChannelsGeneric(ctx, PubSubKind::kShard); }
void PubsubNumsub(CommandContext& ctx) { NumsubGeneric(ctx, PubSubKind::kChannel); }
void PubsubShardNumsub(CommandContext& ctx) { NumsubGeneric(ctx, PubSubKind::kShard); }
void PubsubNumpat(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.pubsub().patterns().size()));
}

void PubsubHelp(CommandContext& ctx) {
  ReplyLines(ctx.reply,
             {"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
              "CHANNELS [<pattern>]",
              "    Return the currently active channels matching a <pattern> (default: '*').",
              "NUMPAT",
              "    Return number of subscriptions to patterns.",
              "NUMSUB [<channel> ...]",
              "    Return the number of subscribers for the specified channels, excluding",
              "    pattern subscriptions(default: no channels).",
              "SHARDCHANNELS [<pattern>]",
              "    Return the currently active shard level channels matching a <pattern> "
              "(default: '*').",
              "SHARDNUMSUB [<shardchannel> ...]",
              "    Return the number of subscribers for the specified shard level channel(s)",
              "HELP",
              "    Prints this help."});
}

}  // namespace

void RegisterPubSubCommands(CommandTable& t) {
  const uint64_t kSub = kCmdPubsub | kCmdNoscript | kCmdLoading | kCmdStale;
  const uint64_t P = kAclPubsub;
  auto sub = [&](std::string_view name, CommandHandler h, uint64_t flags, std::string_view summary,
                 std::string_view since, std::string_view complexity, std::string_view args,
                 std::vector<KeySpec> keys = {}) {
    return CommandSpec{.name = name, .handler = h, .arity = -2, .flags = flags, .acl = P,
                       .keys = std::move(keys),
                       .doc = {summary, since, "pubsub", complexity, args}};
  };
  t.Add(sub("subscribe", Subscribe, kSub, "Listens for messages published to channels.", "2.0.0",
            "O(N) where N is the number of channels to subscribe to.", "channel:string..."));
  t.Add(sub("psubscribe", Psubscribe, kSub,
            "Listens for messages published to channels that match one or more patterns.",
            "2.0.0", "O(N) where N is the number of patterns to subscribe to.",
            "pattern:pattern..."));
  t.Add(sub("ssubscribe", Ssubscribe, kSub, "Listens for messages published to shard channels.",
            "7.0.0", "O(N) where N is the number of shard channels to subscribe to.",
            "shardchannel:string...", {KeySpec::Range(1, -1, 1, kKsNotKey)}));
  auto unsub = [&](CommandSpec s) {
    s.arity = -1;
    return s;
  };
  t.Add(unsub(sub("unsubscribe", Unsubscribe, kSub,
                  "Stops listening to messages posted to channels.", "2.0.0",
                  "O(N) where N is the number of channels to unsubscribe.",
                  "[channel:string...]")));
  t.Add(unsub(sub("punsubscribe", Punsubscribe, kSub,
                  "Stops listening to messages published to channels that match one or more "
                  "patterns.",
                  "2.0.0", "O(N) where N is the number of patterns to unsubscribe.",
                  "[pattern:pattern...]")));
  t.Add(unsub(sub("sunsubscribe", Sunsubscribe, kSub,
                  "Stops listening to messages posted to shard channels.", "7.0.0",
                  "O(N) where N is the number of shard channels to unsubscribe.",
                  "[shardchannel:string...]", {KeySpec::Range(1, -1, 1, kKsNotKey)})));
  const uint64_t kPub = kCmdPubsub | kCmdLoading | kCmdStale | kCmdFast | kCmdMayReplicate;
  t.Add({.name = "publish", .handler = Publish, .arity = 3, .flags = kPub, .acl = P,
         .doc = {"Posts a message to a channel.", "2.0.0", "pubsub",
                 "O(N+M) where N is the number of clients subscribed to the receiving channel "
                 "and M is the total number of subscribed patterns (by any client).",
                 "channel:string message:string"}});
  t.Add({.name = "spublish", .handler = Spublish, .arity = 3, .flags = kPub, .acl = P,
         .keys = {KeySpec::Range(1, 0, 1, kKsNotKey)},
         .doc = {"Post a message to a shard channel", "7.0.0", "pubsub",
                 "O(N) where N is the number of clients subscribed to the receiving shard "
                 "channel.",
                 "shardchannel:string message:string"}});
  const uint64_t kInfo = kCmdPubsub | kCmdLoading | kCmdStale;
  auto ps = [&](std::string_view name, CommandHandler h, int arity, std::string_view summary,
                std::string_view since, std::string_view complexity, std::string_view args) {
    return CommandSpec{.name = name, .handler = h, .arity = arity, .flags = kInfo, .acl = P,
                       .doc = {summary, since, "pubsub", complexity, args}};
  };
  t.Add({.name = "pubsub",
         .arity = -2,
         .doc = {"A container for Pub/Sub commands.", "2.8.0", "pubsub", "Depends on subcommand.",
                 ""},
         .subcommands = {
             ps("channels", PubsubChannels, -2, "Returns the active channels.", "2.8.0",
                "O(N) where N is the number of active channels, and assuming constant time "
                "pattern matching (relatively short channels and patterns)",
                "[pattern:pattern]"),
             ps("numsub", PubsubNumsub, -2,
                "Returns a count of subscribers to channels.", "2.8.0",
                "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
                "[channel:string...]"),
             ps("numpat", PubsubNumpat, 2, "Returns a count of unique pattern subscriptions.",
                "2.8.0", "O(1)", ""),
             ps("shardchannels", PubsubShardChannels, -2, "Returns the active shard channels.",
                "7.0.0",
                "O(N) where N is the number of active shard channels, and assuming constant time "
                "pattern matching (relatively short shard channels).",
                "[pattern:pattern]"),
             ps("shardnumsub", PubsubShardNumsub, -2,
                "Returns the count of subscribers of shard channels.", "7.0.0",
                "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard "
                "channels",
                "[shardchannel:string...]"),
             CommandSpec{.name = "help", .handler = PubsubHelp, .arity = 2,
                         .flags = kCmdLoading | kCmdStale,
                         .doc = {"Returns helpful text about the different subcommands.",
                                 "6.2.0", "pubsub", "O(1)", ""}},
         }});
}

}  // namespace tessera
