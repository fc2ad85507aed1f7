// Tests for the signaling rate limits: token bucket refill and cap, and the per-IP join table
// with its bound and pruning.
#include "icegate/signal/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace icegate::signal {
namespace {

using namespace std::chrono_literals;

const steady_time t0 = steady_time{} + 100s;

TEST(TokenBucket, StartsFullThenRefillsAtRate) {
    token_bucket b(2.0, 8.0);
    for (int i = 0; i < 8; ++i) {
        EXPECT_TRUE(b.take(t0)) << i;
    }
    EXPECT_FALSE(b.take(t0));
    EXPECT_FALSE(b.take(t0 + 499ms));
    EXPECT_TRUE(b.take(t0 + 500ms));
    EXPECT_FALSE(b.take(t0 + 500ms));
    EXPECT_TRUE(b.take(t0 + 1s));
    EXPECT_FALSE(b.take(t0 + 1s));
}

TEST(TokenBucket, RefillIsCappedAtBurst) {
    token_bucket b(10.0, 3.0);
    EXPECT_TRUE(b.take(t0));
    const auto later = t0 + 1h;
    int taken = 0;
    while (b.take(later)) {
        ++taken;
    }
    EXPECT_EQ(taken, 3);
}

TEST(TokenBucket, ClockGoingBackRefillsNothing) {
    token_bucket b(1.0, 1.0);
    EXPECT_TRUE(b.take(t0));
    EXPECT_FALSE(b.take(t0 - 10s));
    EXPECT_FALSE(b.take(t0 + 999ms));
    EXPECT_TRUE(b.take(t0 + 1s));
}

TEST(TokenBucket, Full) {
    token_bucket b(1.0, 2.0);
    EXPECT_TRUE(b.full(t0));
    EXPECT_TRUE(b.take(t0));
    EXPECT_FALSE(b.full(t0));
    EXPECT_FALSE(b.full(t0 + 999ms));
    EXPECT_TRUE(b.full(t0 + 1s));
}

TEST(JoinLimiter, PerAddress) {
    join_limiter l(1.0, 2.0);
    EXPECT_TRUE(l.allow("192.0.2.1", t0));
    EXPECT_TRUE(l.allow("192.0.2.1", t0));
    EXPECT_FALSE(l.allow("192.0.2.1", t0));
    EXPECT_TRUE(l.allow("192.0.2.2", t0));
    EXPECT_TRUE(l.allow("2001:db8::1", t0));
    EXPECT_TRUE(l.allow("192.0.2.1", t0 + 1s));
    EXPECT_FALSE(l.allow("192.0.2.1", t0 + 1s));
}

TEST(JoinLimiter, FullTableForgetsFullBucketsOrRefuses) {
    join_limiter l(1.0, 2.0, 2);
    EXPECT_TRUE(l.allow("a", t0));
    EXPECT_TRUE(l.allow("b", t0));
    EXPECT_FALSE(l.allow("c", t0)); // neither a nor b is full: no room for c
    // Half a second on, b would still be short; a scan is not due yet either.
    EXPECT_FALSE(l.allow("c", t0 + 500ms));
    // A second on both would be full again: forgotten, and c gets a bucket.
    EXPECT_TRUE(l.allow("c", t0 + 1s));
    EXPECT_TRUE(l.allow("c", t0 + 1s));
    EXPECT_FALSE(l.allow("c", t0 + 1s));
    // a was forgotten, so it starts full again (2 joins), and now the table is full of
    // non-full buckets: d is refused.
    EXPECT_TRUE(l.allow("a", t0 + 1s));
    EXPECT_TRUE(l.allow("a", t0 + 1s));
    EXPECT_FALSE(l.allow("d", t0 + 2s + 500ms));
}

TEST(JoinLimiter, KnownAddressesAreServedWhenTheTableIsFull) {
    join_limiter l(1.0, 1.0, 1);
    EXPECT_TRUE(l.allow("a", t0));
    EXPECT_FALSE(l.allow("b", t0));
    EXPECT_TRUE(l.allow("a", t0 + 1s));
}

} // namespace
} // namespace icegate::signal
