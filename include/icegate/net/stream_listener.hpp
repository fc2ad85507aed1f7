// A worker's acceptor on one TCP or TLS listen address; its connections obey stream_limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "icegate/net/connection_limits.hpp"
#include "icegate/net/packet_handler.hpp"
#include "icegate/net/stream_limits.hpp"

namespace icegate::net {

class client_links;
struct stream_listener_state; // shared with the sessions, so they can unregister after close

// Opens an acceptor bound to `ep` with SO_REUSEPORT (one per worker). Throws on failure.
boost::asio::ip::tcp::acceptor open_tcp_acceptor(boost::asio::io_context& io,
                                                 const boost::asio::ip::tcp::endpoint& ep);

class stream_listener {
public:
    // `tls` null: plain TCP. `links`: the worker's worker_io, which the sessions register with.
    stream_listener(boost::asio::ip::tcp::acceptor acceptor, packet_handler& handler,
                    client_links& links, std::shared_ptr<boost::asio::ssl::context> tls,
                    const stream_limits& limits);
    ~stream_listener();
    stream_listener(const stream_listener&) = delete;
    stream_listener& operator=(const stream_listener&) = delete;

    void start();
    // Stops accepting and closes every open connection.
    void close();
    // Drain: stops accepting; open connections live on until they end or close() is called.
    void stop_accepting();
    // A reload: later TLS handshakes use `tls` (open connections keep theirs). Ignored by a
    // plain TCP listener. On the listener's worker.
    void set_tls(std::shared_ptr<boost::asio::ssl::context> tls);
    boost::asio::ip::tcp::endpoint local_endpoint() const;
    std::size_t connections() const noexcept;
    // Times accepting paused for lack of descriptors or memory.
    std::uint64_t accept_pauses() const noexcept { return pause_.pauses(); }

private:
    void do_accept();
    void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
    void start_session(boost::asio::ip::tcp::socket socket, const stun::transport_address& peer,
                       source_ticket ticket);

    boost::asio::ip::tcp::acceptor acceptor_;
    std::shared_ptr<stream_listener_state> state_;
    accept_pause pause_;
    bool accepting_ = true; // false after stop_accepting(): the acceptor is closed
};

} // namespace icegate::net
