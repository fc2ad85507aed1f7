// The seam between listeners and worker_io (client_links.hpp): worker_io routes each reply to
// the UDP socket or TCP/TLS session its conn names, through the narrow interfaces alone, so any
// udp_link or stream_link can stand in for a listener or session.
#include "icegate/net/client_links.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <utility>
#include <vector>

#include "icegate/net/worker_io.hpp"

namespace icegate::net {
namespace {

using bytes = std::vector<std::uint8_t>;

stun::transport_address client(std::uint16_t port) {
    return stun::transport_address::v4({192, 0, 2, 1}, port);
}

struct fake_udp final : udp_link {
    bool send(const stun::transport_address& to,
              std::span<const std::uint8_t> b) noexcept override {
        sent.emplace_back(to, bytes(b.begin(), b.end()));
        return true;
    }
    void flush() noexcept override { ++flushes; }
    bool pin(const stun::transport_address&) override { return false; }
    std::vector<std::pair<stun::transport_address, bytes>> sent;
    int flushes = 0;
};

struct fake_stream final : stream_link {
    void send(std::span<const std::uint8_t> b) override { sent.emplace_back(b.begin(), b.end()); }
    std::vector<bytes> sent;
};

turn::client_ref to(turn::client_transport t, std::uint64_t conn, std::uint16_t port = 5000) {
    return {client(port), client(3478), t, conn};
}

struct ClientLinks : ::testing::Test {
    boost::asio::io_context ctx;
    worker_io io{ctx, {}};
    client_links& links = io; // what listeners and sessions see of it
    const bytes reply{1, 2, 3};
};

TEST_F(ClientLinks, UdpRepliesLeaveThroughTheSocketTheirConnNames) {
    fake_udp a;
    fake_udp b;
    ASSERT_EQ(links.add_listener(&a), 0u);
    ASSERT_EQ(links.add_listener(&b), 1u);
    io.send_to_client(to(turn::client_transport::udp, 1, 5001), reply);
    ASSERT_EQ(b.sent.size(), 1u);
    EXPECT_EQ(b.sent[0].first, client(5001));
    EXPECT_EQ(b.sent[0].second, reply);
    EXPECT_TRUE(a.sent.empty());
    io.send_to_client(to(turn::client_transport::udp, 2), reply); // no such socket: dropped
    EXPECT_EQ(a.sent.size() + b.sent.size(), 1u);
    io.flush();
    EXPECT_EQ(a.flushes, 1);
    EXPECT_EQ(b.flushes, 1);
}

TEST_F(ClientLinks, StreamRepliesFollowTheSessionUntilItIsRemoved) {
    fake_stream s1;
    fake_stream s2;
    const auto id1 = links.add_session(&s1);
    const auto id2 = links.add_session(&s2);
    EXPECT_NE(id1, id2);
    io.send_to_client(to(turn::client_transport::tcp, id2), reply);
    io.send_to_client(to(turn::client_transport::tls, id1), reply);
    EXPECT_EQ(s1.sent, std::vector<bytes>{reply});
    EXPECT_EQ(s2.sent, std::vector<bytes>{reply});
    links.remove_session(id1);
    io.send_to_client(to(turn::client_transport::tls, id1), reply); // gone: dropped
    io.send_to_client(to(turn::client_transport::tcp, id2), reply);
    EXPECT_EQ(s1.sent.size(), 1u);
    EXPECT_EQ(s2.sent.size(), 2u);
}

TEST_F(ClientLinks, SessionIdsAreNotReusedAfterRemoval) {
    fake_stream s1;
    fake_stream s2;
    const auto id1 = links.add_session(&s1);
    links.remove_session(id1);
    const auto id2 = links.add_session(&s2);
    EXPECT_NE(id1, id2); // a late reply to the old connection must not reach the new one
    io.send_to_client(to(turn::client_transport::tcp, id1), reply);
    EXPECT_TRUE(s2.sent.empty());
}

} // namespace
} // namespace icegate::net
