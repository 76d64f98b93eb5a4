// What the sorted-set family shares with commands built on sorted sets (GEO*).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/core/context.h"

namespace tessera::zsetcmd {

struct Pair {
  std::string member;
  double score;
};

// Replaces dst with a sorted set of pairs (an empty result deletes dst). Returns the size.
size_t Store(CommandContext& ctx, std::string_view dst, const std::vector<Pair>& pairs,
             std::string_view event);
// ZADD with ctx.argv as its arguments (GEOADD calls it with the rewritten command).
void Add(CommandContext& ctx);

}  // namespace tessera::zsetcmd
