// quota_table: per-user and total caps, release, and concurrent use from several threads.
#include "icegate/turn/quota_table.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace icegate::turn {
namespace {

TEST(QuotaTable, PerUserCap) {
    quota_table q;
    EXPECT_TRUE(q.try_acquire("alice", 2, 0));
    EXPECT_TRUE(q.try_acquire("alice", 2, 0));
    EXPECT_FALSE(q.try_acquire("alice", 2, 0));
    EXPECT_TRUE(q.try_acquire("bob", 2, 0));
    EXPECT_EQ(q.count("alice"), 2u);
    EXPECT_EQ(q.total(), 3u);
    q.release("alice");
    EXPECT_TRUE(q.try_acquire("alice", 2, 0));
}

TEST(QuotaTable, TotalCap) {
    quota_table q;
    EXPECT_TRUE(q.try_acquire("a", 0, 2));
    EXPECT_TRUE(q.try_acquire("b", 0, 2));
    EXPECT_FALSE(q.try_acquire("c", 0, 2));
    EXPECT_EQ(q.total(), 2u);
    EXPECT_EQ(q.count("c"), 0u);
    q.release("a");
    EXPECT_TRUE(q.try_acquire("c", 0, 2));
}

TEST(QuotaTable, ZeroMeansUnlimited) {
    quota_table q;
    for (int i = 0; i < 1000; ++i) {
        ASSERT_TRUE(q.try_acquire("a", 0, 0));
    }
    EXPECT_EQ(q.total(), 1000u);
}

TEST(QuotaTable, ReleaseOfUnknownUserIsIgnored) {
    quota_table q;
    q.release("nobody");
    EXPECT_EQ(q.total(), 0u);
    ASSERT_TRUE(q.try_acquire("a", 1, 1));
    q.release("a");
    q.release("a");
    EXPECT_EQ(q.total(), 0u);
    EXPECT_EQ(q.count("a"), 0u);
}

TEST(QuotaTable, ConcurrentWorkersNeverExceedTheCaps) {
    quota_table q;
    std::vector<std::thread> workers;
    workers.reserve(8);
    std::atomic<int> granted{0};
    for (int w = 0; w < 8; ++w) {
        workers.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) {
                if (q.try_acquire(i % 2 ? "alice" : "bob", 30, 50)) {
                    ++granted;
                    if (i % 3 == 0) {
                        q.release(i % 2 ? "alice" : "bob");
                        --granted;
                    }
                }
            }
        });
    }
    for (auto& t : workers) {
        t.join();
    }
    EXPECT_EQ(q.total(), static_cast<std::uint32_t>(granted.load()));
    EXPECT_LE(q.total(), 50u);
    EXPECT_LE(q.count("alice"), 30u);
    EXPECT_LE(q.count("bob"), 30u);
}

TEST(QuotaTable, OneBandwidthBucketPerUserWhileHeld) {
    quota_table q;
    EXPECT_EQ(q.bandwidth_of("alice"), nullptr);
    ASSERT_TRUE(q.try_acquire("alice", 0, 0));
    ASSERT_TRUE(q.try_acquire("bob", 0, 0));
    shared_bandwidth_bucket* alice = q.bandwidth_of("alice");
    ASSERT_NE(alice, nullptr);
    EXPECT_NE(q.bandwidth_of("bob"), alice);
    for (int i = 0; i < 1000; ++i) { // rehashes: the bucket stays where it is
        ASSERT_TRUE(q.try_acquire("user" + std::to_string(i), 0, 0));
    }
    ASSERT_TRUE(q.try_acquire("alice", 0, 0));
    EXPECT_EQ(q.bandwidth_of("alice"), alice);
    q.release("alice");
    EXPECT_EQ(q.bandwidth_of("alice"), alice);
    q.release("alice");
    EXPECT_EQ(q.bandwidth_of("alice"), nullptr);
}

TEST(QuotaTable, SharedBucketAdmitsWhatOneBucketWouldAcrossThreads) {
    // 4 threads take 1 ms packets at one instant: the bucket runs 100 ms ahead at most, so
    // exactly 100 pass (the first at 0 ms ahead, the last at 99 ms), whoever takes them.
    shared_bandwidth_bucket b;
    constexpr std::int64_t now = 5'000'000'000;
    std::atomic<int> passed{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < 4; ++w) {
        workers.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) {
                passed += b.try_take(now, 1'000'000) ? 1 : 0;
            }
        });
    }
    for (auto& t : workers) {
        t.join();
    }
    EXPECT_EQ(passed.load(), 100);
}

} // namespace
} // namespace icegate::turn
