// ThreadPool: threads kept from one run to the next. A run needs a thread per driver, and
// creating a thread, with an embedding's per-thread setup (a Python thread state: two trips
// through the GIL), costs more than a small stage's work; a pool thread runs one job, then
// waits for the next. The thread that went idle last takes the next job (its caches and
// scratch buffers are warm), and the pool grows to the most jobs that ran at once.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace headrace::runtime {

// Lets an embedding (the Python bindings) prepare each pool thread once, e.g. create and
// keep the thread's interpreter state for its whole life.
class ThreadHooks {
 public:
  virtual ~ThreadHooks() = default;
  virtual void thread_started() {}
  virtual void thread_stopping() {}
};

class ThreadPool {
 public:
  explicit ThreadPool(ThreadHooks* hooks = nullptr) : hooks_(hooks) {}
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  // Lets the running jobs finish, then stops and joins every thread.
  ~ThreadPool();

  // Runs `job` (which must not throw) on an idle thread, or on a new one if none is idle.
  void submit(std::function<void()> job);
  // How many threads the pool has (running or idle).
  std::size_t size() const;

 private:
  struct Worker {
    std::thread thread;
    std::function<void()> job;  // handed over under mutex_, empty while idle
    std::condition_variable wake;
  };
  void loop(Worker* self);

  ThreadHooks* hooks_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Worker*> idle_;  // the last one went idle last
  bool stopping_ = false;
};

}  // namespace headrace::runtime
