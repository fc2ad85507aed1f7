// The HTTPS side of a worker: an acceptor on http.listen, HTTP/1.1 sessions over TLS (Beast)
// that hand each request to an http_app, and WebSocket sessions upgraded from them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "icegate/net/connection_limits.hpp"
#include "icegate/net/http_app.hpp"
#include "icegate/net/http_limits.hpp"

namespace icegate::net {

struct https_listener_state; // shared with the sessions so they can unregister after close

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
    // Drain: every WebSocket gets the text frame `goaway`, then 1001 "going away"; later
    // upgrades are refused (503) while plain requests (/healthz) are still accepted and served.
    void drain(std::shared_ptr<const std::string> goaway);
    // A handover to a successor on the same address (an upgrade): closes the listening
    // socket, so new connections go to the successor; open ones go on.
    void stop_accepting();
    // A reload: later TLS handshakes use `tls` (open connections keep theirs). On the
    // listener's worker.
    void set_tls(std::shared_ptr<boost::asio::ssl::context> tls);
    boost::asio::ip::tcp::endpoint local_endpoint() const;
    std::size_t connections() const noexcept;
    // WebSocket sessions still open (part of connections()).
    std::size_t websockets() const noexcept;
    // Times accepting paused for lack of descriptors or memory.
    std::uint64_t accept_pauses() const noexcept { return pause_.pauses(); }

private:
    void do_accept();
    void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
    void arm_tick();

    boost::asio::ip::tcp::acceptor acceptor_;
    // One timer for all of the worker's WebSockets (their handlers' on_tick), not one each.
    boost::asio::steady_timer tick_;
    std::shared_ptr<https_listener_state> state_;
    accept_pause pause_;
    bool accepting_ = true; // cleared by stop_accepting()
};

} // namespace icegate::net
