// libFuzzer target for WebSocket frame handling: bytes a client sends after a valid upgrade,
// read by a server-mode Beast websocket::stream set up and read as ws_session does (the same
// timeouts, read_message_max, reads of at most ws_read_chunk, a message past ws_buffer_limit
// cut and the rest dropped), each message handed to signal::parse_client_frame with the
// server's frame limits. Nothing may crash; the read buffer never grows past its bound; a
// message reaches the parser at most ws_buffer_limit + 1 bytes long.
//
// Input: byte 0 picks the size of the stream's reads (how the frames are split); the rest is
// what the client sends: frames, masked or not, pings, closes, fragments, garbage.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "http_session.hpp" // ws_read_chunk
#include "icegate/net/https_listener.hpp"
#include "icegate/signal/protocol.hpp"

namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using namespace icegate;

void require(bool ok) {
    if (!ok) {
        __builtin_trap();
    }
}

net::http_request upgrade_request() {
    net::http_request req(http::verb::get, "/ws", 11);
    req.set(http::field::host, "localhost");
    req.set(http::field::upgrade, "websocket");
    req.set(http::field::connection, "Upgrade");
    req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    req.set(http::field::sec_websocket_version, "13");
    req.set(http::field::origin, "https://localhost");
    return req;
}

// One connection: ws_session's read loop (src/net/ws_session.cpp) without the socket.
class session {
public:
    session(boost::asio::io_context& ioc, const net::http_limits& limits)
        : ws_(ioc), peer_(ioc), limits_(limits) {
        ws_.next_layer().connect(peer_); // the 101, pongs and closes go to the peer
    }

    beast::test::stream& input() { return ws_.next_layer(); }

    void start() {
        websocket::stream_base::timeout t{};
        t.handshake_timeout = limits_.handshake_timeout;
        t.idle_timeout = websocket::stream_base::none();
        t.keep_alive_pings = false;
        ws_.set_option(t);
        ws_.read_message_max(limits_.ws_message_limit);
        ws_.async_accept(upgrade_request(), [this](beast::error_code ec) {
            if (!ec) {
                do_read();
            }
        });
    }

    std::size_t messages() const { return messages_; }

private:
    void do_read() {
        ws_.async_read_some(rbuf_, net::ws_read_chunk,
                            [this](beast::error_code ec, std::size_t) { on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        peer_.clear(); // what we wrote back (pongs, close) is not looked at
        if (ec) {
            return;
        }
        require(rbuf_.size() <= limits_.ws_buffer_limit + net::ws_read_chunk);
        const bool done = ws_.is_message_done();
        const auto act = bound_.step(rbuf_.size(), done); // as ws_session::on_read
        if (act.deliver > 0) {
            on_text(std::string_view(static_cast<const char*>(rbuf_.cdata().data()), act.deliver));
        }
        if (act.drop) {
            rbuf_.consume(rbuf_.size());
        }
        if (done) {
            rbuf_.shrink_to_fit();
        }
        do_read();
    }

    void on_text(std::string_view text) {
        ++messages_;
        require(text.size() <= limits_.ws_buffer_limit + 1);
        signal::parse_error detail;
        const signal::limits frame_limits{}; // signal::session_settings' default
        const auto parsed = signal::parse_client_frame(text, frame_limits, &detail);
        if (text.size() > frame_limits.max_frame) {
            require(!parsed && detail.code == signal::errc::too_large);
        }
        if (!parsed) {
            (void)signal::serialize(detail); // the error frame the client would get
        }
    }

    websocket::stream<beast::test::stream> ws_;
    beast::test::stream peer_;
    const net::http_limits& limits_;
    beast::flat_buffer rbuf_;
    net::ws_message_bound bound_{limits_.ws_buffer_limit};
    std::size_t messages_ = 0;
};

constexpr std::array<std::size_t, 8> read_sizes{1, 2, 3, 5, 14, 127, 4096, 1 << 20};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    const net::http_limits limits{}; // as the server runs them
    boost::asio::io_context ioc;
    session s(ioc, limits);
    s.input().read_size(read_sizes[data[0] & 7]);
    s.input().append({reinterpret_cast<const char*>(data + 1), size - 1});
    s.input().close_remote(); // after the input: eof, as when the client goes away
    s.start();
    ioc.run();
    return 0;
}
