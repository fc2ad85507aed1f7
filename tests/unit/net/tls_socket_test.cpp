// net::tls_socket against an independent TLS client (asio::ssl::stream) on loopback: handshake,
// large transfers both ways with gathered writes, deadlines, shutdown and abrupt closes.
#include "icegate/net/tls_material.hpp" // self-signed material and the server context
#include "tls_socket.hpp"               // private header

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <unistd.h>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using icegate::net::tls_socket;
using error_code = boost::system::error_code;

class TlsSocketTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("icegate-tls-socket-" + std::to_string(::getpid()));
        const auto material = icegate::net::ensure_tls_material({{}, {}, dir_, {}});
        server_ctx_ = icegate::net::make_server_tls_context(material);
        acceptor_.open(tcp::v4());
        acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        client_.next_layer().connect(acceptor_.local_endpoint());
        server_.emplace(acceptor_.accept(), *server_ctx_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // Both handshakes, run to completion.
    void handshake() {
        error_code server_ec = asio::error::would_block;
        error_code client_ec = asio::error::would_block;
        server_->async_handshake(asio::ssl::stream_base::server,
                                 [&](error_code ec) { server_ec = ec; });
        client_.async_handshake(asio::ssl::stream_base::client,
                                [&](error_code ec) { client_ec = ec; });
        run();
        ASSERT_FALSE(server_ec) << server_ec.message();
        ASSERT_FALSE(client_ec) << client_ec.message();
    }

    void run() {
        io_.restart();
        io_.run_for(std::chrono::seconds(10));
    }

    std::filesystem::path dir_;
    std::shared_ptr<asio::ssl::context> server_ctx_;
    asio::io_context io_;
    tcp::acceptor acceptor_{io_};
    asio::ssl::context client_ctx_{asio::ssl::context::tls_client};
    asio::ssl::stream<tcp::socket> client_{io_, client_ctx_};
    std::optional<tls_socket> server_;
};

std::string pattern(std::size_t n, char seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = static_cast<char>(seed + static_cast<char>(i % 61));
    }
    return s;
}

TEST_F(TlsSocketTest, LargeTransfersBothWaysWithGatheredWrites) {
    handshake();
    // Client to server: 200 KiB, many records, read through async_read_some.
    const std::string up = pattern(200 * 1024, 'a');
    std::string got(up.size(), '\0');
    error_code read_ec = asio::error::would_block;
    error_code write_ec = asio::error::would_block;
    asio::async_write(client_, asio::buffer(up),
                      [&](error_code ec, std::size_t) { write_ec = ec; });
    asio::async_read(*server_, asio::buffer(got), [&](error_code ec, std::size_t n) {
        read_ec = ec;
        EXPECT_EQ(n, up.size());
    });
    run();
    ASSERT_FALSE(write_ec) << write_ec.message();
    ASSERT_FALSE(read_ec) << read_ec.message();
    EXPECT_EQ(got, up);

    // Server to client: a sequence of small and large parts, as Beast writes frames.
    const std::string head = "hdr:";
    const std::string body = pattern(70 * 1024, 'A');
    const std::string tail = ":end";
    const std::vector<asio::const_buffer> parts{asio::buffer(head), asio::buffer(body),
                                                asio::buffer(tail)};
    const std::string want = head + body + tail;
    std::string down(want.size(), '\0');
    read_ec = write_ec = asio::error::would_block;
    asio::async_write(*server_, parts, [&](error_code ec, std::size_t n) {
        write_ec = ec;
        EXPECT_EQ(n, want.size());
    });
    asio::async_read(client_, asio::buffer(down),
                     [&](error_code ec, std::size_t) { read_ec = ec; });
    run();
    ASSERT_FALSE(write_ec) << write_ec.message();
    ASSERT_FALSE(read_ec) << read_ec.message();
    EXPECT_EQ(down, want);
}

TEST_F(TlsSocketTest, HandlersNeverRunInsideTheInitiatingCall) {
    handshake();
    const std::string msg = "buffered";
    asio::write(client_, asio::buffer(msg));
    char buf[4];
    bool done = false;
    // The first read pulls a whole record; the second finds the rest inside OpenSSL already.
    server_->async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t) {
        ASSERT_FALSE(ec);
        server_->async_read_some(asio::buffer(buf), [&](error_code ec2, std::size_t n) {
            EXPECT_FALSE(ec2);
            EXPECT_EQ(std::string(buf, n), "ered");
            done = true;
        });
        EXPECT_FALSE(done); // completed later, from the io_context
    });
    run();
    EXPECT_TRUE(done);
}

TEST_F(TlsSocketTest, DeadlineFailsTheWaitingReadAndLaterOnes) {
    handshake();
    char buf[16];
    error_code first = asio::error::would_block;
    const auto start = std::chrono::steady_clock::now();
    server_->expires_after(std::chrono::milliseconds(200));
    server_->async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t) { first = ec; });
    run();
    EXPECT_EQ(first, boost::beast::error::timeout) << first.message();
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));

    error_code second = asio::error::would_block;
    server_->async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t) { second = ec; });
    run();
    EXPECT_EQ(second, boost::beast::error::timeout);

    // A new deadline (or none) clears it: data flows again.
    server_->expires_never();
    asio::write(client_, asio::buffer(std::string("again")));
    error_code third = asio::error::would_block;
    std::size_t n = 0;
    server_->async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t got) {
        third = ec;
        n = got;
    });
    run();
    EXPECT_FALSE(third) << third.message();
    EXPECT_EQ(std::string(buf, n), "again");
}

TEST_F(TlsSocketTest, ReplacedDeadlineDoesNotFire) {
    handshake();
    server_->expires_after(std::chrono::milliseconds(50));
    server_->expires_after(std::chrono::seconds(30));
    char buf[16];
    error_code ec_read = asio::error::would_block;
    server_->async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t) {
        ec_read = ec;
        server_->expires_never(); // nothing left pending: run() returns
    });
    io_.restart();
    io_.run_for(std::chrono::milliseconds(300));
    EXPECT_EQ(ec_read, asio::error::would_block); // still waiting: the 50 ms deadline is gone
    asio::write(client_, asio::buffer(std::string("x")));
    run();
    EXPECT_FALSE(ec_read) << ec_read.message();
}

TEST_F(TlsSocketTest, ShutdownExchangesCloseNotify) {
    handshake();
    error_code server_ec = asio::error::would_block;
    error_code client_ec = asio::error::would_block;
    server_->async_shutdown([&](error_code ec) { server_ec = ec; });
    client_.async_shutdown([&](error_code ec) { client_ec = ec; });
    run();
    EXPECT_FALSE(server_ec) << server_ec.message();
    EXPECT_FALSE(client_ec) << client_ec.message();
}

TEST_F(TlsSocketTest, PeerVanishingIsAnErrorNotAHang) {
    handshake();
    client_.next_layer().close();
    char buf[16];
    error_code ec_read;
    bool done = false;
    server_->async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t) {
        ec_read = ec;
        done = true;
    });
    run();
    ASSERT_TRUE(done);
    EXPECT_TRUE(ec_read);
}

TEST_F(TlsSocketTest, GarbageInsteadOfAHandshakeFails) {
    asio::write(client_.next_layer(), asio::buffer(std::string("GET / HTTP/1.1\r\n\r\n")));
    error_code ec_hs;
    bool done = false;
    server_->async_handshake(asio::ssl::stream_base::server, [&](error_code ec) {
        ec_hs = ec;
        done = true;
    });
    run();
    ASSERT_TRUE(done);
    EXPECT_TRUE(ec_hs);
    EXPECT_EQ(ec_hs.category(), asio::error::get_ssl_category()) << ec_hs.message();
}

} // namespace
