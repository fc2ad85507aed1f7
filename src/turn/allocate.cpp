// Allocate (RFC 8656 section 7.2, RFC 6156 dual stack): validate in the RFC's order, take the
// quota, open the relay socket(s), record the allocation and answer.
#include <spdlog/spdlog.h>

#include <string>

#include "engine_impl.hpp"
#include "icegate/stun/attributes.hpp"
#include "responses.hpp"

namespace icegate::turn {
namespace {

using stun::address_family;
using stun::attribute_type;
namespace status = stun::status;

using token_bytes = reservation_table::token;

// What the request asks for, once validated.
struct allocate_plan {
    std::uint16_t error = 0;
    address_family family = address_family::ipv4;
    bool dual = false; // ADDITIONAL-ADDRESS-FAMILY IPv6: a second relay socket
    bool dont_fragment = false;
    std::optional<stun::even_port> even;
    std::optional<token_bytes> token;
    std::optional<std::uint32_t> lifetime;
};

// The relay sockets opened for it.
struct opened_relays {
    std::uint16_t error = 0;
    std::array<relay_binding, 2> relays{};
    std::uint8_t count = 0;
    std::optional<token_bytes> token; // reserved the next port under this token
    std::uint16_t v6_error = 0;
};

bool family_offered(const engine_settings& s, address_family f) noexcept {
    return f == address_family::ipv4 ? s.relay_v4 : s.relay_v6;
}

std::uint16_t open_error(std::error_code ec) noexcept {
    return ec == std::errc::address_family_not_supported ? status::address_family_not_supported
                                                         : status::insufficient_capacity;
}

std::uint16_t read_transport(const stun::message_view& m) noexcept {
    const auto t = stun::get<stun::requested_transport>(m);
    if (!t) {
        return status::bad_request;
    }
    return t->protocol == stun::requested_transport::udp ? 0
                                                         : status::unsupported_transport_protocol;
}

// RESERVATION-TOKEN excludes EVEN-PORT and both family attributes; EVEN-PORT with R excludes
// a second family (one reserved port cannot serve two sockets).
std::uint16_t read_reservation(const stun::message_view& m, allocate_plan& p) noexcept {
    const bool raf = m.contains(attribute_type::requested_address_family);
    const bool aaf = m.contains(attribute_type::additional_address_family);
    const bool even = m.contains(attribute_type::even_port);
    if (m.contains(attribute_type::reservation_token)) {
        const auto t = stun::get<stun::reservation_token>(m);
        if (!t || even || raf || aaf) {
            return status::bad_request;
        }
        p.token = t->value;
    }
    if (even) {
        const auto e = stun::get<stun::even_port>(m);
        if (!e || (e->reserve && aaf)) {
            return status::bad_request;
        }
        p.even = *e;
    }
    return 0;
}

std::uint16_t read_families(const engine_settings& s, const stun::message_view& m,
                            allocate_plan& p) noexcept {
    const bool raf = m.contains(attribute_type::requested_address_family);
    const bool aaf = m.contains(attribute_type::additional_address_family);
    if (raf && aaf) {
        return status::bad_request;
    }
    if (raf) {
        const auto f = stun::get<stun::requested_address_family>(m);
        if (!f) {
            return f.error() == stun::errc::bad_address_family
                       ? status::address_family_not_supported
                       : status::bad_request;
        }
        p.family = f->family;
    }
    if (aaf) {
        const auto f = stun::get<stun::additional_address_family>(m);
        if (!f || f->family != address_family::ipv6) {
            return status::bad_request;
        }
        p.dual = true;
    }
    return p.token || family_offered(s, p.family) ? 0 : status::address_family_not_supported;
}

allocate_plan plan_allocate(const engine_settings& s, const stun::message_view& m) noexcept {
    allocate_plan p;
    p.error = read_transport(m);
    p.dont_fragment = m.contains(attribute_type::dont_fragment);
    if (p.error == 0) {
        p.error = read_reservation(m, p);
    }
    if (p.error == 0) {
        p.error = read_families(s, m, p);
    }
    if (p.error == 0 && m.contains(attribute_type::lifetime)) {
        const auto l = stun::get<stun::lifetime>(m);
        p.error = l ? 0 : status::bad_request;
        p.lifetime = l ? std::optional(l->value) : std::nullopt;
    }
    return p;
}

// Binds `port` and keeps the socket (io_port::hold_port), recorded in the shared table under a
// fresh token: the port stays ours until claimed (on any worker) or expired.
std::optional<token_bytes> reserve_port(engine::impl& e, const allocate_plan& p, std::uint16_t port,
                                        mono_time now) {
    const auto held = e.io.hold_port(p.family, port);
    if (!held) {
        return std::nullopt;
    }
    token_bytes t{};
    e.random(t);
    if (!e.reservations->reserve(t, p.family, port, *held, now + e.settings.reservation_lifetime)) {
        e.io.release_port(*held);
        return std::nullopt;
    }
    return t;
}

// EVEN-PORT with R (section 7.2): an even port for now, the next one kept under a token.
opened_relays open_reserved_pair(engine::impl& e, const allocate_plan& p, mono_time now) {
    opened_relays out;
    for (int attempt = 0; attempt < 4; ++attempt) {
        const auto first = e.open_relay({p.family, 0, true, p.dont_fragment});
        if (!first) {
            out.error = open_error(first.error());
            return out;
        }
        const std::uint16_t port = first->address.port;
        const auto token = port == 0xFFFF
                               ? std::nullopt
                               : reserve_port(e, p, static_cast<std::uint16_t>(port + 1), now);
        if (token) {
            out.relays[0] = *first;
            out.count = 1;
            out.token = token;
            return out;
        }
        e.close_relay(first->id, first->address);
    }
    out.error = status::insufficient_capacity;
    return out;
}

// RESERVATION-TOKEN (section 7.2), from any worker: unknown, claimed or expired → 508.
opened_relays claim_reservation(engine::impl& e, const allocate_plan& p, mono_time now) {
    opened_relays out;
    std::int64_t stale = -1;
    const auto where = e.reservations->claim(*p.token, now, &stale);
    if (stale >= 0) {
        e.io.release_port(stale);
    }
    const auto relay = where
                           ? e.open_relay({where->family, where->port, false, p.dont_fragment, true,
                                           where->handle})
                           : result<relay_binding>(std::make_error_code(std::errc::address_in_use));
    if (!relay) {
        out.error = status::insufficient_capacity;
        return out;
    }
    out.relays[0] = *relay;
    out.count = 1;
    return out;
}

opened_relays open_relays(engine::impl& e, const allocate_plan& p, mono_time now) {
    if (p.token) {
        return claim_reservation(e, p, now);
    }
    if (p.even && p.even->reserve) {
        return open_reserved_pair(e, p, now);
    }
    opened_relays out;
    const auto primary = e.open_relay({p.family, 0, p.even.has_value(), p.dont_fragment});
    if (!primary) {
        out.error = open_error(primary.error());
        return out;
    }
    out.relays[out.count++] = *primary;
    if (p.dual && !e.settings.relay_v6) {
        out.v6_error = status::address_family_not_supported;
    } else if (p.dual) {
        const auto v6 = e.open_relay({address_family::ipv6, 0, false, p.dont_fragment});
        if (v6) {
            out.relays[out.count++] = *v6;
        } else {
            out.v6_error = open_error(v6.error());
        }
    }
    return out;
}

stun::transport_address advertised(const engine_settings& s, const stun::transport_address& a) {
    const auto& external = a.is_v4() ? s.external_v4 : s.external_v6;
    if (!external || external->family != a.family) {
        return a;
    }
    stun::transport_address out = *external;
    out.port = a.port;
    return out;
}

// REST usernames are "<expiry>:<user>": the quota counts the user, not each credential.
std::string quota_name(const credential& c) {
    const std::string_view u = c.username;
    const auto colon = u.find(':');
    return std::string(c.expires && colon != std::string_view::npos ? u.substr(colon + 1) : u);
}

void log_created(engine::impl& e, const allocation& a) {
    if (!e.log_budget(e.created_lines, a.created)) {
        return;
    }
    e.log->info("allocation created: user={} client={} relay={} lifetime={}s", a.username,
                a.client.client.to_string(), relay_list(a), a.granted_lifetime);
}

allocation& create_allocation(engine::impl& e, const request_context& ctx, const allocate_plan& p,
                              const opened_relays& o, std::string quota_user) {
    auto a = std::make_unique<allocation>();
    a->client = ctx.from;
    a->username = ctx.cred->username;
    a->key = ctx.cred->key;
    a->key_size = ctx.cred->key_size;
    a->quota_user = std::move(quota_user);
    a->user_bandwidth = e.quotas->bandwidth_of(a->quota_user); // held while a lives
    a->serial = e.next_serial++;
    for (std::size_t i = 0; i < o.count; ++i) {
        a->relays[i] = {o.relays[i].id, o.relays[i].address,
                        advertised(e.settings, o.relays[i].address)};
    }
    a->relay_count = o.count;
    a->created = ctx.now.mono;
    const std::chrono::seconds lifetime = grant_lifetime(e.settings, p.lifetime);
    a->expiry = ctx.now.mono + lifetime;
    a->granted_lifetime = static_cast<std::uint32_t>(lifetime.count());
    a->allocate_txn = ctx.msg.transaction_id();
    a->reservation_token = o.token;
    a->v6_error = o.v6_error;
    allocation& ref = e.allocations.insert(std::move(a));
    e.arm(ref, ref.expiry);
    ++e.counters.allocations_created;
    log_created(e, ref);
    return ref;
}

void send_allocate_success(engine::impl& e, const request_context& ctx, const allocation& a) {
    response r(e, ctx, stun::message_class::success_response);
    stun::message_builder& b = r.builder();
    for (std::size_t i = 0; i < a.relay_count; ++i) {
        (void)stun::xor_relayed_address{a.relays[i].advertised}.encode(b);
    }
    if (a.v6_error != 0) {
        (void)stun::address_error_code{address_family::ipv6, a.v6_error,
                                       stun::default_reason_phrase(a.v6_error)}
            .encode(b);
    }
    (void)stun::lifetime{a.granted_lifetime}.encode(b);
    if (a.reservation_token) {
        (void)stun::reservation_token{*a.reservation_token}.encode(b);
    }
    (void)stun::xor_mapped_address{ctx.from.client}.encode(b);
    r.send();
}

// A draining server takes no new allocation (RFC 8656 section 7.2): 300 Try Alternate sends the
// client to ALTERNATE-SERVER (RFC 8489 section 14.15), which must be of the family the client
// speaks from; without one, 508 Insufficient Capacity.
void refuse_while_draining(engine::impl& e, const request_context& ctx) {
    const auto& alt = e.alternate;
    if (!alt || alt->family != ctx.from.client.family) {
        send_error(e, ctx, status::insufficient_capacity);
        return;
    }
    response r(e, ctx, stun::message_class::error_response);
    (void)stun::error_code_attribute{status::try_alternate,
                                     stun::default_reason_phrase(status::try_alternate)}
        .encode(r.builder());
    (void)stun::alternate_server{*alt}.encode(r.builder());
    r.send();
}

} // namespace

void handle_allocate(engine::impl& e, const request_context& ctx) noexcept {
    const five_tuple key = five_tuple::of(ctx.from);
    if (allocation* a = e.allocations.find(key); a != nullptr && !a->live(ctx.now.mono)) {
        e.end_allocation(key, "expired", ctx.now.mono); // due but not yet reaped
    } else if (a != nullptr) {
        const bool retransmit =
            a->allocate_txn == ctx.msg.transaction_id() && a->username == ctx.cred->username;
        if (retransmit) {
            send_allocate_success(e, ctx, *a);
        } else {
            send_error(e, ctx, status::allocation_mismatch);
        }
        return;
    }
    if (e.draining) {
        refuse_while_draining(e, ctx);
        return;
    }
    const allocate_plan plan = plan_allocate(e.settings, ctx.msg);
    if (plan.error != 0) {
        send_error(e, ctx, plan.error);
        return;
    }
    // Retransmissions and refusals above cost no token: only attempts to create one do.
    if (!e.may_allocate(ctx.from, ctx.now.mono)) {
        send_error(e, ctx, status::allocation_quota_reached);
        return;
    }
    std::string quota_user = quota_name(*ctx.cred);
    if (!e.quotas->try_acquire(quota_user, e.settings.user_quota, e.settings.total_quota)) {
        e.log_refusal(ctx, "quota exceeded");
        send_error(e, ctx, status::allocation_quota_reached);
        return;
    }
    const opened_relays relays = open_relays(e, plan, ctx.now.mono);
    if (relays.error != 0) {
        e.quotas->release(quota_user);
        send_error(e, ctx, relays.error);
        return;
    }
    const allocation& a = create_allocation(e, ctx, plan, relays, std::move(quota_user));
    send_allocate_success(e, ctx, a);
}

} // namespace icegate::turn
