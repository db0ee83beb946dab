#pragma once
// A cancellation signal for one in-flight request: set by notifications/
// cancelled, by a closed stream (2026-07-28) or by the session ending.

#include <atomic>
#include <functional>
#include <mutex>
#include <vector>

namespace portcullis::mcp {

class Cancellation {
 public:
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

  void cancel() {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lock(mutex_);
      if (cancelled_.exchange(true)) return;
      callbacks.swap(callbacks_);
    }
    for (auto& cb : callbacks) cb();
  }

  // Runs cb on cancellation (at once if already cancelled). Returns a token
  // for removing it again.
  size_t onCancel(std::function<void()> cb) {
    {
      std::lock_guard lock(mutex_);
      if (!cancelled_) {
        callbacks_.push_back(std::move(cb));
        return callbacks_.size();
      }
    }
    cb();
    return 0;
  }

  void clearCallbacks() {
    std::lock_guard lock(mutex_);
    callbacks_.clear();
  }

 private:
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  std::vector<std::function<void()>> callbacks_;
};

}  // namespace portcullis::mcp
