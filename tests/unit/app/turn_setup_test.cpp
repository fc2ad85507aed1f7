// turn_setup: listeners inside relay.ports refused, the ephemeral-range warning, the peer
// policy built from the config with the interface list and the live relays.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "../test_util.hpp"
#include "icegate/config/config.hpp"
#include "icegate/net/endpoint.hpp"
#include "turn_setup.hpp"

namespace icegate::app {
namespace {

using stun::transport_address;

std::shared_ptr<const config> cfg(const std::string& yaml) {
    return parse_config(yaml, "/tmp/icegate.yaml");
}

std::string refusal(const std::string& yaml) {
    try {
        check_listeners_outside_relay_ports(*cfg(yaml));
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

transport_address v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                     std::uint16_t port = 0) {
    return transport_address::v4({a, b, c, d}, port);
}

TEST(TurnSetup, ListenerInsideRelayPortsIsRefused) {
    EXPECT_EQ(refusal("listen: [udp://127.0.0.1:3478, tls://127.0.0.1:20005]\n"
                      "relay: {ports: 20000-20010}\n"),
              "listen tls://127.0.0.1:20005 lies inside relay.ports 20000-20010: that range is "
              "for relay sockets only; move the listener or the range");
    EXPECT_EQ(
        refusal("listen: [udp://127.0.0.1:20000]\nrelay: {ports: 20000-20010}\n").substr(0, 58),
        "listen udp://127.0.0.1:20000 lies inside relay.ports 20000");
    EXPECT_EQ(
        refusal("http: {listen: \"[::1]:20010\"}\nrelay: {ports: 20000-20010}\n").substr(0, 47),
        "http.listen [::1]:20010 lies inside relay.ports");
    // Either edge just outside, port 0 (drawn outside later) and the default range are fine.
    EXPECT_EQ(refusal("listen: [udp://127.0.0.1:19999, tcp://127.0.0.1:20011, \"udp://[::1]:0\"]\n"
                      "http: {listen: 127.0.0.1:8443}\nrelay: {ports: 20000-20010}\n"),
              "");
    EXPECT_EQ(refusal("listen: [udp://0.0.0.0:3478, tls://0.0.0.0:5349]\n"), "");
}

TEST(TurnSetup, BandwidthCapsReachTheEngineWithTheTotalSplitOverWorkers) {
    const relay_addresses relays{boost::asio::ip::make_address("127.0.0.1"), std::nullopt};
    auto s = make_engine_settings(*cfg("workers: 4\nlimits:\n  allocation_bandwidth: 2mbit\n"
                                       "  user_bandwidth: 3mbit\n  total_bandwidth: 1gbit\n"),
                                  relays);
    EXPECT_EQ(s.allocation_bandwidth, 2'000'000u);
    EXPECT_EQ(s.user_bandwidth, 3'000'000u);
    EXPECT_EQ(s.total_bandwidth, 250'000'000u); // each of 4 workers enforces a quarter
    s = make_engine_settings(*cfg("workers: 3\nlimits:\n  total_bandwidth: 2\n"), relays);
    EXPECT_EQ(s.total_bandwidth, 1u); // never rounded down to 0, which would mean no cap
    s = make_engine_settings(*cfg("workers: 2\n"), relays);
    EXPECT_EQ(s.allocation_bandwidth | s.user_bandwidth | s.total_bandwidth, 0u);
}

TEST(TurnSetup, DefaultRelayPortsStayBelowLinuxEphemeralRange) {
    const auto c = cfg("");
    EXPECT_EQ(c->relay.ports.first, 16384);
    EXPECT_EQ(c->relay.ports.last, 32767);
    EXPECT_EQ(ephemeral_overlap_warning(*c, {32768, 60999}), "");
}

TEST(TurnSetup, EphemeralOverlapIsNamed) {
    const auto c = cfg("relay: {ports: 49152-65535}\n");
    const std::string w = ephemeral_overlap_warning(*c, {32768, 60999});
    EXPECT_NE(w.find("relay.ports 49152-65535 overlaps the kernel's ephemeral port range "
                     "32768-60999 (net.ipv4.ip_local_port_range)"),
              std::string::npos)
        << w;
    EXPECT_NE(w.find("net.ipv4.ip_local_reserved_ports=49152-65535"), std::string::npos) << w;
    EXPECT_NE(ephemeral_overlap_warning(*c, {65535, 65535}), "");
    EXPECT_EQ(ephemeral_overlap_warning(*c, {1024, 49151}), "");
}

TEST(TurnSetup, EphemeralRangeIsReadFromProc) {
    test::temp_dir dir;
    const auto ok = dir.write("range", "32768\t60999\n");
    const auto range = ephemeral_port_range(ok.c_str());
    ASSERT_TRUE(range);
    EXPECT_EQ(range->first, 32768);
    EXPECT_EQ(range->second, 60999);
    EXPECT_FALSE(ephemeral_port_range(dir.write("bad", "60999 32768\n").c_str()));
    EXPECT_FALSE(ephemeral_port_range(dir.write("junk", "x\n").c_str()));
    EXPECT_FALSE(ephemeral_port_range((dir.path() / "missing").c_str()));
}

TEST(TurnSetup, PeerPolicyRefusesInterfacesAndAdmitsOnlyLiveRelays) {
    const auto c = cfg("listen: [udp://198.51.100.1:3478]\nrelay: {address: 198.51.100.2}\n");
    const auto relays = resolve_relay_addresses(*c);
    auto live = std::make_shared<turn::live_relays>();
    const auto p = make_peer_policy(*c, relays, live, {v4(203, 0, 113, 9), v4(198, 51, 100, 3)});
    EXPECT_FALSE(p->permits(v4(203, 0, 113, 9, 5000)));   // an interface address
    EXPECT_FALSE(p->permits(v4(198, 51, 100, 3, 5000)));  // another one
    EXPECT_FALSE(p->permits(v4(198, 51, 100, 1, 20000))); // a listen address
    EXPECT_FALSE(p->permits(v4(198, 51, 100, 2, 20000))); // the relay address, nothing live
    live->add(stun::address_family::ipv4, 20000);
    EXPECT_TRUE(p->permits(v4(198, 51, 100, 2, 20000)));
    EXPECT_FALSE(p->permits(v4(198, 51, 100, 2, 20001)));
    EXPECT_FALSE(p->permits(v4(203, 0, 113, 9, 20000))); // live port, but not a relay address
    EXPECT_TRUE(p->permits(v4(203, 0, 113, 10, 5000)));
}

} // namespace
} // namespace icegate::app
