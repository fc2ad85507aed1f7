#include "icegate/config/config_reload.hpp"

#include <algorithm>

namespace icegate::app {

namespace {

bool same_listen(const std::vector<listen_address>& a, const std::vector<listen_address>& b) {
    return std::ranges::equal(a, b, [](const listen_address& x, const listen_address& y) {
        return x.to_string() == y.to_string();
    });
}

bool same_listen(const std::optional<listen_address>& a, const std::optional<listen_address>& b) {
    return a.has_value() == b.has_value() && (!a || a->to_string() == b->to_string());
}

// Copies `field` of `running` into `out` and names `key` when `next` differs.
template <class T, class Same>
void keep(const T& running, const T& next, T& out, const char* key, Same same,
          std::vector<std::string>& changed) {
    if (!same(running, next)) {
        changed.emplace_back(key);
    }
    out = running;
}

} // namespace

reload_plan plan_reload(const config& running, const config& next) {
    auto eff = std::make_shared<config>(next);
    std::vector<std::string> changed;
    const auto eq = [](const auto& a, const auto& b) { return a == b; };
    const auto listen_eq = [](const auto& a, const auto& b) { return same_listen(a, b); };
    const auto ports_eq = [](const port_range& a, const port_range& b) {
        return a.first == b.first && a.last == b.last;
    };
    keep(running.listen, next.listen, eff->listen, "listen", listen_eq, changed);
    keep(running.workers, next.workers, eff->workers, "workers", eq, changed);
    keep(running.state_dir, next.state_dir, eff->state_dir, "state_dir", eq, changed);
    keep(running.relay.address, next.relay.address, eff->relay.address, "relay.address", eq,
         changed);
    keep(running.relay.address_v6, next.relay.address_v6, eff->relay.address_v6, "relay.address_v6",
         eq, changed);
    keep(running.relay.external_address, next.relay.external_address, eff->relay.external_address,
         "relay.external_address", eq, changed);
    keep(running.relay.ports, next.relay.ports, eff->relay.ports, "relay.ports", ports_eq, changed);
    keep(running.http.listen, next.http.listen, eff->http.listen, "http.listen", listen_eq,
         changed);
    keep(running.http.web_root, next.http.web_root, eff->http.web_root, "http.web_root", eq,
         changed);
    // Bounds every TCP/TLS listener was made with.
    const auto& rl = running.limits;
    auto& el = eff->limits;
    keep(rl.tcp_idle_timeout, next.limits.tcp_idle_timeout, el.tcp_idle_timeout,
         "limits.tcp_idle_timeout", eq, changed);
    keep(rl.tcp_buffer, next.limits.tcp_buffer, el.tcp_buffer, "limits.tcp_buffer", eq, changed);
    keep(rl.tcp_preauth_timeout, next.limits.tcp_preauth_timeout, el.tcp_preauth_timeout,
         "limits.tcp_preauth_timeout", eq, changed);
    keep(rl.connections_per_address, next.limits.connections_per_address,
         el.connections_per_address, "limits.connections_per_address", eq, changed);
    return reload_plan{std::move(eff), std::move(changed)};
}

} // namespace icegate::app
