#include "elastic_pool.hpp"

#include <algorithm>
#include <chrono>

namespace falcon::emulator {

ElasticPool::ElasticPool(std::size_t max_threads, std::size_t keep_threads)
    : max_(std::max<std::size_t>(1, max_threads)), keep_(std::min(keep_threads, max_)) {}
ElasticPool::~ElasticPool() {
  shutdown();
}

void ElasticPool::enqueue(std::function<void()> fn) {
  std::unique_lock lock(mu_);
  reap_locked();
  jobs_.push_back(std::move(fn));
  if (idle_ < jobs_.size() && threads_.size() < max_) {
    threads_.emplace_back();
    auto it = std::prev(threads_.end());
    *it = std::thread([this, it] { run(it); });
  }
  lock.unlock();
  cv_.notify_one();
}

void ElasticPool::shutdown() {
  std::list<std::thread> all;
  {
    std::lock_guard lock(mu_);
    if (shutdown_) return;
    shutdown_ = true;
  }
  cv_.notify_all();
  // Workers finish their jobs and exit; join them all (live and retired).
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return live_ == 0; });
  all.swap(threads_);
  retired_.clear();
  lock.unlock();
  for (auto& t : all) {
    if (t.joinable()) t.join();
  }
}

void ElasticPool::run(Slot self) {
  std::unique_lock lock(mu_);
  ++live_;
  for (;;) {
    ++idle_;
    const bool woke =
        cv_.wait_for(lock, std::chrono::seconds(30), [&] { return !jobs_.empty() || shutdown_; });
    --idle_;
    if (jobs_.empty()) {
      if (shutdown_) break;
      if (!woke && threads_.size() - retired_.size() > keep_) break;  // idle too long
      continue;
    }
    auto fn = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    fn();
    lock.lock();
  }
  if (!shutdown_) retired_.push_back(self);  // joined by the next enqueue
  --live_;
  done_cv_.notify_all();
}

void ElasticPool::reap_locked() {
  for (Slot s : retired_) {
    // A retired worker has left its loop; join waits only for its return.
    s->join();
    threads_.erase(s);
  }
  retired_.clear();
}

}  // namespace falcon::emulator
