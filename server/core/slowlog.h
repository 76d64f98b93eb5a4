// SLOWLOG and the LATENCY monitor: bounded in-memory records of slow commands and of
// latency spikes per event, as Redis keeps them.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {

struct SlowLogEntry {
  uint64_t id;
  int64_t time_s;
  int64_t duration_us;
  std::vector<std::string> args;  // at most 32, each at most 128 bytes (with a note)
  std::string client_addr;
  std::string client_name;
};

class SlowLog {
 public:
  void Add(std::span<const std::string_view> argv, int64_t time_s, int64_t duration_us,
           const std::string& addr, const std::string& name, size_t max_len);
  void Trim(size_t max_len);
  const std::deque<SlowLogEntry>& entries() const { return entries_; }  // newest first
  void Reset() { entries_.clear(); }

 private:
  std::deque<SlowLogEntry> entries_;
  uint64_t next_id_ = 0;
};

struct LatencySample {
  int64_t time_s;
  uint32_t latency_ms;
};

struct LatencyEvent {
  std::deque<LatencySample> samples;  // oldest first, at most 160
  uint32_t max_ms = 0;
};

class LatencyMonitor {
 public:
  static constexpr size_t kMaxSamples = 160;
  // Records a sample if latency_ms >= threshold (threshold 0 disables). Samples in the same
  // second are merged keeping the maximum.
  void Add(std::string_view event, int64_t latency_ms, int64_t threshold_ms, int64_t now_s);
  const std::map<std::string, LatencyEvent, std::less<>>& events() const { return events_; }
  // Resets the named events (all when empty); returns how many were reset.
  size_t Reset(std::span<const std::string_view> names);
  // A human-readable report (LATENCY DOCTOR).
  std::string Doctor(int64_t threshold_ms) const;

 private:
  std::map<std::string, LatencyEvent, std::less<>> events_;
};

}  // namespace tessera
