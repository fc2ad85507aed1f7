// Refresh (RFC 8656 section 7.3): extend an allocation's lifetime, or delete it with LIFETIME 0.
#include "engine_impl.hpp"
#include "icegate/stun/attributes.hpp"
#include "responses.hpp"

namespace icegate::turn {
namespace {

void send_refresh_success(engine::impl& e, const request_context& ctx, std::uint32_t lifetime) {
    response r(e, ctx, stun::message_class::success_response);
    (void)stun::lifetime{lifetime}.encode(r.builder());
    r.send();
}

} // namespace

// A dual-stack allocation is refreshed or deleted as a whole, whatever family is named.
void handle_refresh(engine::impl& e, const request_context& ctx) noexcept {
    allocation* a = owned_allocation(e, ctx);
    if (a == nullptr) {
        return;
    }
    if (ctx.msg.contains(stun::attribute_type::requested_address_family)) {
        const auto f = stun::get<stun::requested_address_family>(ctx.msg);
        if (!f) {
            send_error(e, ctx, stun::status::bad_request);
            return;
        }
        if (!a->has_family(f->family)) {
            send_error(e, ctx, stun::status::peer_address_family_mismatch);
            return;
        }
    }
    std::optional<std::uint32_t> requested;
    if (ctx.msg.contains(stun::attribute_type::lifetime)) {
        const auto l = stun::get<stun::lifetime>(ctx.msg);
        if (!l) {
            send_error(e, ctx, stun::status::bad_request);
            return;
        }
        requested = l->value;
    }
    if (requested == 0u) {
        send_refresh_success(e, ctx, 0);
        e.end_allocation(five_tuple::of(ctx.from), "refresh-0", ctx.now.mono);
        return;
    }
    const std::chrono::seconds lifetime = grant_lifetime(e.settings, requested);
    a->expiry = ctx.now.mono + lifetime;
    e.arm(*a, a->expiry);
    send_refresh_success(e, ctx, static_cast<std::uint32_t>(lifetime.count()));
}

} // namespace icegate::turn
