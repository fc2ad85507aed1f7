// allocation: permission and channel lookups (linear: at most a few dozen entries each) and the
// expiry sweep.
#include "allocation.hpp"

#include <algorithm>

namespace icegate::turn {

std::size_t five_tuple_hash::operator()(const five_tuple& t) const noexcept {
    // FNV-1a over the fields that make the key.
    std::uint64_t h = 14695981039346656037ull;
    const auto mix = [&h](std::uint64_t v) {
        h ^= v;
        h *= 1099511628211ull;
    };
    for (const stun::transport_address* a : {&t.client, &t.server}) {
        mix(static_cast<std::uint64_t>(a->family));
        for (std::size_t i = 0; i < a->address_size(); ++i) {
            mix(a->bytes[i]);
        }
        mix(a->port);
    }
    mix(static_cast<std::uint64_t>(t.transport));
    return static_cast<std::size_t>(h);
}

stun::transport_address ip_only(const stun::transport_address& a) noexcept {
    stun::transport_address ip = a;
    ip.port = 0;
    return ip;
}

std::string relay_list(const allocation& a) {
    std::string out;
    for (std::size_t i = 0; i < a.relay_count; ++i) {
        out += (i == 0 ? "" : ",") + a.relays[i].advertised.to_string();
    }
    return out;
}

const relay_socket* allocation::relay_for(stun::address_family f) const noexcept {
    for (std::size_t i = 0; i < relay_count; ++i) {
        if (relays[i].bound.family == f) {
            return &relays[i];
        }
    }
    return nullptr;
}

bool allocation::permits(const stun::transport_address& peer, mono_time now) const noexcept {
    const stun::transport_address ip = ip_only(peer);
    return std::any_of(permissions.begin(), permissions.end(),
                       [&](const permission& p) { return p.ip == ip && now < p.expiry; });
}

permission* allocation::find_permission(const stun::transport_address& peer) noexcept {
    const stun::transport_address ip = ip_only(peer);
    const auto it = std::find_if(permissions.begin(), permissions.end(),
                                 [&](const permission& p) { return p.ip == ip; });
    return it == permissions.end() ? nullptr : &*it;
}

void allocation::install_permission(const stun::transport_address& peer, mono_time until) {
    if (permission* p = find_permission(peer)) {
        p->expiry = until;
        return;
    }
    permissions.push_back({ip_only(peer), until});
}

channel_binding* allocation::channel_by_number(std::uint16_t number) noexcept {
    const auto it = std::find_if(channels.begin(), channels.end(),
                                 [&](const channel_binding& c) { return c.number == number; });
    return it == channels.end() ? nullptr : &*it;
}

channel_binding* allocation::channel_by_peer(const stun::transport_address& peer) noexcept {
    const auto it = std::find_if(channels.begin(), channels.end(),
                                 [&](const channel_binding& c) { return c.peer == peer; });
    return it == channels.end() ? nullptr : &*it;
}

mono_time allocation::sweep(mono_time now) noexcept {
    std::erase_if(permissions, [now](const permission& p) { return p.expiry <= now; });
    std::erase_if(channels,
                  [now](const channel_binding& c) { return c.expiry + channel_cooldown <= now; });
    mono_time next = expiry;
    for (const permission& p : permissions) {
        next = std::min(next, p.expiry);
    }
    for (const channel_binding& c : channels) {
        next = std::min(next, c.expiry + channel_cooldown); // expiry itself needs no action
    }
    return next;
}

} // namespace icegate::turn
