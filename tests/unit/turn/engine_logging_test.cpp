// TURN engine: one info line when an allocation starts and one when it ends, on the "turn"
// logger, with user, addresses and counters but never a password, key or nonce.
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
    void TearDown() override { spdlog::drop("turn"); }

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

} // namespace
} // namespace icegate::turn::test
