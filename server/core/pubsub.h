// Who listens to what: the server-wide tables of channel, pattern and shard-channel
// subscribers, kept in step with each client's own Subscriptions. Delivery (building the
// message in each subscriber's protocol) is the server's; this is bookkeeping only.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/core/client.h"

namespace tessera {

enum class PubSubKind { kChannel, kPattern, kShard };

// Lets the channel tables be searched with a string_view (no allocation per PUBLISH).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using ChannelMap =
    std::unordered_map<std::string, std::vector<Client*>, StringHash, std::equal_to<>>;

class PubSubRegistry {
 public:
  // Adds c to name's subscribers; false if it was already subscribed.
  bool Subscribe(Client& c, PubSubKind kind, std::string_view name);
  // Removes c from name's subscribers; false if it was not subscribed.
  bool Unsubscribe(Client& c, PubSubKind kind, std::string_view name);
  // What c is subscribed to of one kind (copied: unsubscribing changes the set).
  static std::vector<std::string> NamesOf(const Client& c, PubSubKind kind);

  // Subscribers of a channel (or shard channel), in subscription order; nullptr if none.
  const std::vector<Client*>* Subscribers(PubSubKind kind, std::string_view channel) const;
  // Every pattern with its subscribers.
  const std::map<std::string, std::vector<Client*>, std::less<>>& patterns() const {
    return patterns_;
  }
  // Channels (or shard channels) with at least one subscriber.
  const ChannelMap& channels(PubSubKind kind) const {
    return kind == PubSubKind::kShard ? shard_channels_ : channels_;
  }
  bool empty() const { return channels_.empty() && patterns_.empty() && shard_channels_.empty(); }

 private:
  ChannelMap channels_;
  ChannelMap shard_channels_;
  std::map<std::string, std::vector<Client*>, std::less<>> patterns_;
};

}  // namespace tessera
