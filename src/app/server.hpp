// The running service: workers, their listeners and handlers, built from one config snapshot.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "https_front.hpp"
#include "icegate/config/config.hpp"
#include "icegate/net/https_listener.hpp"
#include "icegate/net/interface_watcher.hpp"
#include "icegate/net/packet_handler.hpp"
#include "icegate/net/stream_listener.hpp"
#include "icegate/net/tls_material.hpp"
#include "icegate/net/udp_listener.hpp"
#include "icegate/net/worker.hpp"
#include "icegate/net/worker_io.hpp"
#include "icegate/signal/room_table.hpp"
#include "icegate/turn/engine.hpp"
#include "icegate/turn/live_relays.hpp"
#include "icegate/turn/quota_table.hpp"
#include "icegate/turn/reservation_table.hpp"
#include "icegate/web/metrics.hpp"
#include "room_router.hpp"
#include "turn_setup.hpp"

namespace icegate::app {

// TLS setup's inputs from the config: the tls section, state_dir, and every address the
// self-signed certificate should name (listen, relay and http.listen addresses).
net::tls_settings make_tls_settings(const config& c);

class server {
public:
    explicit server(std::shared_ptr<const config> cfg);
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    ~server();

    // Opens every listener on every worker; throws std::runtime_error naming the address that
    // failed. Returns the bound addresses ("udp://127.0.0.1:3478"), ports resolved.
    std::vector<std::string> open();
    void start();
    // Closes listeners and connections on their workers, then joins the threads.
    void stop();

private:
    // Declared so that destruction runs from the listeners down to the io_context, which
    // everything above it uses.
    struct worker_slot {
        std::unique_ptr<net::worker> w;
        std::unique_ptr<net::worker_io> io;
        std::unique_ptr<turn::engine> engine;
        std::unique_ptr<net::packet_handler> handler;
        std::vector<std::unique_ptr<net::udp_listener>> udp;
        std::vector<std::unique_ptr<net::stream_listener>> streams;
        std::unique_ptr<signal::room_table> rooms; // rooms whose home is this worker
        std::unique_ptr<https_front> web;
        std::unique_ptr<net::https_listener> https;
        std::unique_ptr<boost::asio::steady_timer> tick;
    };

    static void check_relay_addresses(const relay_addresses& relays);
    void on_interfaces_changed(const std::vector<stun::transport_address>& interfaces);
    void start_tick(worker_slot& slot);
    void publish_metrics(std::size_t w);
    std::string open_udp(const listen_address& la);
    std::string open_stream(const listen_address& la);
    std::string open_https(const listen_address& la);
    std::shared_ptr<boost::asio::ssl::context> tls_context();

    std::shared_ptr<const config> cfg_;
    std::shared_ptr<turn::quota_table> quotas_;
    std::shared_ptr<turn::reservation_table> reservations_; // EVEN-PORT, across workers
    // Relay ports of live allocations, across workers: the peer policy's relay exception.
    std::shared_ptr<turn::live_relays> live_ = std::make_shared<turn::live_relays>();
    relay_addresses relays_;
    std::vector<listen_address> bound_; // STUN/TURN listeners, ports resolved
    metrics_registry metrics_;          // per-worker slots for /metrics
    // limits.connections_per_address over every TCP listener of every worker.
    std::shared_ptr<net::source_limiter> per_source_;
    // Declared before slots_: their fronts refer to them.
    std::unique_ptr<room_router> router_;
    std::unique_ptr<front_settings> front_;
    std::vector<worker_slot> slots_;
    std::unique_ptr<net::interface_watcher>
        watcher_; // on worker 0; after slots_: uses its io_context
    std::shared_ptr<boost::asio::ssl::context> tls_;
    bool started_ = false;
};

} // namespace icegate::app
