// peer_policy: the default deny list edge by edge, every IPv4-in-IPv6 embedding, allow/deny/own
// precedence, and the coturn CVEs. Addresses like 8.8.8.8 are values only: nothing is sent.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstdio>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "icegate/turn/live_relays.hpp"
#include "icegate/turn/peer_policy.hpp"

namespace icegate::turn {
namespace {

using stun::transport_address;

transport_address ip(const std::string& text, std::uint16_t port = 40000) {
    std::array<std::uint8_t, 16> b{};
    if (inet_pton(AF_INET, text.c_str(), b.data()) == 1) {
        return transport_address::v4({b[0], b[1], b[2], b[3]}, port);
    }
    if (inet_pton(AF_INET6, text.c_str(), b.data()) != 1) {
        ADD_FAILURE() << "bad address in test: " << text;
    }
    return transport_address::v6(b, port);
}

prefix cidr(const std::string& text, std::uint8_t length) {
    return prefix::of(ip(text), length);
}

const peer_policy& defaults() {
    static const peer_policy p({}, {}, {});
    return p;
}

struct range_case {
    const char* first; // first address inside
    const char* last;  // last address inside
    const char* below; // one before `first` ("" when there is none)
    const char* above; // one after `last` ("" when there is none)
};

// Both ends of every range are refused by default, and the addresses just outside permitted.
template <std::size_t N>
void expect_denied_edge_to_edge(const range_case (&cases)[N]) {
    for (const auto& c : cases) {
        EXPECT_FALSE(defaults().permits(ip(c.first))) << c.first;
        EXPECT_FALSE(defaults().permits(ip(c.last))) << c.last;
        if (*c.below != '\0') {
            EXPECT_TRUE(defaults().permits(ip(c.below))) << c.below;
        }
        if (*c.above != '\0') {
            EXPECT_TRUE(defaults().permits(ip(c.above))) << c.above;
        }
    }
}

TEST(PeerPolicy, DefaultIpv4RangesAreDeniedEdgeToEdge) {
    const range_case cases[] = {
        {"0.0.0.0", "0.255.255.255", "", "1.0.0.0"},
        {"10.0.0.0", "10.255.255.255", "9.255.255.255", "11.0.0.0"},
        {"100.64.0.0", "100.127.255.255", "100.63.255.255", "100.128.0.0"},
        {"127.0.0.0", "127.255.255.255", "126.255.255.255", "128.0.0.0"},
        {"169.254.0.0", "169.254.255.255", "169.253.255.255", "169.255.0.0"},
        {"172.16.0.0", "172.31.255.255", "172.15.255.255", "172.32.0.0"},
        {"192.0.0.0", "192.0.0.255", "191.255.255.255", "192.0.1.0"},
        {"192.168.0.0", "192.168.255.255", "192.167.255.255", "192.169.0.0"},
        {"198.18.0.0", "198.19.255.255", "198.17.255.255", "198.20.0.0"},
        {"224.0.0.0", "239.255.255.255", "223.255.255.255", ""},
        {"240.0.0.0", "255.255.255.255", "", ""},
    };
    expect_denied_edge_to_edge(cases);
}

TEST(PeerPolicy, DefaultIpv6RangesAreDeniedEdgeToEdge) {
    const range_case cases[] = {
        {"::", "::", "", "::2:0:0:0"},
        {"::1", "::1", "", ""},
        {"fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
         "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe00::"},
        {"fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
         "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ""},
        {"fec0::", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "", ""},
        {"ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "", ""},
    };
    expect_denied_edge_to_edge(cases);
}

TEST(PeerPolicy, PublicAddressesArePermitted) {
    for (const char* a : {"8.8.8.8", "1.1.1.1", "100.63.0.1", "223.255.255.254",
                          "2001:4860:4860::8888", "2a00:1450:4001::1", "2606:4700::1111"}) {
        EXPECT_TRUE(defaults().permits(ip(a))) << a;
    }
}

// TEST-NET-1/2/3 (RFC 5737) stay permitted by default: labs and our namespace-based network
// tests use them as "public" peers, and they are not routed on the Internet anyway.
TEST(PeerPolicy, TestNetsArePermittedByDefault) {
    for (const char* a : {"192.0.2.1", "198.51.100.7", "203.0.113.9", "::ffff:198.51.100.7"}) {
        EXPECT_TRUE(defaults().permits(ip(a))) << a;
    }
}

// Every IPv6 form that carries a denied IPv4 address is refused.
std::vector<std::string> embeddings(const std::string& v4) {
    const transport_address a = ip(v4);
    char hex[32];
    const auto& b = a.bytes;
    std::snprintf(hex, sizeof hex, "%02x%02x:%02x%02x", b[0], b[1], b[2], b[3]);
    char teredo_client[32];
    std::snprintf(teredo_client, sizeof teredo_client, "%02x%02x:%02x%02x", b[0] ^ 0xff,
                  b[1] ^ 0xff, b[2] ^ 0xff, b[3] ^ 0xff);
    return {
        "::ffff:" + v4,                                     // v4-mapped
        "::ffff:0:" + v4,                                   // v4-translated (SIIT)
        "::" + v4,                                          // v4-compatible
        "2002:" + std::string(hex) + "::",                  // 6to4
        "2002:" + std::string(hex) + ":1234:5678::9",       // 6to4 with subnet and host bits
        "64:ff9b::" + v4,                                   // NAT64 well-known prefix
        "64:ff9b:1::" + v4,                                 // NAT64 local-use prefix
        "64:ff9b:1:abcd::" + v4,                            // NAT64 local-use, operator bits
        "2001:0:" + std::string(hex) + ":0:0:f7f7:f7f7",    // Teredo server (client 8.8.8.8)
        "2001:0:808:808:0:0:" + std::string(teredo_client), // Teredo client, public server
    };
}

TEST(PeerPolicy, EveryEmbeddingOfADeniedIpv4IsRefused) {
    for (const char* v4 : {"127.0.0.1", "10.0.0.1", "192.168.1.1", "0.0.0.0", "169.254.169.254"}) {
        for (const auto& form : embeddings(v4)) {
            EXPECT_FALSE(defaults().permits(ip(form))) << form << " embeds " << v4;
        }
    }
}

TEST(PeerPolicy, EmbeddingsOfAPublicIpv4ArePermitted) {
    for (const auto& form : embeddings("8.8.8.8")) {
        EXPECT_TRUE(defaults().permits(ip(form))) << form;
    }
}

TEST(PeerPolicy, EmbeddedV4ReducesEachForm) {
    const auto expect = [](const char* v6, const char* v4) {
        const auto got = peer_policy::embedded_v4(ip(v6, 9));
        ASSERT_TRUE(got) << v6;
        EXPECT_EQ(*got, ip(v4, 9)) << v6;
    };
    expect("::ffff:192.0.2.33", "192.0.2.33");
    expect("::ffff:0:192.0.2.33", "192.0.2.33");
    expect("::192.0.2.33", "192.0.2.33");
    expect("::2", "0.0.0.2");
    expect("2002:c000:0221::1", "192.0.2.33");
    expect("64:ff9b::c000:221", "192.0.2.33");
    expect("64:ff9b:1::c000:221", "192.0.2.33");
    // Teredo: server 65.54.227.120, client 192.0.2.45 obfuscated (RFC 4380 section 4 style).
    expect("2001:0:4136:e378:8000:63bf:3fff:fdd2", "192.0.2.45");
    const auto both = peer_policy::embedded_v4s(ip("2001:0:4136:e378:8000:63bf:3fff:fdd2", 9));
    ASSERT_EQ(both.count, 2u);
    EXPECT_EQ(both.addresses[1], ip("65.54.227.120", 9));

    EXPECT_EQ(peer_policy::embedded_v4(ip("8.8.4.4", 7)), ip("8.8.4.4", 7));
    for (const char* none : {"::", "::1", "2001:db8::1", "64:ff9b:2::1", "2001:1::1", "fe80::1"}) {
        EXPECT_FALSE(peer_policy::embedded_v4(ip(none))) << none;
        EXPECT_EQ(peer_policy::embedded_v4s(ip(none)).count, 0u) << none;
    }
}

TEST(PeerPolicy, TeredoIsRefusedWhenEitherSideIsDenied) {
    // Server 10.0.0.1, client 8.8.8.8.
    EXPECT_FALSE(defaults().permits(ip("2001:0:a00:1::f7f7:f7f7")));
    // Server 8.8.8.8, client 127.0.0.1.
    EXPECT_FALSE(defaults().permits(ip("2001:0:808:808::80ff:fffe")));
    // Allowing one side does not open the other.
    const peer_policy allow_server({cidr("8.8.8.8", 32)}, {}, {});
    EXPECT_FALSE(allow_server.permits(ip("2001:0:808:808::80ff:fffe")));
    // Allowing both does.
    const peer_policy allow_both({cidr("8.8.8.8", 32), cidr("127.0.0.1", 32)}, {}, {});
    EXPECT_TRUE(allow_both.permits(ip("2001:0:808:808::80ff:fffe")));
}

TEST(PeerPolicy, AllowBeatsTheDefaultList) {
    const peer_policy p({cidr("10.1.0.0", 16), cidr("fd00:1::", 32)}, {}, {});
    EXPECT_TRUE(p.permits(ip("10.1.2.3")));
    EXPECT_TRUE(p.permits(ip("10.1.255.255")));
    EXPECT_FALSE(p.permits(ip("10.2.0.1")));
    EXPECT_TRUE(p.permits(ip("::ffff:10.1.2.3"))); // the same destination in v4-mapped form
    EXPECT_TRUE(p.permits(ip("fd00:1::5")));
    EXPECT_FALSE(p.permits(ip("fd00:2::5")));
    EXPECT_FALSE(p.permits(ip("127.0.0.1")));
}

TEST(PeerPolicy, AllowBeatsOwnAddresses) {
    const std::vector<transport_address> own = {ip("203.0.113.5", 3478)};
    EXPECT_FALSE(peer_policy({}, {}, own).permits(ip("203.0.113.5")));
    EXPECT_TRUE(peer_policy({cidr("203.0.113.5", 32)}, {}, own).permits(ip("203.0.113.5")));
}

TEST(PeerPolicy, MappedPrefixesMeanTheirIpv4Prefix) {
    // Prefixes given in v4-mapped form mean their IPv4 prefix.
    const peer_policy p({cidr("::ffff:10.9.0.0", 112)}, {cidr("::ffff:8.8.0.0", 112)}, {});
    EXPECT_TRUE(p.permits(ip("10.9.1.1")));
    EXPECT_FALSE(p.permits(ip("8.8.1.1")));
}

TEST(PeerPolicy, DenyAddsToTheDefaults) {
    const peer_policy p({}, {cidr("8.8.8.0", 24), cidr("2001:db8::", 32)}, {});
    EXPECT_FALSE(p.permits(ip("8.8.8.8")));
    EXPECT_FALSE(p.permits(ip("::ffff:8.8.8.8")));
    EXPECT_FALSE(p.permits(ip("2002:808:808::1")));
    EXPECT_FALSE(p.permits(ip("64:ff9b::8.8.8.8")));
    EXPECT_FALSE(p.permits(ip("2001:db8::1")));
    EXPECT_TRUE(p.permits(ip("8.8.4.4")));
    EXPECT_FALSE(p.permits(ip("127.0.0.1"))); // defaults still apply
}

TEST(PeerPolicy, OwnAddressesAreRefusedOnEveryPort) {
    const std::vector<transport_address> own = {ip("198.51.100.10", 3478), ip("2001:db8::10", 3478),
                                                ip("0.0.0.0", 3478), ip("::", 3478)};
    const peer_policy p({}, {}, own);
    EXPECT_FALSE(p.permits(ip("198.51.100.10", 3478)));
    EXPECT_FALSE(p.permits(ip("198.51.100.10", 50000)));
    EXPECT_FALSE(p.permits(ip("::ffff:198.51.100.10", 50000)));
    EXPECT_FALSE(p.permits(ip("2001:db8::10", 1)));
    EXPECT_TRUE(p.permits(ip("198.51.100.11")));
    EXPECT_TRUE(p.permits(ip("2001:db8::11")));
}

// Relay ports that are live allocations of this server right now, as the engines mark them.
std::shared_ptr<live_relays> live_ports(std::initializer_list<std::uint16_t> v4,
                                        std::initializer_list<std::uint16_t> v6 = {}) {
    auto live = std::make_shared<live_relays>();
    for (const auto port : v4) {
        live->add(stun::address_family::ipv4, port);
    }
    for (const auto port : v6) {
        live->add(stun::address_family::ipv6, port);
    }
    return live;
}

TEST(PeerPolicy, LiveRelayPortsAreOtherAllocations) {
    // Two clients relayed by this server reach each other through their relay addresses: a
    // peer on our own address is refused, except a relay address on a port that a live
    // allocation holds right now.
    const std::vector<transport_address> own = {ip("198.51.100.10", 3478), ip("198.51.100.20"),
                                                ip("2001:db8::10")};
    const std::vector<transport_address> relays = {ip("198.51.100.10"), ip("2001:db8::10")};
    const auto live = live_ports({50000, 65535}, {50002});
    const peer_policy p({}, {}, own, relays, live);
    EXPECT_TRUE(p.permits(ip("198.51.100.10", 50000)));
    EXPECT_TRUE(p.permits(ip("198.51.100.10", 65535)));
    EXPECT_TRUE(p.permits(ip("::ffff:198.51.100.10", 50000))); // the same address, mapped
    EXPECT_TRUE(p.permits(ip("2001:db8::10", 50002)));
    EXPECT_FALSE(p.permits(ip("2001:db8::10", 50000)));  // live for IPv4 only
    EXPECT_FALSE(p.permits(ip("198.51.100.10", 50002))); // live for IPv6 only
    EXPECT_FALSE(p.permits(ip("198.51.100.10", 50001))); // in the range, but nobody's relay
    EXPECT_FALSE(p.permits(ip("198.51.100.10", 3478)));  // our STUN/TURN listener
    EXPECT_FALSE(p.permits(ip("198.51.100.10", 8443)));  // our HTTPS
    EXPECT_FALSE(p.permits(ip("198.51.100.20", 50000))); // own, but not a relay address
    EXPECT_TRUE(p.permits(ip("198.51.100.30", 50001)));  // not ours at all: the defaults apply
}

TEST(PeerPolicy, RelayPortsFollowTheRegistry) {
    // The policy reads the shared registry on every check: no rebuild when allocations come
    // and go.
    auto live = std::make_shared<live_relays>();
    const peer_policy p({}, {}, {ip("198.51.100.10")}, {ip("198.51.100.10")}, live);
    EXPECT_FALSE(p.permits(ip("198.51.100.10", 50000)));
    live->add(stun::address_family::ipv4, 50000);
    EXPECT_TRUE(p.permits(ip("198.51.100.10", 50000)));
    live->remove(stun::address_family::ipv4, 50000);
    EXPECT_FALSE(p.permits(ip("198.51.100.10", 50000)));
    // No registry: no exception at all.
    const peer_policy none({}, {}, {ip("198.51.100.10")}, {ip("198.51.100.10")});
    EXPECT_FALSE(none.permits(ip("198.51.100.10", 50000)));
}

TEST(PeerPolicy, RelayToRelayWorksOnPrivateAndLoopbackRelays) {
    // A LAN or loopback deployment: the relay address sits in a default-denied range, yet its
    // live relay ports are other allocations; every other port stays refused.
    const auto live = live_ports({50500, 50000});
    const peer_policy lan({}, {}, {ip("192.168.1.5", 3478)}, {ip("192.168.1.5")}, live);
    EXPECT_TRUE(lan.permits(ip("192.168.1.5", 50500)));
    EXPECT_FALSE(lan.permits(ip("192.168.1.5", 50501)));
    EXPECT_FALSE(lan.permits(ip("192.168.1.5", 22)));
    EXPECT_FALSE(lan.permits(ip("192.168.1.6", 50500)));
    const peer_policy loop({}, {}, {}, {ip("127.0.0.1")}, live);
    EXPECT_TRUE(loop.permits(ip("127.0.0.1", 50000)));
    EXPECT_FALSE(loop.permits(ip("127.0.0.1", 50001))); // a local service inside relay.ports
    EXPECT_FALSE(loop.permits(ip("127.0.0.1", 6379)));  // a local service
    EXPECT_FALSE(loop.permits(ip("127.0.0.2", 50000)));
    // An explicit deny still wins.
    const peer_policy denied({}, {cidr("192.168.1.5", 32)}, {}, {ip("192.168.1.5")}, live);
    EXPECT_FALSE(denied.permits(ip("192.168.1.5", 50500)));
    EXPECT_FALSE(denied.permits(ip("::ffff:192.168.1.5", 50500)));
}

TEST(PeerPolicy, EmbeddedFormsOfARelayAddressAreNotRelays) {
    // Only the address and its IPv4-mapped form are our relay: NAT64, 6to4, IPv4-compatible
    // and Teredo forms lead elsewhere and stay refused as our own address, live port or not.
    const auto live = live_ports({50000});
    const std::vector<transport_address> mine = {ip("198.51.100.10")};
    const peer_policy p({}, {}, mine, mine, live);
    EXPECT_FALSE(p.permits(ip("::ffff:198.51.100.10", 50001))); // mapped, not live
    for (const char* a : {"64:ff9b::c633:640a", "2002:c633:640a::1", "::198.51.100.10",
                          "::ffff:0:198.51.100.10", "2001:0:c633:640a::39cc:9bf5"}) {
        EXPECT_FALSE(p.permits(ip(a, 50000))) << a;
        EXPECT_FALSE(p.permits(ip(a, 50001))) << a;
    }
}

TEST(PeerPolicy, EveryInterfaceAddressIsOwn) {
    // The server app adds every address of every local interface to `own`; each is refused on
    // every port, in every form that embeds it, unless peers.allow names it.
    const std::vector<transport_address> own = {ip("203.0.113.7"), ip("198.51.100.99"),
                                                ip("2001:db8:5::1"), ip("203.0.113.7")};
    const peer_policy p({}, {}, own, {}, live_ports({50000}));
    for (const char* a : {"203.0.113.7", "198.51.100.99", "2001:db8:5::1", "::ffff:203.0.113.7",
                          "64:ff9b::cb00:7107"}) {
        EXPECT_FALSE(p.permits(ip(a, 50000))) << a;
        EXPECT_FALSE(p.permits(ip(a, 9))) << a;
    }
    EXPECT_TRUE(p.permits(ip("203.0.113.8")));
    EXPECT_TRUE(p.permits(ip("2001:db8:5::2")));
    const peer_policy allowed({cidr("203.0.113.7", 32)}, {}, own);
    EXPECT_TRUE(allowed.permits(ip("203.0.113.7")));
    EXPECT_FALSE(allowed.permits(ip("198.51.100.99")));
}

TEST(PeerPolicy, PrefixMasksAndMatchesByFamily) {
    const prefix p = cidr("10.1.2.3", 12);
    EXPECT_EQ(p.family, stun::address_family::ipv4);
    EXPECT_EQ(p.length, 12);
    EXPECT_EQ(p.bytes[0], 10);
    EXPECT_EQ(p.bytes[1], 0);
    EXPECT_TRUE(p.contains(ip("10.15.255.255")));
    EXPECT_FALSE(p.contains(ip("10.16.0.0")));
    EXPECT_FALSE(p.contains(ip("::ffff:10.1.2.3"))); // prefixes match raw bytes of one family

    EXPECT_EQ(cidr("8.8.8.8", 200).length, 32);
    EXPECT_TRUE(cidr("0.0.0.0", 0).contains(ip("255.1.2.3")));
    EXPECT_FALSE(cidr("0.0.0.0", 0).contains(ip("::1")));
    const prefix mapped = cidr("::ffff:10.0.0.0", 104);
    EXPECT_EQ(mapped.family, stun::address_family::ipv4);
    EXPECT_EQ(mapped.length, 8);
    EXPECT_EQ(cidr("2001:db8:ffff::", 33).bytes[4], 0x80);
}

// CVE-2020-26262: coturn relayed to 0.0.0.0 and [::], which the kernel delivers to loopback,
// and reached loopback through them despite its loopback block. Every unspecified form and
// the IPv4-mapped forms of 0.0.0.0 and 127.0.0.1 are refused, on any port.
TEST(PeerPolicy, CoturnCve2020_26262) {
    for (const char* a :
         {"0.0.0.0", "0.0.0.1", "::", "::ffff:0.0.0.0", "::ffff:127.0.0.1", "127.0.0.1", "::1"}) {
        for (std::uint16_t port : {0, 1, 3478, 65535}) {
            EXPECT_FALSE(defaults().permits(ip(a, port))) << a << " port " << port;
        }
    }
}

// CVE-2026-27624 (coturn < 4.9.0, published 2026-02-25): the CVE-2020-26262 fix missed
// IPv4-mapped IPv6. A CreatePermission/ChannelBind with XOR-PEER-ADDRESS ::ffff:127.0.0.1
// succeeded although 127.0.0.0/8 was denied: ioa_addr_is_loopback() and ioa_addr_is_zero()
// did not check IN6_IS_ADDR_V4MAPPED (so ::ffff:127.0.0.1 and ::ffff:0.0.0.0 passed), and
// addr_less_eq() behind denied-peer-ip ranges returned "not in range" for an IPv6 peer against
// an IPv4 range instead of extracting the embedded IPv4. We reduce every embedding first, for
// the defaults and for configured deny ranges alike.
TEST(PeerPolicy, CoturnCve2026_27624) {
    for (const char* a : {"::ffff:127.0.0.1", "::ffff:0.0.0.0", "::127.0.0.1", "64:ff9b::7f00:1",
                          "64:ff9b:1::7f00:1", "2002:7f00:1::", "::ffff:10.0.0.1",
                          "::ffff:192.168.0.1", "::ffff:169.254.169.254", "::ffff:0:127.0.0.1"}) {
        EXPECT_FALSE(defaults().permits(ip(a))) << a;
    }
    // A configured IPv4 deny range (coturn's denied-peer-ip) catches IPv6 embeddings too.
    const peer_policy p({}, {cidr("203.0.113.0", 24)}, {});
    for (const char* a :
         {"::ffff:203.0.113.7", "::203.0.113.7", "64:ff9b::cb00:7107", "2002:cb00:7107::1"}) {
        EXPECT_FALSE(p.permits(ip(a))) << a;
    }
}

} // namespace
} // namespace icegate::turn
