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

// What every worker's front reads; immutable. A reload makes a new one and hands it to each
// front on its worker; a WebSocket keeps the snapshot it was opened with.
struct front_settings {
    signal::session_settings session;
    std::vector<std::string> allowed_origins; // lowercase; empty: same origin only
    web_context web;                          // its `ice` points at *ice
    std::shared_ptr<const ice_minter> ice;
};

class https_front : public net::http_app {
public:
    https_front(std::shared_ptr<const front_settings> settings, room_router& router)
        : settings_(std::move(settings)), router_(router) {}
    // On the front's worker.
    void set_settings(std::shared_ptr<const front_settings> settings) {
        settings_ = std::move(settings);
    }
    net::http_response handle(const net::http_request& req,
                              const boost::asio::ip::tcp::endpoint& remote) override;
    std::unique_ptr<net::ws_handler> accept_websocket(const net::http_request& req,
                                                      const boost::asio::ip::tcp::endpoint& remote,
                                                      std::shared_ptr<net::ws_connection> conn,
                                                      net::http_response& refusal) override;

private:
    std::shared_ptr<const front_settings> settings_;
    room_router& router_;
};

} // namespace icegate::app
