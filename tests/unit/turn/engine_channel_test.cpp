// TURN engine: ChannelBind (RFC 8656 section 12.2) and ChannelData both ways (12.4-12.7).
#include "engine_test_fixture.hpp"

namespace icegate::turn::test {
namespace {

namespace status = stun::status;
using std::chrono::seconds;
using EngineChannel = engine_test;

TEST_F(EngineChannel, BindRelaysBothWays) {
    const auto a = allocate(client());
    const relay_id relay = relay_of(a);
    ASSERT_TRUE(channel_bind(client(), 0x4000, peer_a).success());
    channel_data(client(), 0x4000, {1, 2, 3, 4, 5});
    ASSERT_EQ(io.to_peer.size(), 1u);
    EXPECT_EQ(io.to_peer[0].relay, relay);
    EXPECT_EQ(io.to_peer[0].peer, peer_a);
    EXPECT_EQ(io.to_peer[0].data, (bytes{1, 2, 3, 4, 5}));

    eng->on_peer_datagram(relay, peer_a, bytes{6, 7, 8, 9, 10}, now());
    // Over UDP: no padding.
    EXPECT_EQ(io.to_client.back().data, (bytes{0x40, 0x00, 0x00, 0x05, 6, 7, 8, 9, 10}));
}

TEST_F(EngineChannel, PaddedOverTcp) {
    const auto c = client(1, client_transport::tcp);
    const auto a = allocate(c);
    const relay_id relay = relay_of(a);
    ASSERT_TRUE(channel_bind(c, 0x4001, peer_a).success());
    eng->on_peer_datagram(relay, peer_a, bytes{6, 7, 8, 9, 10}, now());
    EXPECT_EQ(io.to_client.back().data, (bytes{0x40, 0x01, 0x00, 0x05, 6, 7, 8, 9, 10, 0, 0, 0}));
    channel_data(c, 0x4001, {1, 2, 3}, true); // padded frame in, bare data out
    ASSERT_EQ(io.to_peer.size(), 1u);
    EXPECT_EQ(io.to_peer[0].data, (bytes{1, 2, 3}));
}

TEST_F(EngineChannel, SamePortOnlyGetsChannelData) {
    const auto a = allocate(client());
    const relay_id relay = relay_of(a);
    ASSERT_TRUE(channel_bind(client(), 0x4000, peer_a).success());
    auto other_port = peer_a;
    other_port.port = 1234;
    eng->on_peer_datagram(relay, other_port, bytes{1}, now());
    const reply r(io.to_client.back().data); // permitted by IP, no channel: Data indication
    ASSERT_TRUE(r.view);
    EXPECT_EQ(r.view->method(), stun::method::data);
}

TEST_F(EngineChannel, NumberOutOfRangeIs400) {
    ASSERT_TRUE(allocate(client()).success());
    EXPECT_EQ(channel_bind(client(), 0x3FFF, peer_a).error(), status::bad_request);
    EXPECT_EQ(channel_bind(client(), 0x8000, peer_a).error(), status::bad_request);
    EXPECT_TRUE(channel_bind(client(), 0x4FFF, peer_a).success());
    // RFC 5766's range runs to 0x7FFF; coturn's uclient picks from all of it.
    EXPECT_TRUE(channel_bind(client(), 0x7FFF, peer_b).success());
}

TEST_F(EngineChannel, MissingPeerIs400) {
    ASSERT_TRUE(allocate(client()).success());
    const auto r = request(
        stun::method::channel_bind, [](auto& b) { (void)stun::channel_number{0x4000}.encode(b); },
        client());
    EXPECT_EQ(r.error(), status::bad_request);
}

TEST_F(EngineChannel, RebindingRules) {
    ASSERT_TRUE(allocate(client()).success());
    ASSERT_TRUE(channel_bind(client(), 0x4000, peer_a).success());
    // The channel to another peer, the peer to another channel: both 400.
    EXPECT_EQ(channel_bind(client(), 0x4000, peer_b).error(), status::bad_request);
    EXPECT_EQ(channel_bind(client(), 0x4001, peer_a).error(), status::bad_request);
    // The same pair refreshes.
    EXPECT_TRUE(channel_bind(client(), 0x4000, peer_a).success());
    auto other_port = peer_a;
    other_port.port = 1234;
    EXPECT_TRUE(channel_bind(client(), 0x4001, other_port).success());
}

TEST_F(EngineChannel, RefreshKeepsTheChannel) {
    ASSERT_TRUE(allocate(client()).success());
    ASSERT_TRUE(refresh(client(), 3600).success());
    // Each bind refreshes the channel (600 s) and its permission (300 s).
    ASSERT_TRUE(channel_bind(client(), 0x4000, peer_a).success());
    for (int i = 0; i < 3; ++i) {
        tick_through(seconds(250));
        ASSERT_TRUE(channel_bind(client(), 0x4000, peer_a).success());
    }
    tick_through(seconds(250)); // 1000 s after the first bind
    channel_data(client(), 0x4000, {1});
    EXPECT_EQ(io.to_peer.size(), 1u);
}

TEST_F(EngineChannel, BindInstallsAPermission) {
    ASSERT_TRUE(allocate(client()).success());
    ASSERT_TRUE(channel_bind(client(), 0x4000, peer_a).success());
    send_indication(client(), peer_a, {1});
    EXPECT_EQ(io.to_peer.size(), 1u);
}

TEST_F(EngineChannel, PermissionExpiryStopsTheChannel) {
    const auto a = allocate(client());
    const relay_id relay = relay_of(a);
    ASSERT_TRUE(channel_bind(client(), 0x4000, peer_a).success());
    tick_through(seconds(300)); // permission gone, channel still bound
    channel_data(client(), 0x4000, {1});
    EXPECT_TRUE(io.to_peer.empty());
    const std::size_t before = io.to_client.size();
    eng->on_peer_datagram(relay, peer_a, bytes{1}, now());
    EXPECT_EQ(io.to_client.size(), before);
}

TEST_F(EngineChannel, ExpiredChannelCoolsDownFiveMinutes) {
    ASSERT_TRUE(
        allocate(client(), [](auto& b) { (void)stun::lifetime{3600}.encode(b); }).success());
    ASSERT_TRUE(channel_bind(client(), 0x4000, peer_a).success());
    tick_through(seconds(600));
    ASSERT_TRUE(create_permission(client(), {peer_a}).success());
    channel_data(client(), 0x4000, {1});
    EXPECT_TRUE(io.to_peer.empty()); // expired
    EXPECT_EQ(channel_bind(client(), 0x4000, peer_b).error(), status::bad_request);
    EXPECT_EQ(channel_bind(client(), 0x4001, peer_a).error(), status::bad_request);
    tick_through(seconds(300));
    EXPECT_TRUE(channel_bind(client(), 0x4000, peer_b).success());
}

TEST_F(EngineChannel, ExpiredChannelCanBeRevivedWithTheSamePeer) {
    ASSERT_TRUE(
        allocate(client(), [](auto& b) { (void)stun::lifetime{3600}.encode(b); }).success());
    ASSERT_TRUE(channel_bind(client(), 0x4000, peer_a).success());
    tick_through(seconds(650));
    ASSERT_TRUE(channel_bind(client(), 0x4000, peer_a).success());
    channel_data(client(), 0x4000, {1});
    EXPECT_EQ(io.to_peer.size(), 1u);
}

TEST_F(EngineChannel, DeniedPeerIs403AndOtherFamilyIs443) {
    ASSERT_TRUE(allocate(client()).success());
    EXPECT_EQ(channel_bind(client(), 0x4000, denied_peer).error(), status::forbidden);
    EXPECT_EQ(channel_bind(client(), 0x4000, v6(0x99, 5000)).error(),
              status::peer_address_family_mismatch);
}

TEST_F(EngineChannel, CapIs508) {
    settings.max_channels = 1;
    make_engine();
    ASSERT_TRUE(allocate(client()).success());
    ASSERT_TRUE(channel_bind(client(), 0x4000, peer_a).success());
    EXPECT_EQ(channel_bind(client(), 0x4001, peer_b).error(), status::insufficient_capacity);
}

TEST_F(EngineChannel, UnknownChannelIsDropped) {
    ASSERT_TRUE(allocate(client()).success());
    channel_data(client(), 0x4002, {1, 2});
    EXPECT_TRUE(io.to_peer.empty());
    channel_data(client(2), 0x4000, {1, 2}); // no allocation
    EXPECT_TRUE(io.to_peer.empty());
}

TEST_F(EngineChannel, GarbageNeverCrashes) {
    const auto a = allocate(client());
    const relay_id relay = relay_of(a);
    ASSERT_TRUE(channel_bind(client(), 0x4000, peer_a).success());
    const std::vector<bytes> junk = {
        {},
        {0x40},
        {0x40, 0x00},
        {0x40, 0x00, 0x00},
        {0x40, 0x00, 0xff, 0xff, 1, 2},       // length beyond the data
        {0x40, 0x00, 0x00, 0x08, 1, 2, 3, 4}, // truncated
        {0x7f, 0xff, 0x00, 0x00},             // reserved range
        {0xff, 0xff, 0xff, 0xff},
        {0x00, 0x01, 0x00},
        {0x00, 0x03, 0x00, 0x04, 0x21, 0x12, 0xa4, 0x42}, // truncated STUN header
    };
    for (const auto& j : junk) {
        eng->on_client_message(j, client(), now());
        eng->on_peer_datagram(relay, peer_a, j, now());
    }
    EXPECT_TRUE(io.to_peer.empty());
    channel_data(client(), 0x4000, {}); // empty ChannelData is legal
    EXPECT_EQ(io.to_peer.size(), 1u);
}

TEST_F(EngineChannel, LargestDatagramFitsTheScratchBuffer) {
    const auto a = allocate(client());
    const relay_id relay = relay_of(a);
    ASSERT_TRUE(create_permission(client(), {peer_a}).success());
    const bytes big(65507, 0xab);
    const std::size_t before = io.to_client.size();
    eng->on_peer_datagram(relay, peer_a, big, now());
    ASSERT_EQ(io.to_client.size(), before + 1);
    EXPECT_GT(io.to_client.back().data.size(), big.size());
}

TEST_F(EngineChannel, CountersFollowDrops) {
    const auto a = allocate(client());
    const relay_id relay = relay_of(a);
    ASSERT_TRUE(channel_bind(client(), 0x4000, peer_a).success());
    channel_data(client(), 0x4000, {1, 2, 3});
    eng->on_peer_datagram(relay, peer_a, bytes{1, 2}, now());
    eng->on_peer_datagram(relay, peer_b, bytes{1, 2}, now());
    EXPECT_EQ(eng->counters().allocations_created, 1u);
    EXPECT_EQ(eng->counters().peer_dropped_no_permission, 1u);
}

} // namespace
} // namespace icegate::turn::test
