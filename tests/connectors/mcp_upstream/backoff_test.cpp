#include <gtest/gtest.h>

#include "backoff.hpp"

using namespace portcullis::mcp_upstream;
using std::chrono::milliseconds;

TEST(Backoff, DoublesUpToTheMaximumAndResets) {
  Backoff b(milliseconds(1000), milliseconds(5000));
  EXPECT_EQ(b.next(), milliseconds(1000));
  EXPECT_EQ(b.next(), milliseconds(2000));
  EXPECT_EQ(b.next(), milliseconds(4000));
  EXPECT_EQ(b.next(), milliseconds(5000));
  EXPECT_EQ(b.next(), milliseconds(5000));
  b.reset();
  EXPECT_EQ(b.next(), milliseconds(1000));
}

TEST(CircuitBreaker, OpensAfterTheThresholdAndHalfOpensAfterReset) {
  CircuitBreaker breaker(3, milliseconds(30'000));
  const auto t0 = Clock::now();
  EXPECT_TRUE(breaker.allow(t0));
  EXPECT_FALSE(breaker.failure(t0));
  EXPECT_FALSE(breaker.failure(t0));
  EXPECT_TRUE(breaker.failure(t0));  // the third opens it
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::Open);
  EXPECT_FALSE(breaker.allow(t0 + milliseconds(29'999)));
  EXPECT_EQ(breaker.remaining(t0 + milliseconds(10'000)), milliseconds(20'000));
  EXPECT_TRUE(breaker.allow(t0 + milliseconds(30'000)));
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::HalfOpen);
  // A failed trial opens it again at once.
  EXPECT_TRUE(breaker.failure(t0 + milliseconds(30'001)));
  EXPECT_FALSE(breaker.allow(t0 + milliseconds(30'002)));
  EXPECT_TRUE(breaker.allow(t0 + milliseconds(60'001)));
  breaker.success();
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::Closed);
  EXPECT_EQ(breaker.remaining(t0), milliseconds(0));
}

TEST(CircuitBreaker, ASuccessClearsTheCount) {
  CircuitBreaker breaker(2, milliseconds(1000));
  const auto t0 = Clock::now();
  breaker.failure(t0);
  breaker.success();
  EXPECT_FALSE(breaker.failure(t0));
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::Closed);
}
