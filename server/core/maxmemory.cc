// The memory limit: evicting keys before commands that may grow memory (Redis's
// performEvictions), in time slices bounded by maxmemory-eviction-tenacity, continued by the
// cron when a slice was not enough.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "server/core/context.h"
#include "server/core/memory_stats.h"
#include "server/core/replication.h"
#include "server/core/server.h"

namespace tessera {

namespace {

// Microseconds one eviction slice may take (Redis's evictionTimeLimitUs): 50 us per step of
// tenacity up to 10, then growing 15% per step; 100 means no limit.
int64_t EvictionTimeLimitUs(int64_t tenacity) {
  if (tenacity <= 10) return 50 * tenacity;
  if (tenacity < 100) {
    return static_cast<int64_t>(500.0 * std::pow(1.15, static_cast<double>(tenacity - 10)));
  }
  return INT64_MAX;
}

}  // namespace

bool ApplyMaxmemory(void* server, std::string* err) {
  (void)err;
  auto* s = static_cast<Server*>(server);
  if (s->config().maxmemory > 0 && static_cast<size_t>(s->config().maxmemory) < UsedMemory()) {
    LogWarning("WARNING: the new maxmemory value set via CONFIG SET ({}) is smaller than the "
               "current memory usage ({}). This will result in key eviction and/or the "
               "inability to accept new write commands depending on the maxmemory-policy.",
               s->config().maxmemory, UsedMemory());
  }
  s->PerformEvictions();
  return true;
}

Server::EvictResult Server::PerformEvictions() {
  eviction_pending_ = false;
  if (config_.maxmemory <= 0) return EvictResult::kOk;
  size_t limit = static_cast<size_t>(config_.maxmemory);
  // As Redis, what replicas hold beyond the backlog (their output, and the stream pinned for
  // a full sync) does not count: evicting keys for it would only make the sync send DELs.
  size_t used = UsedMemory();
  size_t not_counted = replication().MemoryNotCountedForEvict();
  used = used > not_counted ? used - not_counted : 0;
  if (used <= limit) return EvictResult::kOk;
  if (config_.maxmemory_policy == kNoEviction) return EvictResult::kFail;
  size_t to_free = used - limit;
  size_t freed = 0;
  bool lazy = config_.lazyfree_lazy_eviction;
  int64_t budget_us = EvictionTimeLimitUs(config_.maxmemory_eviction_tenacity);
  uint64_t start = Clock::Ticks();
  int64_t now_ms = clock_.NowMs();
  uint64_t keys_freed = 0;
  while (freed < to_free) {
    int db;
    std::string key;
    if (!evictor_.PickKey(*keyspace_, config_.maxmemory_policy,
                          static_cast<int>(config_.maxmemory_samples), now_ms, &db, &key)) {
      return EvictResult::kFail;  // nothing evictable
    }
    size_t before = UsedMemory();
    if (propagating()) Propagate(db, {lazy ? "UNLINK" : "DEL", key});
    keyspace_->Delete(keyspace_->db(db), key, lazy);
    size_t after = UsedMemory();
    if (before > after) freed += before - after;
    ++evicted_keys_;
    ++keys_freed;
    KeyModified(db, key);
    NotifyKeyspaceEvent(kNotifyEvicted, "evicted", key, db);
    if (keys_freed % 16 == 0) {
      // Lazily freed values leave later: look at the real figure now and then.
      size_t now_used = UsedMemory();
      if (lazy && now_used - std::min(now_used, not_counted) <= limit) break;
      if (Clock::ElapsedUs(start) > budget_us) {
        // The loop goes on at its next turn (as Redis's 0 ms eviction timer); this command may
        // run meanwhile.
        eviction_pending_ = true;
        if (loop_ != nullptr) loop_->WakeAt(clock_.NowMs());
        if (call_depth_ == 0) FlushPropagation();
        return EvictResult::kRunning;
      }
    }
  }
  if (call_depth_ == 0) FlushPropagation();
  return EvictResult::kOk;
}

// ---- client eviction (maxmemory-clients) ----

size_t Server::ClientsMemoryLimit() const {
  const auto& l = config_.maxmemory_clients;
  if (l.value <= 0) return 0;
  if (!l.percent) return static_cast<size_t>(l.value);
  // A share of maxmemory; with no maxmemory there is nothing to take a share of.
  if (config_.maxmemory <= 0) return 0;
  return static_cast<size_t>(config_.maxmemory) * static_cast<size_t>(l.value) / 100;
}

void Server::AccountClientMemory(Client& c) {
  // As Redis, only clients that may be evicted count toward the limit: not NO-EVICT ones,
  // nor replication links.
  if (ClientsMemoryLimit() == 0 ||
      c.Has(kClientNoEvict | kClientFake | kClientMaster | kClientReplica)) {
    if (c.accounted_mem != 0) {
      clients_mem_total_ -= std::min(clients_mem_total_, c.accounted_mem);
      c.accounted_mem = 0;
    }
    return;
  }
  size_t now = c.MemoryUsage();
  clients_mem_total_ = clients_mem_total_ - std::min(clients_mem_total_, c.accounted_mem) + now;
  c.accounted_mem = now;
}

void Server::EvictClients() {
  size_t limit = ClientsMemoryLimit();
  if (limit == 0 || clients_mem_total_ <= limit) return;
  // Fresh figures for everyone, then the biggest evictable clients go first.
  std::vector<Client*> candidates;
  for (auto& [id, c] : clients_) {
    AccountClientMemory(*c);
    if (c->accounted_mem == 0 || c->Has(kClientCloseAsap)) continue;
    candidates.push_back(c.get());
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const Client* a, const Client* b) { return a->accounted_mem > b->accounted_mem; });
  for (Client* c : candidates) {
    if (clients_mem_total_ <= limit) break;
    LogVerbose("Evicting client: id={} addr={} name={} tot-mem={}", c->id, c->addr, c->name,
               c->accounted_mem);
    ++evicted_clients_;
    clients_mem_total_ -= std::min(clients_mem_total_, c->accounted_mem);
    c->accounted_mem = 0;
    KillClient(c);
  }
}

}  // namespace tessera
