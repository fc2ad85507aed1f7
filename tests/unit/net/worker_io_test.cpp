// worker_io relay ports: the allocator skips ports of the shared reservation_table, and an
// exact port outside the worker's slice is bound only for a claimed reservation.
#include "icegate/net/worker_io.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <memory>
#include <random>
#include <set>
#include <vector>

namespace icegate::net {
namespace {

using stun::address_family;

const auto loopback = boost::asio::ip::make_address("127.0.0.1");

// The first of `count` consecutive even-aligned ports free for UDP on 127.0.0.1.
std::uint16_t free_ports(boost::asio::io_context& io, unsigned count) {
    std::mt19937 rng(std::random_device{}());
    for (int attempt = 0; attempt < 200; ++attempt) {
        const auto first = static_cast<std::uint16_t>((20000 + rng() % 10000) & ~1u);
        std::vector<boost::asio::ip::udp::socket> held;
        bool ok = true;
        for (unsigned i = 0; i < count && ok; ++i) {
            boost::system::error_code ec;
            held.emplace_back(io);
            held.back().open(boost::asio::ip::udp::v4(), ec);
            held.back().bind({loopback, static_cast<std::uint16_t>(first + i)}, ec);
            ok = !ec;
        }
        if (ok) {
            return first;
        }
    }
    ADD_FAILURE() << "no free port range";
    return 0;
}

struct WorkerIoPorts : ::testing::Test {
    void SetUp() override {
        base = free_ports(ctx, 8);
        relay_settings r;
        r.address_v4 = loopback;
        r.first_port = base; // this worker: base .. base+3; the whole range: base .. base+7
        r.last_port = static_cast<std::uint16_t>(base + 3);
        r.range_first = base;
        r.range_last = static_cast<std::uint16_t>(base + 7);
        io = std::make_unique<worker_io>(ctx, r, table);
    }
    void TearDown() override { io->close_all(); }

    std::uint16_t port_of(const result<turn::relay_binding>& b) { return b->address.port; }

    boost::asio::io_context ctx;
    std::shared_ptr<turn::reservation_table> table = std::make_shared<turn::reservation_table>();
    std::uint16_t base = 0;
    std::unique_ptr<worker_io> io;
};

TEST_F(WorkerIoPorts, AllocatorSkipsReservedPorts) {
    const auto expiry = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    ASSERT_TRUE(table->reserve({1}, address_family::ipv4, base + 1, -1, expiry));
    ASSERT_TRUE(table->reserve({2}, address_family::ipv4, base + 2, -1, expiry));
    std::set<std::uint16_t> got;
    for (int i = 0; i < 2; ++i) {
        const auto b = io->open_relay({address_family::ipv4, 0, false, false});
        ASSERT_TRUE(b) << b.error().message();
        got.insert(port_of(b));
    }
    EXPECT_EQ(got, (std::set<std::uint16_t>{base, static_cast<std::uint16_t>(base + 3)}));
    EXPECT_FALSE(io->open_relay({address_family::ipv4, 0, false, false})); // slice exhausted
    // A claimed reservation's port is bound exactly, reserved bit or not.
    EXPECT_TRUE(io->open_relay({address_family::ipv4, static_cast<std::uint16_t>(base + 1)}));
}

TEST_F(WorkerIoPorts, ExactPortOutsideTheSliceOnlyForAClaimedReservation) {
    const auto other_slice = static_cast<std::uint16_t>(base + 5);
    EXPECT_FALSE(io->open_relay({address_family::ipv4, other_slice, false, false, false}));
    const auto b = io->open_relay({address_family::ipv4, other_slice, false, false, true});
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(port_of(b), other_slice);
    // Never outside relay.ports.
    const auto outside = static_cast<std::uint16_t>(base + 8);
    EXPECT_FALSE(io->open_relay({address_family::ipv4, outside, false, false, true}));
}

} // namespace
TEST_F(WorkerIoPorts, HeldPortStaysBoundUntilAdoptedByAnotherWorker) {
    const auto port = static_cast<std::uint16_t>(base + 1);
    const auto held = io->hold_port(address_family::ipv4, port);
    ASSERT_TRUE(held) << held.error().message();
    // Nothing else can bind it while it is held, not even this worker's own allocator.
    EXPECT_FALSE(io->open_relay({address_family::ipv4, port, false, false, true}));
    // Another worker (its own io_context and slice) adopts the socket as a relay.
    relay_settings r;
    r.address_v4 = loopback;
    r.first_port = static_cast<std::uint16_t>(base + 4);
    r.last_port = static_cast<std::uint16_t>(base + 7);
    r.range_first = base;
    r.range_last = static_cast<std::uint16_t>(base + 7);
    boost::asio::io_context other_ctx;
    worker_io other(other_ctx, r, table);
    const auto b = other.open_relay({address_family::ipv4, port, false, false, true, *held});
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->address.port, port);
    EXPECT_EQ(other.relay_count(), 1u);
    other.close_relay(b->id);
    // Closed: the port is free again.
    const auto again = io->open_relay({address_family::ipv4, port, false, false, true});
    EXPECT_TRUE(again) << again.error().message();
}

TEST_F(WorkerIoPorts, HoldingOutsideTheSliceOrTwiceFails) {
    EXPECT_FALSE(io->hold_port(address_family::ipv4, static_cast<std::uint16_t>(base + 5)));
    const auto held = io->hold_port(address_family::ipv4, base);
    ASSERT_TRUE(held);
    EXPECT_FALSE(io->hold_port(address_family::ipv4, base));
    io->release_port(*held);
    const auto again = io->hold_port(address_family::ipv4, base);
    ASSERT_TRUE(again);
    io->release_port(*again);
}

} // namespace icegate::net
