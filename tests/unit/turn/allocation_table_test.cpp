// allocation_table and allocation: lookups by five-tuple and relay, permissions, channels and
// the expiry sweep.
#include "allocation_table.hpp"

#include <gtest/gtest.h>

namespace icegate::turn {
namespace {

using std::chrono::seconds;
using stun::transport_address;

const mono_time t0{seconds(1000)};

client_ref client(std::uint16_t port, client_transport t = client_transport::udp) {
    return {transport_address::v4({198, 51, 100, 1}, port),
            transport_address::v4({192, 0, 2, 1}, 3478), t, 0};
}

std::unique_ptr<allocation> make(const client_ref& c, relay_id relay) {
    auto a = std::make_unique<allocation>();
    a->client = c;
    a->relays[0].id = relay;
    a->relays[0].bound = transport_address::v4({192, 0, 2, 10}, 50000);
    a->relay_count = 1;
    a->expiry = t0 + seconds(600);
    return a;
}

TEST(AllocationTable, FindsByFiveTupleAndRelay) {
    allocation_table t(4);
    allocation& a = t.insert(make(client(1000), 7));
    t.insert(make(client(1000, client_transport::tcp), 8));
    EXPECT_EQ(t.size(), 2u);
    EXPECT_EQ(t.find(five_tuple::of(client(1000))), &a);
    EXPECT_EQ(t.find_by_relay(7), &a);
    EXPECT_NE(t.find(five_tuple::of(client(1000, client_transport::tcp))), &a);
    EXPECT_EQ(t.find(five_tuple::of(client(1001))), nullptr);
    EXPECT_EQ(t.find_by_relay(9), nullptr);
}

TEST(AllocationTable, RemoveDropsBothIndexes) {
    allocation_table t;
    t.insert(make(client(1000), 7));
    auto a = t.remove(five_tuple::of(client(1000)));
    ASSERT_TRUE(a);
    EXPECT_EQ(a->relays[0].id, 7u);
    EXPECT_TRUE(t.empty());
    EXPECT_EQ(t.find_by_relay(7), nullptr);
    EXPECT_EQ(t.remove(five_tuple::of(client(1000))), nullptr);
    EXPECT_EQ(t.any(), nullptr);
}

TEST(AllocationTable, ShrinkGivesBackBucketsAfterAPeak) {
    allocation_table t(16);
    const std::size_t small = t.bucket_count();
    t.shrink();
    EXPECT_EQ(t.bucket_count(), small); // never below the reservation
    for (std::uint16_t i = 0; i < 5000; ++i) {
        t.insert(make(client(static_cast<std::uint16_t>(1000 + i)), 1 + i));
    }
    const std::size_t peak = t.bucket_count();
    t.shrink();
    EXPECT_EQ(t.bucket_count(), peak); // full: nothing to give back
    for (std::uint16_t i = 0; i < 4990; ++i) {
        ASSERT_TRUE(t.remove(five_tuple::of(client(static_cast<std::uint16_t>(1000 + i)))));
    }
    t.shrink();
    EXPECT_LT(t.bucket_count(), peak / 20);
    EXPECT_EQ(t.size(), 10u);
    EXPECT_NE(t.find(five_tuple::of(client(1000 + 4999))), nullptr);
    EXPECT_NE(t.find_by_relay(5000), nullptr);
    EXPECT_EQ(t.find_by_relay(1), nullptr);
}

TEST(AllocationTable, HashSeparatesFields) {
    const five_tuple_hash h;
    const auto a = five_tuple::of(client(1000));
    auto b = a;
    b.transport = client_transport::tls;
    auto c = a;
    c.server.port = 3479;
    EXPECT_NE(h(a), h(b));
    EXPECT_NE(h(a), h(c));
    EXPECT_EQ(h(a), h(five_tuple::of(client(1000))));
}

TEST(Allocation, PermissionsAreByIpAndExpire) {
    auto a = make(client(1), 1);
    const auto peer = transport_address::v4({203, 0, 113, 5}, 6000);
    auto other_port = peer;
    other_port.port = 1;
    a->install_permission(peer, t0 + seconds(300));
    EXPECT_TRUE(a->permits(other_port, t0));
    EXPECT_FALSE(a->permits(transport_address::v4({203, 0, 113, 6}, 6000), t0));
    EXPECT_FALSE(a->permits(peer, t0 + seconds(300)));
    a->install_permission(other_port, t0 + seconds(400)); // refresh, not a second entry
    EXPECT_EQ(a->permissions.size(), 1u);
    EXPECT_EQ(a->sweep(t0 + seconds(399)), t0 + seconds(400));
    EXPECT_EQ(a->sweep(t0 + seconds(400)), a->expiry);
    EXPECT_TRUE(a->permissions.empty());
}

TEST(Allocation, ChannelsCoolDownBeforeRemoval) {
    auto a = make(client(1), 1);
    a->expiry = t0 + seconds(3600);
    const auto peer = transport_address::v4({203, 0, 113, 5}, 6000);
    a->channels.push_back({0x4000, peer, t0 + seconds(600)});
    EXPECT_EQ(a->channel_by_number(0x4000), a->channel_by_peer(peer));
    EXPECT_TRUE(a->channel_by_number(0x4000)->bound(t0));
    EXPECT_FALSE(a->channel_by_number(0x4000)->bound(t0 + seconds(600)));
    EXPECT_EQ(a->sweep(t0 + seconds(700)), t0 + seconds(900));
    EXPECT_NE(a->channel_by_number(0x4000), nullptr); // cooling
    a->sweep(t0 + seconds(900));
    EXPECT_EQ(a->channel_by_number(0x4000), nullptr);
}

TEST(Allocation, RelayForFamily) {
    auto a = make(client(1), 1);
    EXPECT_TRUE(a->has_family(stun::address_family::ipv4));
    EXPECT_FALSE(a->has_family(stun::address_family::ipv6));
    a->relays[1].bound = transport_address::v6({0x20, 0x01}, 5);
    a->relays[1].id = 2;
    a->relay_count = 2;
    EXPECT_EQ(a->relay_for(stun::address_family::ipv6)->id, 2u);
}

} // namespace
} // namespace icegate::turn
