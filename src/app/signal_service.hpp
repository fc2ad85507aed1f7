// The signaling service glue: the HTTPS app of each worker (static files, /api/ice-servers,
// /ws with its Origin check) and one signal_connection per WebSocket, which parses frames,
// enforces rates, and posts each message to the room's home worker (design.md section 2).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ice_servers.hpp"
#include "icegate/app/config.hpp"
#include "icegate/net/https_listener.hpp"
#include "icegate/net/worker.hpp"
#include "icegate/signal/rate_limiter.hpp"
#include "icegate/signal/room_table.hpp"
#include "password_pool.hpp"
#include "web_routes.hpp"

namespace icegate::app {

// What every worker's signaling shares: the workers and their room tables (each touched only
// on its own worker), the per-IP join limiter, the password pool, the ICE minter and the
// settings.
class signal_hub {
public:
    struct settings {
        double message_rate = 50; // frames per second per session; burst 4x
        double join_rate = 5;     // joins per second per client IP; burst 2x
        // Password checks and hashes waiting for the pool, server-wide; beyond: "server busy".
        // At ~12 ms each, a full queue is about 0.4 s of work for one pool thread.
        std::size_t password_queue = 32;
        std::size_t password_threads = 1;
        std::string join_secret;
        signal::limits frame_limits;
        std::vector<std::string> allowed_origins; // lowercase; empty: same origin only
        web_context web;
    };

    // A join on its way: to the room's home worker, through the password pool when the room
    // table asks for argon2id work, and back to the home worker with the verdict.
    struct join_flight {
        signal::join_request req;
        // Called on the home worker with the outcome (never with work to do). Not called when
        // the connection closed while the password work waited.
        std::function<void(const signal::join_result&)> done;
        std::shared_ptr<const std::atomic<bool>> wanted; // false once the connection closed
        int rounds = 0;                                  // trips through the pool so far
    };

    signal_hub(settings s, std::vector<net::worker*> workers,
               std::vector<signal::room_table*> tables, std::shared_ptr<const ice_minter> ice);
    ~signal_hub();

    // Stops the password pool (queued work dropped, running work finished): call before the
    // workers stop, since its jobs post to them. Idempotent.
    void shutdown();

    const settings& config() const noexcept { return settings_; }
    const ice_minter& ice() const noexcept { return *ice_; }
    signal::join_limiter& joins() noexcept { return joins_; }
    std::size_t workers() const noexcept { return workers_.size(); }

    // Runs the join on the room's home worker; `f.done` gets its outcome. From any thread.
    void join(join_flight f);

    // Runs `f(table)` on the home worker of `room`: at once when that is this thread (every
    // frame of a connection for one room takes the same path, so their order holds), else
    // posted there.
    template <class F>
    void post_home(const std::string& room, F&& f) {
        const auto home = home_of(room);
        if (workers_[home]->running_in_this_thread()) {
            f(*tables_[home]);
            return;
        }
        workers_[home]->post([t = tables_[home], f = std::forward<F>(f)]() mutable { f(*t); });
    }

private:
    std::size_t home_of(const std::string& room) const noexcept;
    void join_round(signal::room_table& t, join_flight f);

    settings settings_;
    std::vector<net::worker*> workers_;
    std::vector<signal::room_table*> tables_;
    std::shared_ptr<const ice_minter> ice_;
    signal::join_limiter joins_;
    password_pool pool_; // last: stopped and joined first, while the rest is whole
};

// One worker's HTTPS application.
class signal_app : public net::http_app {
public:
    explicit signal_app(signal_hub& hub) : hub_(hub) {}
    net::http_response handle(const net::http_request& req,
                              const boost::asio::ip::tcp::endpoint& remote) override;
    std::unique_ptr<net::ws_handler> accept_websocket(const net::http_request& req,
                                                      const boost::asio::ip::tcp::endpoint& remote,
                                                      std::shared_ptr<net::ws_connection> conn,
                                                      net::http_response& refusal) override;

private:
    signal_hub& hub_;
};

// Whether a WebSocket upgrade's Origin may connect: listed in `allowed` (lowercase), or with
// an empty list the page's own origin (https://<Host>). No Origin header: not a browser, so
// there is no page to protect; allowed.
bool origin_allowed(std::string_view origin, std::string_view host,
                    const std::vector<std::string>& allowed);

signal::clock_reading signal_clock() noexcept;

} // namespace icegate::app
