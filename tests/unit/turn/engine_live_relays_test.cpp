// TURN engine: the shared registry of live relay ports follows every allocation's life (create,
// refresh to 0, expiry, connection close, shutdown, a failed Allocate, EVEN-PORT), and the peer
// policy's relay-to-relay exception follows the registry.
#include "engine_test_fixture.hpp"

namespace icegate::turn::test {
namespace {

using std::chrono::seconds;
using stun::address_family;
namespace status = stun::status;

class engine_live_relays_test : public engine_test {
protected:
    std::uint16_t relayed_port(const reply& r) const {
        const auto a = r.get<stun::xor_relayed_address>();
        EXPECT_TRUE(a.has_value());
        return a ? a->address.port : 0;
    }
    bool live4(std::uint16_t port) const { return live->contains(address_family::ipv4, port); }
    // How many IPv4 ports of 50000-50099 (where fake_io allocates) the registry holds.
    std::size_t live_count() const {
        std::size_t n = 0;
        for (std::uint16_t p = 50000; p < 50100; ++p) {
            n += live4(p) ? 1 : 0;
            n += live->contains(address_family::ipv6, p) ? 1 : 0;
        }
        return n;
    }
    // A policy that knows fake_io's relay address (192.0.2.10, also one of ours) and the
    // registry, as the server builds it; the engine switches to it.
    void use_relay_aware_policy() {
        const std::vector<transport_address> relays = {v4(192, 0, 2, 10, 0)};
        policy = std::make_shared<peer_policy>(std::vector<prefix>{}, std::vector<prefix>{}, relays,
                                               relays, live);
        eng->set_peer_policy(policy);
    }
};
using EngineLiveRelays = engine_live_relays_test;

TEST_F(EngineLiveRelays, AllocateMarksAndRefreshZeroClears) {
    const auto r = allocate(client());
    ASSERT_TRUE(r.success());
    const std::uint16_t port = relayed_port(r);
    EXPECT_TRUE(live4(port));
    EXPECT_EQ(live_count(), 1u);
    ASSERT_TRUE(refresh(client(), 0).success());
    EXPECT_FALSE(live4(port));
    EXPECT_EQ(live_count(), 0u);
}

TEST_F(EngineLiveRelays, ExpiryCloseAndShutdownClear) {
    ASSERT_TRUE(allocate(client(1)).success());
    ASSERT_TRUE(allocate(client(2)).success());
    ASSERT_TRUE(
        allocate(client(3), [](auto& b) { (void)stun::lifetime{3600}.encode(b); }).success());
    EXPECT_EQ(live_count(), 3u);
    eng->on_client_closed(client(1));
    EXPECT_EQ(live_count(), 2u);
    tick_through(seconds(601)); // client 2's 600 s run out
    EXPECT_EQ(live_count(), 1u);
    eng->close_all();
    EXPECT_EQ(live_count(), 0u);
}

TEST_F(EngineLiveRelays, DualStackMarksBothFamilies) {
    settings.relay_v6 = true;
    make_engine();
    const auto r = allocate(client(), [](auto& b) {
        (void)stun::additional_address_family{address_family::ipv6}.encode(b);
    });
    ASSERT_TRUE(r.success()) << r.error();
    ASSERT_EQ(io.ports.size(), 2u);
    EXPECT_TRUE(live4(io.ports.at(1)));
    EXPECT_TRUE(live->contains(address_family::ipv6, io.ports.at(2)));
    EXPECT_FALSE(live->contains(address_family::ipv4, io.ports.at(2)));
    ASSERT_TRUE(refresh(client(), 0).success());
    EXPECT_EQ(live_count(), 0u);
}

TEST_F(EngineLiveRelays, FailedAllocateLeavesNothingLive) {
    // EVEN-PORT with R: every even port opened has its odd neighbour taken, so each try is
    // closed again and the Allocate fails with 508.
    for (std::uint16_t p = 50001; p < 50010; p += 2) {
        io.taken_ports.insert(p);
    }
    const auto r = allocate(client(), [](auto& b) { (void)stun::even_port{true}.encode(b); });
    EXPECT_EQ(r.error(), status::insufficient_capacity);
    EXPECT_EQ(io.opened.size(), 4u);
    EXPECT_EQ(live_count(), 0u);
    // A relay range that is exhausted opens nothing and marks nothing either.
    io.exhausted = true;
    EXPECT_EQ(allocate(client(2)).error(), status::insufficient_capacity);
    EXPECT_EQ(live_count(), 0u);
}

TEST_F(EngineLiveRelays, ReservedPortIsLiveOnlyOnceClaimed) {
    const auto r = allocate(client(1), [](auto& b) { (void)stun::even_port{true}.encode(b); });
    ASSERT_TRUE(r.success());
    const auto token = r.get<stun::reservation_token>();
    ASSERT_TRUE(token);
    const std::uint16_t port = relayed_port(r);
    EXPECT_TRUE(live4(port));
    EXPECT_FALSE(live4(port + 1)); // held for the token: not an allocation yet
    const auto claim = allocate(client(2), [&](auto& b) { (void)token->encode(b); });
    ASSERT_TRUE(claim.success()) << claim.error();
    EXPECT_TRUE(live4(port + 1));
    ASSERT_TRUE(refresh(client(2), 0).success());
    EXPECT_FALSE(live4(port + 1));
    EXPECT_TRUE(live4(port));
}

TEST_F(EngineLiveRelays, ClaimOnAnotherWorkerMarksTheSharedRegistry) {
    const auto r = allocate(client(1), [](auto& b) { (void)stun::even_port{true}.encode(b); });
    const auto token = r.get<stun::reservation_token>();
    ASSERT_TRUE(token);
    const std::uint16_t port = relayed_port(r);
    fake_io other_io;
    other_io.reservations = reservations;
    const auto other = make_worker_engine(other_io);
    const auto msg = build(
        stun::method::allocate, stun::message_class::request, new_txn(),
        [&](stun::message_builder& b) {
            (void)stun::requested_transport{}.encode(b);
            (void)token->encode(b);
        },
        true);
    other->on_client_message(msg, client(2), now());
    ASSERT_EQ(other->allocation_count(), 1u);
    EXPECT_TRUE(live4(port + 1));
    other->close_all();
    EXPECT_FALSE(live4(port + 1));
    EXPECT_TRUE(live4(port));
}

TEST_F(EngineLiveRelays, RelayToRelayOnlyWhileTheOtherAllocationLives) {
    use_relay_aware_policy();
    const auto a = allocate(client(1));
    const auto b = allocate(client(2));
    ASSERT_TRUE(a.success());
    ASSERT_TRUE(b.success());
    const transport_address b_relay = v4(192, 0, 2, 10, relayed_port(b));
    const transport_address not_live = v4(192, 0, 2, 10, relayed_port(b) + 1);
    ASSERT_TRUE(create_permission(client(1), {b_relay}).success());
    EXPECT_EQ(create_permission(client(1), {not_live}).error(), status::forbidden);
    const relay_id a_id = relay_of(a);
    send_indication(client(1), b_relay, {1, 2, 3});
    ASSERT_EQ(io.to_peer.size(), 1u);
    EXPECT_EQ(io.to_peer[0].relay, a_id);

    // B ends: its port is nobody's relay any more, though A's permission for the address stays.
    ASSERT_TRUE(refresh(client(2), 0).success());
    send_indication(client(1), b_relay, {4});
    EXPECT_EQ(io.to_peer.size(), 1u);
    const std::size_t to_client = io.to_client.size();
    eng->on_peer_datagram(a_id, b_relay, bytes{5}, now());
    EXPECT_EQ(io.to_client.size(), to_client); // dropped by the policy
    EXPECT_EQ(create_permission(client(1), {b_relay}).error(), status::forbidden);
}

TEST_F(EngineLiveRelays, PeerDatagramsFromALiveRelayArrive) {
    use_relay_aware_policy();
    const auto a = allocate(client(1));
    const auto b = allocate(client(2));
    const transport_address b_relay = v4(192, 0, 2, 10, relayed_port(b));
    ASSERT_TRUE(create_permission(client(1), {b_relay}).success());
    const std::uint64_t dropped = eng->counters().peer_dropped_policy;
    const std::size_t before = io.to_client.size();
    eng->on_peer_datagram(relay_of(a), b_relay, bytes{9, 9}, now());
    EXPECT_EQ(io.to_client.size(), before + 1);
    ASSERT_TRUE(refresh(client(2), 0).success());
    const std::size_t after_refresh = io.to_client.size();
    eng->on_peer_datagram(relay_of(a), b_relay, bytes{9, 9}, now());
    EXPECT_EQ(io.to_client.size(), after_refresh);
    EXPECT_EQ(eng->counters().peer_dropped_policy, dropped + 1);
}

TEST_F(EngineLiveRelays, SetPeerPolicyAppliesToTheNextRequest) {
    ASSERT_TRUE(allocate(client()).success());
    ASSERT_TRUE(create_permission(client(), {peer_a}).success());
    eng->set_peer_policy(std::make_shared<peer_policy>(std::vector<prefix>{}, std::vector<prefix>{},
                                                       std::vector<transport_address>{peer_a}));
    EXPECT_EQ(create_permission(client(), {peer_a}).error(), status::forbidden);
    send_indication(client(), peer_a, {1});
    EXPECT_TRUE(io.to_peer.empty()); // the permission granted before no longer carries data
    eng->set_peer_policy(nullptr);   // ignored: the engine always has a policy
    EXPECT_EQ(create_permission(client(), {peer_a}).error(), status::forbidden);
}

} // namespace
} // namespace icegate::turn::test
