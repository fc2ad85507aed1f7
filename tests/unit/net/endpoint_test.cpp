#include "icegate/net/endpoint.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <unistd.h>

#include <set>
#include <vector>

#include <boost/system/system_error.hpp>

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

namespace {

// Binds `type` on 127.0.0.1 port 0 with SO_REUSEADDR and SO_REUSEPORT, as listeners do.
int reuse_socket(int type) {
    const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

std::uint16_t port_of(int fd) {
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    return ntohs(sa.sin_port);
}

// A reuse-enabled bind to port 0 may be handed a port other reuse-enabled sockets hold (Linux
// does so for UDP); unused_port() never returns one.
TEST(Endpoint, UnusedPortAvoidsPortsHeldByReuseSockets) {
    for (const int type : {SOCK_DGRAM, SOCK_STREAM}) {
        std::vector<int> held;
        std::set<std::uint16_t> ports;
        for (int i = 0; i < 300; ++i) {
            const int fd = reuse_socket(type);
            ASSERT_GE(fd, 0);
            held.push_back(fd);
            ports.insert(port_of(fd));
        }
        const auto loopback = make_address("127.0.0.1");
        for (int i = 0; i < 3000; ++i) {
            const std::uint16_t p = icegate::net::unused_port(loopback, type);
            ASSERT_NE(p, 0);
            ASSERT_EQ(ports.count(p), 0U) << "port " << p << " is held (type " << type << ")";
        }
        for (const int fd : held) {
            ::close(fd);
        }
    }
}

TEST(Endpoint, UnusedPortOnIpv6AndBadAddresses) {
    EXPECT_NE(icegate::net::unused_port(make_address("::1"), SOCK_DGRAM), 0);
    // Not an address of this host: the error is thrown, not a port returned.
    EXPECT_THROW(icegate::net::unused_port(make_address("192.0.2.1"), SOCK_DGRAM),
                 boost::system::system_error);
}

} // namespace
