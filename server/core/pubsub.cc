#include "server/core/pubsub.h"

#include <fmt/core.h>

#include <algorithm>
#include <initializer_list>

#include "common/glob.h"
#include "server/core/server.h"

namespace tessera {

namespace {

template <typename Subs>
auto& ClientSet(Subs& s, PubSubKind kind) {
  switch (kind) {
    case PubSubKind::kChannel: return s.channels;
    case PubSubKind::kPattern: return s.patterns;
    case PubSubKind::kShard: return s.shard_channels;
  }
  return s.channels;
}

template <typename Map>
void RemoveFrom(Map& m, std::string_view name, Client* c) {
  auto it = m.find(name);
  if (it == m.end()) return;
  auto& v = it->second;
  v.erase(std::remove(v.begin(), v.end(), c), v.end());
  if (v.empty()) m.erase(it);
}

}  // namespace

bool PubSubRegistry::Subscribe(Client& c, PubSubKind kind, std::string_view name) {
  if (!c.subs) c.subs = std::make_unique<Subscriptions>();
  if (!ClientSet(*c.subs, kind).emplace(name).second) return false;
  switch (kind) {
    case PubSubKind::kChannel: channels_[std::string(name)].push_back(&c); break;
    case PubSubKind::kShard: shard_channels_[std::string(name)].push_back(&c); break;
    case PubSubKind::kPattern: patterns_[std::string(name)].push_back(&c); break;
  }
  c.flags |= kClientPubsub;
  return true;
}

bool PubSubRegistry::Unsubscribe(Client& c, PubSubKind kind, std::string_view name) {
  if (!c.subs) return false;
  auto& mine = ClientSet(*c.subs, kind);
  auto it = mine.find(std::string(name));
  if (it == mine.end()) return false;
  mine.erase(it);
  switch (kind) {
    case PubSubKind::kChannel: RemoveFrom(channels_, name, &c); break;
    case PubSubKind::kShard: RemoveFrom(shard_channels_, name, &c); break;
    case PubSubKind::kPattern: RemoveFrom(patterns_, name, &c); break;
  }
  if (c.subs->total() == 0) {
    c.subs.reset();
    c.flags &= ~kClientPubsub;
  }
  return true;
}

std::vector<std::string> PubSubRegistry::NamesOf(const Client& c, PubSubKind kind) {
  if (!c.subs) return {};
  const auto& set = ClientSet(*c.subs, kind);
  return std::vector<std::string>(set.begin(), set.end());
}

const std::vector<Client*>* PubSubRegistry::Subscribers(PubSubKind kind,
                                                       std::string_view channel) const {
  const auto& m = kind == PubSubKind::kShard ? shard_channels_ : channels_;
  auto it = m.find(channel);
  return it == m.end() ? nullptr : &it->second;
}

// ---- delivery (Server) ----

namespace {

void AppendBulk(std::string& out, std::string_view s) {
  out += '$';
  out += std::to_string(s.size());
  out += "\r\n";
  out.append(s);
  out += "\r\n";
}

// One pub/sub message as RESP2 array or RESP3 push.
std::string BuildMessage(bool resp3, std::initializer_list<std::string_view> parts) {
  std::string out;
  size_t size = 16;
  for (std::string_view p : parts) size += p.size() + 16;
  out.reserve(size);
  out += resp3 ? '>' : '*';
  out += std::to_string(parts.size());
  out += "\r\n";
  for (std::string_view p : parts) AppendBulk(out, p);
  return out;
}

}  // namespace

size_t Server::Publish(std::string_view channel, std::string_view message, bool shard) {
  size_t receivers = 0;
  std::string built[2];  // by protocol: RESP2, RESP3 (built once, on first use)
  auto deliver = [&](Client* c, std::string* cache, auto&& build) {
    int idx = c->resp == 3 ? 1 : 0;
    if (cache[idx].empty()) cache[idx] = build(idx == 1);
    c->reply.Raw(cache[idx]);
    QueueWrite(*c);
    CheckOutputLimits(*c);
    ++receivers;
  };
  PubSubKind kind = shard ? PubSubKind::kShard : PubSubKind::kChannel;
  if (const std::vector<Client*>* subs = pubsub_.Subscribers(kind, channel)) {
    std::string_view word = shard ? "smessage" : "message";
    for (Client* c : *subs) {
      deliver(c, built, [&](bool r3) { return BuildMessage(r3, {word, channel, message}); });
    }
  }
  if (shard) return receivers;
  for (const auto& [pattern, clients] : pubsub_.patterns()) {
    if (!GlobMatch(pattern, channel)) continue;
    std::string pbuilt[2];
    for (Client* c : clients) {
      deliver(c, pbuilt, [&](bool r3) {
        return BuildMessage(r3, {"pmessage", pattern, channel, message});
      });
    }
  }
  return receivers;
}

void Server::ReplySubscription(Client& c, std::string_view kind, const std::string* name,
                               size_t count) {
  resp::ReplyBuilder& r = c.reply;
  r.PushHeader(3);
  r.Bulk(kind);
  if (name != nullptr) {
    r.Bulk(*name);
  } else {
    r.Null();
  }
  r.Integer(static_cast<int64_t>(count));
}

void Server::UnsubscribeAll(Client& c, PubSubKind kind, bool notify) {
  std::string_view word = kind == PubSubKind::kChannel   ? "unsubscribe"
                          : kind == PubSubKind::kPattern ? "punsubscribe"
                                                         : "sunsubscribe";
  std::vector<std::string> names = PubSubRegistry::NamesOf(c, kind);
  for (const std::string& n : names) {
    pubsub_.Unsubscribe(c, kind, n);
    if (notify) {
      size_t count = kind == PubSubKind::kShard ? c.ShardSubscriptionCount()
                                                : c.SubscriptionCount();
      ReplySubscription(c, word, &n, count);
    }
  }
  if (notify && names.empty()) {
    size_t count = kind == PubSubKind::kShard ? c.ShardSubscriptionCount() : c.SubscriptionCount();
    ReplySubscription(c, word, nullptr, count);
  }
}

void Server::PublishKeyspaceEvent(std::string_view event, std::string_view key, int db) {
  if (pubsub_.empty()) return;  // nobody could be listening
  uint32_t flags = config_.notify_keyspace_events;
  std::string chan;
  if (flags & kNotifyKeyspace) {
    chan = fmt::format("__keyspace@{}__:", db);
    chan.append(key);
    Publish(chan, event);
  }
  if (flags & kNotifyKeyevent) {
    chan = fmt::format("__keyevent@{}__:", db);
    chan.append(event);
    Publish(chan, key);
  }
}

}  // namespace tessera
