// http_session: TLS handshake, then HTTP/1.1 requests answered by the app, one at a time,
// with header/body size limits and timeouts; `Upgrade: websocket` hands over to a ws_session.
#include "http_session.hpp"

#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace icegate::net {

namespace beast = boost::beast;
namespace http = boost::beast::http;

namespace {

http_response plain_error(http::status status, std::string text) {
    http_response res(status, 11);
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.set("X-Content-Type-Options", "nosniff");
    res.body() = std::move(text);
    res.keep_alive(false);
    res.prepare_payload();
    return res;
}

} // namespace

http_session::http_session(boost::asio::ip::tcp::socket socket,
                           std::shared_ptr<https_listener_state> st, source_ticket ticket)
    : stream_(std::move(socket), *st->tls), state_(std::move(st)), ticket_(std::move(ticket)),
      buffer_(request_buffer_limit(state_->limits)) {
    boost::system::error_code ec;
    remote_ = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    state_->sessions.insert(this);
}

http_session::~http_session() {
    state_->sessions.erase(this);
}

void http_session::start() {
    beast::get_lowest_layer(stream_).expires_after(state_->limits.handshake_timeout);
    stream_.async_handshake(
        boost::asio::ssl::stream_base::server,
        [self = shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
}

void http_session::shutdown() {
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
}

void http_session::on_handshake(beast::error_code ec) {
    if (ec) {
        return; // timeouts, scanners, clients refusing the certificate: nothing to answer
    }
    do_read();
}

void http_session::do_read() {
    parser_.emplace();
    configure_request_parser(*parser_, state_->limits, chunk_ext_);
    beast::get_lowest_layer(stream_).expires_after(first_request_ ? state_->limits.header_timeout
                                                                  : state_->limits.idle_timeout);
    first_request_ = false;
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

// The header is in: refuse framings we do not read (RFC 9112 section 6.1) before any body
// byte is taken, so a body can never be mistaken for a second request.
void http_session::on_header(beast::error_code ec) {
    if (ec) {
        return on_read(ec);
    }
    if (const auto status = check_framing(parser_->get().base())) {
        return write(plain_error(*status, *status == http::status::not_implemented
                                              ? "transfer coding not implemented\n"
                                              : "bad message framing\n"));
    }
    if (parser_->is_done()) {
        return on_read(ec);
    }
    // The whole request, header and body, within the header timeout.
    beast::get_lowest_layer(stream_).expires_after(state_->limits.header_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void http_session::on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream) {
        return do_close();
    }
    if (ec == beast::error::timeout || ec.category() == boost::asio::error::get_ssl_category() ||
        ec == boost::asio::error::operation_aborted || ec == boost::asio::error::eof ||
        ec == boost::asio::error::connection_reset) {
        return; // the socket is gone or useless
    }
    if (ec) {
        const auto status = read_error_status(ec, parser_->is_header_done());
        const char* text = status == http::status::request_header_fields_too_large
                               ? "request header too large\n"
                           : status == http::status::payload_too_large ? "request body too large\n"
                                                                       : "malformed request\n";
        return write(plain_error(status, text));
    }
    if (beast::websocket::is_upgrade(parser_->get())) {
        if (state_->draining) {
            // Shutting down: the client retries later, here or (through a balancer) elsewhere.
            return write(plain_error(http::status::service_unavailable, "draining\n"));
        }
        return upgrade();
    }
    http_response res = state_->app.handle(parser_->get(), remote_);
    res.keep_alive(res.keep_alive() && parser_->get().keep_alive());
    write(std::move(res));
}

void http_session::upgrade() {
    beast::get_lowest_layer(stream_).expires_never();
    auto ws = std::make_shared<ws_session>(std::move(stream_), state_, std::move(ticket_));
    handed_over_ = true;
    http_request req = parser_->release();
    http_response refusal;
    auto handler = state_->app.accept_websocket(req, remote_, ws, refusal);
    if (handler) {
        ws->start(std::move(req), std::move(handler), std::nullopt);
    } else {
        refusal.keep_alive(false);
        refusal.prepare_payload();
        ws->start(std::move(req), nullptr, std::move(refusal));
    }
}

void http_session::write(http_response res) {
    const bool keep_alive = res.keep_alive();
    response_.emplace(std::move(res));
    beast::get_lowest_layer(stream_).expires_after(state_->limits.header_timeout);
    http::async_write(stream_, *response_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                          self->on_write(ec, keep_alive);
                      });
}

void http_session::on_write(beast::error_code ec, bool keep_alive) {
    response_.reset();
    if (ec) {
        return;
    }
    if (!keep_alive) {
        return do_close();
    }
    do_read();
}

void http_session::do_close() {
    if (handed_over_) {
        return;
    }
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
        boost::system::error_code ignored;
        beast::get_lowest_layer(self->stream_).socket().close(ignored);
    });
}

} // namespace icegate::net
