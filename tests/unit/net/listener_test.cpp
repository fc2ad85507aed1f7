// The transport layer with a fake handler: batching, replies, framing, limits.
#include <array>
#include <future>
#include <set>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "icegate/net/endpoint.hpp"
#include "icegate/net/stream_listener.hpp"
#include "icegate/net/udp_listener.hpp"
#include "icegate/net/worker_io.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

// Replies with the message's bytes reversed through worker_io, and remembers what it saw.
class reverse_handler final : public icegate::net::packet_handler {
public:
    void on_message(std::span<const std::uint8_t> in,
                    const icegate::net::packet_context& ctx) noexcept override {
        ++calls;
        last = ctx;
        std::vector<std::uint8_t> out(in.rbegin(), in.rend());
        io->send_to_client({ctx.source, ctx.local, ctx.transport, ctx.conn}, out);
    }
    void on_closed(const icegate::net::packet_context&) noexcept override { ++closed; }
    icegate::net::worker_io* io = nullptr;
    int calls = 0;
    int closed = 0;
    icegate::net::packet_context last;
};

// A STUN-shaped frame: header with the given body length, then the body.
std::vector<std::uint8_t> stun_frame(std::uint16_t body, std::uint8_t fill) {
    std::vector<std::uint8_t> f(20 + body, fill);
    f[0] = 0x00;
    f[1] = 0x01;
    f[2] = static_cast<std::uint8_t>(body >> 8);
    f[3] = static_cast<std::uint8_t>(body);
    f[4] = 0x21;
    f[5] = 0x12;
    f[6] = 0xA4;
    f[7] = 0x42;
    return f;
}

TEST(UdpListener, AnswersEveryDatagramOfABurst) {
    asio::io_context io;
    icegate::net::worker_io wio(io, {});
    reverse_handler h;
    h.io = &wio;
    icegate::net::udp_listener l(
        icegate::net::open_udp_socket(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), h,
        wio);
    l.start();
    std::thread t([&] { io.run_for(std::chrono::seconds(5)); });

    udp::socket client(io, udp::endpoint(udp::v4(), 0));
    constexpr int n = 100; // more than one recvmmsg batch
    for (int i = 0; i < n; ++i) {
        std::array<std::uint8_t, 3> d{1, 2, static_cast<std::uint8_t>(i)};
        client.send_to(asio::buffer(d), l.local_endpoint());
    }
    std::set<int> seen;
    for (int i = 0; i < n; ++i) {
        std::array<std::uint8_t, 16> r{};
        udp::endpoint from;
        ASSERT_EQ(client.receive_from(asio::buffer(r), from), 3u);
        EXPECT_EQ(r[1], 2);
        EXPECT_EQ(r[2], 1);
        EXPECT_EQ(from, l.local_endpoint());
        seen.insert(r[0]);
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(n));
    io.stop();
    t.join();
    EXPECT_EQ(h.calls, n);
    EXPECT_EQ(h.last.transport, icegate::turn::client_transport::udp);
    EXPECT_EQ(h.last.source.port, client.local_endpoint().port());
}

TEST(UdpListener, TwoWorkersShareAPort) {
    asio::io_context io;
    const udp::endpoint any(asio::ip::make_address("127.0.0.1"), 0);
    auto a = icegate::net::open_udp_socket(io, any);
    const auto port = a.local_endpoint().port();
    auto b = icegate::net::open_udp_socket(io, udp::endpoint(any.address(), port));
    EXPECT_EQ(b.local_endpoint().port(), port);
}

// An upgrade's handover: a pinned client's datagrams keep reaching the listener after it
// detached and a successor bound the same port; a new client's reach the successor.
TEST(UdpListener, PinnedClientStaysWhenASuccessorBindsThePort) {
    asio::io_context io;
    icegate::net::worker_io wio(io, {});
    reverse_handler h;
    h.io = &wio;
    icegate::net::udp_listener l(
        icegate::net::open_udp_socket(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), h,
        wio);
    l.start();
    std::thread t([&] { io.run_for(std::chrono::seconds(10)); });
    asio::io_context other;
    udp::socket pinned(other, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    udp::socket fresh(other, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto client = icegate::net::to_transport_address(pinned.local_endpoint());
    std::promise<bool> handed_over;
    asio::post(io, [&] {
        const bool ok = l.pin(client);
        l.detach();
        handed_over.set_value(ok);
    });
    ASSERT_TRUE(handed_over.get_future().get());
    EXPECT_EQ(l.pinned(), 1u);
    auto successor = icegate::net::open_udp_socket(other, l.local_endpoint());

    constexpr int n = 64; // enough that a hash over the group would send some elsewhere
    std::array<std::uint8_t, 2> d{7, 0};
    for (int i = 0; i < n; ++i) {
        d[1] = static_cast<std::uint8_t>(i);
        pinned.send_to(asio::buffer(d), l.local_endpoint());
        std::array<std::uint8_t, 8> r{};
        udp::endpoint from;
        ASSERT_EQ(pinned.receive_from(asio::buffer(r), from), 2u);
        EXPECT_EQ(r[0], i);
        EXPECT_EQ(from, l.local_endpoint());
    }
    for (int i = 0; i < 8; ++i) {
        fresh.send_to(asio::buffer(d), l.local_endpoint());
    }
    std::array<std::uint8_t, 8> r{};
    successor.non_blocking(false);
    for (int i = 0; i < 8; ++i) {
        udp::endpoint from;
        ASSERT_EQ(successor.receive_from(asio::buffer(r), from), 2u); // the new flow's
        EXPECT_EQ(from, fresh.local_endpoint());
    }
    successor.non_blocking(true);
    boost::system::error_code ec;
    successor.receive(asio::buffer(r), 0, ec);
    EXPECT_EQ(ec, asio::error::would_block); // none of the pinned client's
    io.stop();
    t.join();
    EXPECT_EQ(h.calls, n);
}

class StreamListenerTest : public ::testing::Test {
protected:
    void start(std::size_t read_buffer = 65540) {
        icegate::net::stream_limits limits;
        limits.read_buffer = read_buffer;
        handler_.io = &wio_;
        listener_ = std::make_unique<icegate::net::stream_listener>(
            icegate::net::open_tcp_acceptor(io_,
                                            tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
            handler_, wio_, nullptr, limits);
        listener_->start();
        thread_ = std::thread([this] { io_.run_for(std::chrono::seconds(10)); });
    }
    void TearDown() override {
        asio::post(io_, [this] { listener_->close(); });
        thread_.join();
        listener_.reset();
    }
    tcp::socket connect() {
        tcp::socket s(client_io_);
        s.connect(listener_->local_endpoint());
        return s;
    }

    asio::io_context io_;
    icegate::net::worker_io wio_{io_, {}};
    asio::io_context client_io_;
    reverse_handler handler_;
    std::unique_ptr<icegate::net::stream_listener> listener_;
    std::thread thread_;
};

TEST_F(StreamListenerTest, FramesSplitAndCoalescedReads) {
    start();
    auto s = connect();
    auto f1 = stun_frame(8, 0xAA);
    auto f2 = stun_frame(4, 0xBB);
    std::vector<std::uint8_t> both(f1);
    both.insert(both.end(), f2.begin(), f2.end());
    // First frame in two pieces, then the rest: the session must reassemble and split.
    asio::write(s, asio::buffer(both.data(), 5));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    asio::write(s, asio::buffer(both.data() + 5, both.size() - 5));
    std::vector<std::uint8_t> r(f1.size() + f2.size());
    asio::read(s, asio::buffer(r));
    EXPECT_TRUE(std::equal(f1.rbegin(), f1.rend(), r.begin()));
    EXPECT_TRUE(std::equal(f2.rbegin(), f2.rend(), r.begin() + f1.size()));
}

TEST_F(StreamListenerTest, ChannelDataPaddingIsSkipped) {
    start();
    auto s = connect();
    // ChannelData 0x4000 with 5 bytes of data, padded to 8 over a stream, then a STUN frame.
    std::vector<std::uint8_t> bytes{0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0};
    auto f = stun_frame(0, 0);
    bytes.insert(bytes.end(), f.begin(), f.end());
    asio::write(s, asio::buffer(bytes));
    std::vector<std::uint8_t> r(9 + 20);
    asio::read(s, asio::buffer(r));
    EXPECT_EQ(r[0], 5); // reversed ChannelData without its padding
    EXPECT_EQ(r[8], 0x40);
    EXPECT_EQ(r[9 + 19], 0x00);
    EXPECT_EQ(r[9 + 18], 0x01);
}

TEST_F(StreamListenerTest, GarbageAndOversizeClose) {
    start(1024);
    auto garbage = connect();
    asio::write(garbage, asio::buffer(std::string(40, '\xff')));
    std::array<char, 8> r{};
    boost::system::error_code ec;
    garbage.read_some(asio::buffer(r), ec);
    EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();

    auto big = connect();
    auto f = stun_frame(2000, 0x11); // larger than the 1024-byte buffer
    asio::write(big, asio::buffer(f.data(), 20));
    big.read_some(asio::buffer(r), ec);
    EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
    // Both ends were reported to the handler (a TURN engine ends their allocations).
    for (int i = 0; i < 100 && handler_.closed < 2; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(handler_.closed, 2);
}

} // namespace
