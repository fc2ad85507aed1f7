// One worker's HTTPS application: the web routes (static files, /healthz, /api/ice-servers,
// /metrics) and the /ws upgrade, whose Origin it checks before it pairs the WebSocket with a
// signal::session (design.md section 2).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "icegate/net/https_listener.hpp"
#include "icegate/signal/session.hpp"
#include "icegate/web/ice_servers.hpp"
#include "icegate/web/web_routes.hpp"
#include "room_router.hpp"

namespace icegate::app {

// What every worker's front shares; read-only once the server runs.
struct front_settings {
    signal::session_settings session;
    std::vector<std::string> allowed_origins; // lowercase; empty: same origin only
    web_context web;                          // its `ice` points at *ice
    std::shared_ptr<const ice_minter> ice;
};

class https_front : public net::http_app {
public:
    https_front(const front_settings& settings, room_router& router)
        : settings_(settings), router_(router) {}
    net::http_response handle(const net::http_request& req,
                              const boost::asio::ip::tcp::endpoint& remote) override;
    std::unique_ptr<net::ws_handler> accept_websocket(const net::http_request& req,
                                                      const boost::asio::ip::tcp::endpoint& remote,
                                                      std::shared_ptr<net::ws_connection> conn,
                                                      net::http_response& refusal) override;

private:
    const front_settings& settings_;
    room_router& router_;
};

} // namespace icegate::app
