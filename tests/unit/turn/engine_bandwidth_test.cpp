// TURN engine: the bandwidth caps (limits.allocation_bandwidth, user_bandwidth,
// total_bandwidth) on the fake clock: relayed payload per simulated second stays at the rate,
// a burst of about 100 ms passes, nothing is capped by default, and a reload changes the rate.
#include <cstdlib>

#include "engine_test_fixture.hpp"

namespace icegate::turn::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::uint64_t mbit = 1'000'000;
constexpr std::size_t packet = 1000; // payload bytes of every packet sent here

class EngineBandwidth : public engine_test {
protected:
    // The fixture's clock plus `t`: the packets here come every millisecond or so.
    clock_reading at(milliseconds t) const {
        clock_reading c = now();
        c.mono += t;
        return c;
    }

    // Allocates for `from` (on `eng`) and binds channel 0x4000 to `peer`; returns the relay.
    relay_id bound_relay(const client_ref& from, const transport_address& peer,
                         std::string_view user = "alice", std::string_view password = "secret-a") {
        const auto a = allocate(from, {}, user, password);
        EXPECT_TRUE(a.success()) << a.error();
        const relay_id relay = relay_of(a);
        const auto r = request(
            stun::method::channel_bind,
            [&](stun::message_builder& b) {
                (void)stun::channel_number{0x4000}.encode(b);
                (void)stun::xor_peer_address{peer}.encode(b);
            },
            from, user, password);
        EXPECT_TRUE(r.success()) << r.error();
        return relay;
    }

    // One ChannelData packet of `packet` bytes from `from` into `e` at `t`.
    void client_packet(engine& e, const client_ref& from, milliseconds t) {
        const bytes payload(packet, 0x5a);
        bytes out(packet + 4);
        const auto n =
            stun::channel_data{0x4000, payload}.build(out, stun::channel_framing::datagram);
        ASSERT_TRUE(n.has_value());
        e.on_client_message(out, from, at(t));
    }

    std::size_t peer_bytes() const {
        std::size_t n = 0;
        for (const auto& s : io.to_peer) {
            n += s.data.size();
        }
        return n;
    }

    // Payload that reached clients (ChannelData over UDP: a 4-byte header each).
    std::size_t client_bytes() const {
        std::size_t n = 0;
        for (const auto& s : io.to_client) {
            n += s.data.size() >= 4 && (s.data[0] & 0xc0) == 0x40 ? s.data.size() - 4 : 0;
        }
        return n;
    }

    // Runs `each(t)` every `step` from `from` up to (not including) `to`.
    template <class F>
    void run(milliseconds from, milliseconds to, milliseconds step, F each) {
        for (milliseconds t = from; t < to; t += step) {
            each(t);
        }
    }
};

// Within `percent` of `expected`.
::testing::AssertionResult near(std::size_t got, double expected, double percent = 3.0) {
    if (std::abs(static_cast<double>(got) - expected) <= expected * percent / 100.0) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << got << " is not within " << percent << "% of " << expected;
}

TEST_F(EngineBandwidth, UnlimitedByDefault) {
    const relay_id relay = bound_relay(client(), peer_a);
    // 1000 packets of 1000 bytes in 100 ms: 80 Mbit/s, both ways.
    run(milliseconds(0), milliseconds(100), milliseconds(1), [&](milliseconds t) {
        for (int i = 0; i < 10; ++i) {
            client_packet(*eng, client(), t);
            eng->on_peer_datagram(relay, peer_a, bytes(packet, 1), at(t));
        }
    });
    EXPECT_EQ(peer_bytes(), 1000 * packet);
    EXPECT_EQ(client_bytes(), 1000 * packet);
    const auto& c = eng->counters();
    EXPECT_EQ(c.bandwidth_dropped_allocation + c.bandwidth_dropped_user + c.bandwidth_dropped_total,
              0u);
}

TEST_F(EngineBandwidth, AllocationCapHoldsEachSecondToTheRate) {
    settings.allocation_bandwidth = 1 * mbit;
    make_engine();
    bound_relay(client(), peer_a);
    std::vector<std::size_t> per_second;
    for (int s = 0; s < 4; ++s) { // 8 Mbit/s offered: eight times the cap
        const std::size_t before = peer_bytes();
        run(milliseconds(1000 * s), milliseconds(1000 * (s + 1)), milliseconds(1),
            [&](milliseconds t) { client_packet(*eng, client(), t); });
        per_second.push_back(peer_bytes() - before);
    }
    // The first second also carries the burst: 100 ms of the rate plus one packet.
    EXPECT_TRUE(near(per_second[0], 125000 + 12500 + packet));
    for (int s = 1; s < 4; ++s) {
        EXPECT_TRUE(near(per_second[s], 125000)) << "second " << s;
    }
    EXPECT_GT(eng->counters().bandwidth_dropped_allocation, 3000u);
    EXPECT_EQ(eng->counters().bandwidth_dropped_user, 0u);
    EXPECT_EQ(eng->counters().bandwidth_dropped_total, 0u);
}

TEST_F(EngineBandwidth, AllocationCapCountsBothDirectionsTogether) {
    settings.allocation_bandwidth = 2 * mbit;
    make_engine();
    const relay_id relay = bound_relay(client(), peer_a);
    run(milliseconds(0), milliseconds(1000), milliseconds(1), [&](milliseconds t) {
        client_packet(*eng, client(), t);
        eng->on_peer_datagram(relay, peer_a, bytes(packet, 1), at(t));
    });
    const std::size_t up = peer_bytes();
    const std::size_t down = client_bytes();
    run(milliseconds(1000), milliseconds(3000), milliseconds(1), [&](milliseconds t) {
        client_packet(*eng, client(), t);
        eng->on_peer_datagram(relay, peer_a, bytes(packet, 1), at(t));
    });
    // 2 Mbit/s over both ways together (8 Mbit/s offered each way): two seconds of it.
    EXPECT_TRUE(near(peer_bytes() - up + client_bytes() - down, 2 * 250000.0));
}

TEST_F(EngineBandwidth, BurstIsAbout100MillisecondsOfTheRate) {
    settings.allocation_bandwidth = 1 * mbit; // 100 ms: 12500 bytes
    make_engine();
    bound_relay(client(), peer_a);
    for (int i = 0; i < 100; ++i) {
        client_packet(*eng, client(), milliseconds(0));
    }
    // 8 ms a packet: from 0 to 96 ms ahead thirteen pass, the fourteenth would be 104 ms.
    EXPECT_EQ(io.to_peer.size(), 13u);
    for (int i = 0; i < 100; ++i) {
        client_packet(*eng, client(), milliseconds(48));
    }
    EXPECT_EQ(io.to_peer.size(), 19u); // 48 ms later: six more
    EXPECT_EQ(eng->counters().bandwidth_dropped_allocation, 200u - 19u);
}

TEST_F(EngineBandwidth, PacketLargerThanTheBurstStillPasses) {
    settings.allocation_bandwidth = 10'000; // 100 ms: 125 bytes
    make_engine();
    bound_relay(client(), peer_a);
    client_packet(*eng, client(), milliseconds(0)); // 1000 bytes: 800 ms at this rate
    client_packet(*eng, client(), milliseconds(100));
    client_packet(*eng, client(), milliseconds(699));
    EXPECT_EQ(io.to_peer.size(), 1u); // the overdraft is paid back first
    client_packet(*eng, client(), milliseconds(701));
    EXPECT_EQ(io.to_peer.size(), 2u);
}

TEST_F(EngineBandwidth, PeerToClientIsCappedToo) {
    settings.allocation_bandwidth = 1 * mbit;
    make_engine();
    const relay_id relay = bound_relay(client(), peer_a);
    auto other_port = peer_a; // no channel: Data indications
    other_port.port = 1234;
    std::size_t to_client = 0;
    run(milliseconds(0), milliseconds(3000), milliseconds(1), [&](milliseconds t) {
        const std::size_t before = io.to_client.size();
        eng->on_peer_datagram(relay, other_port, bytes(packet, 1), at(t));
        to_client += (io.to_client.size() - before) * packet;
    });
    EXPECT_TRUE(near(to_client, 3 * 125000 + 12500 + packet));
    EXPECT_GT(eng->counters().bandwidth_dropped_allocation, 2000u);
}

TEST_F(EngineBandwidth, UserCapIsSharedByAllocationsOnTwoWorkers) {
    settings.user_bandwidth = 1 * mbit;
    make_engine();
    auto second = make_worker_engine(io); // another worker's engine, the same quota_table
    bound_relay(client(1), peer_a);
    std::swap(eng, second);
    bound_relay(client(2), peer_b);
    std::swap(eng, second);
    bound_relay(client(3), peer_a, "bob", "secret-b"); // another user: a bucket of its own

    std::size_t alice = 0;
    std::size_t bob = 0;
    run(milliseconds(0), milliseconds(3000), milliseconds(1), [&](milliseconds t) {
        const std::size_t before = io.to_peer.size();
        client_packet(*eng, client(1), t);    // 8 Mbit/s
        client_packet(*second, client(2), t); // 8 Mbit/s
        alice += (io.to_peer.size() - before) * packet;
        if (t.count() % 8 == 0) { // 1 Mbit/s: at the cap, never over it
            const std::size_t b = io.to_peer.size();
            client_packet(*eng, client(3), t);
            bob += (io.to_peer.size() - b) * packet;
        }
    });
    EXPECT_TRUE(near(alice, 3 * 125000 + 12500 + packet));
    EXPECT_EQ(bob, 375u * packet);
    EXPECT_GT(eng->counters().bandwidth_dropped_user, 1000u);
    EXPECT_GT(second->counters().bandwidth_dropped_user, 1000u);
    EXPECT_EQ(eng->counters().bandwidth_dropped_allocation, 0u);
}

TEST_F(EngineBandwidth, TotalCapCoversEveryAllocationOfTheEngine) {
    settings.total_bandwidth = 1 * mbit; // this engine's share
    make_engine();
    bound_relay(client(1), peer_a);
    bound_relay(client(2), peer_b, "bob", "secret-b");
    run(milliseconds(0), milliseconds(3000), milliseconds(1), [&](milliseconds t) {
        client_packet(*eng, client(1), t);
        client_packet(*eng, client(2), t);
    });
    EXPECT_TRUE(near(peer_bytes(), 3 * 125000 + 12500 + packet));
    EXPECT_GT(eng->counters().bandwidth_dropped_total, 4000u);
    EXPECT_EQ(eng->counters().bandwidth_dropped_user, 0u);
}

TEST_F(EngineBandwidth, ReloadChangesTheRate) {
    settings.allocation_bandwidth = 1 * mbit;
    make_engine();
    bound_relay(client(), peer_a);
    const auto stream_second = [&](int s) {
        const std::size_t before = peer_bytes();
        run(milliseconds(1000 * s), milliseconds(1000 * (s + 1)), milliseconds(1),
            [&](milliseconds t) { client_packet(*eng, client(), t); });
        return peer_bytes() - before;
    };
    stream_second(0);
    EXPECT_TRUE(near(stream_second(1), 125000));
    settings.allocation_bandwidth = 4 * mbit;
    eng->set_settings(settings);
    stream_second(2); // starts full: the new burst
    EXPECT_TRUE(near(stream_second(3), 500000));
    settings.allocation_bandwidth = 0; // off: all 8 Mbit/s pass
    eng->set_settings(settings);
    EXPECT_EQ(stream_second(4), 1000 * packet);
    settings.user_bandwidth = 2 * mbit; // a cap turned on live applies to the next packet
    eng->set_settings(settings);
    stream_second(5);
    EXPECT_TRUE(near(stream_second(6), 250000));
}

} // namespace
} // namespace icegate::turn::test
