// HTTPS connections of an https_listener: http_session reads requests (Beast, with header,
// body and time limits) and writes the app's responses; a `/ws` upgrade hands the TLS stream
// over to a ws_session, which reads text frames and writes one queued frame at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "https_listener_state.hpp"
#include "icegate/net/connection_limits.hpp"
#include "icegate/net/http_app.hpp"
#include "icegate/net/http_framing.hpp"
#include "tls_socket.hpp"

namespace icegate::net {

using tls_stream = tls_socket;

// Bytes a WebSocket read asks for at most: what one read can add to a message being buffered.
inline constexpr std::size_t ws_read_chunk = 16 * 1024;

class http_session : public https_session_base, public std::enable_shared_from_this<http_session> {
public:
    http_session(boost::asio::ip::tcp::socket socket, std::shared_ptr<https_listener_state> st,
                 source_ticket ticket);
    ~http_session() override;
    void start();
    void shutdown() override;

private:
    void on_handshake(boost::beast::error_code ec);
    void do_read();
    void on_header(boost::beast::error_code ec);
    void on_read(boost::beast::error_code ec);
    void upgrade();
    void write(http_response res);
    void on_write(boost::beast::error_code ec, bool keep_alive);
    void do_close();

    tls_stream stream_;
    std::shared_ptr<https_listener_state> state_;
    source_ticket ticket_; // the connection's count per source; moves to the ws_session
    boost::asio::ip::tcp::endpoint remote_;
    boost::beast::flat_buffer buffer_;
    std::optional<request_parser> parser_;
    chunk_extension_limit chunk_ext_{0}; // the parser's chunk-header hook; outlives it
    std::optional<http_response> response_;
    bool first_request_ = true;
    bool handed_over_ = false; // the stream now belongs to a ws_session
};

class ws_session : public https_session_base,
                   public ws_connection,
                   public std::enable_shared_from_this<ws_session> {
public:
    ws_session(tls_stream stream, std::shared_ptr<https_listener_state> st, source_ticket ticket);
    ~ws_session() override;
    // Completes the upgrade of `req` with `handler`, or writes `refusal` when handler is null.
    void start(http_request req, std::unique_ptr<ws_handler> handler,
               std::optional<http_response> refusal);

    void send(ws_frame frame) override;
    void close(std::uint16_t code, std::string_view reason) override;
    boost::asio::any_io_executor executor() override { return ws_.get_executor(); }
    void shutdown() override { close(1001, "going away"); }
    void tick() override;
    void drain(const std::shared_ptr<const std::string>& goaway) override;

private:
    void on_accept(boost::beast::error_code ec);
    void do_read();
    void on_read(boost::beast::error_code ec);
    void do_write();
    void on_write(boost::beast::error_code ec);
    void do_close();
    void finish();

    boost::beast::websocket::stream<tls_stream> ws_;
    std::shared_ptr<https_listener_state> state_;
    source_ticket ticket_;
    ws_message_bound bound_; // messages are not buffered past limits.ws_buffer_limit
    std::unique_ptr<ws_handler> handler_;
    boost::beast::flat_buffer rbuf_; // empty between messages: idle sessions hold no buffer
    // Frames to write: queue_[queue_head_] is the oldest. A vector, not a deque: libstdc++'s
    // deque allocates ~600 bytes even when empty, and most sessions are idle.
    std::vector<ws_frame> queue_;
    std::size_t queue_head_ = 0;
    std::size_t queued_bytes_ = 0;
    bool open_ = false; // the upgrade handshake completed
    bool writing_ = false;
    bool close_requested_ = false;
    bool close_sent_ = false;

    bool finished_ = false;
    // Only what close() was asked for: Beast's close_reason holds a 123-byte static string.
    std::uint16_t close_code_ = 1000;
    std::string close_text_;
};

} // namespace icegate::net
