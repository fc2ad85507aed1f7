// relay_socket: the peer side of an allocation.
#include "relay_socket.hpp"

#include <cerrno>

#include "icegate/net/endpoint.hpp"
#include "icegate/net/worker_io.hpp"

namespace icegate::net {

relay_socket::relay_socket(worker_io& owner, turn::relay_id id, boost::asio::ip::udp::socket socket)
    : owner_(owner), id_(id), socket_(std::move(socket)), alive_(std::make_shared<bool>(true)) {}

relay_socket::~relay_socket() {
    *alive_ = false;
    boost::system::error_code ignored;
    socket_.close(ignored);
}

void relay_socket::start() {
    do_wait();
}

void relay_socket::do_wait() {
    socket_.async_wait(boost::asio::socket_base::wait_read,
                       [this, alive = alive_](const boost::system::error_code& ec) {
                           if (*alive) {
                               on_readable(ec);
                           }
                       });
}

void relay_socket::on_readable(const boost::system::error_code& ec) {
    if (ec) {
        return;
    }
    auto alive = alive_; // the engine may close this relay while it handles a datagram
    for (int round = 0; round < 8 && *alive; ++round) {
        if (drain_once() < static_cast<int>(batch)) {
            break;
        }
    }
    if (*alive) {
        owner_.flush();
        do_wait();
    }
}

int relay_socket::drain_once() {
    std::array<mmsghdr, batch> msgs{};
    std::array<iovec, batch> iov{};
    std::array<sockaddr_storage, batch> names{};
    auto& rx = owner_.rx_;
    for (std::size_t i = 0; i < batch; ++i) {
        iov[i] = {rx.data() + i * slot_size, slot_size};
        msgs[i].msg_hdr.msg_name = &names[i];
        msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = ::recvmmsg(socket_.native_handle(), msgs.data(), batch, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
        return 0;
    }
    const auto alive = alive_;
    for (int i = 0; i < n && *alive; ++i) {
        if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) {
            continue;
        }
        owner_.deliver(id_, to_transport_address(names[i]),
                       {rx.data() + i * slot_size, msgs[i].msg_len});
    }
    return n;
}

void relay_socket::send(const stun::transport_address& peer,
                        std::span<const std::uint8_t> bytes) noexcept {
    sockaddr_storage ss{};
    const socklen_t len = to_sockaddr(peer, ss);
    // Non-blocking: a full buffer drops the datagram, as the network would.
    ::sendto(socket_.native_handle(), bytes.data(), bytes.size(), MSG_DONTWAIT,
             reinterpret_cast<const sockaddr*>(&ss), len);
}

} // namespace icegate::net
