// Allocator figures for INFO memory (jemalloc's when it is the allocator, glibc's otherwise).
#pragma once

#include <cstddef>
#include <string>

namespace tessera {

struct MemoryStats {
  size_t allocated = 0;  // bytes handed out to the program
  size_t active = 0;     // bytes in pages with live allocations
  size_t resident = 0;   // bytes the allocator keeps resident
  std::string allocator;  // "jemalloc-5.3.0" or "libc"
};

// Reads fresh allocator statistics (refreshes jemalloc's epoch; a few microseconds).
MemoryStats ReadMemoryStats();
// Bytes allocated by the program now, cheap enough to check before every write command (what
// maxmemory compares against): with jemalloc, the per-thread allocated-minus-freed counters of
// the threads that allocate or free data (registered below); else the allocator's figure.
size_t UsedMemory();
// Registers the calling thread's counters (the main thread and the lazy-free thread).
void RegisterMemoryThread();

// Resident set size of this process from /proc.
size_t ProcessRss();
size_t TotalSystemMemory();
// Private dirty bytes of this process (/proc/self/smaps_rollup). In a forked child this is what
// copy-on-write cost: the pages the parent changed since the fork, plus the child's own.
size_t ProcessPrivateDirty();
// Asks the allocator to return unused pages (MEMORY PURGE).
void PurgeAllocator();
// A human-readable allocator report (MEMORY MALLOC-STATS).
std::string AllocatorReport();

// ---- active defragmentation ----
// Whether the allocator can tell how full a pointer's page run is (jemalloc only).
bool DefragSupported();
// A copy of the allocation at ptr in a fuller page run, when jemalloc's utilization figures
// say ptr's run (slab) is used less than the average of its size class and is not the one
// new allocations come from; nullptr when ptr should stay. The copy bypasses the thread cache
// so it lands in the fullest runs. The caller swaps its references, then calls DefragFree.
void* DefragAlloc(void* ptr);
// Frees the old allocation after a move, also past the thread cache, so its run can empty.
void DefragFree(void* ptr);
// The allocator's external fragmentation: active / allocated - 1 in percent, and the bytes.
struct Fragmentation {
  double pct = 0;
  size_t bytes = 0;
};
Fragmentation AllocatorFragmentation();

}  // namespace tessera
