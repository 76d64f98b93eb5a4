// A per-command latency histogram with about 3% precision (log-linear buckets: a power of
// two, then 32 linear sub-buckets), for INFO latencystats percentiles and LATENCY HISTOGRAM.
// Allocated on first use; recording is two shifts and an increment.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace tessera {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 5;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kExponents = 64 - kSubBits;

  void Record(uint64_t ns) {
    if (!counts_) counts_ = std::make_unique<uint64_t[]>(kExponents * kSub);
    ++counts_[Index(ns)];
    ++total_;
  }
  uint64_t total() const { return total_; }
  void Reset() {
    counts_.reset();
    total_ = 0;
  }
  // The smallest bucket upper bound (ns) at or below which `pct` percent of samples fall.
  uint64_t ValueAtPercentile(double pct) const;
  // Cumulative counts at power-of-two microsecond bounds (1, 2, 4, ... us), only where the
  // count grows: the layout of LATENCY HISTOGRAM's histogram_usec.
  std::vector<std::pair<uint64_t, uint64_t>> CumulativeUsecBuckets() const;

 private:
  static int Index(uint64_t v) {
    if (v < kSub) return static_cast<int>(v);
    int exp = 63 - __builtin_clzll(v);  // position of the top bit, >= kSubBits
    int shift = exp - kSubBits;
    int sub = static_cast<int>((v >> shift) & (kSub - 1));
    return (shift + 1) * kSub + sub;
  }
  // Highest value that maps to bucket i.
  static uint64_t UpperBound(int i) {
    if (i < kSub) return static_cast<uint64_t>(i);
    int shift = i / kSub - 1;
    uint64_t sub = static_cast<uint64_t>(i % kSub);
    uint64_t low = (uint64_t{kSub} + sub) << shift;
    return low + ((uint64_t{1} << shift) - 1);
  }

  std::unique_ptr<uint64_t[]> counts_;
  uint64_t total_ = 0;
};

}  // namespace tessera
