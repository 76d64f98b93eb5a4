// Time sources. Everything that waits or times out reads a Clock, so state machines can be
// tested by stepping time. The real clock is the default; tests freeze and step it.
//
// On x86 with an invariant TSC, reading the time is one rdtsc: wall time is derived from a
// (TSC, CLOCK_REALTIME) anchor that Resync() refreshes (the server's cron does, at hz), so it
// follows clock steps within one cron period. Elsewhere it is clock_gettime.
#pragma once

#include <cstdint>

namespace tessera {

class Clock {
 public:
  Clock();

  // Unix time in microseconds / milliseconds (fake time when frozen).
  int64_t NowUs() const {
    if (frozen_) return fake_us_;
    return FastUs();
  }
  int64_t NowMs() const { return NowUs() / 1000; }
  // The time at a Ticks() timestamp taken just before (saves a second read).
  int64_t NowMsAt(uint64_t ticks) const {
    if (frozen_) return fake_us_ / 1000;
    if (!use_tsc_) return RealUs() / 1000;
    return (anchor_us_ + static_cast<int64_t>(static_cast<double>(ticks - anchor_ticks_) *
                                              us_per_tick_)) /
           1000;
  }
  // Real elapsed microseconds for measuring durations (never frozen).
  static int64_t ElapsedUs(uint64_t start_ticks) {
    return static_cast<int64_t>(static_cast<double>(Ticks() - start_ticks) * us_per_tick_);
  }
  // A cheap timestamp for ElapsedUs (TSC ticks, or nanoseconds without an invariant TSC).
  static uint64_t Ticks();
  // Re-reads CLOCK_REALTIME into the anchor.
  void Resync();

  // Test control: freeze at a given unix time, then advance by steps.
  void Freeze(int64_t unix_us) {
    frozen_ = true;
    fake_us_ = unix_us;
  }
  void AdvanceUs(int64_t us) { fake_us_ += us; }
  void AdvanceMs(int64_t ms) { fake_us_ += ms * 1000; }
  bool frozen() const { return frozen_; }

  static int64_t RealUs();
  static int64_t RealMonotonicUs();

 private:
  int64_t FastUs() const;

  static double us_per_tick_;
  static bool use_tsc_;
  bool frozen_ = false;
  int64_t fake_us_ = 0;
  int64_t anchor_us_ = 0;
  uint64_t anchor_ticks_ = 0;
};

}  // namespace tessera
