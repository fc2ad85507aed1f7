// udp_listener: batched receive, handle, batched send.
#include "icegate/net/udp_listener.hpp"

#include <cerrno>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/socket_base.hpp>
#include <spdlog/spdlog.h>

#include "icegate/net/endpoint.hpp"
#include "icegate/net/socket_options.hpp"

namespace icegate::net {

boost::asio::ip::udp::socket open_udp_socket(boost::asio::io_context& io,
                                             const boost::asio::ip::udp::endpoint& ep) {
    boost::asio::ip::udp::socket s(io);
    s.open(ep.protocol());
    s.set_option(reuse_port(true));
    s.set_option(boost::asio::socket_base::reuse_address(true));
    if (ep.address().is_v6()) {
        s.set_option(boost::asio::ip::v6_only(true));
    }
    boost::system::error_code ignored;
    // A burst at the default 208 KiB buffer loses datagrams with CPU to spare; ask for 4 MiB
    // (the kernel caps it at net.core.rmem_max).
    s.set_option(boost::asio::socket_base::receive_buffer_size(4 << 20), ignored);
    s.set_option(boost::asio::socket_base::send_buffer_size(4 << 20), ignored);
    s.bind(ep);
    s.non_blocking(true);
    return s;
}

udp_listener::udp_listener(boost::asio::ip::udp::socket socket, packet_handler& handler)
    : socket_(std::move(socket)), handler_(handler), rx_(batch * slot_size),
      tx_(batch * slot_size) {
    local_ = to_transport_address(socket_.local_endpoint());
    for (std::size_t i = 0; i < batch; ++i) {
        rx_iov_[i] = {rx_.data() + i * slot_size, slot_size};
        tx_iov_[i] = {tx_.data() + i * slot_size, 0};
    }
}

boost::asio::ip::udp::endpoint udp_listener::local_endpoint() const {
    return socket_.local_endpoint();
}

void udp_listener::start() {
    do_wait();
}

void udp_listener::close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
}

void udp_listener::do_wait() {
    socket_.async_wait(boost::asio::socket_base::wait_read,
                       [this](const boost::system::error_code& ec) { on_readable(ec); });
}

void udp_listener::on_readable(const boost::system::error_code& ec) {
    if (ec) {
        return; // closed
    }
    // Bounded drain so one busy socket cannot starve the worker's other sockets.
    for (int round = 0; round < 16; ++round) {
        if (drain_once() < static_cast<int>(batch)) {
            break;
        }
    }
    do_wait();
}

int udp_listener::drain_once() {
    for (std::size_t i = 0; i < batch; ++i) {
        rx_msgs_[i].msg_hdr = {};
        rx_msgs_[i].msg_hdr.msg_name = &rx_names_[i];
        rx_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        rx_msgs_[i].msg_hdr.msg_iov = &rx_iov_[i];
        rx_msgs_[i].msg_hdr.msg_iovlen = 1;
    }
    const int n =
        ::recvmmsg(socket_.native_handle(), rx_msgs_.data(), batch, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
        return 0;
    }
    packet_context ctx{{}, local_, transport_kind::udp};
    unsigned replies = 0;
    for (int i = 0; i < n; ++i) {
        const auto& hdr = rx_msgs_[i].msg_hdr;
        if ((hdr.msg_flags & MSG_TRUNC) != 0) {
            continue;
        }
        ctx.source = to_transport_address(rx_names_[i]);
        const std::span<const std::uint8_t> in(rx_.data() + i * slot_size, rx_msgs_[i].msg_len);
        const std::span<std::uint8_t> out(tx_.data() + replies * slot_size, slot_size);
        const std::size_t len = handler_.on_message(in, ctx, out);
        if (len == 0) {
            continue;
        }
        tx_iov_[replies].iov_len = len;
        auto& th = tx_msgs_[replies].msg_hdr;
        th = {};
        th.msg_namelen = to_sockaddr(ctx.source, tx_names_[replies]);
        th.msg_name = &tx_names_[replies];
        th.msg_iov = &tx_iov_[replies];
        th.msg_iovlen = 1;
        ++replies;
    }
    unsigned sent = 0;
    while (sent < replies) {
        const int m = ::sendmmsg(socket_.native_handle(), tx_msgs_.data() + sent, replies - sent,
                                 MSG_DONTWAIT);
        if (m > 0) {
            sent += static_cast<unsigned>(m);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break; // replies are best effort: a full socket buffer drops them, as UDP would
        } else {
            ++sent; // this destination failed (unreachable, refused): skip it, send the rest
        }
    }
    return n;
}

} // namespace icegate::net
