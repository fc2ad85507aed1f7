// Address conversions between the socket layer and the sans-I/O modules.
#include "icegate/net/endpoint.hpp"

#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/system/system_error.hpp>

namespace icegate::net {

stun::transport_address to_transport_address(const boost::asio::ip::address& a,
                                             std::uint16_t port) noexcept {
    if (a.is_v4()) {
        return stun::transport_address::v4(a.to_v4().to_bytes(), port);
    }
    const auto v6 = a.to_v6();
    if (v6.is_v4_mapped()) {
        return stun::transport_address::v4(
            boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_bytes(), port);
    }
    return stun::transport_address::v6(v6.to_bytes(), port);
}

stun::transport_address to_transport_address(const sockaddr_storage& sa) noexcept {
    if (sa.ss_family == AF_INET) {
        sockaddr_in in{};
        std::memcpy(&in, &sa, sizeof in);
        std::array<std::uint8_t, 4> ip{};
        std::memcpy(ip.data(), &in.sin_addr, 4);
        return stun::transport_address::v4(ip, ntohs(in.sin_port));
    }
    sockaddr_in6 in6{};
    std::memcpy(&in6, &sa, sizeof in6);
    boost::asio::ip::address_v6::bytes_type ip{};
    std::memcpy(ip.data(), &in6.sin6_addr, 16);
    return to_transport_address(boost::asio::ip::address_v6(ip), ntohs(in6.sin6_port));
}

socklen_t to_sockaddr(const stun::transport_address& a, sockaddr_storage& out) noexcept {
    std::memset(&out, 0, sizeof out);
    if (a.is_v4()) {
        sockaddr_in in{};
        in.sin_family = AF_INET;
        in.sin_port = htons(a.port);
        std::memcpy(&in.sin_addr, a.bytes.data(), 4);
        std::memcpy(&out, &in, sizeof in);
        return sizeof in;
    }
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(a.port);
    std::memcpy(&in6.sin6_addr, a.bytes.data(), 16);
    std::memcpy(&out, &in6, sizeof in6);
    return sizeof in6;
}

std::uint16_t unused_port(const boost::asio::ip::address& addr, int type) {
    const bool v6 = addr.is_v6();
    const int fd = ::socket(v6 ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw boost::system::system_error(errno, boost::system::system_category(), "socket");
    }
    const int on = 1;
    if (v6) {
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    }
    sockaddr_storage ss{};
    socklen_t len = to_sockaddr(to_transport_address(addr, 0), ss);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        const int e = errno;
        ::close(fd);
        throw boost::system::system_error(e, boost::system::system_category(), "bind");
    }
    ::close(fd);
    return to_transport_address(ss).port;
}

} // namespace icegate::net
