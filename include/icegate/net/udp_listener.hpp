// A worker's socket on one UDP listen address: drains it in batches with recvmmsg(), hands each
// datagram to the worker's packet_handler, and sends what is queued for clients through it in
// batches with sendmmsg().
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "icegate/net/client_links.hpp"
#include "icegate/net/packet_handler.hpp"

namespace icegate::net {

// Opens a non-blocking UDP socket bound to `ep` with SO_REUSEPORT (so every worker can bind the
// same address), IPV6_V6ONLY for IPv6, and a large receive buffer. Throws on failure.
boost::asio::ip::udp::socket open_udp_socket(boost::asio::io_context& io,
                                             const boost::asio::ip::udp::endpoint& ep);

class udp_listener final : public udp_link {
public:
    static constexpr std::size_t batch = 32;
    static constexpr std::size_t slot_size = 4096; // larger datagrams are dropped

    // `links`: the worker's worker_io, which sends the engine's replies through this socket.
    udp_listener(boost::asio::ip::udp::socket socket, packet_handler& handler, client_links& links);
    udp_listener(const udp_listener&) = delete;
    udp_listener& operator=(const udp_listener&) = delete;

    void start();
    // Closes the socket and every pinned one.
    void close();
    boost::asio::ip::udp::endpoint local_endpoint() const { return bound_; }
    // The conn id its clients' replies carry (turn::client_ref::conn).
    std::uint64_t index() const noexcept { return index_; }

    // A handover to a successor process that binds the same address (an upgrade,
    // docs/operations.md). pin(): `client` gets a socket of its own, bound to this address and
    // connected to it. Linux gives a datagram to the connected socket that matches its four
    // addresses before it picks one socket of the SO_REUSEPORT group, so that client's
    // datagrams keep coming here once the group holds the successor's sockets. False (and a
    // log line) when the socket cannot be made. detach(): answers what the shared socket
    // still holds, then closes it, so every new flow goes to the successor; replies then leave
    // through the pinned sockets (one to an unpinned client is dropped). Not undone.
    bool pin(const stun::transport_address& client) override;
    void detach();
    std::size_t pinned() const noexcept { return pinned_.size(); }

    // Queues a datagram to `to`; it leaves with the batch (flush(), or when the batch fills).
    // Returns false when it was dropped (too large).
    bool send(const stun::transport_address& to,
              std::span<const std::uint8_t> bytes) noexcept override;
    void flush() noexcept override;

private:
    void do_wait(boost::asio::ip::udp::socket& s);
    void on_readable(boost::asio::ip::udp::socket& s, const boost::system::error_code& ec);
    // Receives and answers one batch from `fd`; returns how many datagrams arrived.
    int drain_once(int fd);

    boost::asio::ip::udp::socket socket_;
    boost::asio::ip::udp::endpoint bound_;
    bool detached_ = false;
    // Only after pin(): few, and looked up per reply only once detached.
    std::map<stun::transport_address, std::unique_ptr<boost::asio::ip::udp::socket>> pinned_;
    packet_handler& handler_;
    std::uint64_t index_;
    stun::transport_address local_;
    std::size_t queued_ = 0;
    std::vector<std::uint8_t> rx_;
    std::vector<std::uint8_t> tx_;
    std::array<mmsghdr, batch> rx_msgs_{};
    std::array<iovec, batch> rx_iov_{};
    std::array<sockaddr_storage, batch> rx_names_{};
    std::array<mmsghdr, batch> tx_msgs_{};
    std::array<iovec, batch> tx_iov_{};
    std::array<sockaddr_storage, batch> tx_names_{};
};

} // namespace icegate::net
