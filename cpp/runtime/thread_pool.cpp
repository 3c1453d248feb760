#include "runtime/thread_pool.h"

#include <utility>

namespace headrace::runtime {

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  for (auto& worker : workers_) worker->wake.notify_one();
  for (auto& worker : workers_) worker->thread.join();
}

void ThreadPool::submit(std::function<void()> job) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!idle_.empty()) {
    Worker* worker = idle_.back();
    idle_.pop_back();
    worker->job = std::move(job);
    lock.unlock();
    worker->wake.notify_one();
    return;
  }
  workers_.reserve(workers_.size() + 1);  // so that keeping the worker cannot throw once its thread runs
  auto worker = std::make_unique<Worker>();
  worker->job = std::move(job);
  Worker* self = worker.get();
  self->thread = std::thread([this, self] { loop(self); });  // throws if no thread: nothing kept
  workers_.push_back(std::move(worker));
}

std::size_t ThreadPool::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return workers_.size();
}

void ThreadPool::loop(Worker* self) {
  if (hooks_ != nullptr) hooks_->thread_started();
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    self->wake.wait(lock, [&] { return self->job != nullptr || stopping_; });
    if (self->job == nullptr) break;  // stopping, with no job left to run
    std::function<void()> job = std::move(self->job);
    self->job = nullptr;
    lock.unlock();
    job();
    job = nullptr;  // what the job holds goes before the thread counts as idle
    lock.lock();
    idle_.push_back(self);
  }
  lock.unlock();
  if (hooks_ != nullptr) hooks_->thread_stopping();
}

}  // namespace headrace::runtime
