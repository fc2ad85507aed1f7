// TURN engine: CreatePermission (RFC 8656 section 9) and Send indications (section 11.2).
#include "engine_test_fixture.hpp"

namespace icegate::turn::test {
namespace {

namespace status = stun::status;
using std::chrono::seconds;
using EnginePermission = engine_test;

TEST_F(EnginePermission, SendNeedsAPermission) {
    const auto a = allocate(client());
    const relay_id relay = relay_of(a);
    send_indication(client(), peer_a, {1, 2, 3});
    EXPECT_TRUE(io.to_peer.empty());
    ASSERT_TRUE(create_permission(client(), {peer_a}).success());
    send_indication(client(), peer_a, {1, 2, 3});
    ASSERT_EQ(io.to_peer.size(), 1u);
    EXPECT_EQ(io.to_peer[0].relay, relay);
    EXPECT_EQ(io.to_peer[0].peer, peer_a);
    EXPECT_EQ(io.to_peer[0].data, (bytes{1, 2, 3}));
    // Keyed by IP: another port of the same peer works too.
    auto other_port = peer_a;
    other_port.port = 9999;
    send_indication(client(), other_port, {4});
    EXPECT_EQ(io.to_peer.size(), 2u);
    send_indication(client(), peer_b, {5});
    EXPECT_EQ(io.to_peer.size(), 2u);
}

TEST_F(EnginePermission, SendWithoutAllocationIsDropped) {
    send_indication(client(), peer_a, {1});
    EXPECT_TRUE(io.to_peer.empty());
    EXPECT_TRUE(io.to_client.empty());
}

TEST_F(EnginePermission, ExpiresAfter300Seconds) {
    ASSERT_TRUE(allocate(client()).success());
    ASSERT_TRUE(create_permission(client(), {peer_a}).success());
    tick_through(seconds(299));
    send_indication(client(), peer_a, {1});
    EXPECT_EQ(io.to_peer.size(), 1u);
    tick_through(seconds(1));
    send_indication(client(), peer_a, {1});
    EXPECT_EQ(io.to_peer.size(), 1u);
}

TEST_F(EnginePermission, RecreatingRefreshes) {
    ASSERT_TRUE(allocate(client()).success());
    ASSERT_TRUE(create_permission(client(), {peer_a}).success());
    tick_through(seconds(200));
    ASSERT_TRUE(create_permission(client(), {peer_a}).success());
    tick_through(seconds(200));
    send_indication(client(), peer_a, {1});
    EXPECT_EQ(io.to_peer.size(), 1u);
}

TEST_F(EnginePermission, DeniedPeerIs403AndNothingIsInstalled) {
    ASSERT_TRUE(allocate(client()).success());
    EXPECT_EQ(create_permission(client(), {peer_a, denied_peer}).error(), status::forbidden);
    send_indication(client(), peer_a, {1});
    EXPECT_TRUE(io.to_peer.empty());
}

TEST_F(EnginePermission, OtherFamilyIs443) {
    ASSERT_TRUE(allocate(client()).success());
    EXPECT_EQ(create_permission(client(), {v6(0x99, 5000)}).error(),
              status::peer_address_family_mismatch);
}

TEST_F(EnginePermission, NoPeerIs400) {
    ASSERT_TRUE(allocate(client()).success());
    EXPECT_EQ(create_permission(client(), {}).error(), status::bad_request);
}

TEST_F(EnginePermission, WithoutAllocationIs437) {
    EXPECT_EQ(create_permission(client(), {peer_a}).error(), status::allocation_mismatch);
}

TEST_F(EnginePermission, CapIs508) {
    settings.max_permissions = 2;
    make_engine();
    ASSERT_TRUE(allocate(client()).success());
    ASSERT_TRUE(create_permission(client(), {peer_a, peer_b}).success());
    EXPECT_TRUE(create_permission(client(), {peer_a}).success()); // a refresh adds nothing
    EXPECT_EQ(create_permission(client(), {v4(203, 0, 113, 7, 1)}).error(),
              status::insufficient_capacity);
    tick_through(seconds(300)); // both expire: room again
    EXPECT_TRUE(create_permission(client(), {v4(203, 0, 113, 7, 1)}).success());
}

TEST_F(EnginePermission, InboundFromUnpermittedPeerIsDropped) {
    const auto a = allocate(client());
    const relay_id relay = relay_of(a);
    const std::size_t before = io.to_client.size();
    eng->on_peer_datagram(relay, peer_a, bytes{1, 2}, now());
    EXPECT_EQ(io.to_client.size(), before);
    EXPECT_EQ(eng->counters().peer_dropped_no_permission, 1u);
}

TEST_F(EnginePermission, InboundBecomesADataIndication) {
    const auto a = allocate(client());
    const relay_id relay = relay_of(a);
    ASSERT_TRUE(create_permission(client(), {peer_a}).success());
    const std::size_t before = io.to_client.size();
    eng->on_peer_datagram(relay, peer_a, bytes{9, 8, 7}, now());
    ASSERT_EQ(io.to_client.size(), before + 1);
    const reply r(io.to_client.back().data);
    ASSERT_TRUE(r.view);
    EXPECT_EQ(r.view->method(), stun::method::data);
    EXPECT_EQ(r.view->message_class(), stun::message_class::indication);
    EXPECT_EQ(r.get<stun::xor_peer_address>()->address, peer_a);
    const auto d = r.get<stun::data>();
    EXPECT_EQ(bytes(d->value.begin(), d->value.end()), (bytes{9, 8, 7}));
    EXPECT_EQ(io.to_client.back().to, client());
}

TEST_F(EnginePermission, UnknownRelayIsIgnored) {
    eng->on_peer_datagram(42, peer_a, bytes{1}, now());
    EXPECT_TRUE(io.to_client.empty());
}

TEST_F(EnginePermission, SendIgnoresDontFragment) {
    ASSERT_TRUE(allocate(client()).success());
    ASSERT_TRUE(create_permission(client(), {peer_a}).success());
    const auto msg = build(
        stun::method::send, stun::message_class::indication, new_txn(),
        [&](stun::message_builder& b) {
            (void)stun::xor_peer_address{peer_a}.encode(b);
            (void)stun::data{bytes{1}}.encode(b);
            (void)stun::dont_fragment{}.encode(b);
        },
        false);
    eng->on_client_message(msg, client(), now());
    EXPECT_EQ(io.to_peer.size(), 1u);
}

} // namespace
} // namespace icegate::turn::test
