// The HTTPS side of a worker: an acceptor on http.listen, HTTP/1.1 sessions over TLS (Beast)
// that hand each request to an http_app, and WebSocket sessions upgraded from them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "icegate/net/connection_limits.hpp"

namespace icegate::net {

struct http_limits {
    std::chrono::seconds handshake_timeout{10}; // TLS handshake
    std::chrono::seconds header_timeout{10};    // first byte to end of a request
    std::chrono::seconds idle_timeout{60};      // keep-alive between requests
    std::uint32_t header_limit = 8 * 1024;      // bytes of request line + headers
    std::uint32_t body_limit = 16 * 1024;       // bytes of request body
    std::size_t max_connections = 65536;        // per worker, HTTP and WebSocket together
    // WebSocket: a frame announcing more than ws_message_limit closes the socket at once
    // (1009). A message past ws_buffer_limit (the app's own limit) is not buffered further:
    // the handler gets its first ws_buffer_limit + 1 bytes (so it can answer too_large and
    // keep the session) and the rest is dropped as it arrives.
    std::size_t ws_message_limit = 1024 * 1024;
    std::size_t ws_buffer_limit = 64 * 1024;
    std::size_t ws_queue_bytes = 1024 * 1024; // queued output before a slow reader is closed
    // Connections one source may hold across workers and listeners; null: no limit.
    std::shared_ptr<source_limiter> per_source;
};

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;
using ws_frame = std::shared_ptr<const std::string>;

// What the app sees of one WebSocket. Call only on the worker that owns it (executor()).
class ws_connection {
public:
    virtual ~ws_connection() = default;
    // Queues a text frame. Over http_limits::ws_queue_bytes the connection closes itself
    // (1008 "slow consumer").
    virtual void send(ws_frame frame) = 0;
    // Sends a close frame once the queue has drained, then shuts the stream down.
    virtual void close(std::uint16_t code, std::string_view reason) = 0;
    virtual boost::asio::any_io_executor executor() = 0;
};

// Receives one WebSocket's events, on the owning worker.
class ws_handler {
public:
    virtual ~ws_handler() = default;
    // A text message; one over http_limits::ws_buffer_limit arrives cut to that limit + 1.
    virtual void on_text(std::string_view text) = 0;
    // Called once every `tick` while open: keepalive and timers.
    virtual void on_tick() = 0;
    // The socket is gone (either side closed, or it failed); no call follows.
    virtual void on_closed() = 0;
};

// The application behind the listener; called on the worker of the connection.
class http_app {
public:
    virtual ~http_app() = default;
    // A plain request. Must not throw.
    virtual http_response handle(const http_request& req,
                                 const boost::asio::ip::tcp::endpoint& remote) = 0;
    // A WebSocket upgrade request. Returns the handler for the accepted socket, or null after
    // filling `refusal` (403, 404, ...).
    virtual std::unique_ptr<ws_handler>
    accept_websocket(const http_request& req, const boost::asio::ip::tcp::endpoint& remote,
                     std::shared_ptr<ws_connection> conn, http_response& refusal) = 0;
};

class https_listener {
public:
    https_listener(boost::asio::ip::tcp::acceptor acceptor,
                   std::shared_ptr<boost::asio::ssl::context> tls, http_app& app,
                   const http_limits& limits);
    ~https_listener();
    https_listener(const https_listener&) = delete;
    https_listener& operator=(const https_listener&) = delete;

    void start();
    // Stops accepting; WebSockets get 1001 "going away", HTTP connections are closed.
    void close();
    boost::asio::ip::tcp::endpoint local_endpoint() const;
    std::size_t connections() const noexcept;
    // Times accepting paused for lack of descriptors or memory.
    std::uint64_t accept_pauses() const noexcept { return pause_.pauses(); }

    struct state; // shared with the sessions so they can unregister after close

private:
    void do_accept();
    void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
    void arm_tick();

    boost::asio::ip::tcp::acceptor acceptor_;
    // One timer for all of the worker's WebSockets (their handlers' on_tick), not one each.
    boost::asio::steady_timer tick_;
    std::shared_ptr<state> state_;
    accept_pause pause_;
};

} // namespace icegate::net
