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

// A port on `addr` that no socket holds now, for `type` SOCK_DGRAM or SOCK_STREAM: a probe
// without SO_REUSEADDR/SO_REUSEPORT binds port 0, and the kernel never hands such a socket a
// port in use. Listeners bound to port 0 themselves (they carry both options so every worker
// can bind the address) may be given a port another process's reuse-enabled socket holds, and
// then share its datagrams: seen as another test's icegate answering ours. Throws on failure.
std::uint16_t unused_port(const boost::asio::ip::address& addr, int type);

} // namespace icegate::net
