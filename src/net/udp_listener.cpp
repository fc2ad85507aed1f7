// udp_listener: batched receive, handle, batched send.
#include "icegate/net/udp_listener.hpp"

#include <cerrno>
#include <cstring>

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

udp_listener::udp_listener(boost::asio::ip::udp::socket socket, packet_handler& handler,
                           client_links& links)
    : socket_(std::move(socket)), handler_(handler), index_(links.add_listener(this)),
      rx_(batch * slot_size), tx_(batch * slot_size) {
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
    packet_context ctx{{}, local_, turn::client_transport::udp, index_};
    for (int i = 0; i < n; ++i) {
        if ((rx_msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) {
            continue;
        }
        ctx.source = to_transport_address(rx_names_[i]);
        handler_.on_message({rx_.data() + i * slot_size, rx_msgs_[i].msg_len}, ctx);
    }
    flush();
    return n;
}

bool udp_listener::send(const stun::transport_address& to,
                        std::span<const std::uint8_t> bytes) noexcept {
    if (bytes.size() > slot_size) {
        return false;
    }
    if (queued_ == batch) {
        flush();
    }
    std::memcpy(tx_.data() + queued_ * slot_size, bytes.data(), bytes.size());
    tx_iov_[queued_].iov_len = bytes.size();
    auto& h = tx_msgs_[queued_].msg_hdr;
    h = {};
    h.msg_namelen = to_sockaddr(to, tx_names_[queued_]);
    h.msg_name = &tx_names_[queued_];
    h.msg_iov = &tx_iov_[queued_];
    h.msg_iovlen = 1;
    ++queued_;
    return true;
}

void udp_listener::flush() noexcept {
    std::size_t sent = 0;
    while (sent < queued_) {
        const int m = ::sendmmsg(socket_.native_handle(), tx_msgs_.data() + sent,
                                 static_cast<unsigned>(queued_ - sent), MSG_DONTWAIT);
        if (m > 0) {
            sent += static_cast<std::size_t>(m);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break; // datagrams are best effort: a full socket buffer drops them, as UDP would
        } else {
            ++sent; // this destination failed (unreachable, refused): skip it, send the rest
        }
    }
    queued_ = 0;
}

} // namespace icegate::net
