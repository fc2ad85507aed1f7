// The running service: workers, their listeners and handlers, built from one config snapshot.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
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
    // Drain (SIGTERM, docs/operations.md), started once: TURN TCP/TLS acceptors close, a new
    // Allocate gets 508 (or 300 Try Alternate), WebSockets get goaway then 1001 and upgrades
    // 503, /healthz answers 503, while live allocations go on. `done` runs once, on worker 0,
    // when no allocation and no WebSocket is left on any worker or the grace is over, with the
    // number left. Returns shutdown.grace; 0s: nothing was started (exit at once).
    // `handover` (an upgrade, docs/operations.md): a successor is about to bind the same
    // addresses, so the HTTPS listener closes too and every UDP listener pins the clients of
    // its live allocations and detaches (net::udp_listener::pin). Returns only once every
    // worker has done so, with `pinned` set to the number of UDP clients pinned.
    std::chrono::seconds begin_drain(std::function<void(std::size_t left)> done,
                                     bool handover = false, std::size_t* pinned = nullptr);
    bool draining() const noexcept { return draining_.load(std::memory_order_relaxed); }
    // An upgrade's successor, while its predecessor lives: every new UDP allocation gets a
    // socket of its own (net::udp_listener::pin), so its flow stays on its worker when the
    // predecessor's sockets leave the SO_REUSEPORT group. Any thread; pins stay until exit.
    void pin_new_udp_clients(bool on);
    // shutdown.grace (from the thread that called start()).
    std::chrono::seconds grace() const noexcept { return cfg_->shutdown.grace; }

    // Live reload, from the thread that called start(): builds everything `next` changes
    // (credentials, peer policy, limits, TLS context, signaling and web settings) and hands it
    // to each worker, which swaps it in on its own thread. Restart-only keys keep their running
    // value; the names of those that differ are returned. Throws, changing nothing, when
    // something in `next` cannot be built (a certificate that does not load).
    std::vector<std::string> reload(std::shared_ptr<const config> next);
    // Counts a reload whose config did not load (for /metrics).
    void count_failed_reload() noexcept { ++reloads_failed_; }

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
    std::shared_ptr<boost::asio::ssl::context> build_tls_context(const config& c);
    // The certificate and key files and their size and time: a reload builds a new context
    // only when this changes (a users-file change reloads too, and often).
    static std::string tls_stamp(const net::tls_material& m);
    std::shared_ptr<const config> with_rest_secret(std::shared_ptr<const config> cfg);
    // A member left its room for good: every worker's engine ends the allocations of the TURN
    // credentials minted for its session and refuses them from now on (session_credentials.cpp).
    void revoke_session_credentials(std::string_view session);
    void on_room_event(const signal::table_event& e);
    std::shared_ptr<const front_settings> make_front_settings(const config& c);
    static signal::room_settings room_settings_of(const config& c);
    bool has_tls_listener() const;

    std::string generated_secret_; // with_rest_secret's, kept across reloads
    // auth.credential_ttl in seconds (reload sets it): how long a revocation must be kept.
    std::atomic<std::int64_t> credential_ttl_{600};
    std::shared_ptr<const config> cfg_;
    // The config the peer policy is built from and the host's addresses: touched on worker 0
    // only (interface changes arrive there; a reload posts its config there).
    std::shared_ptr<const config> policy_cfg_;
    std::vector<stun::transport_address> interfaces_;
    std::shared_ptr<const turn::auth_settings> auth_settings_; // its nonce key outlives reloads
    std::filesystem::path web_root_;                           // resolved once, at start
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
    std::shared_ptr<const front_settings> front_;
    std::vector<worker_slot> slots_;
    std::unique_ptr<net::interface_watcher>
        watcher_; // on worker 0; after slots_: uses its io_context
    std::shared_ptr<boost::asio::ssl::context> tls_;
    std::string tls_stamp_; // of the files tls_ was built from
    // Contexts replaced by reloads: kept, so no connection's TLS state outlives its context.
    std::vector<std::shared_ptr<boost::asio::ssl::context>> retired_tls_;
    std::atomic<std::uint64_t> reloads_ok_{0};
    std::atomic<std::uint64_t> reloads_failed_{0};
    bool started_ = false;

    // Drain state (drain.cpp); last, so that it goes before the workers' io_contexts.
    void drain_tick(std::chrono::steady_clock::time_point deadline,
                    std::function<void(std::size_t)> done);
    std::size_t left() const noexcept;
    std::atomic<bool> draining_{false}; // /healthz reads it (web_context::draining)
    // Per worker: its allocations plus WebSockets as last reported; SIZE_MAX before a report.
    std::unique_ptr<std::atomic<std::size_t>[]> left_;
    std::unique_ptr<boost::asio::steady_timer> drain_timer_; // on worker 0
};

} // namespace icegate::app
