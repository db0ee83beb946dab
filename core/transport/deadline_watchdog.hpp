#pragma once
// Whole-request deadlines. Poco's timeouts apply per read, so a client that
// drips one byte at a time could hold a pool thread for ever; the watchdog
// stops reading from any connection whose request is not in by its deadline.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <Poco/Net/StreamSocket.h>

namespace portcullis::transport {

class DeadlineWatchdog {
 public:
  using Clock = std::chrono::steady_clock;

  DeadlineWatchdog();
  ~DeadlineWatchdog();

  uint64_t arm(const Poco::Net::StreamSocket& socket, Clock::duration budget);
  void disarm(uint64_t token);
  bool expired(uint64_t token) const;
  void forget(uint64_t token);

 private:
  struct Entry {
    Poco::Net::StreamSocket socket;
    Clock::time_point deadline;
    bool armed = true;
    bool expired = false;
  };
  void run();

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::unordered_map<uint64_t, Entry> entries_;
  uint64_t next_ = 1;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace portcullis::transport
