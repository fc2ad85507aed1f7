// relay_socket: the peer side of an allocation.
#include "relay_socket.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include "icegate/net/endpoint.hpp"

namespace icegate::net {

relay_socket::~relay_socket() {
    // close() alone would deregister it too, unless the descriptor had been duplicated.
    ::epoll_ctl(poll_fd_, EPOLL_CTL_DEL, fd_, nullptr);
    ::close(fd_);
}

int relay_socket::receive(std::span<std::uint8_t> rx, rx_batch& b) noexcept {
    for (std::size_t i = 0; i < batch; ++i) {
        b.iov[i] = {rx.data() + i * slot_size, slot_size};
        b.msgs[i].msg_hdr = {};
        b.msgs[i].msg_hdr.msg_name = &b.names[i];
        b.msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        b.msgs[i].msg_hdr.msg_iov = &b.iov[i];
        b.msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = ::recvmmsg(fd_, b.msgs.data(), batch, MSG_DONTWAIT, nullptr);
    return n < 0 ? 0 : n;
}

void relay_socket::send(const stun::transport_address& peer,
                        std::span<const std::uint8_t> bytes) noexcept {
    sockaddr_storage ss{};
    const socklen_t len = to_sockaddr(peer, ss);
    // Non-blocking: a full buffer drops the datagram, as the network would.
    ::sendto(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&ss),
             len);
}

} // namespace icegate::net
