// ChannelBind (RFC 8656 section 12.2): bind a channel number to a peer transport address, or
// refresh that binding; installs or refreshes the peer's permission too.
#include "engine_impl.hpp"
#include "icegate/stun/attributes.hpp"
#include "icegate/stun/channel_data.hpp"
#include "icegate/turn/peer_policy.hpp"
#include "responses.hpp"

namespace icegate::turn {
namespace {

namespace status = stun::status;

// The rebinding rules: a number keeps its peer and a peer its number while bound and through
// the cool-down after expiry; the cap counts cooling channels as well.
std::uint16_t check_binding(const engine::impl& e, allocation& a, std::uint16_t number,
                            const stun::transport_address& peer) noexcept {
    const channel_binding* by_number = a.channel_by_number(number);
    const channel_binding* by_peer = a.channel_by_peer(peer);
    if ((by_number != nullptr && by_number->peer != peer) ||
        (by_peer != nullptr && by_peer->number != number)) {
        return status::bad_request;
    }
    if (by_number == nullptr && a.channels.size() >= e.settings.max_channels) {
        return status::insufficient_capacity;
    }
    if (a.find_permission(peer) == nullptr && a.permissions.size() >= e.settings.max_permissions) {
        return status::insufficient_capacity;
    }
    return 0;
}

} // namespace

void handle_channel_bind(engine::impl& e, const request_context& ctx) noexcept {
    allocation* a = owned_allocation(e, ctx);
    if (a == nullptr) {
        return;
    }
    const auto number = stun::get<stun::channel_number>(ctx.msg);
    const auto peer = stun::get<stun::xor_peer_address>(ctx.msg);
    if (!number || !stun::is_rfc5766_channel_number(number->number) || !peer) {
        send_error(e, ctx, status::bad_request);
        return;
    }
    if (!a->has_family(peer->address.family)) {
        send_error(e, ctx, status::peer_address_family_mismatch);
        return;
    }
    if (!e.policy->permits(peer->address)) {
        ++e.counters.peer_dropped_policy;
        send_error(e, ctx, status::forbidden);
        return;
    }
    const mono_time now = ctx.now.mono;
    (void)a->sweep(now);
    const std::uint16_t error = check_binding(e, *a, number->number, peer->address);
    if (error != 0) {
        send_error(e, ctx, error);
        return;
    }
    const mono_time channel_expiry = now + e.settings.channel_lifetime;
    if (channel_binding* c = a->channel_by_number(number->number)) {
        c->expiry = channel_expiry;
    } else {
        a->channels.push_back({number->number, peer->address, channel_expiry});
    }
    const mono_time permission_expiry = now + e.settings.permission_lifetime;
    a->install_permission(peer->address, permission_expiry);
    e.arm(*a, std::min(permission_expiry, channel_expiry + channel_cooldown));
    send_success(e, ctx);
}

} // namespace icegate::turn
