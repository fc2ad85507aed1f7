// The relay bandwidth caps (limits.allocation_bandwidth, user_bandwidth, total_bandwidth):
// token buckets checked on the owning worker for every relayed packet, either way. No lock,
// allocation or log line per packet; the user's bucket is a lock-free word in quota_table.
#include "engine_impl.hpp"

namespace icegate::turn {

bool admit_capped(engine::impl& e, allocation& a, std::size_t bytes, mono_time now) noexcept {
    const engine_settings& s = e.settings;
    const std::int64_t t = bucket_time(now);
    // The local buckets are only checked here and charged once every cap has passed, so a
    // packet one cap refuses costs the others nothing; the shared one checks and charges at
    // once, last.
    if (s.allocation_bandwidth != 0 && !a.bandwidth.has_room(t)) {
        ++e.counters.bandwidth_dropped_allocation;
        return false;
    }
    if (s.total_bandwidth != 0 && !e.total_bandwidth.has_room(t)) {
        ++e.counters.bandwidth_dropped_total;
        return false;
    }
    if (s.user_bandwidth != 0 && a.user_bandwidth != nullptr &&
        !a.user_bandwidth->try_take(t, transmit_ns(bytes, s.user_bandwidth))) {
        ++e.counters.bandwidth_dropped_user;
        return false;
    }
    if (s.allocation_bandwidth != 0) {
        a.bandwidth.charge(t, transmit_ns(bytes, s.allocation_bandwidth));
    }
    if (s.total_bandwidth != 0) {
        e.total_bandwidth.charge(t, transmit_ns(bytes, s.total_bandwidth));
    }
    return true;
}

void refill_bandwidth(engine::impl& e) noexcept {
    e.total_bandwidth = {};
    e.allocations.for_each([](allocation& a) {
        a.bandwidth = {};
        if (a.user_bandwidth != nullptr) {
            a.user_bandwidth->refill(); // each worker may refill it: the same store
        }
    });
}

} // namespace icegate::turn
