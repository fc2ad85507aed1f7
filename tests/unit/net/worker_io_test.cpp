// worker_io relay ports: the allocator skips ports of the shared reservation_table, and an
// exact port outside the worker's slice is bound only for a claimed reservation. The relay
// poller: backlogs delivered whole and in order, a relay closed mid-delivery, clean shutdown.
#include "icegate/net/endpoint.hpp"
#include "icegate/net/worker_io.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
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

namespace icegate::net {
namespace {

// The relay poller: relay sockets in one epoll set, drained in fair shares.
struct WorkerIoRelays : ::testing::Test {
    void SetUp() override {
        relay_settings r;
        r.address_v4 = loopback;
        r.first_port = free_ports(ctx, 4);
        r.last_port = static_cast<std::uint16_t>(r.first_port + 3);
        r.range_first = r.first_port;
        r.range_last = r.last_port;
        io = std::make_unique<worker_io>(ctx, r);
        sender.open(boost::asio::ip::udp::v4());
        sender.bind({loopback, 0});
        sender.set_option(boost::asio::socket_base::send_buffer_size(1 << 20));
    }
    void TearDown() override {
        if (io) {
            io->close_all();
        }
    }

    turn::relay_binding open() {
        const auto b = io->open_relay({address_family::ipv4, 0, false, false});
        EXPECT_TRUE(b);
        return *b;
    }
    // Datagrams "<tag>:<n>" for n in [0, count), sent before the worker runs: a backlog.
    void send(const turn::relay_binding& to, char tag, int count) {
        const boost::asio::ip::udp::endpoint ep(loopback, to.address.port);
        for (int n = 0; n < count; ++n) {
            const std::string text = std::string(1, tag) + ":" + std::to_string(n);
            sender.send_to(boost::asio::buffer(text), ep);
        }
    }
    // Runs the worker until `done` or 5 s.
    template <class Pred>
    void run_until(Pred done) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            ctx.restart();
            ctx.run_for(std::chrono::milliseconds(20));
        }
    }

    boost::asio::io_context ctx;
    std::unique_ptr<worker_io> io;
    boost::asio::ip::udp::socket sender{ctx};
};

TEST_F(WorkerIoRelays, BacklogsAreDeliveredWholeInOrderWithThePeerAddress) {
    const auto a = open();
    const auto b = open();
    std::map<turn::relay_id, std::vector<std::string>> got;
    const auto me = to_transport_address(sender.local_endpoint());
    io->on_peer_datagram([&](turn::relay_id id, const stun::transport_address& peer,
                             std::span<const std::uint8_t> bytes) {
        EXPECT_EQ(peer, me);
        got[id].emplace_back(bytes.begin(), bytes.end());
    });
    // 200 is more than one round's share per relay (8 x 16): the rest needs the continuation.
    // (More would overflow the relay socket's default receive buffer before the worker runs.)
    send(a, 'a', 200);
    send(b, 'b', 40);
    run_until([&] { return got[a.id].size() == 200 && got[b.id].size() == 40; });
    ASSERT_EQ(got[a.id].size(), 200U);
    ASSERT_EQ(got[b.id].size(), 40U);
    for (int n = 0; n < 200; ++n) {
        EXPECT_EQ(got[a.id][n], "a:" + std::to_string(n));
    }
    for (int n = 0; n < 40; ++n) {
        EXPECT_EQ(got[b.id][n], "b:" + std::to_string(n));
    }
}

TEST_F(WorkerIoRelays, ClosingARelayWhileItsDatagramsAreDeliveredStopsThem) {
    const auto a = open();
    const auto b = open();
    int from_a = 0;
    int from_b = 0;
    io->on_peer_datagram(
        [&](turn::relay_id id, const stun::transport_address&, std::span<const std::uint8_t>) {
            if (id == a.id) {
                ++from_a;
                io->close_relay(a.id); // as the engine does when an allocation ends
            } else {
                ++from_b;
            }
        });
    send(a, 'a', 100);
    send(b, 'b', 100);
    run_until([&] { return from_b == 100; });
    EXPECT_EQ(from_a, 1);
    EXPECT_EQ(from_b, 100);
    EXPECT_EQ(io->relay_count(), 1U);
}

TEST_F(WorkerIoRelays, NothingIsLeftPendingAfterCloseAll) {
    const auto a = open();
    send(a, 'a', 3);
    int got = 0;
    io->on_peer_datagram([&](turn::relay_id, const stun::transport_address&,
                             std::span<const std::uint8_t>) { ++got; });
    run_until([&] { return got == 3; });
    EXPECT_EQ(got, 3);
    io->close_all();
    sender.close();
    // Shutdown: the poller's wait is cancelled and not renewed, so run() returns on its own.
    ctx.restart();
    const auto start = std::chrono::steady_clock::now();
    ctx.run_for(std::chrono::seconds(3));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

} // namespace
} // namespace icegate::net
