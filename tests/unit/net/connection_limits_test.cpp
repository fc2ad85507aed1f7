// source_limiter: per-source counts (IPv4, IPv6 /64, IPv4-mapped as IPv4) and what refuses.
#include "icegate/net/connection_limits.hpp"

#include <cerrno>

#include <boost/asio/error.hpp>
#include <gtest/gtest.h>

namespace icegate::net {
namespace {

using boost::asio::ip::make_address;

TEST(SourceLimiter, RefusesPastTheLimitAndGivesBack) {
    source_limiter l(3);
    const auto a = make_address("198.51.100.7");
    EXPECT_TRUE(l.try_acquire(a));
    EXPECT_TRUE(l.try_acquire(a));
    EXPECT_TRUE(l.try_acquire(a));
    EXPECT_FALSE(l.try_acquire(a));
    EXPECT_EQ(l.refused(), 1U);
    EXPECT_EQ(l.held(a), 3U);
    l.release(a);
    EXPECT_TRUE(l.try_acquire(a));
    EXPECT_FALSE(l.try_acquire(a));
    EXPECT_EQ(l.refused(), 2U);
}

TEST(SourceLimiter, OtherSourcesAreNotAffected) {
    source_limiter l(1);
    EXPECT_TRUE(l.try_acquire(make_address("198.51.100.7")));
    // 65,536 slots: these two land elsewhere with overwhelming likelihood, and the test
    // would say so rather than pass by accident.
    int admitted = 0;
    for (int i = 1; i <= 50; ++i) {
        admitted += l.try_acquire(make_address("203.0.113." + std::to_string(i))) ? 1 : 0;
    }
    EXPECT_GE(admitted, 49);
}

TEST(SourceLimiter, Ipv6CountsPerSlash64AndMappedAsIpv4) {
    source_limiter l(2);
    EXPECT_TRUE(l.try_acquire(make_address("2001:db8:1:2::1")));
    EXPECT_TRUE(l.try_acquire(make_address("2001:db8:1:2:ffff::9")));
    EXPECT_FALSE(l.try_acquire(make_address("2001:db8:1:2:abcd::5")));
    EXPECT_TRUE(l.try_acquire(make_address("2001:db8:1:3::1")));

    EXPECT_TRUE(l.try_acquire(make_address("198.51.100.9")));
    EXPECT_TRUE(l.try_acquire(make_address("::ffff:198.51.100.9")));
    EXPECT_FALSE(l.try_acquire(make_address("198.51.100.9")));
}

TEST(SourceLimiter, ZeroMeansNoLimit) {
    source_limiter l(0);
    const auto a = make_address("198.51.100.7");
    for (int i = 0; i < 1000; ++i) {
        ASSERT_TRUE(l.try_acquire(a));
    }
    EXPECT_EQ(l.refused(), 0U);
}

TEST(SourceLimiter, TicketGivesItsCountBack) {
    auto l = std::make_shared<source_limiter>(1);
    const auto a = make_address("198.51.100.7");
    {
        ASSERT_TRUE(l->try_acquire(a));
        source_ticket t(l, a);
        source_ticket moved(std::move(t));
        EXPECT_FALSE(l->try_acquire(a));
    }
    EXPECT_EQ(l->held(a), 0U);
    EXPECT_TRUE(l->try_acquire(a));
}

TEST(AcceptExhausted, OnlyDescriptorAndMemoryErrors) {
    using boost::system::error_code;
    using boost::system::system_category;
    EXPECT_TRUE(accept_exhausted(error_code(EMFILE, system_category())));
    EXPECT_TRUE(accept_exhausted(error_code(ENFILE, system_category())));
    EXPECT_TRUE(accept_exhausted(error_code(ENOBUFS, system_category())));
    EXPECT_TRUE(accept_exhausted(error_code(ENOMEM, system_category())));
    EXPECT_FALSE(accept_exhausted(error_code(ECONNABORTED, system_category())));
    EXPECT_FALSE(accept_exhausted(boost::asio::error::operation_aborted));
    EXPECT_FALSE(accept_exhausted(error_code()));
}

} // namespace
} // namespace icegate::net
