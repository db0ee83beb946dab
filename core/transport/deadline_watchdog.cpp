#include "core/transport/deadline_watchdog.hpp"

#include <vector>

namespace portcullis::transport {

DeadlineWatchdog::DeadlineWatchdog() : thread_([this] { run(); }) {}

DeadlineWatchdog::~DeadlineWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t DeadlineWatchdog::arm(const Poco::Net::StreamSocket& socket, Clock::duration budget) {
  std::lock_guard lock(mutex_);
  const uint64_t token = next_++;
  entries_.emplace(token, Entry{socket, Clock::now() + budget, true, false});
  return token;
}

void DeadlineWatchdog::disarm(uint64_t token) {
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(token); it != entries_.end()) it->second.armed = false;
}

bool DeadlineWatchdog::expired(uint64_t token) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(token);
  return it != entries_.end() && it->second.expired;
}

void DeadlineWatchdog::forget(uint64_t token) {
  std::lock_guard lock(mutex_);
  entries_.erase(token);
}

void DeadlineWatchdog::run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(100));
    const auto now = Clock::now();
    std::vector<Poco::Net::StreamSocket> late;
    for (auto& [token, entry] : entries_) {
      if (entry.armed && !entry.expired && now >= entry.deadline) {
        entry.expired = true;
        late.push_back(entry.socket);
      }
    }
    lock.unlock();
    for (auto& socket : late) {
      try {
        // Reads return end-of-file; the response (408) can still be written.
        socket.shutdownReceive();
      } catch (const Poco::Exception&) {
      }
    }
    lock.lock();
  }
}

}  // namespace portcullis::transport
