#include "common/clock.h"

#include <time.h>

#include <cstdio>
#include <cstring>
#include <mutex>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace tessera {

double Clock::us_per_tick_ = 0.001;
bool Clock::use_tsc_ = false;

namespace {

uint64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

bool CpuHasInvariantTsc() {
#if defined(__x86_64__)
  FILE* f = fopen("/proc/cpuinfo", "r");
  if (f == nullptr) return false;
  char line[4096];
  bool constant = false, nonstop = false;
  while (fgets(line, sizeof(line), f) != nullptr) {
    if (strncmp(line, "flags", 5) != 0) continue;
    constant = strstr(line, " constant_tsc") != nullptr;
    nonstop = strstr(line, " nonstop_tsc") != nullptr;
    break;
  }
  fclose(f);
  return constant && nonstop;
#else
  return false;
#endif
}

std::once_flag g_calibrate;

}  // namespace

uint64_t Clock::Ticks() {
#if defined(__x86_64__)
  if (use_tsc_) return __rdtsc();
#endif
  return MonotonicNs();
}

Clock::Clock() {
  std::call_once(g_calibrate, [] {
#if defined(__x86_64__)
    if (CpuHasInvariantTsc()) {
      // Measure TSC ticks against CLOCK_MONOTONIC over ~5 ms.
      uint64_t n0 = MonotonicNs(), t0 = __rdtsc();
      uint64_t n1;
      do {
        n1 = MonotonicNs();
      } while (n1 - n0 < 5000000);
      uint64_t t1 = __rdtsc();
      if (t1 > t0) {
        us_per_tick_ = static_cast<double>(n1 - n0) / 1000.0 / static_cast<double>(t1 - t0);
        use_tsc_ = true;
      }
    }
#endif
  });
  Resync();
}

void Clock::Resync() {
  anchor_ticks_ = Ticks();
  anchor_us_ = RealUs();
}

int64_t Clock::FastUs() const {
  if (!use_tsc_) return RealUs();
  return anchor_us_ + static_cast<int64_t>(static_cast<double>(Ticks() - anchor_ticks_) *
                                           us_per_tick_);
}

int64_t Clock::RealUs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

int64_t Clock::RealMonotonicUs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace tessera
