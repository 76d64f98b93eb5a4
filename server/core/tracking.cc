#include "server/core/tracking.h"

#include <algorithm>

#include "server/core/server.h"

namespace tessera {

void TrackingTable::Enable(Client& c, const TrackingState& settings) {
  bool was_on = c.Has(kClientTracking);
  if (!was_on) {
    c.tracking = std::make_unique<TrackingState>();
    ++clients_;
  }
  TrackingState& st = *c.tracking;
  st.redirect = settings.redirect;
  st.broken_redirect = false;
  st.bcast = settings.bcast;
  st.optin = settings.optin;
  st.optout = settings.optout;
  st.noloop = settings.noloop;  // (a pending CLIENT CACHING survives re-enabling)
  c.flags |= kClientTracking;
  if (st.bcast) {
    std::vector<std::string> wanted = settings.prefixes;
    if (wanted.empty()) wanted.emplace_back("");  // BCAST without PREFIX: every key
    for (const std::string& p : wanted) {
      if (std::find(st.prefixes.begin(), st.prefixes.end(), p) != st.prefixes.end()) continue;
      st.prefixes.push_back(p);
      prefixes_[p].clients.push_back(c.id);
    }
  }
}

void TrackingTable::Disable(Client& c) {
  if (!c.Has(kClientTracking)) return;
  for (const std::string& p : c.tracking->prefixes) {
    auto it = prefixes_.find(p);
    if (it == prefixes_.end()) continue;
    auto& ids = it->second.clients;
    ids.erase(std::remove(ids.begin(), ids.end(), c.id), ids.end());
    if (ids.empty()) prefixes_.erase(it);
  }
  c.tracking.reset();
  c.flags &= ~kClientTracking;
  --clients_;
}

void TrackingTable::RememberKeys(Client& c, const Command& cmd,
                                 std::span<const std::string_view> argv) {
  TrackingState& st = *c.tracking;
  if (st.bcast) return;
  if ((st.optin && !st.caching) || (st.optout && st.caching)) return;
  std::vector<KeyRef> refs;
  if (!CommandTable::GetKeys(cmd, argv, &refs)) return;
  for (const KeyRef& k : refs) {
    auto& ids = keys_[std::string(argv[static_cast<size_t>(k.pos)])];
    if (std::find(ids.begin(), ids.end(), c.id) == ids.end()) {
      ids.push_back(c.id);
      ++items_;
    }
  }
}

void TrackingTable::Send(Client& c, const std::vector<std::string>* keys) {
  Client* target = &c;
  bool redirected = false;
  TrackingState& st = *c.tracking;
  if (st.redirect != 0) {
    Client* r = server_.FindClient(st.redirect);
    if (r == nullptr) {
      st.broken_redirect = true;
      if (c.resp == 3) {
        c.reply.set_resp3(true);
        c.reply.PushHeader(2);
        c.reply.Bulk("tracking-redir-broken");
        c.reply.Integer(static_cast<int64_t>(st.redirect));
        c.reply.set_resp3(c.resp == 3);
        server_.QueueWrite(c);
      }
      return;
    }
    target = r;
    redirected = true;
  }
  resp::ReplyBuilder& out = target->reply;
  bool was_resp3 = out.resp3();
  if (target->resp == 3) {
    out.set_resp3(true);
    out.PushHeader(2);
    out.Bulk("invalidate");
  } else if (redirected && target->Has(kClientPubsub)) {
    out.set_resp3(false);
    out.ArrayHeader(3);
    out.Bulk("message");
    out.Bulk("__redis__:invalidate");
  } else {
    return;  // RESP2 without redirection: nothing can carry the message
  }
  if (keys == nullptr) {
    // As Redis: the null is the tracked client's, whatever protocol the receiver speaks.
    out.Raw(c.resp == 3 ? std::string_view("_\r\n") : std::string_view("$-1\r\n"));
  } else {
    out.ArrayHeader(keys->size());
    for (const std::string& k : *keys) out.Bulk(k);
  }
  out.set_resp3(was_resp3);
  server_.QueueWrite(*target);
  server_.CheckOutputLimits(*target);
}

void TrackingTable::InvalidateKey(std::string_view key, Client* by, Client* bcast_by) {
  // BCAST: queue the key under each matching prefix (sent before the loop sleeps).
  for (auto& [prefix, entry] : prefixes_) {
    if (key.substr(0, prefix.size()) == prefix) {
      entry.pending.emplace_back(std::string(key), bcast_by != nullptr ? bcast_by->id : 0);
    }
  }
  if (keys_.empty()) return;
  auto it = keys_.find(std::string(key));
  if (it == keys_.end()) return;
  std::vector<uint64_t> ids = std::move(it->second);
  items_ -= ids.size();
  keys_.erase(it);
  std::vector<std::string> one{std::string(key)};
  for (uint64_t id : ids) {
    Client* target = server_.FindClient(id);
    if (target == nullptr || !target->Has(kClientTracking) || target->tracking->bcast) continue;
    if (target == by && target->tracking->noloop) continue;
    if (target == by) {
      // Its reply comes first: the message follows once the command is done.
      pending_self_id_ = target->id;
      pending_self_.emplace_back(std::string(key));
      continue;
    }
    Send(*target, &one);
  }
}

void TrackingTable::InvalidateAll(Client* by) {
  if (clients_ > 0) {
    for (const auto& [id, c] : server_.clients()) {
      if (!c->Has(kClientTracking)) continue;
      if (c.get() == by) {
        pending_self_id_ = by->id;
        pending_self_.emplace_back(std::nullopt);
        continue;
      }
      Send(*c, nullptr);
    }
  }
  keys_.clear();
  items_ = 0;
}

void TrackingTable::FlushPendingFor(Client& c) {
  if (pending_self_.empty()) return;
  std::vector<std::optional<std::string>> pending;
  pending.swap(pending_self_);
  if (pending_self_id_ != c.id || !c.Has(kClientTracking)) return;
  for (const auto& k : pending) {
    if (k) {
      std::vector<std::string> one{*k};
      Send(c, &one);
    } else {
      Send(c, nullptr);
    }
  }
}

void TrackingTable::BroadcastPending() {
  for (auto& [prefix, entry] : prefixes_) {
    if (entry.pending.empty()) continue;
    std::vector<std::pair<std::string, uint64_t>> pending;
    pending.swap(entry.pending);
    for (uint64_t id : entry.clients) {
      Client* c = server_.FindClient(id);
      if (c == nullptr || !c->Has(kClientTracking)) continue;
      std::vector<std::string> keys;
      for (const auto& [k, by] : pending) {
        if (c->tracking->noloop && by == id) continue;
        keys.push_back(k);
      }
      std::sort(keys.begin(), keys.end());
      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
      if (!keys.empty()) Send(*c, &keys);
    }
  }
}

void TrackingTable::Limit(size_t max_keys) {
  if (max_keys == 0 || keys_.size() <= max_keys) return;
  // Drop keys (telling their holders) until within the limit, a bounded amount per call.
  size_t budget = 100;
  while (keys_.size() > max_keys && budget-- > 0) {
    std::string key = keys_.begin()->first;
    InvalidateKey(key, nullptr, nullptr);
  }
}

std::string TrackingTable::CheckPrefixes(const Client& c, std::span<const std::string> prefixes) {
  auto overlap = [](std::string_view a, std::string_view b) {
    size_t n = std::min(a.size(), b.size());
    return a.substr(0, n) == b.substr(0, n);
  };
  for (size_t i = 0; i < prefixes.size(); ++i) {
    if (c.Has(kClientTracking)) {
      std::vector<std::string> existing = c.tracking->prefixes;  // Redis walks them sorted
      std::sort(existing.begin(), existing.end());
      for (const std::string& old : existing) {
        if (overlap(old, prefixes[i])) {
          return "ERR Prefix '" + prefixes[i] + "' overlaps with an existing prefix '" + old +
                 "'. Prefixes for a single client must not overlap.";
        }
      }
    }
    for (size_t j = i + 1; j < prefixes.size(); ++j) {
      if (overlap(prefixes[i], prefixes[j])) {
        return "ERR Prefix '" + prefixes[i] + "' overlaps with another provided prefix '" +
               prefixes[j] + "'. Prefixes for a single client must not overlap.";
      }
    }
  }
  return {};
}

}  // namespace tessera
