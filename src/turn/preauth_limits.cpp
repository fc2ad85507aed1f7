// Pre-authentication limits of the engine: how many error answers a source gets for requests
// that did not authenticate (no reflection of spoofed floods), how fast a source may create
// allocations, and the periodic summary of both. Nothing here logs or allocates per packet.
#include <spdlog/spdlog.h>

#include "engine_impl.hpp"

namespace icegate::turn {

source_buckets::key_type random_bucket_key(const std::function<void(std::span<std::uint8_t>)>& r) {
    source_buckets::key_type key{};
    r(key);
    return key;
}

bool engine::impl::may_answer_unauthenticated(const client_ref& from, mono_time now) noexcept {
    // Only UDP sources can be forged: a TCP or TLS client completed a handshake from its
    // address, and an answer it provokes goes to itself.
    if (from.transport != client_transport::udp) {
        return true;
    }
    const bucket_rate r{settings.unauthenticated_answer_rate,
                        settings.unauthenticated_answer_burst};
    if (answer_buckets.take(from.client, r, now)) {
        return true;
    }
    ++counters.answers_suppressed;
    ++period_suppressed;
    return false;
}

bool engine::impl::may_allocate(const client_ref& from, mono_time now) noexcept {
    const bucket_rate r{settings.allocation_rate, settings.allocation_rate};
    if (allocation_buckets.take(from.client, r, now)) {
        return true;
    }
    ++counters.allocations_rate_limited;
    ++period_rate_limited;
    return false;
}

void engine::impl::preauth_summary(mono_time now) noexcept {
    constexpr std::chrono::seconds period{10};
    if (!preauth_since) {
        preauth_since = now;
        return;
    }
    if (now - *preauth_since < period) {
        return;
    }
    if (log && (period_suppressed > 0 || period_rate_limited > 0)) {
        const auto secs = std::chrono::ceil<std::chrono::seconds>(now - *preauth_since);
        log->warn("in the last {}s: suppressed {} unauthenticated answers to {} sources (over "
                  "{}/s, burst {}, per source and worker); refused {} allocations from {} "
                  "sources (over {}/s)",
                  secs.count(), period_suppressed, answer_buckets.sources_refused(),
                  settings.unauthenticated_answer_rate, settings.unauthenticated_answer_burst,
                  period_rate_limited, allocation_buckets.sources_refused(),
                  settings.allocation_rate);
    }
    period_suppressed = 0;
    period_rate_limited = 0;
    answer_buckets.new_period();
    allocation_buckets.new_period();
    preauth_since = now;
}

} // namespace icegate::turn
