#include "server/keyspace/lazyfree.h"

#include <pthread.h>

namespace tessera {

LazyFree::LazyFree() : thread_([this] { Run(); }) {}

LazyFree::~LazyFree() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void LazyFree::Submit(Job fn, void* arg, size_t objects) {
  pending_.fetch_add(objects, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(Item{fn, arg, objects});
  }
  cv_.notify_one();
}

void LazyFree::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void LazyFree::Run() {
  pthread_setname_np(pthread_self(), "lazyfree");
  if (thread_start_hook != nullptr) thread_start_hook();
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) {
      if (stop_) return;
      continue;
    }
    Item item = queue_.front();
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    item.fn(item.arg);
    pending_.fetch_sub(item.objects, std::memory_order_relaxed);
    freed_.fetch_add(item.objects, std::memory_order_relaxed);
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
}

}  // namespace tessera
