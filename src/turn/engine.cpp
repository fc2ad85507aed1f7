// The TURN engine's front door: demultiplexing (STUN or ChannelData), the checks every request
// passes (FINGERPRINT, unknown attributes, long-term credentials), timers and allocation ends.
#include "icegate/turn/engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "engine_impl.hpp"
#include "icegate/stun/binding.hpp"
#include "icegate/stun/channel_data.hpp"
#include "icegate/stun/simple_attributes.hpp"
#include "responses.hpp"

namespace icegate::turn {
namespace {

void release_free_memory() noexcept {
#if defined(__GLIBC__)
    ::malloc_trim(0);
#endif
}

using stun::message_class;
using stun::method;

// Answers Binding requests as a plain STUN server would; true when `bytes` was one (answered
// or dropped), so TURN processing is skipped.
bool try_binding(engine::impl& e, std::span<const std::uint8_t> bytes, const client_ref& from) {
    if (bytes.size() < stun::header_size) {
        return false;
    }
    const auto raw = static_cast<std::uint16_t>((bytes[0] << 8) | bytes[1]);
    if (stun::decode_message_type(raw).method != method::binding) {
        return false;
    }
    const auto out = e.scratch().first(stun::max_binding_response);
    const std::size_t n = stun::handle_binding(bytes, from.client, {e.settings.software}, out);
    if (n > 0) {
        e.io.send_to_client(from, out.first(n));
    }
    return true;
}

// The user part of a TURN REST username ("<expiry>:<user>"); empty for static users.
std::string_view rest_user_of(std::string_view username, bool rest) noexcept {
    const auto colon = username.find(':');
    return rest && colon != std::string_view::npos ? username.substr(colon + 1)
                                                   : std::string_view();
}

// A credential whose session is gone (revoke_rest_user) fails as an unknown one does: 401.
bool revoked_credential(const engine::impl& e, const verdict& v, std::int64_t now) noexcept {
    if (!v.ok() || !v.cred || e.revoked_users.size() == 0) {
        return false;
    }
    const auto user = rest_user_of(v.cred->username, v.cred->expires.has_value());
    return !user.empty() && e.revoked_users.contains(user, now);
}

// Verifies the long-term credential, answering 400/401/438 itself when it fails; the handlers
// sign with the verdict's credential, which lives until they return.
void authenticate_and_dispatch(engine::impl& e, const request_context& ctx) noexcept {
    verdict v = e.auth->verify(ctx.msg, ctx.from.client, ctx.now.unix_seconds);
    if (revoked_credential(e, v, ctx.now.unix_seconds)) {
        v = verdict{stun::status::unauthorized, std::nullopt, auth_failure::revoked};
    }
    if (!v.ok() || !v.cred) {
        const std::uint16_t code = v.ok() ? stun::status::unauthorized : v.code;
        e.log_refusal(ctx, describe(v.failure));
        if (!e.may_answer_unauthenticated(ctx.from, ctx.now.mono)) {
            // Silence: over the source's rate, as a spoofed flood would be.
        } else if (code == stun::status::unauthorized || code == stun::status::stale_nonce) {
            send_challenge(e, ctx, code);
        } else {
            send_error(e, ctx, code);
        }
        // A refused Refresh of an allocation whose credential a reload revoked ends it.
        const auto key = five_tuple::of(ctx.from);
        if (const allocation* a = e.allocations.find(key); code == stun::status::unauthorized &&
                                                           a != nullptr && a->revoked &&
                                                           ctx.msg.method() == method::refresh) {
            e.end_allocation(key, "revoked", ctx.now.mono);
        }
        return;
    }
    const request_context authed{ctx.msg, ctx.from, ctx.now, &*v.cred, ctx.fingerprint};
    switch (ctx.msg.method()) {
    case method::allocate:
        handle_allocate(e, authed);
        break;
    case method::refresh:
        handle_refresh(e, authed);
        break;
    case method::create_permission:
        handle_create_permission(e, authed);
        break;
    case method::channel_bind:
        handle_channel_bind(e, authed);
        break;
    default:
        break; // filtered by on_request()
    }
}

bool is_turn_request_method(method m) noexcept {
    return m == method::allocate || m == method::refresh || m == method::create_permission ||
           m == method::channel_bind;
}

void on_request(engine::impl& e, const request_context& ctx) noexcept {
    std::array<stun::attribute_type, stun::message_view::max_attributes> unknown;
    const std::size_t n = stun::unknown_comprehension_required(ctx.msg, unknown);
    // These answers come before authentication: they count against the source's rate.
    if (n > 0) {
        if (e.may_answer_unauthenticated(ctx.from, ctx.now.mono)) {
            send_unknown_attributes(e, ctx, std::span(unknown).first(n));
        }
        return;
    }
    if (!is_turn_request_method(ctx.msg.method())) {
        // RFC 6062 (TCP relaying) and unknown methods: not offered here.
        if (e.may_answer_unauthenticated(ctx.from, ctx.now.mono)) {
            send_error(e, ctx, stun::status::bad_request);
        }
        return;
    }
    authenticate_and_dispatch(e, ctx);
}

void on_stun(engine::impl& e, std::span<const std::uint8_t> bytes, const client_ref& from,
             const clock_reading& now) noexcept {
    if (try_binding(e, bytes, from)) {
        return;
    }
    const auto msg = stun::message_view::parse(bytes);
    if (!msg || !msg->has_magic_cookie()) {
        ++e.counters.client_dropped;
        return;
    }
    const bool fingerprint = msg->contains(stun::attribute_type::fingerprint);
    if (fingerprint && !msg->check_fingerprint()) {
        ++e.counters.client_dropped;
        return;
    }
    const message_class cls = msg->message_class();
    if (cls == message_class::indication && msg->method() == method::send) {
        std::array<stun::attribute_type, 1> unknown;
        if (stun::unknown_comprehension_required(*msg, unknown) == 0) {
            handle_send_indication(e, *msg, from, now);
            return;
        }
    }
    if (cls != message_class::request) {
        ++e.counters.client_dropped; // other indications, responses: never answered
        return;
    }
    on_request(e, {*msg, from, now, nullptr, fingerprint});
}

} // namespace

std::int64_t wheel_seconds(mono_time t) noexcept {
    return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::int64_t wheel_seconds_ceil(mono_time t) noexcept {
    return std::chrono::ceil<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::chrono::seconds grant_lifetime(const engine_settings& s,
                                    std::optional<std::uint32_t> requested) noexcept {
    if (!requested) {
        return s.default_lifetime;
    }
    const std::chrono::seconds asked{*requested};
    return std::max(std::min(asked, s.max_lifetime), s.default_lifetime);
}

allocation* owned_allocation(engine::impl& e, const request_context& ctx) noexcept {
    allocation* a = e.allocations.find(five_tuple::of(ctx.from));
    if (a == nullptr || !a->live(ctx.now.mono)) {
        send_error(e, ctx, stun::status::allocation_mismatch);
        return nullptr;
    }
    if (a->username != ctx.cred->username) {
        send_error(e, ctx, stun::status::wrong_credentials);
        return nullptr;
    }
    return a;
}

engine::impl::impl(engine_settings s, std::shared_ptr<const authenticator> a,
                   std::shared_ptr<const peer_policy> p, std::shared_ptr<quota_table> q,
                   std::shared_ptr<reservation_table> rt, io_port& i,
                   std::function<void(std::span<std::uint8_t>)> r, std::shared_ptr<live_relays> l)
    : settings(std::move(s)), auth(std::move(a)), policy(std::move(p)), quotas(std::move(q)),
      reservations(std::move(rt)), io(i), random(std::move(r)), live(std::move(l)),
      log(spdlog::get("turn")) {
    random(indication_base);
    created_lines.rate = settings.lifecycle_log_rate;
    ended_lines.rate = settings.lifecycle_log_rate;
}

result<relay_binding> engine::impl::open_relay(const relay_request& req) noexcept {
    auto r = io.open_relay(req);
    if (r && live) {
        live->add(r->address.family, r->address.port); // after the bind: the port is ours
    }
    return r;
}

void engine::impl::close_relay(relay_id id, const stun::transport_address& bound) noexcept {
    if (live) {
        live->remove(bound.family, bound.port); // before the close: see live_relays
    }
    io.close_relay(id);
}

bool engine::impl::log_budget(line_budget& b, mono_time now) noexcept {
    if (!log) {
        return false;
    }
    if (b.take(wheel_seconds(now))) {
        return true;
    }
    if (!suppressing_since) {
        suppressing_since = now;
    }
    return false;
}

void engine::impl::log_summary(mono_time now, bool force) noexcept {
    constexpr std::chrono::seconds period{10};
    if (!suppressing_since || (!force && now - *suppressing_since < period)) {
        return;
    }
    const auto secs = std::chrono::ceil<std::chrono::seconds>(now - *suppressing_since);
    log->info("allocation lines suppressed in the last {}s: {} created, {} ended (over {} per "
              "second each); {} allocations live",
              std::max<std::int64_t>(secs.count(), 1), created_lines.suppressed,
              ended_lines.suppressed, settings.lifecycle_log_rate, allocations.size());
    created_lines.suppressed = 0;
    ended_lines.suppressed = 0;
    suppressing_since.reset();
}

void engine::impl::arm(allocation& a, mono_time when) {
    const std::int64_t due = wheel_seconds_ceil(when);
    if (due >= a.timer_due) {
        return;
    }
    a.timer_due = due;
    wheel.schedule({due, a.relays[0].id, a.serial});
}

void engine::impl::end_allocation(const five_tuple& key, std::string_view reason,
                                  mono_time now) noexcept {
    const std::unique_ptr<allocation> a = allocations.remove(key);
    if (!a) {
        return;
    }
    for (std::size_t i = 0; i < a->relay_count; ++i) {
        close_relay(a->relays[i].id, a->relays[i].bound);
    }
    if (a->timer_due != std::numeric_limits<std::int64_t>::max()) {
        ++stale_timers;
    }
    quotas->release(a->quota_user);
    ++counters.allocations_ended;
    if (log_budget(ended_lines, now)) {
        const auto& t = a->traffic;
        const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now - a->created);
        log->info("allocation ended: user={} client={} relay={} duration={}s "
                  "to_peer={}B/{}pkt to_client={}B/{}pkt reason={}",
                  a->username, a->client.client.to_string(), relay_list(*a), secs.count(),
                  t.bytes_to_peer, t.packets_to_peer, t.bytes_to_client, t.packets_to_client,
                  reason);
    }
}

void engine::impl::on_timer(const timer_entry& t, mono_time now) noexcept {
    allocation* a = allocations.find_by_relay(t.relay);
    if (a == nullptr || a->serial != t.serial) {
        stale_timers -= stale_timers > 0 ? 1 : 0;
        return; // ended since: lazy deletion
    }
    if (!a->live(now)) {
        end_allocation(five_tuple::of(a->client), "expired", now);
        return;
    }
    if (t.due == a->timer_due) {
        a->timer_due = std::numeric_limits<std::int64_t>::max();
    }
    arm(*a, a->sweep(now));
}

void engine::impl::trim() noexcept {
    // Entries of ended allocations otherwise stay until due, up to the maximum lifetime. Only
    // when they are most of the wheel: each pass then removes at least as many entries as it
    // visits (about), so the cost stays proportional to the allocations that ended.
    constexpr std::size_t min_stale = 1024;
    if (stale_timers >= min_stale && 2 * stale_timers >= wheel.size()) {
        wheel.compact([this](const timer_entry& t) {
            const allocation* a = allocations.find_by_relay(t.relay);
            return a != nullptr && a->serial == t.serial;
        });
        stale_timers = 0;
    }
    allocations.shrink();
    // What ended allocations freed lies in holes between blocks still in use, and glibc gives
    // holes back to the kernel only when asked. Ask once the count has fallen to half of what
    // it was at the last ask: once per halving (a few milliseconds at most), never per packet.
    constexpr std::size_t min_drop = 1024;
    const std::size_t live = allocations.size();
    if (live + min_drop <= trim_mark && live <= trim_mark / 2) {
        release_free_memory();
        trim_mark = live;
    }
    trim_mark = std::max(trim_mark, live);
}

engine::engine(engine_settings settings, std::shared_ptr<const authenticator> auth,
               std::shared_ptr<const peer_policy> policy, std::shared_ptr<quota_table> quotas,
               std::shared_ptr<reservation_table> reservations, io_port& io,
               std::function<void(std::span<std::uint8_t>)> random,
               std::shared_ptr<live_relays> live)
    : impl_(std::make_unique<impl>(std::move(settings), std::move(auth), std::move(policy),
                                   std::move(quotas), std::move(reservations), io,
                                   std::move(random), std::move(live))) {}

engine::~engine() {
    close_all();
}

void engine::on_client_message(std::span<const std::uint8_t> bytes, const client_ref& from,
                               const clock_reading& now) noexcept {
    impl_->last_seen = now.mono;
    impl_->wheel.start(wheel_seconds(now.mono));
    switch (stun::classify(bytes)) {
    case stun::packet_kind::stun:
        on_stun(*impl_, bytes, from, now);
        break;
    case stun::packet_kind::channel_data:
        handle_client_channel_data(*impl_, bytes, from, now);
        break;
    case stun::packet_kind::other:
        ++impl_->counters.client_dropped;
        break;
    }
}

void engine::on_peer_datagram(relay_id relay, const stun::transport_address& peer,
                              std::span<const std::uint8_t> bytes,
                              const clock_reading& now) noexcept {
    impl_->last_seen = now.mono;
    handle_peer_datagram(*impl_, relay, peer, bytes, now);
}

void engine::on_client_closed(const client_ref& from) noexcept {
    // No clock reading comes with a close: the latest one seen dates the end.
    impl_->end_allocation(five_tuple::of(from), "connection closed", impl_->last_seen);
}

void engine::on_tick(const clock_reading& now) noexcept {
    impl_->last_seen = now.mono;
    impl_->wheel.advance(wheel_seconds(now.mono),
                         [this, &now](const timer_entry& t) { impl_->on_timer(t, now.mono); });
    impl_->trim();
    impl_->log_summary(now.mono, false);
    impl_->preauth_summary(now.mono);
    impl_->auth_log_summary(now.mono);
    // Every worker ticks the shared table: whichever comes first frees the due ports.
    for (const auto handle : impl_->reservations->expire(now.mono)) {
        impl_->io.release_port(handle);
    }
}

void engine::close_all() noexcept {
    while (allocation* a = impl_->allocations.any()) {
        impl_->end_allocation(five_tuple::of(a->client), "shutdown", impl_->last_seen);
    }
    impl_->log_summary(impl_->last_seen, true);
}

void engine::set_peer_policy(std::shared_ptr<const peer_policy> policy) noexcept {
    if (policy) {
        impl_->policy = std::move(policy);
    }
}

void engine::set_authenticator(std::shared_ptr<const authenticator> auth) noexcept {
    if (!auth) {
        return;
    }
    impl_->auth = std::move(auth);
    const auto& a = *impl_->auth;
    impl_->allocations.for_each([&a](allocation& x) {
        x.revoked = !a.still_accepts(x.username, std::span(x.key).first(x.key_size));
    });
}

void engine::revoke_rest_user(std::string_view user, std::int64_t until,
                              const clock_reading& now) noexcept {
    if (user.empty()) {
        return;
    }
    impl_->last_seen = now.mono;
    try {
        const std::size_t early = impl_->revoked_users.add(user, until, now.unix_seconds);
        if (early > 0 && impl_->log) {
            impl_->log->warn("revoked credentials: {} entries forgotten before their expiry "
                             "(the set is full)",
                             early);
        }
        impl_->revocations_forgotten += early;
    } catch (const std::bad_alloc&) {
        // Out of memory: the allocations still end below; only the later 401 is lost.
    }
    // The shared quota table counts the user's allocations on all workers: none, no walk.
    if (impl_->quotas->count(user) == 0) {
        return;
    }
    std::vector<five_tuple> ending;
    impl_->allocations.for_each([&](const allocation& a) {
        // A static user named like the tag is not a REST credential: its name has no expiry.
        const bool rest = authenticator::rest_expiry(a.username).has_value();
        if (a.quota_user == user && rest_user_of(a.username, rest) == user) {
            ending.push_back(five_tuple::of(a.client));
        }
    });
    for (const auto& key : ending) {
        impl_->end_allocation(key, "revoked", now.mono);
    }
}

void engine::set_settings(const engine_settings& settings) noexcept {
    const engine_settings& was = impl_->settings;
    const bool rates_changed = was.allocation_bandwidth != settings.allocation_bandwidth ||
                               was.user_bandwidth != settings.user_bandwidth ||
                               was.total_bandwidth != settings.total_bandwidth;
    impl_->settings = settings;
    impl_->bandwidth_capped =
        (settings.allocation_bandwidth | settings.user_bandwidth | settings.total_bandwidth) != 0;
    if (rates_changed) {
        refill_bandwidth(*impl_);
    }
}

void engine::set_draining(std::optional<stun::transport_address> alternate) noexcept {
    impl_->draining = true;
    impl_->alternate = alternate;
}

std::size_t engine::allocation_count() const noexcept {
    return impl_->allocations.size();
}

void engine::for_each_client(const std::function<void(const client_ref&)>& f) const {
    impl_->allocations.for_each([&f](const allocation& a) { f(a.client); });
}

const engine_counters& engine::counters() const noexcept {
    return impl_->counters;
}

} // namespace icegate::turn
