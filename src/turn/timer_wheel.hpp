// timer_wheel: one coarse wheel of 1-second slots per engine, for allocation, permission and
// channel expiry. Entries are hints: the owner checks the real expiry when one
// fires (lazy deletion), so cancelling is never needed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace icegate::turn {

struct timer_entry {
    std::int64_t due = 0;     // seconds on the engine's monotonic clock
    std::uint32_t relay = 0;  // the allocation's first relay id
    std::uint64_t serial = 0; // the allocation's serial
};

class timer_wheel {
public:
    // `slots` is rounded up to a power of two; entries due further out than that many seconds
    // stay in their slot for more than one turn.
    explicit timer_wheel(std::size_t slots = 1024);

    // Sets the wheel's clock unless it is already running (the engine calls it on every input).
    void start(std::int64_t now) noexcept {
        if (!started_) {
            started_ = true;
            current_ = now;
        }
    }

    // Files `e` to fire at the first advance() reaching e.due (at the next one if already due).
    void schedule(const timer_entry& e);

    // Calls fire(entry) for every entry due at or before `now` (seconds), slot by slot. fire()
    // may schedule() again. A first call (before start()) only sets the wheel's clock.
    template <class Fire>
    void advance(std::int64_t now, Fire&& fire);

    // Drops every entry keep(entry) rejects and gives back slot storage left far larger than
    // what it holds. Lazy deletion leaves an ended allocation's entry in place until it is due
    // (up to the maximum lifetime): this lets the owner clear them sooner. O(entries + slots),
    // for the coarse tick.
    template <class Keep>
    void compact(Keep&& keep);

    std::size_t size() const noexcept { return size_; }
    std::int64_t now() const noexcept { return current_; }

private:
    // Releases the spare capacity of slots (and of firing_) holding far less than they hold room
    // for: a burst of allocations leaves one slot sized for the burst.
    void shrink_slots();

    std::vector<timer_entry>& slot(std::int64_t second) noexcept {
        return slots_[static_cast<std::size_t>(second) & mask_];
    }

    std::vector<std::vector<timer_entry>> slots_;
    std::vector<timer_entry> firing_; // reused: the slot being processed
    std::size_t mask_ = 0;
    std::size_t size_ = 0;
    std::int64_t current_ = 0; // every slot up to this second has been processed
    bool started_ = false;
};

template <class Fire>
void timer_wheel::advance(std::int64_t now, Fire&& fire) {
    if (!started_) {
        started_ = true;
        current_ = now;
        return;
    }
    if (now <= current_) {
        return;
    }
    // Past one whole turn every slot is visited once; entries keep their due time, so nothing
    // is lost when the clock jumps.
    const std::int64_t turn = static_cast<std::int64_t>(slots_.size());
    const std::int64_t first = now - current_ > turn ? now - turn + 1 : current_ + 1;
    current_ = now;
    for (std::int64_t s = first; s <= now; ++s) {
        firing_.clear();
        std::swap(firing_, slot(s));
        for (const timer_entry& e : firing_) {
            if (e.due <= now) {
                --size_;
                fire(e);
            } else {
                slot(s).push_back(e);
            }
        }
    }
}

template <class Keep>
void timer_wheel::compact(Keep&& keep) {
    for (auto& s : slots_) {
        size_ -= std::erase_if(s, [&keep](const timer_entry& e) { return !keep(e); });
    }
    shrink_slots();
}

} // namespace icegate::turn
