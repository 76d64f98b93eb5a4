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
extern "C" int mallctlnametomib(const char* name, size_t* mibp, size_t* miblenp);
extern "C" int mallctlbymib(const size_t* mib, size_t miblen, void* oldp, size_t* oldlenp,
                            void* newp, size_t newlen);
extern "C" void* mallocx(size_t size, int flags);
extern "C" void dallocx(void* ptr, int flags);
extern "C" size_t sallocx(const void* ptr, int flags);
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

size_t ProcessPrivateDirty() {
  FILE* f = fopen("/proc/self/smaps_rollup", "r");
  if (f == nullptr) return 0;
  char line[256];
  size_t total_kb = 0;
  while (fgets(line, sizeof(line), f) != nullptr) {
    unsigned long kb = 0;
    if (sscanf(line, "Private_Dirty: %lu kB", &kb) == 1) total_kb += kb;
  }
  fclose(f);
  return total_kb * 1024;
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

#ifdef TESSERA_WITH_JEMALLOC
namespace {
constexpr int kTcacheNone = 1 << 8;  // MALLOCX_TCACHE_NONE: (-1 + 2) << 8

// The reply of jemalloc's "experimental.utilization.query" for one pointer.
// (jemalloc 5.3's inspect_extent_util_stats_verbose_t; field order checked against it.)
struct UtilizationQuery {
  void* slabcur;     // the slab new allocations come from
  size_t nfree;      // free regions in the pointer's slab
  size_t nregs;      // regions in that slab (1 for a large allocation)
  size_t size;       // bytes of the slab
  size_t bin_nfree;  // free regions in all slabs of the size class
  size_t bin_nregs;  // regions in all slabs of the size class
};

struct UtilizationMib {
  size_t mib[8];
  size_t len = 0;
  bool ok = false;
  UtilizationMib() {
    len = sizeof(mib) / sizeof(mib[0]);
    ok = mallctlnametomib("experimental.utilization.query", mib, &len) == 0;
  }
};

const UtilizationMib& Mib() {
  static const UtilizationMib m;
  return m;
}
}  // namespace
#endif

bool DefragSupported() {
#ifdef TESSERA_WITH_JEMALLOC
  return Mib().ok;
#else
  return false;
#endif
}

void* DefragAlloc(void* ptr) {
#ifdef TESSERA_WITH_JEMALLOC
  const UtilizationMib& m = Mib();
  if (!m.ok || ptr == nullptr) return nullptr;
  UtilizationQuery q{};
  size_t qlen = sizeof(q);
  if (mallctlbymib(m.mib, m.len, &q, &qlen, &ptr, sizeof(ptr)) != 0) return nullptr;
  // Large allocations (one per run) and full slabs gain nothing from a move.
  if (q.nregs <= 1 || q.nfree == 0 || q.bin_nregs == 0) return nullptr;
  // The current slab is where the copy would go.
  auto* p = static_cast<char*>(ptr);
  auto* cur = static_cast<char*>(q.slabcur);
  if (cur != nullptr && p >= cur && p < cur + q.size) return nullptr;
  // Move out of slabs used no more than the average of the size class (compared without
  // division: used/nregs <= bin_used/bin_nregs).
  size_t used = q.nregs - q.nfree;
  size_t bin_used = q.bin_nregs - q.bin_nfree;
  if (used * q.bin_nregs > bin_used * q.nregs) return nullptr;
  size_t size = sallocx(ptr, 0);
  void* fresh = mallocx(size, kTcacheNone);
  if (fresh == nullptr) return nullptr;
  memcpy(fresh, ptr, size);
  return fresh;
#else
  (void)ptr;
  return nullptr;
#endif
}

void DefragFree(void* ptr) {
#ifdef TESSERA_WITH_JEMALLOC
  dallocx(ptr, kTcacheNone);
#else
  free(ptr);
#endif
}

Fragmentation AllocatorFragmentation() {
  MemoryStats s = ReadMemoryStats();
  Fragmentation f;
  if (s.allocated == 0) return f;
  f.pct = static_cast<double>(s.active) / static_cast<double>(s.allocated) * 100.0 - 100.0;
  f.bytes = s.active > s.allocated ? s.active - s.allocated : 0;
  return f;
}

}  // namespace tessera
