// The operator's lines about refused TURN requests (bad credentials, quota): one per refusal,
// capped per source and per second; the rest are counted here without allocating and summed up
// in one line every 10 s. A line names the username as sent, never a key, password or nonce.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "engine_impl.hpp"

namespace icegate::turn {
namespace {

std::string_view transport_name(client_transport t) noexcept {
    switch (t) {
    case client_transport::udp:
        return "udp";
    case client_transport::tcp:
        return "tcp";
    case client_transport::tls:
        return "tls";
    }
    return "?";
}

// The USERNAME as sent, cut to 64 bytes (the formatter escapes control characters); for
// USERHASH only that one was used: the hash names nobody to a reader.
std::string_view username_as_sent(const stun::message_view& m) noexcept {
    constexpr std::size_t most = 64;
    if (const auto a = m.find(stun::attribute_type::username)) {
        const std::string_view v(reinterpret_cast<const char*>(a->value.data()),
                                 std::min(a->value.size(), most));
        return v;
    }
    if (m.contains(stun::attribute_type::userhash)) {
        return "userhash";
    }
    return "-";
}

} // namespace

std::string_view describe(auth_failure f) noexcept {
    switch (f) {
    case auth_failure::none:
    case auth_failure::no_integrity:
        return {};
    case auth_failure::malformed:
        return "malformed credentials";
    case auth_failure::stale_nonce:
        return "stale nonce";
    case auth_failure::wrong_realm:
        return "wrong realm";
    case auth_failure::unknown_user:
        return "unknown user";
    case auth_failure::bad_integrity:
        return "bad integrity";
    case auth_failure::expired:
        return "expired REST username";
    case auth_failure::no_sha256_key:
        return "no SHA-256 key for user";
    case auth_failure::revoked:
        return "revoked";
    }
    return {};
}

void engine::impl::log_refusal(const request_context& ctx, std::string_view reason) noexcept {
    if (!log || reason.empty()) {
        return;
    }
    const auto& source = ctx.from.client;
    if (!refusal_sources.take(source, auth_log_per_source)) {
        return;
    }
    if (!refusal_lines.take(wheel_seconds(ctx.now.mono))) {
        refusal_sources.suppress(source);
        return;
    }
    try {
        log->info("auth failure: client={} transport={} user={} reason={}", source.to_string(),
                  transport_name(ctx.from.transport), username_as_sent(ctx.msg), reason);
    } catch (...) {
        // Out of memory formatting a log line: the request is refused all the same.
    }
}

void engine::impl::auth_log_summary(mono_time now) noexcept {
    constexpr std::chrono::seconds period{10};
    if (!refusal_log_since) {
        refusal_log_since = now;
        return;
    }
    if (now - *refusal_log_since < period) {
        return;
    }
    if (log && refusal_sources.suppressed() > 0) {
        const auto secs = std::chrono::ceil<std::chrono::seconds>(now - *refusal_log_since);
        log->warn("suppressed {} auth failure lines from {} sources in the last {}s (over {} per "
                  "source per {}s or {}/s per worker)",
                  refusal_sources.suppressed(), refusal_sources.sources_suppressed(), secs.count(),
                  auth_log_per_source, period.count(), auth_log_rate);
    }
    refusal_sources.new_period();
    refusal_log_since = now;
}

} // namespace icegate::turn
