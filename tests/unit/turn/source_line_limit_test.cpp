// source_line_limit: a fixed count per source and period, IPv6 by /64, suppressed lines and
// their sources counted until the next period.
#include "source_line_limit.hpp"

#include <gtest/gtest.h>

namespace icegate::turn {
namespace {

using stun::transport_address;

transport_address v4(std::uint8_t last, std::uint16_t port = 1000) {
    return transport_address::v4({198, 51, 100, last}, port);
}

transport_address v6(std::uint8_t subnet, std::uint8_t host) {
    std::array<std::uint8_t, 16> ip{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, subnet};
    ip[15] = host;
    return transport_address::v6(ip, 1000);
}

source_line_limit make() {
    source_hasher::key_type key{};
    key.fill(9);
    return source_line_limit(4096, key);
}

TEST(SourceLineLimit, CountPerSourceAndPeriod) {
    auto t = make();
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(t.take(v4(1, static_cast<std::uint16_t>(1000 + i)), 3));
    }
    EXPECT_FALSE(t.take(v4(1, 2000), 3)); // other port, same address
    EXPECT_FALSE(t.take(v4(1), 3));
    EXPECT_EQ(t.suppressed(), 2u);
    EXPECT_EQ(t.sources_suppressed(), 1u);
    t.new_period();
    EXPECT_EQ(t.suppressed(), 0u);
    EXPECT_EQ(t.sources_suppressed(), 0u);
    EXPECT_TRUE(t.take(v4(1), 3));
}

TEST(SourceLineLimit, IPv6SharesItsSlash64) {
    auto t = make();
    EXPECT_TRUE(t.take(v6(1, 1), 2));
    EXPECT_TRUE(t.take(v6(1, 2), 2));
    EXPECT_FALSE(t.take(v6(1, 3), 2));
    EXPECT_TRUE(t.take(v6(2, 1), 2)); // another /64
}

TEST(SourceLineLimit, SuppressCountsEachSourceOnce) {
    auto t = make();
    t.suppress(v4(1));
    t.suppress(v4(1));
    t.suppress(v4(2));
    EXPECT_EQ(t.suppressed(), 3u);
    EXPECT_EQ(t.sources_suppressed(), 2u);
}

} // namespace
} // namespace icegate::turn
