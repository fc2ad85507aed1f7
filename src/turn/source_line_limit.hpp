// Per-source line counts in a fixed table: how many log lines of one kind a source (an IPv4
// address or an IPv6 /64) may cause per period, so a flood from one source cannot fill the disk.
#pragma once

#include <cstdint>
#include <memory>

#include "icegate/stun/transport_address.hpp"
#include "source_buckets.hpp"

namespace icegate::turn {

// A direct-mapped table of `slots` counters placed by source_hasher, allocated once; periods
// are started by new_period() (the engine's 10 s summary). Sources sharing a slot share its
// count: a collision only leaves lines out sooner. Nothing is allocated after construction.
class source_line_limit {
public:
    source_line_limit(std::size_t slots, const source_hasher::key_type& key);

    // True when `source` has had fewer than `per_source` lines this period (and counts this
    // one); false leaves it out and counts it as suppressed.
    bool take(const stun::transport_address& source, std::uint32_t per_source) noexcept;
    // A line of `source` left out for another reason (a cap over all sources): counted too.
    void suppress(const stun::transport_address& source) noexcept;

    std::uint64_t suppressed() const noexcept { return suppressed_; }
    // Distinct slots with a line left out this period.
    std::uint64_t sources_suppressed() const noexcept { return sources_; }
    void new_period() noexcept;

private:
    struct slot {
        std::uint32_t period = 0;     // the period `lines` counts in
        std::uint32_t lines = 0;      // lines written this period
        std::uint32_t suppressed = 0; // the period in which a line was last left out
    };
    slot& slot_for(const stun::transport_address& source) noexcept;

    std::unique_ptr<slot[]> slots_;
    std::size_t count_;
    source_hasher hash_;
    std::uint32_t period_ = 1;
    std::uint64_t suppressed_ = 0;
    std::uint64_t sources_ = 0;
};

} // namespace icegate::turn
