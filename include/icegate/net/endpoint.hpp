// Conversions between Asio/BSD socket addresses and the sans-I/O stun::transport_address.
#pragma once

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "icegate/stun/transport_address.hpp"

namespace icegate::net {

stun::transport_address to_transport_address(const boost::asio::ip::address& a,
                                             std::uint16_t port) noexcept;
stun::transport_address to_transport_address(const sockaddr_storage& sa) noexcept;

template <class Endpoint>
stun::transport_address to_transport_address(const Endpoint& ep) noexcept {
    return to_transport_address(ep.address(), ep.port());
}

// Fills `out` for sendmsg(); returns the length to pass as msg_namelen.
socklen_t to_sockaddr(const stun::transport_address& a, sockaddr_storage& out) noexcept;

} // namespace icegate::net
