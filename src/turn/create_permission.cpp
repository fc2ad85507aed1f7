// CreatePermission (RFC 8656 section 9): install or refresh permissions for one or more peer
// IP addresses, all or none.
#include "engine_impl.hpp"
#include "icegate/stun/attributes.hpp"
#include "icegate/turn/peer_policy.hpp"
#include "responses.hpp"

namespace icegate::turn {
namespace {

using peer_list = std::array<stun::transport_address, stun::message_view::max_attributes>;

// Every XOR-PEER-ADDRESS of the request into `out`; returns how many, or nullopt when one is
// malformed.
std::optional<std::size_t> collect_peers(const stun::message_view& m, peer_list& out) noexcept {
    std::size_t n = 0;
    for (const stun::attribute a : m) {
        if (a.type != stun::attribute_type::xor_peer_address) {
            continue;
        }
        const auto p = stun::xor_peer_address::decode(a.value, m.transaction_id());
        if (!p) {
            return std::nullopt;
        }
        out[n++] = p->address;
    }
    return n;
}

// Permissions the request would add (distinct IP addresses not installed yet).
std::size_t count_new(allocation& a, std::span<const stun::transport_address> peers) noexcept {
    std::size_t n = 0;
    for (std::size_t i = 0; i < peers.size(); ++i) {
        bool seen = a.find_permission(peers[i]) != nullptr;
        for (std::size_t j = 0; j < i && !seen; ++j) {
            seen = ip_only(peers[j]) == ip_only(peers[i]);
        }
        n += seen ? 0 : 1;
    }
    return n;
}

} // namespace

void handle_create_permission(engine::impl& e, const request_context& ctx) noexcept {
    allocation* a = owned_allocation(e, ctx);
    if (a == nullptr) {
        return;
    }
    peer_list storage;
    const auto n = collect_peers(ctx.msg, storage);
    if (!n || *n == 0) {
        send_error(e, ctx, stun::status::bad_request);
        return;
    }
    const std::span<const stun::transport_address> peers(storage.data(), *n);
    for (const stun::transport_address& p : peers) {
        if (!a->has_family(p.family)) {
            send_error(e, ctx, stun::status::peer_address_family_mismatch);
            return;
        }
        if (!e.policy->permits(p)) {
            ++e.counters.peer_dropped_policy;
            send_error(e, ctx, stun::status::forbidden);
            return;
        }
    }
    (void)a->sweep(ctx.now.mono); // expired permissions do not count against the cap
    if (a->permissions.size() + count_new(*a, peers) > e.settings.max_permissions) {
        send_error(e, ctx, stun::status::insufficient_capacity);
        return;
    }
    const mono_time expiry = ctx.now.mono + e.settings.permission_lifetime;
    for (const stun::transport_address& p : peers) {
        a->install_permission(p, expiry);
    }
    e.arm(*a, expiry);
    send_success(e, ctx);
}

} // namespace icegate::turn
