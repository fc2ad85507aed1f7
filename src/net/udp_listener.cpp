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

namespace {

boost::asio::ip::udp::socket open_socket(const boost::asio::any_io_executor& ex,
                                         const boost::asio::ip::udp::endpoint& ep) {
    boost::asio::ip::udp::socket s(ex);
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

} // namespace

boost::asio::ip::udp::socket open_udp_socket(boost::asio::io_context& io,
                                             const boost::asio::ip::udp::endpoint& ep) {
    return open_socket(io.get_executor(), ep);
}

udp_listener::udp_listener(boost::asio::ip::udp::socket socket, packet_handler& handler,
                           client_links& links)
    : socket_(std::move(socket)), handler_(handler), index_(links.add_listener(this)),
      rx_(batch * slot_size), tx_(batch * slot_size) {
    bound_ = socket_.local_endpoint();
    local_ = to_transport_address(bound_);
    for (std::size_t i = 0; i < batch; ++i) {
        rx_iov_[i] = {rx_.data() + i * slot_size, slot_size};
        tx_iov_[i] = {tx_.data() + i * slot_size, 0};
    }
}

void udp_listener::start() {
    do_wait(socket_);
}

void udp_listener::close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    for (auto& [client, s] : pinned_) {
        s->close(ignored);
    }
}

bool udp_listener::pin(const stun::transport_address& client) {
    if (detached_ || pinned_.contains(client)) {
        return !detached_;
    }
    try {
        auto s = std::make_unique<boost::asio::ip::udp::socket>(
            open_socket(socket_.get_executor(), bound_));
        sockaddr_storage ss{};
        const socklen_t len = to_sockaddr(client, ss);
        if (::connect(s->native_handle(), reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
            throw boost::system::system_error(errno, boost::system::system_category(), "connect");
        }
        do_wait(*s);
        pinned_.emplace(client, std::move(s));
        return true;
    } catch (const boost::system::system_error& e) {
        spdlog::warn("handover: no socket of its own for {} on {}: {}", client.to_string(),
                     local_.to_string(), e.what());
        return false;
    }
}

void udp_listener::detach() {
    if (detached_) {
        return;
    }
    flush();
    // What arrived before the pins (bounded: the successor may not be listening yet, so
    // little more comes).
    for (int round = 0; round < 64; ++round) {
        if (drain_once(socket_.native_handle()) < static_cast<int>(batch)) {
            break;
        }
    }
    boost::system::error_code ignored;
    socket_.close(ignored);
    detached_ = true;
}

void udp_listener::do_wait(boost::asio::ip::udp::socket& s) {
    s.async_wait(boost::asio::socket_base::wait_read,
                 [this, &s](const boost::system::error_code& ec) { on_readable(s, ec); });
}

void udp_listener::on_readable(boost::asio::ip::udp::socket& s,
                               const boost::system::error_code& ec) {
    if (ec || !s.is_open()) {
        return; // closed
    }
    // Bounded drain so one busy socket cannot starve the worker's other sockets.
    for (int round = 0; round < 16; ++round) {
        if (drain_once(s.native_handle()) < static_cast<int>(batch)) {
            break;
        }
    }
    do_wait(s);
}

int udp_listener::drain_once(int fd) {
    for (std::size_t i = 0; i < batch; ++i) {
        rx_msgs_[i].msg_hdr = {};
        rx_msgs_[i].msg_hdr.msg_name = &rx_names_[i];
        rx_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        rx_msgs_[i].msg_hdr.msg_iov = &rx_iov_[i];
        rx_msgs_[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = ::recvmmsg(fd, rx_msgs_.data(), batch, MSG_DONTWAIT, nullptr);
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
    if (detached_) {
        const auto it = pinned_.find(to);
        return it != pinned_.end() &&
               ::send(it->second->native_handle(), bytes.data(), bytes.size(), MSG_DONTWAIT) >= 0;
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
    if (detached_) {
        return; // detach() sent the last batch; pinned replies leave at once
    }
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
