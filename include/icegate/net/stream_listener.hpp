// A worker's acceptor on one TCP or TLS listen address, and the limits its connections obey.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "icegate/net/packet_handler.hpp"

namespace icegate::net {

class worker_io;

struct stream_limits {
    std::chrono::seconds idle_timeout{300};
    std::chrono::seconds handshake_timeout{10};
    std::size_t read_buffer = 65536 + 4;  // largest frame a connection may send
    std::size_t write_queue = 256 * 1024; // bytes queued before a slow reader is dropped
    std::size_t max_connections = 10000;  // per worker and listener
};

// Opens an acceptor bound to `ep` with SO_REUSEPORT (one per worker). Throws on failure.
boost::asio::ip::tcp::acceptor open_tcp_acceptor(boost::asio::io_context& io,
                                                 const boost::asio::ip::tcp::endpoint& ep);

class stream_listener {
public:
    // `tls` null: plain TCP.
    stream_listener(boost::asio::ip::tcp::acceptor acceptor, packet_handler& handler, worker_io& io,
                    std::shared_ptr<boost::asio::ssl::context> tls, const stream_limits& limits);
    ~stream_listener();
    stream_listener(const stream_listener&) = delete;
    stream_listener& operator=(const stream_listener&) = delete;

    void start();
    // Stops accepting and closes every open connection.
    void close();
    boost::asio::ip::tcp::endpoint local_endpoint() const;
    std::size_t connections() const noexcept;

    struct state; // shared with the sessions, so they can unregister after close

private:
    void do_accept();
    void start_session(boost::asio::ip::tcp::socket socket, const stun::transport_address& peer);

    boost::asio::ip::tcp::acceptor acceptor_;
    std::shared_ptr<state> state_;
};

} // namespace icegate::net
