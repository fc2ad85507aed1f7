// Parsing of probe targets and --timeout.
#include "icegate/probe/probe_target.hpp"

#include <gtest/gtest.h>

namespace icegate::probe {
namespace {

target parsed(std::string_view text) {
    std::string why;
    const auto t = parse_target(text, &why);
    EXPECT_TRUE(t.has_value()) << text << ": " << why;
    return t.value_or(target{});
}

std::string refusal(std::string_view text) {
    std::string why;
    const auto t = parse_target(text, &why);
    EXPECT_FALSE(t.has_value()) << text;
    return why;
}

TEST(ProbeTarget, StunDefaultsToUdpOn3478) {
    const auto t = parsed("stun:stun.example.org");
    EXPECT_EQ(t.scheme, scheme::stun);
    EXPECT_EQ(t.transport, transport::udp);
    EXPECT_EQ(t.host, "stun.example.org");
    EXPECT_EQ(t.port, 3478);
    EXPECT_EQ(t.label(), "stun udp stun.example.org:3478");
}

TEST(ProbeTarget, TurnTransportsAndPorts) {
    EXPECT_EQ(parsed("turn:127.0.0.1:3479?transport=udp").label(), "turn udp 127.0.0.1:3479");
    EXPECT_EQ(parsed("turn:127.0.0.1?transport=tcp").label(), "turn tcp 127.0.0.1:3478");
    // TLS without a port: the TURNS port of RFC 7065.
    EXPECT_EQ(parsed("turn:127.0.0.1?transport=tls").label(), "turn tls 127.0.0.1:5349");
    EXPECT_EQ(parsed("turns:turn.example.org").label(), "turn tls turn.example.org:5349");
    EXPECT_EQ(parsed("turns:turn.example.org:443?transport=tcp").label(),
              "turn tls turn.example.org:443");
}

TEST(ProbeTarget, Ipv6LiteralsInBrackets) {
    const auto t = parsed("turn:[::1]:3478?transport=tcp");
    EXPECT_EQ(t.host, "::1");
    EXPECT_EQ(t.port, 3478);
    EXPECT_EQ(t.authority(), "[::1]:3478");
    EXPECT_EQ(parsed("stun:[2001:db8::1]").authority(), "[2001:db8::1]:3478");
}

TEST(ProbeTarget, WssWithPortAndPath) {
    const auto t = parsed("wss://127.0.0.1:8443/ws");
    EXPECT_EQ(t.scheme, scheme::wss);
    EXPECT_EQ(t.transport, transport::tls);
    EXPECT_EQ(t.port, 8443);
    EXPECT_EQ(t.path, "/ws");
    EXPECT_EQ(t.label(), "wss 127.0.0.1:8443/ws");
    const auto d = parsed("wss://meet.example.org");
    EXPECT_EQ(d.port, 443);
    EXPECT_EQ(d.path, "/ws");
    EXPECT_EQ(parsed("wss://[::1]:9443/signal").label(), "wss [::1]:9443/signal");
}

TEST(ProbeTarget, RefusalsSayWhy) {
    EXPECT_NE(refusal("http://example.org").find("expected stun:"), std::string::npos);
    EXPECT_NE(refusal("turn:host:0").find("bad port"), std::string::npos);
    EXPECT_NE(refusal("turn:host:65536").find("bad port"), std::string::npos);
    EXPECT_NE(refusal("turn:host:").find("bad port"), std::string::npos);
    EXPECT_NE(refusal("turn:host:34x").find("bad port"), std::string::npos);
    EXPECT_NE(refusal("turn:host?transport=sctp").find("unknown transport"), std::string::npos);
    EXPECT_NE(refusal("turn:host?foo=bar").find("unknown parameter"), std::string::npos);
    EXPECT_NE(refusal("turns:host?transport=udp").find("TLS"), std::string::npos);
    EXPECT_NE(refusal("stun:::1").find("brackets"), std::string::npos);
    EXPECT_NE(refusal("stun:[::1").find("']'"), std::string::npos);
    EXPECT_NE(refusal("stun:").find("bad host"), std::string::npos);
    EXPECT_NE(refusal("wss://ho st:443/ws").find("bad host"), std::string::npos);
}

TEST(ProbeTimeout, SecondsAndMilliseconds) {
    using std::chrono::milliseconds;
    EXPECT_EQ(parse_timeout("5"), milliseconds(5000));
    EXPECT_EQ(parse_timeout("2s"), milliseconds(2000));
    EXPECT_EQ(parse_timeout("1500ms"), milliseconds(1500));
    EXPECT_EQ(parse_timeout("3600s"), milliseconds(3600000));
    EXPECT_FALSE(parse_timeout(""));
    EXPECT_FALSE(parse_timeout("0"));
    EXPECT_FALSE(parse_timeout("0ms"));
    EXPECT_FALSE(parse_timeout("3601s"));
    EXPECT_FALSE(parse_timeout("-1"));
    EXPECT_FALSE(parse_timeout("5m"));
    EXPECT_FALSE(parse_timeout("1.5s"));
    EXPECT_FALSE(parse_timeout("99999999999999999999"));
}

} // namespace
} // namespace icegate::probe
