// source_buckets: the token bucket per source (burst, then the rate), IPv6 grouped per /64, a
// keyed slot choice, and the refused-sources count of the summary line.
#include "source_buckets.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "engine_test_fixture.hpp"

namespace icegate::turn::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using time_point = source_buckets::clock::time_point;

constexpr source_buckets::key_type key_a{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
constexpr source_buckets::key_type key_b{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
constexpr bucket_rate ten_burst_twenty{10, 20};
const time_point t0 = time_point{} + seconds(1000);

transport_address v6_in(std::uint8_t subnet, std::uint8_t host, std::uint16_t port = 5000) {
    std::array<std::uint8_t, 16> ip{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, subnet};
    ip[8] = 0xab; // a host part that differs in its upper bytes too
    ip[15] = host;
    return transport_address::v6(ip, port);
}

std::size_t takes(source_buckets& b, const transport_address& a, bucket_rate r, time_point t,
                  int tries) {
    std::size_t ok = 0;
    for (int i = 0; i < tries; ++i) {
        ok += b.take(a, r, t) ? 1 : 0;
    }
    return ok;
}

TEST(SourceBuckets, BurstThenSilenceThenTheRate) {
    source_buckets b(1024, key_a);
    const auto a = v4(198, 51, 100, 7, 1000);
    EXPECT_EQ(takes(b, a, ten_burst_twenty, t0, 100), 20u);
    EXPECT_EQ(takes(b, a, ten_burst_twenty, t0 + milliseconds(50), 10), 0u); // 1/10 s not yet
    EXPECT_EQ(takes(b, a, ten_burst_twenty, t0 + milliseconds(100), 10), 1u);
    EXPECT_EQ(takes(b, a, ten_burst_twenty, t0 + milliseconds(1100), 100), 10u);
    // A steady sender at 50/s is held to 10/s.
    std::size_t ok = 0;
    for (int i = 1; i <= 500; ++i) {
        ok += b.take(a, ten_burst_twenty, t0 + milliseconds(1100 + 20 * i)) ? 1 : 0;
    }
    EXPECT_EQ(ok, 100u);
}

TEST(SourceBuckets, RefillsToTheBurstAndNoFurther) {
    source_buckets b(1024, key_a);
    const auto a = v4(198, 51, 100, 7, 1000);
    EXPECT_EQ(takes(b, a, ten_burst_twenty, t0, 100), 20u);
    EXPECT_EQ(takes(b, a, ten_burst_twenty, t0 + seconds(1), 100), 10u);
    EXPECT_EQ(takes(b, a, ten_burst_twenty, t0 + seconds(3600), 100), 20u);
}

TEST(SourceBuckets, PortsOfOneAddressShareABucketOtherAddressesDoNot) {
    source_buckets b(32768, key_a);
    const auto a = v4(198, 51, 100, 7, 1000);
    const auto other = v4(198, 51, 100, 8, 1000);
    ASSERT_NE(b.slot_of(a), b.slot_of(other));
    EXPECT_EQ(takes(b, a, ten_burst_twenty, t0, 100), 20u);
    EXPECT_EQ(takes(b, v4(198, 51, 100, 7, 2000), ten_burst_twenty, t0, 100), 0u);
    EXPECT_EQ(takes(b, other, ten_burst_twenty, t0, 100), 20u);
}

TEST(SourceBuckets, Ipv6IsGroupedPer64) {
    source_buckets b(32768, key_a);
    const auto a = v6_in(1, 1);
    const auto same64 = v6_in(1, 200, 6000);
    const auto other64 = v6_in(2, 1);
    EXPECT_EQ(b.slot_of(a), b.slot_of(same64));
    ASSERT_NE(b.slot_of(a), b.slot_of(other64));
    EXPECT_EQ(takes(b, a, ten_burst_twenty, t0, 100), 20u);
    EXPECT_EQ(takes(b, same64, ten_burst_twenty, t0, 100), 0u);
    EXPECT_EQ(takes(b, other64, ten_burst_twenty, t0, 100), 20u);
}

TEST(SourceBuckets, V4MappedIsItsIpv4Host) {
    source_buckets b(32768, key_a);
    std::array<std::uint8_t, 16> mapped{};
    mapped[10] = 0xff;
    mapped[11] = 0xff;
    mapped[12] = 198;
    mapped[13] = 51;
    mapped[14] = 100;
    mapped[15] = 7;
    EXPECT_EQ(b.slot_of(transport_address::v6(mapped, 1)), b.slot_of(v4(198, 51, 100, 7, 2)));
}

TEST(SourceBuckets, RateZeroIsNoLimit) {
    source_buckets b(16, key_a);
    EXPECT_EQ(takes(b, v4(198, 51, 100, 7, 1), {0, 0}, t0, 1000), 1000u);
}

TEST(SourceBuckets, TheKeyDecidesTheSlots) {
    // Without the key a sender cannot tell which of its sources share a slot: another key
    // scatters the same sources differently.
    source_buckets a(32768, key_a);
    source_buckets b(32768, key_b);
    int same = 0;
    for (std::uint8_t i = 1; i <= 200; ++i) {
        same += a.slot_of(v4(203, 0, 113, i, 1)) == b.slot_of(v4(203, 0, 113, i, 1)) ? 1 : 0;
    }
    EXPECT_LE(same, 2);
}

TEST(SourceBuckets, NeighbouringSourcesSpreadEvenly) {
    // 65536 addresses of one /16 (what a spoofer would walk) over 4096 slots: 16 each on
    // average; a clustering hash would pile them up.
    source_buckets b(4096, key_a);
    std::vector<int> load(b.size());
    for (int i = 0; i < 65536; ++i) {
        ++load[b.slot_of(
            v4(10, 1, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i & 0xff), 1))];
    }
    EXPECT_LE(*std::max_element(load.begin(), load.end()), 48);
    EXPECT_GE(*std::min_element(load.begin(), load.end()), 1);
}

TEST(SourceBuckets, RefusedSourcesCountOncePerPeriod) {
    source_buckets b(32768, key_a);
    const bucket_rate one{1, 1};
    const auto a = v4(198, 51, 100, 7, 1);
    const auto c = v4(198, 51, 100, 9, 1);
    ASSERT_NE(b.slot_of(a), b.slot_of(c));
    EXPECT_EQ(takes(b, a, one, t0, 50), 1u);
    EXPECT_EQ(takes(b, c, one, t0, 50), 1u);
    EXPECT_EQ(b.sources_refused(), 2u);
    b.new_period();
    EXPECT_EQ(b.sources_refused(), 0u);
    EXPECT_EQ(takes(b, a, one, t0, 5), 0u);
    EXPECT_EQ(b.sources_refused(), 1u);
}

} // namespace
} // namespace icegate::turn::test
