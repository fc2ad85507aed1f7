// turn_setup: config → authenticator settings, peer policy, engine settings, relay slices.
#include "turn_setup.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

#include "icegate/net/endpoint.hpp"
#include "icegate/net/interface_watcher.hpp"

namespace icegate::app {

namespace {

namespace ip = boost::asio::ip;

turn::prefix to_prefix(const cidr& c) {
    return turn::prefix::of(net::to_transport_address(c.network, 0),
                            static_cast<std::uint8_t>(c.prefix));
}

std::optional<stun::transport_address> external(const config& c, bool v6) {
    const auto& e = c.relay.external_address;
    if (!e || e->is_v6() != v6) {
        return std::nullopt;
    }
    return net::to_transport_address(*e, 0);
}

} // namespace

relay_addresses resolve_relay_addresses(const config& c) {
    relay_addresses r;
    r.v4 = c.relay.address ? c.relay.address : net::first_usable_address(false);
    if (!r.v4) {
        r.v4 = ip::make_address("127.0.0.1");
    }
    r.v6 = c.relay.address_v6 ? c.relay.address_v6 : net::first_usable_address(true);
    return r;
}

std::shared_ptr<const turn::auth_settings> make_auth_settings(const config& c) {
    if (sodium_init() < 0) {
        throw std::runtime_error("libsodium failed to initialise");
    }
    auto s = std::make_shared<turn::auth_settings>();
    s->realm = c.realm;
    for (const auto& u : c.auth.users) {
        s->users.push_back({u.name, u.key_md5, u.key_sha256});
    }
    s->secrets = c.auth.secrets;
    randombytes_buf(s->nonce_key.data(), s->nonce_key.size());
    return s;
}

std::shared_ptr<const turn::peer_policy>
make_peer_policy(const config& c, const relay_addresses& relays,
                 std::shared_ptr<const turn::live_relays> live,
                 const std::vector<stun::transport_address>& interfaces) {
    std::vector<turn::prefix> allow;
    std::vector<turn::prefix> deny;
    for (const auto& x : c.peers.allow) {
        allow.push_back(to_prefix(x));
    }
    for (const auto& x : c.peers.deny) {
        deny.push_back(to_prefix(x));
    }
    std::vector<stun::transport_address> own = interfaces;
    for (const auto& l : c.listen) {
        own.push_back(net::to_transport_address(l.address, l.port));
    }
    if (c.http.listen) {
        own.push_back(net::to_transport_address(c.http.listen->address, c.http.listen->port));
    }
    std::vector<stun::transport_address> relay_addresses;
    for (const auto& a : {relays.v4, relays.v6, c.relay.external_address}) {
        if (a) {
            own.push_back(net::to_transport_address(*a, 0));
            relay_addresses.push_back(net::to_transport_address(*a, 0));
        }
    }
    return std::make_shared<turn::peer_policy>(std::move(allow), std::move(deny), own,
                                               relay_addresses, std::move(live));
}

void check_listeners_outside_relay_ports(const config& c) {
    const auto& r = c.relay.ports;
    const auto inside = [&r](std::uint16_t port) {
        return port != 0 && port >= r.first && port <= r.last;
    };
    const auto refuse = [&r](const std::string& what) {
        throw std::runtime_error(what + " lies inside relay.ports " + std::to_string(r.first) +
                                 "-" + std::to_string(r.last) +
                                 ": that range is for relay sockets only; move the listener "
                                 "or the range");
    };
    for (const auto& l : c.listen) {
        if (inside(l.port)) {
            refuse("listen " + l.to_string());
        }
    }
    if (const auto& h = c.http.listen; h && inside(h->port)) {
        const std::string host =
            h->address.is_v6() ? "[" + h->address.to_string() + "]" : h->address.to_string();
        refuse("http.listen " + host + ":" + std::to_string(h->port));
    }
}

std::uint16_t unused_port_outside_relay_ports(const config& c,
                                              const boost::asio::ip::address& address, int type) {
    // The kernel picks from its ephemeral range; when relay.ports overlaps it (a warning at
    // start), a few draws find a port outside, and all of them missing means the ranges
    // coincide.
    constexpr int tries = 64;
    for (int i = 0; i < tries; ++i) {
        const std::uint16_t port = net::unused_port(address, type);
        if (port < c.relay.ports.first || port > c.relay.ports.last) {
            return port;
        }
    }
    throw std::runtime_error("every free port the kernel offered for " + address.to_string() +
                             " lies inside relay.ports " + std::to_string(c.relay.ports.first) +
                             "-" + std::to_string(c.relay.ports.last) +
                             ": give the listener a port outside it");
}

std::optional<std::pair<std::uint16_t, std::uint16_t>> ephemeral_port_range(const char* path) {
    std::ifstream in(path);
    unsigned first = 0;
    unsigned last = 0;
    if (!(in >> first >> last) || first == 0 || first > last || last > 65535) {
        return std::nullopt;
    }
    return std::pair{static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)};
}

std::string ephemeral_overlap_warning(const config& c,
                                      std::pair<std::uint16_t, std::uint16_t> ephemeral) {
    const auto& r = c.relay.ports;
    if (r.last < ephemeral.first || r.first > ephemeral.second) {
        return {};
    }
    const std::string relay = std::to_string(r.first) + "-" + std::to_string(r.last);
    const std::string kernel =
        std::to_string(ephemeral.first) + "-" + std::to_string(ephemeral.second);
    return "relay.ports " + relay + " overlaps the kernel's ephemeral port range " + kernel +
           " (net.ipv4.ip_local_port_range): ports the kernel gives outgoing sockets are lost "
           "to relays, and relays take ports other programs expect. Choose relay.ports "
           "outside it (the default, 16384-32767, is below Linux's 32768-60999) or reserve "
           "the range: sysctl -w net.ipv4.ip_local_reserved_ports=" +
           relay;
}

turn::engine_settings make_engine_settings(const config& c, const relay_addresses& relays) {
    turn::engine_settings s;
    s.software = c.software;
    s.max_lifetime = c.limits.max_lifetime;
    s.default_lifetime = std::min(s.default_lifetime, s.max_lifetime);
    s.max_permissions = c.limits.max_permissions;
    s.max_channels = c.limits.max_channels;
    s.user_quota = c.limits.user_quota;
    s.total_quota = c.limits.total_quota;
    s.unauthenticated_answer_rate = c.limits.unauthenticated_answer_rate;
    s.unauthenticated_answer_burst = c.limits.unauthenticated_answer_burst;
    s.allocation_rate = c.limits.allocation_rate;
    s.allocation_bandwidth = c.limits.allocation_bandwidth;
    s.user_bandwidth = c.limits.user_bandwidth;
    // Each worker enforces an even share: nothing shared per packet (configuration.md says
    // what that costs when the load is uneven).
    const std::uint64_t workers = std::max(c.workers, 1u);
    s.total_bandwidth = c.limits.total_bandwidth == 0
                            ? 0
                            : std::max<std::uint64_t>(c.limits.total_bandwidth / workers, 1);
    s.relay_v4 = relays.v4.has_value();
    s.relay_v6 = relays.v6.has_value();
    s.external_v4 = external(c, false);
    s.external_v6 = external(c, true);
    return s;
}

net::relay_settings relay_slice(const config& c, const relay_addresses& relays, unsigned index,
                                unsigned count) {
    const std::uint32_t first = c.relay.ports.first;
    const std::uint32_t size = c.relay.ports.last - first + 1u;
    const std::uint32_t per = size / count;
    if (per < 2) {
        throw std::runtime_error("relay.ports has fewer than two ports per worker");
    }
    net::relay_settings r;
    r.address_v4 = relays.v4;
    r.address_v6 = relays.v6;
    r.first_port = static_cast<std::uint16_t>(first + index * per);
    r.last_port = static_cast<std::uint16_t>(index + 1 == count ? c.relay.ports.last
                                                                : first + (index + 1) * per - 1);
    r.range_first = c.relay.ports.first;
    r.range_last = c.relay.ports.last;
    return r;
}

} // namespace icegate::app
