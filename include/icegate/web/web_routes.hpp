// The HTTPS routes other than /ws, as a pure function of the request: static files of the web
// client from http.web_root, /healthz and /api/ice-servers, with security headers on every
// response.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

#include "icegate/net/https_listener.hpp"
#include "icegate/web/ice_servers.hpp"
#include "icegate/web/metrics.hpp"

namespace icegate::app {

struct web_context {
    std::filesystem::path web_root; // canonical; empty: no static files (404)
    const ice_minter* ice = nullptr;
    // http.ice_servers_api: false (off) answers 404; true (token) needs a join token signed
    // with join_secret, as "Authorization: Bearer <JWT>" or "?token=<JWT>".
    bool ice_servers_api = false;
    std::string join_secret;
    const metrics_registry* metrics = nullptr; // null: /metrics is 404
    std::vector<cidr> metrics_allow;           // who may read /metrics; empty: nobody
    // Set by the server when it drains (shutdown): /healthz then answers 503 "draining" so a
    // load balancer takes the node out. Null: never draining.
    const std::atomic<bool>* draining = nullptr;
};

// `now_unix` stamps credentials and checks join tokens.
net::http_response handle_web_request(const net::http_request& req, const web_context& ctx,
                                      std::int64_t now_unix);

// GET /metrics: the Prometheus text for clients in metrics.allow, 403 for others.
net::http_response handle_metrics_request(const net::http_request& req, const web_context& ctx,
                                          const boost::asio::ip::address& remote);

// CSP, nosniff, Referrer-Policy, frame and permission policies: set on every response.
void add_security_headers(net::http_response& res);

// `http.web_root` made canonical; empty (and a warning logged) when it is not a folder, so no
// static file is served.
std::filesystem::path resolve_web_root(const std::filesystem::path& configured);

// "text/javascript; charset=utf-8" for "app.js"; application/octet-stream when unknown.
std::string_view content_type_for(const std::filesystem::path& file);

} // namespace icegate::app
