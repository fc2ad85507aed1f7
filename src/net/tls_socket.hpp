// tls_socket: a server-side TLS stream for Beast (HTTP and WebSocket) in which OpenSSL reads
// and writes the non-blocking TCP socket itself (a socket BIO) and the stream only waits for
// readiness. asio::ssl::stream instead keeps two 17 KiB buffers and a 2 x 17 KiB BIO pair per
// connection for its whole life, about 68 KiB of an idle WebSocket's 74.5 KiB; here an idle
// connection holds OpenSSL's SSL object alone (SSL_MODE_RELEASE_BUFFERS frees its record
// buffers between records), and bytes go from OpenSSL to the kernel without a copy between.
//
// Like beast::tcp_stream it has expires_after()/expires_never(): when the deadline passes,
// the pending operation, and every later one until the deadline is set again, fails with
// beast::error::timeout. It has no next_layer(), so beast::get_lowest_layer() yields the
// tls_socket itself; socket() is the TCP socket.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/system/error_code.hpp>

struct ssl_st;

namespace icegate::net {

class tls_socket {
public:
    using executor_type = boost::asio::ip::tcp::socket::executor_type;

    tls_socket(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& ctx);
    tls_socket(tls_socket&&) noexcept = default;
    tls_socket& operator=(tls_socket&&) noexcept = default;
    ~tls_socket();

    executor_type get_executor() { return impl_->sock.get_executor(); }
    boost::asio::ip::tcp::socket& socket() { return impl_->sock; }
    const boost::asio::ip::tcp::socket& socket() const { return impl_->sock; }

    void expires_after(std::chrono::steady_clock::duration d);
    void expires_never();

    template <class Handler>
    auto async_handshake(boost::asio::ssl::stream_base::handshake_type, Handler&& handler) {
        return start<void(boost::system::error_code)>(step_kind::handshake, control{},
                                                      std::forward<Handler>(handler));
    }

    // Sends close_notify and waits for the peer's (bounded by the deadline, if one is set).
    template <class Handler>
    auto async_shutdown(Handler&& handler) {
        return start<void(boost::system::error_code)>(step_kind::shutdown, control{},
                                                      std::forward<Handler>(handler));
    }

    template <class MutableBuffers, class Handler>
    auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
        boost::asio::mutable_buffer target;
        for (auto it = boost::asio::buffer_sequence_begin(buffers);
             it != boost::asio::buffer_sequence_end(buffers); ++it) {
            if (boost::asio::mutable_buffer b(*it); b.size() != 0) {
                target = b;
                break;
            }
        }
        return start<void(boost::system::error_code, std::size_t)>(step_kind::read, target,
                                                                   std::forward<Handler>(handler));
    }

    // Writes from the first buffers of the sequence: small buffers (a frame header and its
    // payload, HTTP header and body) are gathered into one TLS record, not one record each.
    template <class ConstBuffers, class Handler>
    auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
        gather g;
        for (auto it = boost::asio::buffer_sequence_begin(buffers);
             it != boost::asio::buffer_sequence_end(buffers) && g.count < gather::max_parts; ++it) {
            if (boost::asio::const_buffer b(*it); b.size() != 0) {
                g.parts[g.count++] = b;
            }
        }
        return start<void(boost::system::error_code, std::size_t)>(step_kind::write, g,
                                                                   std::forward<Handler>(handler));
    }

    // close_notify, then the TCP send side is shut: the WebSocket closing handshake's end.
    template <class Handler>
    auto async_teardown(Handler&& handler) {
        return start<void(boost::system::error_code)>(step_kind::teardown, control{},
                                                      std::forward<Handler>(handler));
    }

    // The same without waiting: one close_notify attempt, then the send side is shut.
    void teardown(boost::system::error_code& ec);

private:
    enum class step_kind : std::uint8_t { handshake, shutdown, teardown, read, write };

    // What an operation carries: nothing (handshake, shutdown), where to read, what to write.
    // Only writes carry the gathered buffers: an idle connection's pending read stays small.
    struct control {};
    struct gather {
        static constexpr std::size_t max_parts = 8;
        boost::asio::const_buffer parts[max_parts];
        std::size_t count = 0;
    };
    static bool nothing_to_do(const control&) noexcept { return false; }
    static bool nothing_to_do(const boost::asio::mutable_buffer& b) noexcept {
        return b.size() == 0;
    }
    static bool nothing_to_do(const gather& g) noexcept { return g.count == 0; }

    // Shared with pending operations and the deadline timer, so neither outlives it and the
    // tls_socket can be moved (http_session hands it to a ws_session) between operations.
    struct impl {
        impl(boost::asio::ip::tcp::socket s, ssl_st* handle);
        ~impl();
        impl(const impl&) = delete;
        impl& operator=(const impl&) = delete;

        boost::asio::ip::tcp::socket sock;
        ssl_st* ssl;
        std::unique_ptr<boost::asio::steady_timer> deadline; // only while one is set
        std::uint64_t deadline_generation = 0;
        bool timed_out = false;
    };

    struct step_result {
        enum class kind : std::uint8_t { done, want_read, want_write, failed } what;
        std::size_t bytes = 0;
        boost::system::error_code ec;
    };

    // One attempt of the operation: OpenSSL does what it can without blocking.
    static step_result step(impl& s, step_kind kind, const control&);
    static step_result step(impl& s, step_kind kind, const boost::asio::mutable_buffer& target);
    static step_result step(impl& s, step_kind kind, const gather& writes);
    static step_result attempt(impl& s, step_kind kind, boost::asio::mutable_buffer read_target,
                               const gather* writes);
    // What a call that returned `r` <= 0 means: wait for the socket, or fail with this error.
    // `saved_errno`: errno right after the call (SSL_ERROR_SYSCALL).
    static step_result failure(ssl_st* ssl, int r, int saved_errno);
    static bool timed_out(const impl& s) noexcept { return s.timed_out; }
    static boost::system::error_code timeout_error() noexcept;

    template <class Signature, class Payload>
    struct op {
        std::shared_ptr<impl> s;
        step_kind kind;
        Payload payload;
        bool started = false;
        bool ready = false; // a result waits for its posted completion
        boost::system::error_code result_ec;
        std::size_t result_bytes = 0;

        // Entry and re-entry after the completion was posted.
        template <class Self>
        void operator()(Self& self) {
            if (ready) {
                return finish(self);
            }
            run(self);
        }

        // Re-entry after waiting for the socket.
        template <class Self>
        void operator()(Self& self, boost::system::error_code ec) {
            if (ec) {
                result_ec = timed_out(*s) ? timeout_error() : ec;
                return finish(self);
            }
            run(self);
        }

        template <class Self>
        void run(Self& self) {
            const bool first = !started;
            started = true;
            if (timed_out(*s)) {
                result_ec = timeout_error();
                return complete_soon(self, first);
            }
            if (nothing_to_do(payload)) {
                return complete_soon(self, first);
            }
            const step_result r = step(*s, kind, payload);
            switch (r.what) {
            case step_result::kind::want_read:
                return socket_of(*s).async_wait(boost::asio::socket_base::wait_read,
                                                std::move(self));
            case step_result::kind::want_write:
                return socket_of(*s).async_wait(boost::asio::socket_base::wait_write,
                                                std::move(self));
            case step_result::kind::done:
                result_bytes = r.bytes;
                return complete_soon(self, first);
            case step_result::kind::failed:
                result_ec = r.ec;
                return complete_soon(self, first);
            }
        }

        // A handler is never called from inside the initiating function.
        template <class Self>
        void complete_soon(Self& self, bool first) {
            if (!first) {
                return finish(self);
            }
            ready = true;
            auto ex = socket_of(*s).get_executor();
            boost::asio::post(ex, std::move(self));
        }

        template <class Self>
        void finish(Self& self) {
            s.reset();
            if constexpr (std::is_same_v<Signature, void(boost::system::error_code)>) {
                self.complete(result_ec);
            } else {
                self.complete(result_ec, result_bytes);
            }
        }
    };

    static boost::asio::ip::tcp::socket& socket_of(impl& s) noexcept { return s.sock; }

    template <class Signature, class Payload, class Handler>
    auto start(step_kind kind, const Payload& payload, Handler&& handler) {
        return boost::asio::async_compose<Handler, Signature>(
            op<Signature, Payload>{impl_, kind, payload, false, false, {}, 0}, handler,
            socket_of(*impl_));
    }

    std::shared_ptr<impl> impl_;
};

// Beast's customization points, found by argument-dependent lookup.
void beast_close_socket(tls_socket& s);
void teardown(boost::beast::role_type role, tls_socket& s, boost::system::error_code& ec);

template <class Handler>
void async_teardown(boost::beast::role_type, tls_socket& s, Handler&& handler) {
    s.async_teardown(std::forward<Handler>(handler));
}

} // namespace icegate::net
