// What the HTTPS listener's sessions hand requests and WebSockets to: the http_app the
// application implements, and the ws_connection / ws_handler pair of one WebSocket.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace icegate::net {

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

} // namespace icegate::net
