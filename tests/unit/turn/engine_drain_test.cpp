// TURN engine while draining (shutdown): a new Allocate is refused with 508, or with 300 Try
// Alternate and ALTERNATE-SERVER (RFC 8489 section 14.15); what is allocated keeps working.
#include "engine_test_fixture.hpp"

namespace icegate::turn::test {
namespace {

namespace status = stun::status;
using EngineDrain = engine_test;

const transport_address alternate_v4 = v4(203, 0, 113, 50, 3478);

TEST_F(EngineDrain, NewAllocateIs508WithoutAlternate) {
    eng->set_draining(std::nullopt);
    const auto r = allocate(client());
    EXPECT_EQ(r.error(), status::insufficient_capacity);
    EXPECT_FALSE(r.get<stun::alternate_server>().has_value());
    // Signed like every authenticated answer, and nothing was taken.
    EXPECT_TRUE(
        r.view->check_message_integrity(*stun::long_term_key_md5("alice", realm, "secret-a")));
    EXPECT_TRUE(io.opened.empty());
    EXPECT_EQ(eng->allocation_count(), 0u);
    EXPECT_EQ(quotas->total(), 0u);
}

TEST_F(EngineDrain, NewAllocateIs300WithAlternateServer) {
    eng->set_draining(alternate_v4);
    const auto r = allocate(client());
    EXPECT_EQ(r.error(), status::try_alternate);
    const auto alt = r.get<stun::alternate_server>();
    ASSERT_TRUE(alt.has_value());
    EXPECT_EQ(alt->address, alternate_v4);
    EXPECT_TRUE(
        r.view->check_message_integrity(*stun::long_term_key_md5("alice", realm, "secret-a")));
    EXPECT_TRUE(io.opened.empty());
    EXPECT_EQ(eng->allocation_count(), 0u);
}

// ALTERNATE-SERVER must be of the family the request came from: an IPv6 client of a server
// whose alternate is IPv4 gets 508 instead.
TEST_F(EngineDrain, AlternateOfAnotherFamilyIs508) {
    eng->set_draining(alternate_v4);
    const client_ref c{v6(0x77, 40001), v6(0x01, 3478), client_transport::udp, 1};
    const auto r = allocate(c);
    EXPECT_EQ(r.error(), status::insufficient_capacity);
    EXPECT_FALSE(r.get<stun::alternate_server>().has_value());
}

TEST_F(EngineDrain, LiveAllocationKeepsRefreshingAndRelaying) {
    const auto a = allocate(client());
    ASSERT_TRUE(a.success());
    const relay_id relay = relay_of(a);
    eng->set_draining(std::nullopt);

    EXPECT_EQ(refresh(client(), 1200).get<stun::lifetime>()->value, 1200u);
    ASSERT_TRUE(create_permission(client(), {peer_b}).success());
    ASSERT_TRUE(channel_bind(client(), 0x4000, peer_a).success());
    channel_data(client(), 0x4000, {1, 2, 3});
    send_indication(client(), peer_b, {4, 5});
    ASSERT_EQ(io.to_peer.size(), 2u);
    EXPECT_EQ(io.to_peer[0].peer, peer_a);
    EXPECT_EQ(io.to_peer[0].data, (bytes{1, 2, 3}));
    EXPECT_EQ(io.to_peer[1].peer, peer_b);
    EXPECT_EQ(io.to_peer[1].data, (bytes{4, 5}));
    eng->on_peer_datagram(relay, peer_a, bytes{6, 7}, now());
    EXPECT_EQ(io.to_client.back().data, (bytes{0x40, 0x00, 0x00, 0x02, 6, 7}));

    // Meanwhile another client's new Allocate is refused.
    EXPECT_EQ(allocate(client(2)).error(), status::insufficient_capacity);
    EXPECT_EQ(eng->allocation_count(), 1u);
    EXPECT_TRUE(refresh(client(), 0).success());
    EXPECT_EQ(eng->allocation_count(), 0u);
}

TEST_F(EngineDrain, RetransmittedAllocateStillSucceeds) {
    const auto id = new_txn();
    const auto writer = [](auto& b) { (void)stun::requested_transport{}.encode(b); };
    const auto first = request(stun::method::allocate, writer, client(), "alice", "secret-a", id);
    ASSERT_TRUE(first.success());
    eng->set_draining(alternate_v4);
    const auto again = request(stun::method::allocate, writer, client(), "alice", "secret-a", id);
    ASSERT_TRUE(again.success());
    EXPECT_EQ(again.get<stun::xor_relayed_address>()->address,
              first.get<stun::xor_relayed_address>()->address);
}

} // namespace
} // namespace icegate::turn::test
