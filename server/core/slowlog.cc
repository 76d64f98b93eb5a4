#include "server/core/slowlog.h"

#include <fmt/core.h>

#include <algorithm>

namespace tessera {

void SlowLog::Add(std::span<const std::string_view> argv, int64_t time_s, int64_t duration_us,
                  const std::string& addr, const std::string& name, size_t max_len) {
  constexpr size_t kMaxArgs = 32;
  constexpr size_t kMaxArgLen = 128;
  SlowLogEntry e;
  e.id = next_id_++;
  e.time_s = time_s;
  e.duration_us = duration_us;
  size_t n = std::min(argv.size(), kMaxArgs);
  for (size_t i = 0; i < n; ++i) {
    if (n < argv.size() && i == n - 1) {
      e.args.push_back(fmt::format("... ({} more arguments)", argv.size() - n + 1));
    } else if (argv[i].size() > kMaxArgLen) {
      e.args.push_back(fmt::format("{}... ({} more bytes)", argv[i].substr(0, kMaxArgLen),
                                   argv[i].size() - kMaxArgLen));
    } else {
      e.args.emplace_back(argv[i]);
    }
  }
  e.client_addr = addr;
  e.client_name = name;
  entries_.push_front(std::move(e));
  Trim(max_len);
}

void SlowLog::Trim(size_t max_len) {
  while (entries_.size() > max_len) entries_.pop_back();
}

void LatencyMonitor::Add(std::string_view event, int64_t latency_ms, int64_t threshold_ms,
                         int64_t now_s) {
  if (threshold_ms <= 0 || latency_ms < threshold_ms) return;
  auto it = events_.find(event);
  if (it == events_.end()) it = events_.emplace(std::string(event), LatencyEvent{}).first;
  LatencyEvent& ev = it->second;
  uint32_t ms = static_cast<uint32_t>(latency_ms);
  ev.max_ms = std::max(ev.max_ms, ms);
  if (!ev.samples.empty() && ev.samples.back().time_s == now_s) {
    ev.samples.back().latency_ms = std::max(ev.samples.back().latency_ms, ms);
    return;
  }
  ev.samples.push_back({now_s, ms});
  if (ev.samples.size() > kMaxSamples) ev.samples.pop_front();
}

size_t LatencyMonitor::Reset(std::span<const std::string_view> names) {
  if (names.empty()) {
    size_t n = events_.size();
    events_.clear();
    return n;
  }
  size_t n = 0;
  for (std::string_view name : names) {
    auto it = events_.find(name);
    if (it != events_.end()) {
      events_.erase(it);
      ++n;
    }
  }
  return n;
}

std::string LatencyMonitor::Doctor(int64_t threshold_ms) const {
  std::string out = "Latency report for this Tessera instance.\n\n";
  if (threshold_ms <= 0) {
    out +=
        "Latency monitoring is off: set latency-monitor-threshold to a number of milliseconds "
        "(for example CONFIG SET latency-monitor-threshold 100) to record events slower than "
        "that.\n";
    return out;
  }
  if (events_.empty()) {
    out += fmt::format("No event took {} ms or more since monitoring started or was reset.\n",
                       threshold_ms);
    return out;
  }
  int i = 1;
  for (const auto& [name, ev] : events_) {
    uint64_t sum = 0;
    for (const auto& s : ev.samples) sum += s.latency_ms;
    double avg = ev.samples.empty() ? 0 : static_cast<double>(sum) / ev.samples.size();
    out += fmt::format(
        "{}. {}: {} spikes recorded, worst {} ms, average {:.2f} ms, latest {} ms at unix time "
        "{}.\n",
        i++, name, ev.samples.size(), ev.max_ms, avg,
        ev.samples.empty() ? 0 : ev.samples.back().latency_ms,
        ev.samples.empty() ? 0 : ev.samples.back().time_s);
  }
  out += "\nWhat to look at:\n";
  for (const auto& [name, ev] : events_) {
    if (name == "command" || name == "fast-command") {
      out +=
          "- Slow commands: check SLOWLOG GET for the commands involved; avoid O(N) commands "
          "such as KEYS on large datasets, use SCAN instead.\n";
    } else if (name.rfind("expire", 0) == 0) {
      out +=
          "- Expiry cycles: many keys expiring at the same time cost time in the active expiry "
          "cycle; spread TTLs out.\n";
    } else {
      out += fmt::format("- {}: see the documentation of this event.\n", name);
    }
  }
  return out;
}

}  // namespace tessera
