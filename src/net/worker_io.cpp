// worker_io: relay sockets from the worker's port slice, replies routed to listeners/sessions.
#include "icegate/net/worker_io.hpp"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "icegate/net/endpoint.hpp"
#include "icegate/stun/error.hpp"
#include "relay_socket.hpp"

namespace icegate::net {

namespace {

// Readiness events taken from the epoll set per wake-up; more wait for the next round.
constexpr int poll_events = 64;
// Batches read from one relay per round, so a flooded relay cannot starve the others.
constexpr int rounds_per_relay = 8;

// Sets DF on outgoing datagrams (RFC 8656 DONT-FRAGMENT).
void set_dont_fragment(int fd, bool v6) {
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
    : io_(io), settings_(std::move(relays)), reservations_(std::move(reservations)), poller_(io),
      alive_(std::make_shared<bool>(true)), rx_(relay_socket::batch * relay_socket::slot_size) {
    const int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) {
        throw std::system_error(errno, std::generic_category(), "epoll_create1");
    }
    poller_.assign(fd);
}

worker_io::~worker_io() {
    *alive_ = false;
    relays_.clear(); // before poller_ closes the epoll set they deregister from
}

std::uint64_t worker_io::add_listener(udp_link* l) {
    listeners_.push_back(l);
    return listeners_.size() - 1;
}

std::uint64_t worker_io::add_session(stream_link* s) {
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
        bool bind_failed = false;
        const int fd = bind_udp(v6, *addr, *port, bind_failed);
        if (fd >= 0) {
            return start_relay(fd, req, *addr, *port);
        }
        if (!bind_failed) {
            return std::make_error_code(std::errc::too_many_files_open);
        }
        // taken: try the next port of the slice
    }
    return std::make_error_code(std::errc::address_in_use);
}

int worker_io::bind_udp(bool v6, const boost::asio::ip::address& addr, std::uint16_t port,
                        bool& bind_failed) noexcept {
    const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    const int on = 1;
    if (v6) {
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    }
    sockaddr_storage ss{};
    const socklen_t len = to_sockaddr(to_transport_address(addr, port), ss);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
        ::close(fd);
        bind_failed = true;
        return -1;
    }
    return fd;
}

result<turn::relay_binding> worker_io::start_relay(int fd, const turn::relay_request& req,
                                                   const boost::asio::ip::address& addr,
                                                   std::uint16_t port) noexcept {
    if (req.dont_fragment) {
        set_dont_fragment(fd, addr.is_v6());
    }
    const auto id = next_relay_++;
    epoll_event ev{};
    ev.events = EPOLLIN; // level-triggered: what one round leaves is reported again
    ev.data.u64 = id;
    if (::epoll_ctl(poller_.native_handle(), EPOLL_CTL_ADD, fd, &ev) != 0) {
        ::close(fd);
        return std::make_error_code(std::errc::not_enough_memory);
    }
    relays_.emplace(id, std::make_unique<relay_socket>(poller_.native_handle(), fd));
    if (!polling_) {
        do_poll();
    }
    return turn::relay_binding{id, to_transport_address(addr, port)};
}

// A claimed reservation: the socket another (or this) worker bound at reservation time.
result<turn::relay_binding> worker_io::adopt_relay(const turn::relay_request& req) noexcept {
    const int fd = static_cast<int>(req.adopt);
    const bool v6 = req.family == stun::address_family::ipv6;
    const auto& addr = v6 ? settings_.address_v6 : settings_.address_v4;
    if (!addr || !port_allowed(req)) {
        ::close(fd);
        return std::make_error_code(std::errc::bad_file_descriptor);
    }
    return start_relay(fd, req, *addr, req.port);
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
    bool bind_failed = false;
    const int fd = bind_udp(v6, *addr, port, bind_failed);
    if (fd < 0) {
        return std::make_error_code(bind_failed ? std::errc::address_in_use
                                                : std::errc::too_many_files_open);
    }
    return std::int64_t{fd};
}

void worker_io::release_port(std::int64_t handle) noexcept {
    if (handle >= 0) {
        ::close(static_cast<int>(handle));
    }
}

void worker_io::close_relay(turn::relay_id id) noexcept {
    if (id == draining_) {
        draining_closed_ = true;
    }
    relays_.erase(id);
    // A burst of allocations leaves a bucket array sized for it: give it back once occupancy
    // falls under an eighth (rehashing to a quarter, so the cost stays O(1) per close).
    const std::size_t want = std::max<std::size_t>(2 * relays_.size(), 1024);
    if (relays_.size() < relays_.bucket_count() / 8 && relays_.bucket_count() > 2 * want) {
        relays_.rehash(want);
    }
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

void worker_io::pin_client(std::uint64_t conn, const stun::transport_address& client) {
    if (conn < listeners_.size()) {
        listeners_[conn]->pin(client);
    }
}

void worker_io::flush() noexcept {
    for (auto* l : listeners_) {
        l->flush(); // nothing to do for a listener with no datagram queued
    }
}

void worker_io::close_all() noexcept {
    relays_.clear();
    draining_closed_ = draining_ != 0;
    boost::system::error_code ignored;
    poller_.cancel(ignored); // with no relays left the wait is not renewed
}

void worker_io::do_poll() {
    polling_ = true;
    poller_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       [this, alive = alive_](const boost::system::error_code& ec) {
                           if (*alive) {
                               on_poll(ec);
                           }
                       });
}

void worker_io::on_poll(const boost::system::error_code& ec) {
    polling_ = false;
    if (ec && ec != boost::asio::error::operation_aborted) {
        spdlog::error("relay poller stopped: {}", ec.message()); // not expected from epoll
        return;
    }
    if (relays_.empty()) {
        return; // the next relay opened starts the wait again
    }
    bool more = false;
    if (!ec) {
        std::array<epoll_event, poll_events> ev;
        const int n = ::epoll_wait(poller_.native_handle(), ev.data(), poll_events, 0);
        more = n == poll_events;
        for (int i = 0; i < n; ++i) {
            more |= drain(static_cast<turn::relay_id>(ev[i].data.u64));
        }
        flush();
    }
    if (relays_.empty() || polling_) {
        return;
    }
    if (more) {
        // Data left behind raises no new edge on the epoll set: come back after what else
        // is queued on this worker has run.
        polling_ = true;
        boost::asio::post(io_, [this, alive = alive_] {
            if (*alive) {
                on_poll({});
            }
        });
        return;
    }
    do_poll();
}

bool worker_io::drain(turn::relay_id id) {
    const auto it = relays_.find(id);
    if (it == relays_.end()) {
        return false; // closed since epoll_wait() reported it
    }
    relay_socket& relay = *it->second;
    draining_ = id;
    draining_closed_ = false;
    relay_socket::rx_batch b;
    bool more = false;
    for (int round = 0; round < rounds_per_relay && !draining_closed_; ++round) {
        // After a close in deliver() `relay` is gone: the loop conditions stop before using it.
        const int n = relay.receive(rx_, b);
        for (int i = 0; i < n && !draining_closed_; ++i) {
            if ((b.msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) {
                continue;
            }
            const std::size_t at = static_cast<std::size_t>(i) * relay_socket::slot_size;
            deliver(id, to_transport_address(b.names[i]), {rx_.data() + at, b.msgs[i].msg_len});
        }
        more = n == static_cast<int>(relay_socket::batch);
        if (!more) {
            break;
        }
    }
    const bool left = more && !draining_closed_;
    draining_ = 0;
    return left;
}

void worker_io::deliver(turn::relay_id id, const stun::transport_address& peer,
                        std::span<const std::uint8_t> bytes) {
    if (on_peer_) {
        on_peer_(id, peer, bytes);
    }
}

} // namespace icegate::net
