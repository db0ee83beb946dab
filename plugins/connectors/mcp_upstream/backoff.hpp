#pragma once
// Restart pacing: a doubling backoff between reconnect attempts, and a
// circuit breaker that stops trying for a while after repeated failures.
// Both take the time as an argument so they are tested without sleeping.

#include <algorithm>
#include <chrono>

namespace portcullis::mcp_upstream {

using Clock = std::chrono::steady_clock;

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
      : initial_(initial), max_(max), next_(initial) {}

  // The delay before the next attempt; each call doubles the one after, up to max.
  std::chrono::milliseconds next() {
    const auto delay = next_;
    next_ = std::min(max_, next_ * 2);
    return delay;
  }
  void reset() { next_ = initial_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds next_;
};

class CircuitBreaker {
 public:
  enum class State { Closed, Open, HalfOpen };

  CircuitBreaker(int failures, std::chrono::milliseconds reset)
      : threshold_(failures), reset_(reset) {}

  // Whether a request may go upstream now. An open breaker lets one trial
  // through once `reset` has passed (half-open).
  bool allow(Clock::time_point now) {
    if (state_ == State::Open && now - openedAt_ >= reset_) state_ = State::HalfOpen;
    return state_ != State::Open;
  }
  void success() {
    failures_ = 0;
    state_ = State::Closed;
  }
  // Returns true when this failure opened the breaker.
  bool failure(Clock::time_point now) {
    ++failures_;
    if (state_ == State::HalfOpen || (state_ == State::Closed && failures_ >= threshold_)) {
      state_ = State::Open;
      openedAt_ = now;
      return true;
    }
    return false;
  }
  State state() const { return state_; }
  // How long an open breaker still refuses.
  std::chrono::milliseconds remaining(Clock::time_point now) const {
    if (state_ != State::Open) return std::chrono::milliseconds(0);
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(reset_ - (now - openedAt_));
    return left.count() > 0 ? left : std::chrono::milliseconds(0);
  }

 private:
  int threshold_;
  std::chrono::milliseconds reset_;
  int failures_ = 0;
  State state_ = State::Closed;
  Clock::time_point openedAt_{};
};

}  // namespace portcullis::mcp_upstream
