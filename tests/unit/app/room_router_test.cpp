// room_router on two real workers: a room's work always runs on its one home worker, a
// password join goes through the pool and comes back there with the verdict, and a full pool
// refuses with "server busy" instead of queueing.
#include "room_router.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace icegate::app {
namespace {

using namespace std::chrono_literals;

class recording_link : public signal::link {
public:
    void deliver(signal::frame_ptr frame) override {
        std::lock_guard lock(mutex_);
        frames_.push_back(nlohmann::json::parse(*frame));
    }
    void close(std::uint16_t, std::string_view) override {}
    std::vector<nlohmann::json> frames() {
        std::lock_guard lock(mutex_);
        return frames_;
    }

private:
    std::mutex mutex_;
    std::vector<nlohmann::json> frames_;
};

class room_router_test : public ::testing::Test {
protected:
    room_router_test() {
        for (unsigned i = 0; i < 2; ++i) {
            workers_.push_back(std::make_unique<net::worker>(i));
            tables_.push_back(std::make_unique<signal::room_table>(
                signal::room_settings{}, [i](std::span<std::uint8_t> out) {
                    static std::atomic<int> n{0};
                    const int v = ++n;
                    for (std::size_t k = 0; k < out.size(); ++k) {
                        out[k] = static_cast<std::uint8_t>(v + k + i);
                    }
                }));
        }
    }
    ~room_router_test() override {
        if (router_) {
            router_->shutdown();
        }
        for (auto& w : workers_) {
            w->stop();
            w->join();
        }
    }

    void start(room_router::settings s) {
        std::vector<net::worker*> w;
        std::vector<signal::room_table*> t;
        for (std::size_t i = 0; i < workers_.size(); ++i) {
            w.push_back(workers_[i].get());
            t.push_back(tables_[i].get());
        }
        router_ = std::make_unique<room_router>(s, std::move(w), std::move(t));
        for (auto& x : workers_) {
            x->start();
        }
    }

    // Joins and waits for the outcome; `where` gets the index of the worker it came back on.
    signal::join_result join(const std::string& room, std::optional<std::string> password,
                             std::shared_ptr<recording_link> link, int* where = nullptr) {
        std::promise<std::pair<signal::join_result, int>> done;
        room_router::join_flight f;
        f.req.msg.room = room;
        f.req.msg.name = "Ann";
        f.req.msg.password = std::move(password);
        f.req.conn = std::move(link);
        f.wanted = std::make_shared<std::atomic<bool>>(true);
        f.done = [this, &done](const signal::join_result& r) {
            done.set_value({r, current_worker()});
        };
        router_->join(std::move(f));
        auto fut = done.get_future();
        EXPECT_EQ(fut.wait_for(10s), std::future_status::ready);
        auto [r, w] = fut.get();
        if (where != nullptr) {
            *where = w;
        }
        return r;
    }

    int current_worker() {
        for (std::size_t i = 0; i < workers_.size(); ++i) {
            if (workers_[i]->running_in_this_thread()) {
                return static_cast<int>(i);
            }
        }
        return -1;
    }

    std::vector<std::unique_ptr<net::worker>> workers_;
    std::vector<std::unique_ptr<signal::room_table>> tables_;
    std::unique_ptr<room_router> router_;
};

TEST_F(room_router_test, EachRoomRunsOnItsOneHomeWorker) {
    start({});
    std::set<int> homes;
    for (int r = 0; r < 16; ++r) {
        const std::string room = "room" + std::to_string(r);
        std::set<int> seen;
        for (int i = 0; i < 4; ++i) {
            std::promise<int> where;
            router_->post_home(room,
                               [&](signal::room_table&) { where.set_value(current_worker()); });
            seen.insert(where.get_future().get());
        }
        EXPECT_EQ(seen.size(), 1u) << room;
        EXPECT_NE(*seen.begin(), -1);
        homes.insert(*seen.begin());
    }
    EXPECT_EQ(homes.size(), 2u); // 16 rooms spread over both workers
}

TEST_F(room_router_test, PasswordJoinsComeBackToTheHomeWorkerWithTheVerdict) {
    start({});
    int first = -1;
    int second = -1;
    auto owner = std::make_shared<recording_link>();
    const auto made = join("locked", "secret", owner, &first);
    ASSERT_TRUE(made.ok);
    auto wrong = std::make_shared<recording_link>();
    EXPECT_FALSE(join("locked", "guess", wrong, &second).ok);
    EXPECT_EQ(first, second);
    ASSERT_EQ(wrong->frames().size(), 1u);
    EXPECT_EQ(wrong->frames()[0]["code"], "unauthorized");
    auto right = std::make_shared<recording_link>();
    EXPECT_TRUE(join("locked", "secret", right).ok);
    EXPECT_EQ(right->frames().at(0)["type"], "joined");
}

TEST_F(room_router_test, AFullPasswordQueueRefusesAsServerBusy) {
    room_router::settings s;
    s.password_queue = 1;
    start(s);
    // Six password joins at once against one thread and one queue slot: each argon2id run
    // takes milliseconds, so some of them find the queue full and are refused at once.
    std::vector<std::shared_ptr<recording_link>> links;
    std::atomic<int> finished{0};
    for (int i = 0; i < 6; ++i) {
        room_router::join_flight f;
        f.req.msg.room = "busy" + std::to_string(i);
        f.req.msg.name = "Ann";
        f.req.msg.password = "pw";
        links.push_back(std::make_shared<recording_link>());
        f.req.conn = links.back();
        f.wanted = std::make_shared<std::atomic<bool>>(true);
        f.done = [&finished](const signal::join_result&) { ++finished; };
        router_->join(std::move(f));
    }
    for (int i = 0; i < 200 && finished < 6; ++i) {
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(finished, 6);
    int busy = 0;
    for (auto& l : links) {
        for (const auto& f : l->frames()) {
            busy += f.value("message", "").starts_with("server busy") ? 1 : 0;
        }
    }
    EXPECT_GE(busy, 1);
}

} // namespace
} // namespace icegate::app
