// One allocation's relay socket: bound in the worker's port slice, drained with recvmmsg, each
// datagram handed to worker_io (and so to the engine) with the peer's address.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>

#include <boost/asio/ip/udp.hpp>

#include "icegate/turn/io_port.hpp"

namespace icegate::net {

class worker_io;

class relay_socket {
public:
    static constexpr std::size_t batch = 16;
    static constexpr std::size_t slot_size = 4000; // payload larger than this is dropped

    relay_socket(worker_io& owner, turn::relay_id id, boost::asio::ip::udp::socket socket);
    relay_socket(const relay_socket&) = delete;
    relay_socket& operator=(const relay_socket&) = delete;
    ~relay_socket();

    void start();
    void send(const stun::transport_address& peer, std::span<const std::uint8_t> bytes) noexcept;

private:
    void do_wait();
    void on_readable(const boost::system::error_code& ec);
    int drain_once();

    worker_io& owner_;
    turn::relay_id id_;
    boost::asio::ip::udp::socket socket_;
    // Set by the destructor so a completion already queued does not touch a dead object.
    std::shared_ptr<bool> alive_;
};

} // namespace icegate::net
