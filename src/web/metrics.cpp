// metrics_registry: per-worker slots summed into the Prometheus text format.
#include "icegate/web/metrics.hpp"

#include <sstream>

namespace icegate::app {

namespace {

struct metric_info {
    const char* name;
    const char* type;
    const char* help;
};

constexpr std::array<metric_info, static_cast<std::size_t>(metric::count_)> infos{{
    {"icegate_allocations", "gauge", "TURN allocations alive"},
    {"icegate_allocations_created_total", "counter", "TURN allocations created"},
    {"icegate_allocations_ended_total", "counter", "TURN allocations ended"},
    {"icegate_peer_dropped_no_permission_total", "counter",
     "Peer datagrams dropped: no permission for the peer"},
    {"icegate_peer_dropped_policy_total", "counter",
     "Datagrams dropped by the peer policy (denied address ranges)"},
    {"icegate_client_dropped_total", "counter",
     "Client messages dropped: unparseable, unknown channel, no permission"},
    {"icegate_signal_rooms", "gauge", "Signaling rooms"},
    {"icegate_signal_members", "gauge", "Signaling room members, attached or awaiting resume"},
    {"icegate_https_connections", "gauge", "Open HTTPS and WebSocket connections"},
    {"icegate_accept_pauses_total", "counter",
     "Times accepting TCP connections paused: out of file descriptors or kernel memory"},
    {"icegate_connections_refused_per_address_total", "counter",
     "TCP connections closed on accept: the source held limits.connections_per_address"},
    {"icegate_config_reloads_total", "counter", "Live reloads (SIGHUP) that took effect"},
    {"icegate_config_reload_failures_total", "counter",
     "Live reloads refused: the config did not load; the running one kept serving"},
}};

} // namespace

metrics_registry::metrics_registry(std::size_t workers) {
    for (std::size_t i = 0; i < workers; ++i) {
        slots_.push_back(std::make_unique<slot>());
    }
}

void metrics_registry::publish(std::size_t w, metric m, std::uint64_t value) noexcept {
    slots_[w]->values[static_cast<std::size_t>(m)].store(value, std::memory_order_relaxed);
}

std::string metrics_registry::render() const {
    std::ostringstream out;
    for (std::size_t i = 0; i < n; ++i) {
        std::uint64_t sum = 0;
        for (const auto& s : slots_) {
            sum += s->values[i].load(std::memory_order_relaxed);
        }
        out << "# HELP " << infos[i].name << ' ' << infos[i].help << '\n'
            << "# TYPE " << infos[i].name << ' ' << infos[i].type << '\n'
            << infos[i].name << ' ' << sum << '\n';
    }
    return out.str();
}

bool metrics_allowed(const std::vector<cidr>& allow, const boost::asio::ip::address& remote) {
    auto a = remote;
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        a = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
    }
    for (const auto& c : allow) {
        if (c.contains(a)) {
            return true;
        }
    }
    return false;
}

} // namespace icegate::app
