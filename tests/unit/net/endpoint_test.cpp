#include "icegate/net/endpoint.hpp"

#include <gtest/gtest.h>

namespace {

using boost::asio::ip::make_address;
using icegate::net::to_sockaddr;
using icegate::net::to_transport_address;

TEST(Endpoint, V4RoundTrip) {
    const auto t = to_transport_address(make_address("192.0.2.7"), 3478);
    EXPECT_TRUE(t.is_v4());
    EXPECT_EQ(t.to_string(), "192.0.2.7:3478");
    sockaddr_storage ss{};
    EXPECT_EQ(to_sockaddr(t, ss), sizeof(sockaddr_in));
    EXPECT_EQ(to_transport_address(ss), t);
}

TEST(Endpoint, V6RoundTrip) {
    const auto t = to_transport_address(make_address("2001:db8::1"), 5349);
    EXPECT_FALSE(t.is_v4());
    EXPECT_EQ(t.to_string(), "[2001:db8::1]:5349");
    sockaddr_storage ss{};
    EXPECT_EQ(to_sockaddr(t, ss), sizeof(sockaddr_in6));
    EXPECT_EQ(to_transport_address(ss), t);
}

TEST(Endpoint, V4MappedBecomesV4) {
    const auto t = to_transport_address(make_address("::ffff:198.51.100.9"), 1);
    EXPECT_TRUE(t.is_v4());
    EXPECT_EQ(t.to_string(), "198.51.100.9:1");
}

} // namespace
