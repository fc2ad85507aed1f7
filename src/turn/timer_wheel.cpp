// timer_wheel: slot storage and scheduling (advance() is a template in the header).
#include "timer_wheel.hpp"

#include <bit>

namespace icegate::turn {

timer_wheel::timer_wheel(std::size_t slots) : slots_(std::bit_ceil(slots < 2 ? 2 : slots)) {
    mask_ = slots_.size() - 1;
}

void timer_wheel::shrink_slots() {
    // Slack kept so a slot that refills soon does not reallocate right away.
    constexpr std::size_t keep_spare = 64;
    const auto shrink = [](std::vector<timer_entry>& v) {
        if (v.capacity() > 2 * v.size() + keep_spare) {
            v.shrink_to_fit();
        }
    };
    for (auto& s : slots_) {
        shrink(s);
    }
    firing_.clear(); // only advance() uses it, and clears it first
    shrink(firing_);
}

void timer_wheel::schedule(const timer_entry& e) {
    // Already due: the next advance() must see it, and it only visits later seconds.
    const std::int64_t at = started_ && e.due <= current_ ? current_ + 1 : e.due;
    slot(at).push_back(e);
    ++size_;
}

} // namespace icegate::turn
