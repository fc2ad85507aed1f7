// worker_io: relay sockets from the worker's port slice, replies routed to listeners/sessions.
#include "icegate/net/worker_io.hpp"

#include <netinet/in.h>
#include <unistd.h>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <spdlog/spdlog.h>

#include "icegate/net/endpoint.hpp"
#include "icegate/net/udp_listener.hpp"
#include "icegate/stun/error.hpp"
#include "relay_socket.hpp"
#include "stream_session.hpp"

namespace icegate::net {

namespace {

// Sets or clears DF on outgoing datagrams (RFC 8656 DONT-FRAGMENT).
void set_dont_fragment(boost::asio::ip::udp::socket& s, bool v6) {
    const int fd = s.native_handle();
    if (v6) {
        const int on = 1;
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &on, sizeof on);
    } else {
        const int mode = IP_PMTUDISC_DO;
        ::setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &mode, sizeof mode);
    }
}

} // namespace

worker_io::worker_io(boost::asio::io_context& io, relay_settings relays,
                     std::shared_ptr<const turn::reservation_table> reservations)
    : io_(io), settings_(std::move(relays)), reservations_(std::move(reservations)),
      rx_(relay_socket::batch * relay_socket::slot_size) {}

worker_io::~worker_io() = default;

std::uint64_t worker_io::add_listener(udp_listener* l) {
    listeners_.push_back(l);
    return listeners_.size() - 1;
}

std::uint64_t worker_io::add_session(session_base* s) {
    const auto id = next_session_++;
    sessions_.emplace(id, s);
    return id;
}

void worker_io::remove_session(std::uint64_t id) noexcept {
    sessions_.erase(id);
}

std::optional<std::uint16_t> worker_io::next_port(stun::address_family family, bool even) noexcept {
    const std::uint32_t span = settings_.last_port - settings_.first_port + 1u;
    for (std::uint32_t tries = 0; tries < span; ++tries) {
        const auto port =
            static_cast<std::uint16_t>(settings_.first_port + (port_cursor_++ % span));
        const bool reserved = reservations_ && reservations_->is_reserved(family, port);
        if ((!even || port % 2 == 0) && !reserved) {
            return port;
        }
    }
    return std::nullopt;
}

// An exact port (EVEN-PORT's reserved neighbour) must lie in this worker's slice; a claimed
// reservation may lie in another worker's, but never outside relay.ports.
bool worker_io::port_allowed(const turn::relay_request& req) const noexcept {
    if (req.port == 0) {
        return true;
    }
    const std::uint16_t first = req.reserved ? settings_.range_first : settings_.first_port;
    const std::uint16_t last = req.reserved ? settings_.range_last : settings_.last_port;
    return req.port >= first && req.port <= last;
}

result<turn::relay_binding> worker_io::open_relay(const turn::relay_request& req) noexcept {
    if (req.adopt >= 0) {
        return adopt_relay(req);
    }
    const bool v6 = req.family == stun::address_family::ipv6;
    const auto& addr = v6 ? settings_.address_v6 : settings_.address_v4;
    if (!addr) {
        return std::make_error_code(std::errc::address_family_not_supported);
    }
    if (!port_allowed(req)) {
        return std::make_error_code(std::errc::address_in_use);
    }
    const std::uint32_t span = settings_.last_port - settings_.first_port + 1u;
    const std::uint32_t attempts = req.port != 0 ? 1 : span;
    for (std::uint32_t i = 0; i < attempts; ++i) {
        const auto port =
            req.port != 0 ? std::optional(req.port) : next_port(req.family, req.even_port);
        if (!port) {
            break;
        }
        boost::system::error_code ec;
        boost::asio::ip::udp::socket s(io_);
        const boost::asio::ip::udp::endpoint ep(*addr, *port);
        s.open(ep.protocol(), ec);
        if (ec) {
            return std::make_error_code(std::errc::too_many_files_open);
        }
        if (v6) {
            s.set_option(boost::asio::ip::v6_only(true), ec);
        }
        s.bind(ep, ec);
        if (ec) {
            continue; // taken: try the next port of the slice
        }
        return start_relay(std::move(s), req, *addr, *port);
    }
    return std::make_error_code(std::errc::address_in_use);
}

result<turn::relay_binding> worker_io::start_relay(boost::asio::ip::udp::socket s,
                                                   const turn::relay_request& req,
                                                   const boost::asio::ip::address& addr,
                                                   std::uint16_t port) noexcept {
    boost::system::error_code ec;
    s.non_blocking(true, ec);
    if (req.dont_fragment) {
        set_dont_fragment(s, addr.is_v6());
    }
    const auto id = next_relay_++;
    auto relay = std::make_unique<relay_socket>(*this, id, std::move(s));
    relay->start();
    relays_.emplace(id, std::move(relay));
    return turn::relay_binding{id, to_transport_address(addr, port)};
}

// A claimed reservation: the socket another (or this) worker bound at reservation time.
result<turn::relay_binding> worker_io::adopt_relay(const turn::relay_request& req) noexcept {
    const int fd = static_cast<int>(req.adopt);
    const bool v6 = req.family == stun::address_family::ipv6;
    const auto& addr = v6 ? settings_.address_v6 : settings_.address_v4;
    boost::system::error_code ec;
    boost::asio::ip::udp::socket s(io_);
    if (addr && port_allowed(req)) {
        s.assign(v6 ? boost::asio::ip::udp::v6() : boost::asio::ip::udp::v4(), fd, ec);
    } else {
        ec = boost::asio::error::invalid_argument;
    }
    if (ec) {
        ::close(fd);
        return std::make_error_code(std::errc::bad_file_descriptor);
    }
    return start_relay(std::move(s), req, *addr, req.port);
}

result<std::int64_t> worker_io::hold_port(stun::address_family family,
                                          std::uint16_t port) noexcept {
    const bool v6 = family == stun::address_family::ipv6;
    const auto& addr = v6 ? settings_.address_v6 : settings_.address_v4;
    if (!addr) {
        return std::make_error_code(std::errc::address_family_not_supported);
    }
    if (port < settings_.first_port || port > settings_.last_port) {
        return std::make_error_code(std::errc::address_in_use);
    }
    const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return std::make_error_code(std::errc::too_many_files_open);
    }
    const int on = 1;
    if (v6) {
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    }
    sockaddr_storage ss{};
    const socklen_t len = to_sockaddr(to_transport_address(*addr, port), ss);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
        ::close(fd);
        return std::make_error_code(std::errc::address_in_use);
    }
    return std::int64_t{fd};
}

void worker_io::release_port(std::int64_t handle) noexcept {
    if (handle >= 0) {
        ::close(static_cast<int>(handle));
    }
}

void worker_io::close_relay(turn::relay_id id) noexcept {
    relays_.erase(id);
}

void worker_io::send_to_peer(turn::relay_id id, const stun::transport_address& peer,
                             std::span<const std::uint8_t> bytes) noexcept {
    if (auto it = relays_.find(id); it != relays_.end()) {
        it->second->send(peer, bytes);
    }
}

void worker_io::send_to_client(const turn::client_ref& to,
                               std::span<const std::uint8_t> bytes) noexcept {
    if (to.transport == turn::client_transport::udp) {
        if (to.conn < listeners_.size()) {
            listeners_[to.conn]->send(to.client, bytes);
        }
        return;
    }
    if (auto it = sessions_.find(to.conn); it != sessions_.end()) {
        it->second->send(bytes);
    }
}

void worker_io::flush() noexcept {
    for (auto* l : listeners_) {
        l->flush(); // nothing to do for a listener with no datagram queued
    }
}

void worker_io::close_all() noexcept {
    relays_.clear();
}

void worker_io::deliver(turn::relay_id id, const stun::transport_address& peer,
                        std::span<const std::uint8_t> bytes) {
    if (on_peer_) {
        on_peer_(id, peer, bytes);
    }
}

} // namespace icegate::net
