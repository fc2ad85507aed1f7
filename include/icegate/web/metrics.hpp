// Prometheus metrics for /metrics: each worker publishes its counters into its own slot once a
// second (its 1 s tick, relaxed atomics: no lock and nothing per packet), and a scrape sums the
// slots. Values are therefore up to a second old.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "icegate/config/config.hpp"

namespace icegate::app {

enum class metric : std::size_t {
    allocations,                     // gauge
    allocations_created,             // counter
    allocations_ended,               // counter
    peer_dropped_no_permission,      // counter
    peer_dropped_policy,             // counter
    client_dropped,                  // counter
    bandwidth_dropped_allocation,    // counter {cap="allocation"}
    bandwidth_dropped_user,          // counter {cap="user"}
    bandwidth_dropped_total,         // counter {cap="total"}
    rooms,                           // gauge (home worker's rooms)
    room_members,                    // gauge
    https_connections,               // gauge (HTTP and WebSocket)
    accept_pauses,                   // counter
    connections_refused_per_address, // counter
    config_reloads,                  // counter
    config_reload_failures,          // counter
    answers_suppressed,              // counter
    allocations_rate_limited,        // counter
    count_
};

class metrics_registry {
public:
    explicit metrics_registry(std::size_t workers);
    // Called by worker `w` only.
    void publish(std::size_t w, metric m, std::uint64_t value) noexcept;
    // Prometheus text exposition format (version 0.0.4).
    std::string render() const;

private:
    static constexpr std::size_t n = static_cast<std::size_t>(metric::count_);
    struct alignas(64) slot {
        std::array<std::atomic<std::uint64_t>, n> values{};
    };
    std::vector<std::unique_ptr<slot>> slots_;
};

// Whether `remote` may read /metrics (metrics.allow; empty: nobody).
bool metrics_allowed(const std::vector<cidr>& allow, const boost::asio::ip::address& remote);

} // namespace icegate::app
