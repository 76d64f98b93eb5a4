// A background thread that frees large values and whole flushed databases, so UNLINK and
// FLUSHALL ASYNC return at once. Jobs own what they free; the loop thread never waits.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace tessera {

class LazyFree {
 public:
  using Job = void (*)(void* arg);
  LazyFree();
  ~LazyFree();  // finishes queued jobs
  // Runs first on every background freeing thread (the server registers it for its
  // used-memory counters). Set before a Keyspace is created.
  static inline void (*thread_start_hook)() = nullptr;

  // Queues fn(arg) on the background thread; `objects` is what INFO reports as pending.
  void Submit(Job fn, void* arg, size_t objects);
  size_t pending_objects() const { return pending_.load(std::memory_order_relaxed); }
  size_t freed_objects() const { return freed_.load(std::memory_order_relaxed); }
  void ResetStats() { freed_.store(0, std::memory_order_relaxed); }
  // Blocks until the queue is empty (tests, shutdown).
  void Drain();

 private:
  struct Item {
    Job fn;
    void* arg;
    size_t objects;
  };
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<Item> queue_;
  bool stop_ = false;
  bool busy_ = false;
  std::atomic<size_t> pending_{0};
  std::atomic<size_t> freed_{0};
  std::thread thread_;
};

}  // namespace tessera
