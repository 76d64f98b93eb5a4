// Time sources. Everything that waits or times out reads a Clock, so state machines can be
// tested by stepping time. The real clock is the default; tests install a fixed time.
#pragma once

#include <cstdint>

namespace tessera {

// Wall-clock and monotonic time in one object. Non-virtual: a fixed (test) time is a branch,
// so reading it on the hot path costs a vDSO call at most.
class Clock {
 public:
  // Unix time in microseconds / milliseconds (fake time when frozen).
  int64_t NowUs() const { return frozen_ ? fake_us_ : RealUs(); }
  int64_t NowMs() const { return NowUs() / 1000; }
  // Monotonic microseconds, for durations (fake time when frozen).
  int64_t MonotonicUs() const { return frozen_ ? fake_us_ : RealMonotonicUs(); }

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
  bool frozen_ = false;
  int64_t fake_us_ = 0;
};

}  // namespace tessera
