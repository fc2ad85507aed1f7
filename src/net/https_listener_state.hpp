// What an https_listener shares with its sessions: the state they register in (so they can
// unregister after the listener closed) and the interface through which it reaches them.
#pragma once

#include <chrono>
#include <memory>
#include <unordered_set>

#include <boost/asio/ssl/context.hpp>

#include "icegate/net/http_app.hpp"
#include "icegate/net/http_limits.hpp"

namespace icegate::net {

class https_session_base {
public:
    virtual ~https_session_base() = default;
    // Listener shutdown: WebSockets send 1001 "going away", HTTP connections close.
    virtual void shutdown() = 0;
    // Every https_tick_interval, from the listener's timer.
    virtual void tick() {}
    // Drain: a WebSocket sends `goaway` and closes with 1001; an HTTP connection stays.
    virtual void drain(const std::shared_ptr<const std::string>& /*goaway*/) {}
};

inline constexpr std::chrono::seconds https_tick_interval{5};

struct https_listener_state {
    std::shared_ptr<boost::asio::ssl::context> tls;
    http_app& app;
    http_limits limits;
    std::unordered_set<https_session_base*> sessions;
    bool closed = false;
    bool draining = false;      // upgrades are refused with 503
    std::size_t websockets = 0; // ws_session objects alive
};

} // namespace icegate::net
