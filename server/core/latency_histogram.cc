#include "server/core/latency_histogram.h"

#include <cmath>

namespace tessera {

uint64_t LatencyHistogram::ValueAtPercentile(double pct) const {
  if (total_ == 0) return 0;
  uint64_t want = static_cast<uint64_t>(std::ceil(pct / 100.0 * static_cast<double>(total_)));
  if (want == 0) want = 1;
  uint64_t seen = 0;
  for (int i = 0; i < kExponents * kSub; ++i) {
    seen += counts_[i];
    if (seen >= want) return UpperBound(i);
  }
  return UpperBound(kExponents * kSub - 1);
}

std::vector<std::pair<uint64_t, uint64_t>> LatencyHistogram::CumulativeUsecBuckets() const {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  if (total_ == 0) return out;
  uint64_t cumulative = 0, last = 0;
  int i = 0;
  for (uint64_t bound_us = 1; cumulative < total_ && bound_us != 0; bound_us <<= 1) {
    uint64_t bound_ns = bound_us * 1000;
    while (i < kExponents * kSub && UpperBound(i) < bound_ns) cumulative += counts_[i++];
    if (cumulative > last) {
      out.emplace_back(bound_us, cumulative);
      last = cumulative;
    }
  }
  if (last < total_) out.emplace_back(out.empty() ? 1 : out.back().first * 2, total_);
  return out;
}

}  // namespace tessera
