// Internal: the emulator's connection workers (httplib's TaskQueue).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace falcon::emulator {

/// One worker per connection, created on demand up to a cap and retired after a spell of
/// idleness. httplib hands each accepted connection to one task that lives as long as the
/// connection, so a fixed pool lets a few idle or slow clients stall everyone else.
class ElasticPool : public httplib::TaskQueue {
 public:
  /// At most `max_threads` workers; `keep_threads` of them are never retired for idleness.
  ElasticPool(std::size_t max_threads, std::size_t keep_threads);
  ~ElasticPool() override;

  void enqueue(std::function<void()> fn) override;
  /// Lets running jobs finish, then joins every worker. Idempotent.
  void shutdown() override;

 private:
  using Slot = std::list<std::thread>::iterator;

  void run(Slot self);
  void reap_locked();

  const std::size_t max_;
  const std::size_t keep_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  std::list<std::thread> threads_;
  std::vector<Slot> retired_;
  std::deque<std::function<void()>> jobs_;
  std::size_t idle_ = 0;
  std::size_t live_ = 0;
  bool shutdown_ = false;
};

}  // namespace falcon::emulator
