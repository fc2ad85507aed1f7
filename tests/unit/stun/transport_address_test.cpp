// transport_address construction and text form.
#include <gtest/gtest.h>

#include "icegate/stun/transport_address.hpp"
#include "test_util.hpp"

namespace icegate::stun {
namespace {

TEST(TransportAddress, Ipv4) {
    const auto a = transport_address::v4({192, 0, 2, 1}, 3478);
    EXPECT_TRUE(a.is_v4());
    EXPECT_EQ(a.address_size(), 4u);
    EXPECT_EQ(a.to_string(), "192.0.2.1:3478");
}

TEST(TransportAddress, Ipv6) {
    const auto a = test::v6("20010db8000000000000000000000001", 443);
    EXPECT_FALSE(a.is_v4());
    EXPECT_EQ(a.address_size(), 16u);
    EXPECT_EQ(a.to_string(), "[2001:db8::1]:443");
}

TEST(TransportAddress, Ordering) {
    EXPECT_LT(transport_address::v4({10, 0, 0, 1}, 1), transport_address::v4({10, 0, 0, 2}, 1));
    EXPECT_EQ(transport_address::v4({10, 0, 0, 1}, 1), transport_address::v4({10, 0, 0, 1}, 1));
}

} // namespace
} // namespace icegate::stun
