// Tests for background_pool: jobs run off the caller's thread at the lowest priority, the queue is
// bounded, and stop drops what waits, finishes what runs, and refuses what comes after.
#include "icegate/net/background_pool.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

namespace icegate::net {
namespace {

using namespace std::chrono_literals;

// A job that blocks its thread until released, so the queue behind it can be filled.
struct gate {
    std::promise<void> started;
    std::promise<void> release;
    std::shared_future<void> released{release.get_future().share()};

    background_pool::job blocker() {
        return [this] {
            started.set_value();
            released.wait();
        };
    }
};

TEST(PasswordPool, RunsJobsOnALowPriorityThread) {
    background_pool pool(1, 4);
    std::promise<std::pair<std::thread::id, int>> seen;
    ASSERT_TRUE(pool.submit([&seen] {
        errno = 0;
        const int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
        seen.set_value({std::this_thread::get_id(), nice});
    }));
    auto f = seen.get_future();
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
    const auto [id, nice] = f.get();
    EXPECT_NE(id, std::this_thread::get_id());
    EXPECT_EQ(nice, 19);
}

TEST(PasswordPool, QueueIsBounded) {
    background_pool pool(1, 3);
    gate g;
    ASSERT_TRUE(pool.submit(g.blocker()));
    ASSERT_EQ(g.started.get_future().wait_for(10s), std::future_status::ready);
    std::atomic<int> ran{0};
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(pool.submit([&ran] { ++ran; })) << i;
    }
    EXPECT_EQ(pool.queued(), 3u);
    EXPECT_FALSE(pool.submit([&ran] { ++ran; })); // the fourth waiting job: refused
    g.release.set_value();
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (ran < 3 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    EXPECT_EQ(ran, 3);
    EXPECT_TRUE(pool.submit([] {})); // room again
}

TEST(PasswordPool, StopFinishesTheRunningJobAndDropsTheQueued) {
    background_pool pool(1, 8);
    gate g;
    std::atomic<bool> finished{false};
    ASSERT_TRUE(pool.submit([&] {
        g.started.set_value();
        g.released.wait();
        finished = true;
    }));
    ASSERT_EQ(g.started.get_future().wait_for(10s), std::future_status::ready);
    auto witness = std::make_shared<int>(0);
    std::atomic<bool> queued_ran{false};
    ASSERT_TRUE(pool.submit([&queued_ran, w = witness] { queued_ran = true; }));
    EXPECT_EQ(witness.use_count(), 2);

    std::thread releaser([&] {
        std::this_thread::sleep_for(50ms);
        g.release.set_value();
    });
    pool.stop(); // waits for the running job
    releaser.join();
    EXPECT_TRUE(finished);
    EXPECT_FALSE(queued_ran);
    EXPECT_EQ(witness.use_count(), 1); // the dropped job and its captures are gone
    EXPECT_FALSE(pool.submit([] {}));
    pool.stop(); // idempotent
}

} // namespace
} // namespace icegate::net
