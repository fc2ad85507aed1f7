// ws_session: a WebSocket over TLS. One read loop handing text frames to the app's handler,
// one write in flight behind a queue bounded in bytes, a coarse tick for the handler's
// keepalive, and a close that waits for the queue to drain.
#include "http_session.hpp"

#include <algorithm>

#include <boost/beast/http/write.hpp>

namespace icegate::net {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

ws_session::ws_session(tls_stream stream, std::shared_ptr<https_listener_state> st,
                       source_ticket ticket)
    : ws_(std::move(stream)), state_(std::move(st)), ticket_(std::move(ticket)),
      bound_(state_->limits.ws_buffer_limit) {
    state_->sessions.insert(this);
    ++state_->websockets;
}

ws_session::~ws_session() {
    state_->sessions.erase(this);
    --state_->websockets;
}

void ws_session::start(http_request req, std::unique_ptr<ws_handler> handler,
                       std::optional<http_response> refusal) {
    if (!handler) {
        // Not upgraded: answer the refusal over plain HTTP and close.
        auto res = std::make_shared<http_response>(std::move(*refusal));
        beast::get_lowest_layer(ws_).expires_after(state_->limits.header_timeout);
        beast::http::async_write(ws_.next_layer(), *res,
                                 [self = shared_from_this(), res](beast::error_code, std::size_t) {
                                     boost::system::error_code ignored;
                                     beast::get_lowest_layer(self->ws_).socket().shutdown(
                                         boost::asio::socket_base::shutdown_both, ignored);
                                     beast::get_lowest_layer(self->ws_).socket().close(ignored);
                                 });
        return;
    }
    handler_ = std::move(handler);
    websocket::stream_base::timeout t{};
    t.handshake_timeout = state_->limits.handshake_timeout;
    t.idle_timeout = websocket::stream_base::none(); // the handler's JSON keepalive decides
    t.keep_alive_pings = false;
    ws_.set_option(t);
    ws_.read_message_max(state_->limits.ws_message_limit);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(beast::http::field::server, "icegate"); }));
    ws_.async_accept(req,
                     [self = shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
}

void ws_session::on_accept(beast::error_code ec) {
    if (ec) {
        return finish();
    }
    open_ = true;
    do_read();
}

// Reads a message in pieces: a message past limits.ws_buffer_limit is not buffered further.
// Its first ws_buffer_limit + 1 bytes go to the handler (which answers too_large without
// parsing) and the rest is read and dropped as it arrives, so a sender announcing a large
// frame and trickling it holds at most that limit of our memory.
void ws_session::do_read() {
    ws_.async_read_some(
        rbuf_, ws_read_chunk,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void ws_session::on_read(beast::error_code ec) {
    if (ec) {
        return finish();
    }
    const bool done = ws_.is_message_done();
    const auto act = bound_.step(rbuf_.size(), done);
    if (act.deliver > 0 && !finished_ && !close_requested_) {
        handler_->on_text(
            std::string_view(static_cast<const char*>(rbuf_.cdata().data()), act.deliver));
    }
    if (act.drop) {
        rbuf_.consume(rbuf_.size());
    }
    if (done) {
        rbuf_.shrink_to_fit(); // frees it: Beast prepares it again when the next payload arrives
    }
    do_read();
}

void ws_session::send(ws_frame frame) {
    if (finished_ || close_requested_ || !frame) {
        return;
    }
    queued_bytes_ += frame->size();
    queue_.push_back(std::move(frame));
    if (queued_bytes_ > state_->limits.ws_queue_bytes) {
        // A member that cannot keep up: drop what waits (not the frame being written) and go.
        while (queue_.size() - queue_head_ > (writing_ ? 1U : 0U)) {
            queued_bytes_ -= queue_.back()->size();
            queue_.pop_back();
        }
        return close(1008, "slow consumer");
    }
    if (!writing_) {
        do_write();
    }
}

void ws_session::close(std::uint16_t code, std::string_view reason) {
    if (finished_ || close_requested_) {
        return;
    }
    if (!open_) {
        // Refused, or still in the upgrade handshake: there is no WebSocket to close politely.
        boost::system::error_code ignored;
        beast::get_lowest_layer(ws_).socket().close(ignored);
        return;
    }
    close_requested_ = true;
    close_code_ = code;
    close_text_.assign(reason.data(), std::min<std::size_t>(reason.size(), 123));
    if (!writing_) {
        do_close();
    }
}

void ws_session::do_write() {
    writing_ = true;
    ws_.text(true);
    const auto& front = queue_[queue_head_];
    ws_.async_write(
        boost::asio::buffer(*front),
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
}

void ws_session::on_write(beast::error_code ec) {
    writing_ = false;
    if (queue_head_ < queue_.size()) {
        queued_bytes_ -= queue_[queue_head_]->size();
        queue_[queue_head_++].reset();
    }
    if (queue_head_ == queue_.size()) {
        queue_.clear();
        queue_head_ = 0;
        if (queue_.capacity() > 64) {
            std::vector<ws_frame>().swap(queue_); // a burst's worth of slots goes back
        }
    } else if (queue_head_ >= 32 && queue_head_ * 2 >= queue_.size()) {
        // A queue that never drains: drop the written prefix (amortized O(1) per frame).
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(queue_head_));
        queue_head_ = 0;
    }
    if (ec) {
        return finish();
    }
    // What was queued before close() goes out first (a drain's goaway, an error frame), then
    // the close frame; a slow consumer's queue was already cut to the frame in flight.
    if (queue_head_ < queue_.size()) {
        return do_write();
    }
    if (close_requested_) {
        std::vector<ws_frame>().swap(queue_);
        queue_head_ = 0;
        queued_bytes_ = 0;
        do_close();
    }
}

void ws_session::do_close() {
    if (close_sent_ || finished_) {
        return;
    }
    close_sent_ = true;
    const websocket::close_reason why(static_cast<websocket::close_code>(close_code_),
                                      beast::string_view(close_text_));
    ws_.async_close(why, [self = shared_from_this()](beast::error_code) {
        // The read loop sees the close completing (or failing) and finishes the session.
        boost::system::error_code ignored;
        beast::get_lowest_layer(self->ws_).socket().close(ignored);
    });
}

// The goaway goes out first (close() waits for the queue), then the close frame.
void ws_session::drain(const std::shared_ptr<const std::string>& goaway) {
    if (open_) {
        send(goaway);
    }
    close(1001, "going away");
}

void ws_session::tick() {
    if (open_ && !finished_) {
        handler_->on_tick();
    }
}

// Called once, when the read loop or the handshake ends: the handler hears about it, and the
// last pending handler drops the session.
void ws_session::finish() {
    if (finished_) {
        return;
    }
    finished_ = true;
    if (handler_) {
        handler_->on_closed();
    }
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
}

} // namespace icegate::net
