// The I/O a worker's TURN engine drives (turn::io_port): relay sockets from the worker's slice
// of the relay port range, and replies to clients through the worker's UDP listener sockets
// or TCP/TLS sessions. Lives on, and is only touched from, its worker's thread.
//
// Relay sockets are bare descriptors in one epoll set per worker, and only that set is
// registered with Asio. Asio's reactor allocates a state object (152 bytes) per registered
// descriptor and, once the descriptor closes, keeps it on a free list for good
// (detail::object_pool). With a relay socket per allocation one such block stayed behind in
// every stretch of heap an ended allocation freed, so no page of it went back to the kernel.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "icegate/net/client_links.hpp"
#include "icegate/turn/io_port.hpp"
#include "icegate/turn/reservation_table.hpp"

namespace icegate::net {

class relay_socket;

struct relay_settings {
    std::optional<boost::asio::ip::address> address_v4; // where IPv4 relay sockets bind
    std::optional<boost::asio::ip::address> address_v6;
    std::uint16_t first_port = 49152; // this worker's slice of relay.ports
    std::uint16_t last_port = 65535;
    std::uint16_t range_first = 49152; // all of relay.ports: where claimed reservations may be
    std::uint16_t range_last = 65535;
};

// Called for every datagram a relay socket receives.
using peer_datagram_fn = std::function<void(turn::relay_id, const stun::transport_address&,
                                            std::span<const std::uint8_t>)>;

class worker_io final : public turn::io_port, public client_links {
public:
    // `reservations` (shared by all workers, may be null): ports the allocator skips.
    worker_io(boost::asio::io_context& io, relay_settings relays,
              std::shared_ptr<const turn::reservation_table> reservations = nullptr);
    ~worker_io() override;
    worker_io(const worker_io&) = delete;
    worker_io& operator=(const worker_io&) = delete;

    void on_peer_datagram(peer_datagram_fn fn) { on_peer_ = std::move(fn); }

    // client_links: listeners and sessions register so replies can find them.
    std::uint64_t add_listener(udp_link* l) override;
    std::uint64_t add_session(stream_link* s) override;
    void remove_session(std::uint64_t id) noexcept override;

    // turn::io_port
    result<turn::relay_binding> open_relay(const turn::relay_request& req) noexcept override;
    void close_relay(turn::relay_id id) noexcept override;
    // The handle is a bare socket descriptor: any worker may adopt or close it.
    result<std::int64_t> hold_port(stun::address_family family,
                                   std::uint16_t port) noexcept override;
    void release_port(std::int64_t handle) noexcept override;
    void send_to_peer(turn::relay_id id, const stun::transport_address& peer,
                      std::span<const std::uint8_t> bytes) noexcept override;
    void send_to_client(const turn::client_ref& to,
                        std::span<const std::uint8_t> bytes) noexcept override;

    // Sends what send_to_client() batched on the UDP listeners.
    void flush() noexcept;
    // The UDP client `client` of listener `conn` gets a socket of its own (udp_listener::pin).
    void pin_client(std::uint64_t conn, const stun::transport_address& client);
    // Closes every relay socket and stops watching them (shutdown).
    void close_all() noexcept;
    std::size_t relay_count() const noexcept { return relays_.size(); }

private:
    void deliver(turn::relay_id id, const stun::transport_address& peer,
                 std::span<const std::uint8_t> bytes);
    // The next candidate of the slice for a port-0 request: even if asked, not reserved.
    std::optional<std::uint16_t> next_port(stun::address_family family, bool even) noexcept;
    // A socket bound to exactly `port`: its descriptor, or -1 with `bind_failed` telling a
    // taken port from a failure to create the socket.
    int bind_udp(bool v6, const boost::asio::ip::address& addr, std::uint16_t port,
                 bool& bind_failed) noexcept;
    bool port_allowed(const turn::relay_request& req) const noexcept;
    result<turn::relay_binding> adopt_relay(const turn::relay_request& req) noexcept;
    result<turn::relay_binding> start_relay(int fd, const turn::relay_request& req,
                                            const boost::asio::ip::address& addr,
                                            std::uint16_t port) noexcept;
    // The relay poller: waits for the epoll set to turn readable; the wait is renewed only
    // while relays remain, and close_all() cancels it.
    void do_poll();
    void on_poll(const boost::system::error_code& ec);
    // Reads what `id` has, up to a fair share; true when it still had more.
    bool drain(turn::relay_id id);

    boost::asio::io_context& io_;
    relay_settings settings_;
    std::shared_ptr<const turn::reservation_table> reservations_;
    std::vector<udp_link*> listeners_;
    std::unordered_map<std::uint64_t, stream_link*> sessions_;
    std::uint64_t next_session_ = 1;
    // Owns the epoll set; declared before relays_, which deregister from it when destroyed.
    boost::asio::posix::stream_descriptor poller_;
    bool polling_ = false; // a wait or a posted continuation is pending
    // Cleared by the destructor so a completion still queued does not touch this object.
    std::shared_ptr<bool> alive_;
    turn::relay_id draining_ = 0;  // the relay whose datagrams are being delivered
    bool draining_closed_ = false; // ... and the engine closed it meanwhile
    std::unordered_map<turn::relay_id, std::unique_ptr<relay_socket>> relays_;
    turn::relay_id next_relay_ = 1;
    std::uint32_t port_cursor_ = 0;
    peer_datagram_fn on_peer_;
    std::vector<std::uint8_t> rx_; // shared by this worker's relay sockets
};

} // namespace icegate::net
