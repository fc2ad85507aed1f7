// Token buckets for the relay bandwidth caps (limits.*_bandwidth), kept as one 64-bit word:
// the time at which the bucket would be full again (GCRA's "theoretical arrival time").
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace icegate::turn {

// How far ahead of now a bucket may run: the burst, 100 ms of its rate. A packet is let
// through while the bucket is not that far ahead and then charged in full, so the burst is
// 100 ms of the rate plus one packet of any size (a large packet is never stuck behind a
// small bucket); what it overdraws is paid back before the next one passes.
inline constexpr std::int64_t bandwidth_burst_ns = 100'000'000;

// Nanoseconds `bytes` take at `bits_per_second` (not 0). No overflow: bytes stay below 2^17.
inline std::int64_t transmit_ns(std::size_t bytes, std::uint64_t bits_per_second) noexcept {
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(bytes) * 8'000'000'000ULL /
                                     bits_per_second);
}

// Nanoseconds on the monotonic clock: the buckets' time base (the same for every thread).
inline std::int64_t bucket_time(std::chrono::steady_clock::time_point t) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// One owner thread (an allocation's bucket, a worker's share of the total).
struct bandwidth_bucket {
    std::int64_t full_at = 0; // at or before now: full

    bool has_room(std::int64_t now) const noexcept { return full_at - now < bandwidth_burst_ns; }
    void charge(std::int64_t now, std::int64_t cost) noexcept {
        full_at = std::max(full_at, now) + cost;
    }
};

// Shared by the workers a user's allocations sit on: the check and the charge are one
// compare-exchange, no lock, so it admits exactly what one bucket on one thread would.
struct shared_bandwidth_bucket {
    std::atomic<std::int64_t> full_at{0};

    bool try_take(std::int64_t now, std::int64_t cost) noexcept {
        std::int64_t seen = full_at.load(std::memory_order_relaxed);
        do {
            if (seen - now >= bandwidth_burst_ns) {
                return false;
            }
        } while (!full_at.compare_exchange_weak(seen, std::max(seen, now) + cost,
                                                std::memory_order_relaxed));
        return true;
    }
    void refill() noexcept { full_at.store(0, std::memory_order_relaxed); }
};

} // namespace icegate::turn
