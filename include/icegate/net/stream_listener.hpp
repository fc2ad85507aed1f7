// A worker's acceptor on one TCP or TLS listen address, and the limits its connections obey.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "icegate/net/connection_limits.hpp"
#include "icegate/net/packet_handler.hpp"

namespace icegate::net {

class worker_io;

struct stream_limits {
    std::chrono::seconds idle_timeout{300};
    std::chrono::seconds handshake_timeout{10};
    // From accept until the first STUN message (TLS handshake included): a connection that
    // sends none by then is closed.
    std::chrono::seconds preauth_timeout{10};
    std::size_t read_buffer = 65536 + 4;  // largest frame a connection may send
    std::size_t initial_buffer = 2048;    // the read buffer grows from this as frames need it
    std::size_t write_queue = 256 * 1024; // bytes queued before a slow reader is dropped
    std::size_t max_connections = 10000;  // per worker and listener
    // Connections one source may hold across workers and listeners; null: no limit.
    std::shared_ptr<source_limiter> per_source;
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
    // Times accepting paused for lack of descriptors or memory.
    std::uint64_t accept_pauses() const noexcept { return pause_.pauses(); }

    struct state; // shared with the sessions, so they can unregister after close

private:
    void do_accept();
    void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
    void start_session(boost::asio::ip::tcp::socket socket, const stun::transport_address& peer,
                       source_ticket ticket);

    boost::asio::ip::tcp::acceptor acceptor_;
    std::shared_ptr<state> state_;
    accept_pause pause_;
};

} // namespace icegate::net
