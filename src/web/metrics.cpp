// metrics_registry: per-worker slots summed into the Prometheus text format.
#include "icegate/web/metrics.hpp"

#include <sstream>
#include <string_view>

namespace icegate::app {

namespace {

struct metric_info {
    const char* name;
    const char* type;
    const char* help;
    const char* labels = nullptr; // one series of a labelled family: HELP and TYPE come once
};

constexpr const char* bandwidth_dropped = "icegate_bandwidth_dropped_packets_total";
constexpr const char* bandwidth_help =
    "Relayed packets (either way) dropped over limits.allocation_bandwidth, user_bandwidth or "
    "total_bandwidth";

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
    {bandwidth_dropped, "counter", bandwidth_help, "cap=\"allocation\""},
    {bandwidth_dropped, "counter", bandwidth_help, "cap=\"user\""},
    {bandwidth_dropped, "counter", bandwidth_help, "cap=\"total\""},
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
    {"icegate_answers_suppressed_total", "counter",
     "Error answers not sent to UDP requests that did not authenticate: the source was over "
     "limits.unauthenticated_answer_rate"},
    {"icegate_allocations_rate_limited_total", "counter",
     "Allocate requests refused with 486: the source was over limits.allocation_rate"},
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
        const metric_info& m = infos[i];
        if (i == 0 || std::string_view(infos[i - 1].name) != m.name) {
            out << "# HELP " << m.name << ' ' << m.help << '\n'
                << "# TYPE " << m.name << ' ' << m.type << '\n';
        }
        out << m.name;
        if (m.labels != nullptr) {
            out << '{' << m.labels << '}';
        }
        out << ' ' << sum << '\n';
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
