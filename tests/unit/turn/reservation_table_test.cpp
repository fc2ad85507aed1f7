// reservation_table: reserve, claim once, expiry, the reserved-port bitset, and concurrent use.
#include "icegate/turn/reservation_table.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace icegate::turn {
namespace {

using stun::address_family;
using namespace std::chrono_literals;

const reservation_table::time_point t0{std::chrono::seconds(1000)};

reservation_table::token tok(std::uint8_t n) {
    return {n, 1, 2, 3, 4, 5, 6, 7};
}

TEST(ReservationTable, ClaimReturnsThePortOnce) {
    reservation_table t;
    ASSERT_TRUE(t.reserve(tok(1), address_family::ipv4, 50001, 7, t0 + 30s));
    EXPECT_TRUE(t.is_reserved(address_family::ipv4, 50001));
    EXPECT_FALSE(t.is_reserved(address_family::ipv6, 50001));
    EXPECT_FALSE(t.is_reserved(address_family::ipv4, 50000));
    EXPECT_FALSE(t.is_reserved(address_family::ipv4, 50002));
    EXPECT_EQ(t.size(), 1u);

    const auto c = t.claim(tok(1), t0 + 1s, nullptr);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->family, address_family::ipv4);
    EXPECT_EQ(c->port, 50001);
    EXPECT_FALSE(t.is_reserved(address_family::ipv4, 50001));
    EXPECT_FALSE(t.claim(tok(1), t0 + 1s, nullptr).has_value()); // double claim
    EXPECT_EQ(t.size(), 0u);
}

TEST(ReservationTable, UnknownTokenIsNothing) {
    reservation_table t;
    ASSERT_TRUE(t.reserve(tok(1), address_family::ipv4, 50001, 7, t0 + 30s));
    EXPECT_FALSE(t.claim(tok(2), t0, nullptr).has_value());
    EXPECT_TRUE(t.is_reserved(address_family::ipv4, 50001));
}

TEST(ReservationTable, TokenOrPortTwiceIsRefused) {
    reservation_table t;
    ASSERT_TRUE(t.reserve(tok(1), address_family::ipv4, 50001, 7, t0 + 30s));
    EXPECT_FALSE(t.reserve(tok(1), address_family::ipv4, 50003, 7, t0 + 30s));
    EXPECT_FALSE(t.reserve(tok(2), address_family::ipv4, 50001, 7, t0 + 30s));
    EXPECT_TRUE(t.reserve(tok(2), address_family::ipv6, 50001, 7, t0 + 30s));
    EXPECT_FALSE(t.is_reserved(address_family::ipv4, 50003));
    EXPECT_EQ(t.size(), 2u);
}

TEST(ReservationTable, ExpiredClaimIsNothingAndFreesThePort) {
    reservation_table t;
    ASSERT_TRUE(t.reserve(tok(1), address_family::ipv6, 65535, 7, t0 + 30s));
    EXPECT_TRUE(t.is_reserved(address_family::ipv6, 65535));
    EXPECT_FALSE(t.claim(tok(1), t0 + 30s, nullptr).has_value());
    EXPECT_FALSE(t.is_reserved(address_family::ipv6, 65535));
    EXPECT_EQ(t.size(), 0u);
}

TEST(ReservationTable, ExpireDropsOnlyTheDueOnes) {
    reservation_table t;
    ASSERT_TRUE(t.reserve(tok(1), address_family::ipv4, 50001, 7, t0 + 10s));
    ASSERT_TRUE(t.reserve(tok(2), address_family::ipv4, 50003, 7, t0 + 30s));
    t.expire(t0 + 9s);
    EXPECT_EQ(t.size(), 2u);
    t.expire(t0 + 10s);
    EXPECT_EQ(t.size(), 1u);
    EXPECT_FALSE(t.is_reserved(address_family::ipv4, 50001));
    EXPECT_TRUE(t.is_reserved(address_family::ipv4, 50003));
    t.expire(t0 + 10s); // idempotent: any worker may tick it
    EXPECT_EQ(t.size(), 1u);
    EXPECT_TRUE(t.claim(tok(2), t0 + 29s, nullptr).has_value());
}

TEST(ReservationTable, ConcurrentWorkersClaimEachTokenOnce) {
    reservation_table t;
    constexpr int tokens = 200;
    for (int i = 0; i < tokens; ++i) {
        const auto port = static_cast<std::uint16_t>(50001 + 2 * i);
        ASSERT_TRUE(
            t.reserve(tok(static_cast<std::uint8_t>(i)), address_family::ipv4, port, i, t0 + 30s));
    }
    std::atomic<int> claimed{0};
    std::vector<std::thread> workers;
    workers.reserve(4);
    for (int w = 0; w < 4; ++w) {
        workers.emplace_back([&] {
            for (int i = 0; i < tokens; ++i) {
                if (t.claim(tok(static_cast<std::uint8_t>(i)), t0 + 1s, nullptr)) {
                    ++claimed;
                }
                t.expire(t0 + 1s);
            }
        });
    }
    for (auto& w : workers) {
        w.join();
    }
    EXPECT_EQ(claimed.load(), tokens);
    EXPECT_EQ(t.size(), 0u);
    for (int i = 0; i < tokens; ++i) {
        EXPECT_FALSE(
            t.is_reserved(address_family::ipv4, static_cast<std::uint16_t>(50001 + 2 * i)));
    }
}

} // namespace
TEST(ReservationTable, HandlesGoBackToTheCallerOnClaimAndExpiry) {
    reservation_table t;
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(t.reserve(tok(1), address_family::ipv4, 50001, 11, t0 + 30s));
    ASSERT_TRUE(t.reserve(tok(2), address_family::ipv4, 50003, 12, t0 + 10s));
    ASSERT_TRUE(t.reserve(tok(3), address_family::ipv4, 50005, 13, t0 + 10s));
    const auto c = t.claim(tok(1), t0 + 1s, nullptr);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->handle, 11);
    std::int64_t stale = -1;
    EXPECT_FALSE(t.claim(tok(2), t0 + 10s, &stale)); // expired: nothing to adopt, one to close
    EXPECT_EQ(stale, 12);
    EXPECT_EQ(t.expire(t0 + 20s), std::vector<std::int64_t>{13});
    EXPECT_TRUE(t.drain().empty());
}

} // namespace icegate::turn
