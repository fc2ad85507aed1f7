// source_line_limit: per-source line counts that start anew each period.
#include "source_line_limit.hpp"

#include <algorithm>

namespace icegate::turn {

source_line_limit::source_line_limit(std::size_t slots, const source_hasher::key_type& key)
    : slots_(std::make_unique<slot[]>(std::max<std::size_t>(slots, 1))),
      count_(std::max<std::size_t>(slots, 1)), hash_(key) {}

source_line_limit::slot& source_line_limit::slot_for(const stun::transport_address& s) noexcept {
    slot& x = slots_[static_cast<std::size_t>(hash_(s) % count_)];
    if (x.period != period_) {
        x.period = period_;
        x.lines = 0;
    }
    return x;
}

bool source_line_limit::take(const stun::transport_address& source,
                             std::uint32_t per_source) noexcept {
    slot& x = slot_for(source);
    if (x.lines < per_source) {
        ++x.lines;
        return true;
    }
    suppress(source);
    return false;
}

void source_line_limit::suppress(const stun::transport_address& source) noexcept {
    slot& x = slot_for(source);
    ++suppressed_;
    if (x.suppressed != period_) {
        x.suppressed = period_;
        ++sources_;
    }
}

void source_line_limit::new_period() noexcept {
    ++period_;
    suppressed_ = 0;
    sources_ = 0;
}

} // namespace icegate::turn
