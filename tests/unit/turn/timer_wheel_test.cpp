// timer_wheel: coarse 1-second slots, wrap-around, clock jumps, rescheduling from fire().
#include "timer_wheel.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace icegate::turn {
namespace {

std::vector<std::uint64_t> fire_until(timer_wheel& w, std::int64_t now) {
    std::vector<std::uint64_t> fired;
    w.advance(now, [&](const timer_entry& e) { fired.push_back(e.serial); });
    return fired;
}

TEST(TimerWheel, FiresAtTheDueSecond) {
    timer_wheel w(16);
    w.start(100);
    w.schedule({105, 1, 1});
    w.schedule({103, 2, 2});
    EXPECT_EQ(w.size(), 2u);
    EXPECT_TRUE(fire_until(w, 102).empty());
    EXPECT_EQ(fire_until(w, 103), std::vector<std::uint64_t>{2});
    EXPECT_TRUE(fire_until(w, 104).empty());
    EXPECT_EQ(fire_until(w, 105), std::vector<std::uint64_t>{1});
    EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, EntriesBeyondOneTurnWait) {
    timer_wheel w(8);
    w.start(0);
    w.schedule({20, 1, 7}); // slot 4, third turn
    for (std::int64_t t = 1; t < 20; ++t) {
        EXPECT_TRUE(fire_until(w, t).empty()) << t;
    }
    EXPECT_EQ(fire_until(w, 20), std::vector<std::uint64_t>{7});
}

TEST(TimerWheel, ClockJumpFiresEverythingDue) {
    timer_wheel w(8);
    w.start(0);
    for (std::uint64_t i = 1; i <= 30; ++i) {
        w.schedule({static_cast<std::int64_t>(i), 0, i});
    }
    const auto fired = fire_until(w, 25);
    EXPECT_EQ(fired.size(), 25u);
    EXPECT_EQ(w.size(), 5u);
    EXPECT_EQ(fire_until(w, 1000).size(), 5u);
}

TEST(TimerWheel, AlreadyDueFiresOnTheNextAdvance) {
    timer_wheel w(8);
    w.start(50);
    w.schedule({10, 0, 1});
    EXPECT_EQ(fire_until(w, 51), std::vector<std::uint64_t>{1});
}

TEST(TimerWheel, FireMayReschedule) {
    timer_wheel w(4);
    w.start(0);
    w.schedule({1, 0, 1});
    int fired = 0;
    for (std::int64_t t = 1; t <= 12; ++t) {
        w.advance(t, [&](const timer_entry& e) {
            ++fired;
            w.schedule({e.due + 4, e.relay, e.serial}); // same slot, next turn
        });
    }
    EXPECT_EQ(fired, 3); // at 1, 5 and 9
    EXPECT_EQ(w.size(), 1u);
}

TEST(TimerWheel, FirstAdvanceOnlyStartsTheClock) {
    timer_wheel w;
    EXPECT_TRUE(fire_until(w, 1000).empty());
    EXPECT_EQ(w.now(), 1000);
    w.schedule({1001, 0, 3});
    EXPECT_TRUE(fire_until(w, 1000).empty()); // time standing still
    EXPECT_EQ(fire_until(w, 1001), std::vector<std::uint64_t>{3});
}

TEST(TimerWheel, CompactDropsRejectedEntriesAndKeepsTheRest) {
    timer_wheel w(8);
    w.start(0);
    for (std::uint64_t i = 1; i <= 3000; ++i) {
        w.schedule({3, 0, i}); // one slot, as a burst of allocations fills it
    }
    w.schedule({5, 0, 3001});
    w.compact([](const timer_entry& e) { return e.serial % 1000 == 1; }); // 1, 1001, 2001, 3001
    EXPECT_EQ(w.size(), 4u);
    EXPECT_EQ(fire_until(w, 3), (std::vector<std::uint64_t>{1, 1001, 2001}));
    EXPECT_EQ(fire_until(w, 5), std::vector<std::uint64_t>{3001});
    EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, CompactKeepingEverythingChangesNothing) {
    timer_wheel w(8);
    w.start(0);
    w.schedule({2, 0, 1});
    w.schedule({20, 0, 2});
    w.compact([](const timer_entry&) { return true; });
    EXPECT_EQ(w.size(), 2u);
    EXPECT_EQ(fire_until(w, 2), std::vector<std::uint64_t>{1});
    EXPECT_EQ(fire_until(w, 20), std::vector<std::uint64_t>{2});
}

} // namespace
} // namespace icegate::turn
