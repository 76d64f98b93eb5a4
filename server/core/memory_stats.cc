#include "server/core/memory_stats.h"

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>

#ifdef TESSERA_SANITIZE
// From the ASan runtime (GCC ships no header for them).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
extern "C" size_t __sanitizer_get_heap_size();
#endif

#ifdef TESSERA_WITH_JEMALLOC
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen);
extern "C" void malloc_stats_print(void (*write_cb)(void*, const char*), void* cbopaque,
                                   const char* opts);
#endif

namespace tessera {

MemoryStats ReadMemoryStats() {
  MemoryStats s;
#ifdef TESSERA_WITH_JEMALLOC
  uint64_t epoch = 1;
  size_t sz = sizeof(epoch);
  mallctl("epoch", &epoch, &sz, &epoch, sz);
  sz = sizeof(size_t);
  mallctl("stats.allocated", &s.allocated, &sz, nullptr, 0);
  sz = sizeof(size_t);
  mallctl("stats.active", &s.active, &sz, nullptr, 0);
  sz = sizeof(size_t);
  mallctl("stats.resident", &s.resident, &sz, nullptr, 0);
  const char* version = nullptr;
  sz = sizeof(version);
  if (mallctl("version", &version, &sz, nullptr, 0) == 0 && version != nullptr) {
    std::string v(version);
    size_t dash = v.find('-');
    s.allocator = "jemalloc-" + v.substr(0, dash);
  } else {
    s.allocator = "jemalloc";
  }
#elif defined(TESSERA_SANITIZE)
  // ASan replaces malloc; its allocator keeps the counts.
  s.allocated = __sanitizer_get_current_allocated_bytes();
  s.active = s.allocated;
  s.resident = __sanitizer_get_heap_size();
  s.allocator = "libc";
#else
  struct mallinfo2 mi = mallinfo2();
  s.allocated = mi.uordblks + mi.hblkhd;
  s.active = s.allocated;
  s.resident = mi.arena + mi.hblkhd;
  s.allocator = "libc";
#endif
  return s;
}

namespace {
#ifdef TESSERA_WITH_JEMALLOC
struct ThreadCounters {
  uint64_t* allocated = nullptr;
  uint64_t* deallocated = nullptr;
};
constexpr int kMaxThreads = 8;
ThreadCounters g_threads[kMaxThreads];
std::atomic<int> g_thread_count{0};
#endif
}  // namespace

void RegisterMemoryThread() {
#ifdef TESSERA_WITH_JEMALLOC
  ThreadCounters t;
  size_t sz = sizeof(t.allocated);
  if (mallctl("thread.allocatedp", &t.allocated, &sz, nullptr, 0) != 0) return;
  sz = sizeof(t.deallocated);
  if (mallctl("thread.deallocatedp", &t.deallocated, &sz, nullptr, 0) != 0) return;
  int i = g_thread_count.load();
  if (i >= kMaxThreads) return;
  g_threads[i] = t;
  g_thread_count.store(i + 1, std::memory_order_release);
#endif
}

size_t UsedMemory() {
#ifdef TESSERA_WITH_JEMALLOC
  int n = g_thread_count.load(std::memory_order_acquire);
  if (n > 0) {
    int64_t total = 0;
    for (int i = 0; i < n; ++i) {
      // Another thread's counter: a relaxed read of a word it alone writes.
      total += static_cast<int64_t>(__atomic_load_n(g_threads[i].allocated, __ATOMIC_RELAXED));
      total -= static_cast<int64_t>(__atomic_load_n(g_threads[i].deallocated, __ATOMIC_RELAXED));
    }
    return total > 0 ? static_cast<size_t>(total) : 0;
  }
#endif
  return ReadMemoryStats().allocated;
}

size_t ProcessRss() {
  FILE* f = fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  int n = fscanf(f, "%lu %lu", &size, &resident);
  fclose(f);
  if (n != 2) return 0;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

size_t TotalSystemMemory() {
  return static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

void PurgeAllocator() {
#ifdef TESSERA_WITH_JEMALLOC
  char cmd[64];
  snprintf(cmd, sizeof(cmd), "arena.%d.purge", 4096);  // MALLCTL_ARENAS_ALL
  mallctl(cmd, nullptr, nullptr, nullptr, 0);
#else
  malloc_trim(0);
#endif
}

std::string AllocatorReport() {
#ifdef TESSERA_WITH_JEMALLOC
  std::string out;
  malloc_stats_print([](void* ctx, const char* s) { static_cast<std::string*>(ctx)->append(s); },
                     &out, nullptr);
  return out;
#else
  return "Stats not supported for the current allocator";
#endif
}

}  // namespace tessera
