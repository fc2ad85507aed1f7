// Token buckets per client source (an IPv4 address or an IPv6 /64) in a fixed table: the
// pre-authentication limits of one engine (unauthenticated answers, new allocations).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>

#include "icegate/stun/transport_address.hpp"

namespace icegate::turn {

// `rate` tokens a second, at most `burst` banked. rate 0: no limit.
struct bucket_rate {
    std::uint32_t rate = 0;
    std::uint32_t burst = 0;
};

// The keyed hash that places a source in a fixed table: SipHash-1-3 under a random key of the
// IPv4 address or the IPv6 /64 (an IPv4-mapped IPv6 address counts as its IPv4 host).
class source_hasher {
public:
    using key_type = std::array<std::uint8_t, 16>;
    explicit source_hasher(const key_type& key) noexcept;
    std::uint64_t operator()(const stun::transport_address& source) const noexcept;

private:
    std::uint64_t k0_;
    std::uint64_t k1_;
};

// A direct-mapped table of `slots` buckets, allocated once: a source finds its bucket by a
// keyed hash (SipHash-1-3 under a random key), so nobody who does not know the key can aim
// many sources at one slot. Two sources that do share a slot share its bucket: a collision
// errs on the strict side, never lets more through. Nothing is allocated after construction.
//
// Each bucket is one "theoretical arrival time" (GCRA, the virtual-scheduling form of a token
// bucket): a source is admitted while that time lies less than burst/rate ahead of now, and
// each admission moves it on by 1/rate. An idle slot is therefore full with no sweeping.
class source_buckets {
public:
    using clock = std::chrono::steady_clock;
    using key_type = source_hasher::key_type;

    source_buckets(std::size_t slots, const key_type& key);

    // Takes a token from the bucket of `source` at `now`; false when it is empty (and then
    // `source` is counted, once per period, in sources_refused()).
    bool take(const stun::transport_address& source, bucket_rate r, clock::time_point now) noexcept;

    // Distinct slots that refused since the last new_period(); new_period() starts counting
    // anew (the engine's periodic summary line).
    std::uint64_t sources_refused() const noexcept { return sources_refused_; }
    void new_period() noexcept;

    std::size_t size() const noexcept { return count_; }
    // The slot `source` maps to (tests: finding sources that share one or not).
    std::size_t slot_of(const stun::transport_address& source) const noexcept;

private:
    struct slot {
        std::int64_t tat = 0;     // nanoseconds on `clock`
        std::uint32_t period = 0; // the period in which this slot last refused, plus one
    };
    std::unique_ptr<slot[]> slots_;
    std::size_t count_;
    source_hasher hash_;
    std::uint32_t period_ = 1;
    std::uint64_t sources_refused_ = 0;
};

} // namespace icegate::turn
