// One STUN/TURN client connection over TCP or TLS: a bounded read buffer cut into frames by
// stun::next_frame, one write in flight behind a bounded queue, an idle timeout.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "icegate/net/connection_limits.hpp"
#include "icegate/stun/stream_framer.hpp"
#include "stream_listener_state.hpp"

namespace icegate::net {

template <class Stream>
class stream_session : public session_base,
                       public std::enable_shared_from_this<stream_session<Stream>> {
public:
    using clock = std::chrono::steady_clock;

    stream_session(Stream stream, std::shared_ptr<stream_listener_state> st,
                   const stun::transport_address& peer, source_ticket ticket)
        : stream_(std::move(stream)), timer_(lowest().get_executor()), state_(std::move(st)),
          ticket_(std::move(ticket)),
          rbuf_(std::min(state_->limits.initial_buffer, state_->limits.read_buffer)) {
        ctx_.source = peer;
        ctx_.local = state_->local;
        ctx_.transport = is_tls ? turn::client_transport::tls : turn::client_transport::tcp;
        ctx_.conn = state_->links.add_session(this);
        state_->sessions.insert(this);
    }
    ~stream_session() override { state_->sessions.erase(this); }

    void start() {
        last_activity_ = clock::now();
        preauth_deadline_ = last_activity_ + state_->limits.preauth_timeout;
        if constexpr (is_tls) {
            arm_timer(std::min(state_->limits.handshake_timeout, state_->limits.preauth_timeout));
            stream_.async_handshake(
                boost::asio::ssl::stream_base::server,
                [self = this->shared_from_this()](auto ec) { self->on_handshake(ec); });
        } else {
            arm_timer(std::min(state_->limits.idle_timeout, state_->limits.preauth_timeout));
            do_read();
        }
    }

    void close() override {
        if (closed_) {
            return;
        }
        closed_ = true;
        boost::system::error_code ignored;
        timer_.cancel();
        lowest().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
        lowest().close(ignored);
        // Here, not in the destructor: at shutdown the handler and worker_io go away before
        // the io_context that holds the last references to sessions.
        state_->links.remove_session(ctx_.conn);
        state_->handler.on_closed(ctx_);
    }

    void send(std::span<const std::uint8_t> bytes) override {
        if (closed_ || doomed_) {
            return;
        }
        if (queued_bytes_ + bytes.size() > state_->limits.write_queue) {
            // Peer data (ChannelData, Data indication) is datagram traffic: drop it as a full
            // UDP socket would. One drain of a relay socket can outrun the writes (Chromium's
            // data channel over TURN/TCP hit this); only a client not reading replies is cut.
            const bool peer_data = bytes.size() >= 2 && ((bytes[0] & 0xC0) == 0x40 ||
                                                         (bytes[0] == 0x00 && bytes[1] == 0x17));
            if (peer_data) {
                return;
            }
            doomed_ = true;
            boost::asio::post(lowest().get_executor(),
                              [self = this->shared_from_this()] { self->close(); });
            return;
        }
        queued_bytes_ += bytes.size();
        queue_.emplace_back(bytes.begin(), bytes.end());
        if (!writing_) {
            do_write();
        }
    }

private:
    static constexpr bool is_tls = !std::is_same_v<Stream, boost::asio::ip::tcp::socket>;

    boost::asio::ip::tcp::socket& lowest() {
        if constexpr (is_tls) {
            return stream_.next_layer();
        } else {
            return stream_;
        }
    }

    void on_handshake(const boost::system::error_code& ec) {
        if (ec) {
            close();
            return;
        }
        handshake_done_ = true;
        last_activity_ = clock::now();
        do_read();
    }

    // A deadline this close counts as reached: the timer's whole seconds would only add a
    // second round.
    static constexpr auto slack = std::chrono::milliseconds(50);

    // One timer per connection, re-armed lazily: reads only stamp last_activity_.
    void arm_timer(std::chrono::seconds after) {
        timer_.expires_after(after);
        timer_.async_wait([self = this->shared_from_this()](auto ec) { self->on_timer(ec); });
    }

    void on_timer(const boost::system::error_code& ec) {
        if (ec || closed_) {
            return;
        }
        const auto now = clock::now();
        const bool preauth_over = !stun_seen_ && now + slack >= preauth_deadline_;
        if ((is_tls && !handshake_done_) || preauth_over) {
            close(); // no handshake, or no STUN message within limits.tcp_preauth_timeout
            return;
        }
        const auto idle = state_->limits.idle_timeout;
        const auto quiet = now - last_activity_;
        if (quiet + slack >= idle) {
            close();
            return;
        }
        shrink_buffer();
        auto next = idle - quiet;
        if (!stun_seen_) {
            next = std::min<clock::duration>(next, preauth_deadline_ - now);
        }
        arm_timer(std::chrono::ceil<std::chrono::seconds>(next));
    }

    void do_read() {
        stream_.async_read_some(
            boost::asio::buffer(rbuf_.data() + used_, rbuf_.size() - used_),
            [self = this->shared_from_this()](auto ec, std::size_t n) { self->on_read(ec, n); });
    }

    void on_read(const boost::system::error_code& ec, std::size_t n) {
        if (ec || closed_) {
            close();
            return;
        }
        last_activity_ = clock::now();
        const bool filled = used_ + n == rbuf_.size();
        used_ += n;
        if (!consume_frames(filled)) {
            close();
            return;
        }
        do_read();
    }

    // Handles every complete frame in the buffer; false when the stream must be closed.
    bool consume_frames(bool filled) {
        std::size_t off = 0;
        std::size_t need = 0; // bytes the incomplete frame at the end will occupy
        while (off < used_) {
            const std::span<const std::uint8_t> rest(rbuf_.data() + off, used_ - off);
            const auto frame = stun::next_frame(rest);
            if (!frame) {
                return false;
            }
            if (frame->size > rest.size()) {
                if (frame->size > state_->limits.read_buffer) {
                    return false; // larger than we agree to buffer
                }
                need = frame->size;
                break;
            }
            if (frame->kind == stun::frame_kind::stun && !stun_seen_) {
                stun_seen_ = true;
                timer_.cancel(); // the pre-auth deadline is met: the idle timeout takes over
                arm_timer(state_->limits.idle_timeout);
            }
            state_->handler.on_message(rest.first(frame->message_size), ctx_);
            if (closed_) {
                return false;
            }
            off += frame->size;
        }
        if (off > 0) {
            std::memmove(rbuf_.data(), rbuf_.data() + off, used_ - off);
            used_ -= off;
        }
        grow_buffer(need, filled);
        return true;
    }

    // The buffer starts at limits.initial_buffer (silent connections cost little) and grows,
    // up to limits.read_buffer, to hold the next frame, or doubles when a read filled it (a
    // busy stream reads many frames per syscall again). It shrinks only on the idle timer, so
    // a stream of large frames never reallocates per frame.
    void grow_buffer(std::size_t need, bool filled) {
        const std::size_t want = std::max(need, filled ? rbuf_.size() * 2 : 0);
        if (rbuf_.size() < want) {
            rbuf_.resize(std::min(std::max(want, rbuf_.size() * 2), state_->limits.read_buffer));
        }
    }

    void shrink_buffer() {
        const std::size_t initial =
            std::min(state_->limits.initial_buffer, state_->limits.read_buffer);
        if (used_ == 0 && rbuf_.size() > initial) {
            std::vector<std::uint8_t>(initial).swap(rbuf_);
        }
    }

    // Over TCP, writes the queued frames (up to 64 or 64 KiB) as one contiguous buffer: one
    // syscall per burst of relayed datagrams, not one per datagram. Over TLS, one frame per
    // write and so per TLS record: clients that parse one message per record exist (coturn's
    // turnutils_uclient -S lost 6% of its messages when records carried several).
    void do_write() {
        constexpr std::size_t max_batch = is_tls ? 1 : 64;
        writing_ = true;
        out_.clear();
        in_flight_ = 0;
        for (const auto& frame : queue_) {
            if (in_flight_ == max_batch || (in_flight_ > 0 && out_.size() + frame.size() > 65536)) {
                break;
            }
            out_.insert(out_.end(), frame.begin(), frame.end());
            ++in_flight_;
        }
        boost::asio::async_write(
            stream_, boost::asio::buffer(out_),
            [self = this->shared_from_this()](auto ec, std::size_t) { self->on_write(ec); });
    }

    void on_write(const boost::system::error_code& ec) {
        writing_ = false;
        if (ec || closed_) {
            close();
            return;
        }
        for (std::size_t i = 0; i < in_flight_; ++i) {
            queued_bytes_ -= queue_.front().size();
            queue_.pop_front();
        }
        if (!queue_.empty()) {
            do_write();
        }
    }

    Stream stream_;
    boost::asio::steady_timer timer_;
    std::shared_ptr<stream_listener_state> state_;
    source_ticket ticket_; // this connection's count against limits.connections_per_address
    packet_context ctx_;
    std::vector<std::uint8_t> rbuf_;
    std::size_t used_ = 0;
    std::deque<std::vector<std::uint8_t>> queue_;
    std::vector<std::uint8_t> out_; // the frames being written, copied together
    std::size_t in_flight_ = 0;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
    bool closed_ = false;
    bool doomed_ = false;
    bool handshake_done_ = false;
    bool stun_seen_ = false; // a STUN message arrived: the pre-auth deadline no longer applies
    clock::time_point last_activity_;
    clock::time_point preauth_deadline_;
};

} // namespace icegate::net
