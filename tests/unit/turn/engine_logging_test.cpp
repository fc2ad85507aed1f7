// TURN engine: one info line when an allocation starts and one when it ends, on the "turn"
// logger, with user, addresses and counters but never a password, key or nonce; under churn a
// per-second cap and a summary line.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "engine_test_fixture.hpp"

namespace icegate::turn::test {
namespace {

using std::chrono::seconds;

class engine_logging_test : public engine_test {
protected:
    void SetUp() override {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
        logger = std::make_shared<spdlog::logger>("turn", sink);
        logger->set_pattern("%v");
        spdlog::register_logger(logger);
        engine_test::SetUp(); // the engine picks the logger up when constructed
    }
    void TearDown() override {
        eng.reset(); // its destructor ends what is left and logs it: while `out` still exists
        spdlog::drop("turn");
    }

    std::vector<std::string> lines() const {
        std::vector<std::string> v;
        std::istringstream in(out.str());
        for (std::string l; std::getline(in, l);) {
            v.push_back(l);
        }
        return v;
    }

    std::ostringstream out;
    std::shared_ptr<spdlog::logger> logger;
};
using EngineLogging = engine_logging_test;

TEST_F(EngineLogging, OneLineAtEachEnd) {
    const auto a = allocate(client());
    const relay_id relay = relay_of(a);
    ASSERT_TRUE(channel_bind(client(), 0x4000, peer_a).success());
    channel_data(client(), 0x4000, {1, 2, 3});
    eng->on_peer_datagram(relay, peer_a, bytes{1, 2, 3, 4, 5}, now());
    tick_through(seconds(30));
    ASSERT_TRUE(refresh(client(), 0).success());

    const auto l = lines();
    ASSERT_EQ(l.size(), 2u) << out.str();
    EXPECT_EQ(l[0], "allocation created: user=alice client=198.51.100.1:40001 "
                    "relay=192.0.2.10:50000 lifetime=600s");
    EXPECT_EQ(l[1], "allocation ended: user=alice client=198.51.100.1:40001 "
                    "relay=192.0.2.10:50000 duration=30s to_peer=3B/1pkt to_client=5B/1pkt "
                    "reason=refresh-0");
    EXPECT_EQ(out.str().find("secret-a"), std::string::npos);
    EXPECT_EQ(out.str().find(nonce), std::string::npos);
}

TEST_F(EngineLogging, EndReasons) {
    ASSERT_TRUE(allocate(client(1)).success());
    ASSERT_TRUE(allocate(client(2)).success());
    ASSERT_TRUE(
        allocate(client(3), [](auto& b) { (void)stun::lifetime{3600}.encode(b); }).success());
    eng->on_client_closed(client(1));
    tick_through(seconds(600));
    eng->close_all();
    const std::string s = out.str();
    EXPECT_NE(s.find("reason=connection closed"), std::string::npos);
    EXPECT_NE(s.find("reason=expired"), std::string::npos);
    EXPECT_NE(s.find("reason=shutdown"), std::string::npos);
    EXPECT_EQ(lines().size(), 6u);
}

TEST_F(EngineLogging, DataPathLogsNothing) {
    const auto a = allocate(client());
    const relay_id relay = relay_of(a);
    ASSERT_TRUE(create_permission(client(), {peer_a}).success());
    const std::size_t before = lines().size();
    for (int i = 0; i < 10; ++i) {
        send_indication(client(), peer_a, {1});
        eng->on_peer_datagram(relay, peer_a, bytes{1}, now());
        eng->on_peer_datagram(relay, peer_b, bytes{1}, now()); // dropped: no permission
    }
    EXPECT_EQ(lines().size(), before);
}

// Allocation churn (6,800 a second in the security review) wrote 112 MB of log in 55 s: each
// kind of lifecycle line is capped per second, and what was left out is counted in one
// summary line 10 s after the first line suppressed.
TEST_F(EngineLogging, ChurnIsCappedPerSecondAndSummarized) {
    settings.user_quota = 0;
    settings.allocation_rate = 0; // 100 at one instant from one host
    make_engine();
    for (std::uint8_t n = 1; n <= 100; ++n) {
        ASSERT_TRUE(allocate(client(n)).success());
        ASSERT_TRUE(refresh(client(n), 0).success());
    }
    auto count = [this](std::string_view prefix) {
        std::size_t n = 0;
        for (const auto& l : lines()) {
            n += l.starts_with(prefix) ? 1 : 0;
        }
        return n;
    };
    EXPECT_EQ(count("allocation created:"), 20u);
    EXPECT_EQ(count("allocation ended:"), 20u);
    EXPECT_EQ(count("allocation lines suppressed"), 0u);
    tick_through(seconds(9));
    EXPECT_EQ(count("allocation lines suppressed"), 0u); // not before the 10 s are up
    advance(seconds(1));
    ASSERT_EQ(count("allocation lines suppressed"), 1u) << out.str();
    EXPECT_EQ(lines().back(), "allocation lines suppressed in the last 10s: 80 created, 80 ended "
                              "(over 20 per second each); 0 allocations live");
    // A new second has its own budget, and the summary is not repeated without news.
    ASSERT_TRUE(allocate(client(101)).success());
    tick_through(seconds(30));
    EXPECT_EQ(count("allocation created:"), 21u);
    EXPECT_EQ(count("allocation lines suppressed"), 1u);
}

TEST_F(EngineLogging, ShutdownSummarizesAtOnce) {
    settings.user_quota = 0;
    settings.lifecycle_log_rate = 2;
    make_engine();
    for (std::uint8_t n = 1; n <= 5; ++n) {
        ASSERT_TRUE(allocate(client(n)).success());
    }
    eng->close_all();
    const auto l = lines();
    ASSERT_EQ(l.size(), 5u) << out.str(); // 2 created, 2 ended, the summary
    EXPECT_EQ(l.back(), "allocation lines suppressed in the last 1s: 3 created, 3 ended "
                        "(over 2 per second each); 0 allocations live");
}

TEST_F(EngineLogging, ZeroRateLogsEveryLine) {
    settings.user_quota = 0;
    settings.allocation_rate = 0; // 30 at one instant from one host
    settings.lifecycle_log_rate = 0;
    make_engine();
    for (std::uint8_t n = 1; n <= 30; ++n) {
        ASSERT_TRUE(allocate(client(n)).success());
    }
    tick_through(seconds(11));
    EXPECT_EQ(lines().size(), 30u);
}

} // namespace
} // namespace icegate::turn::test
