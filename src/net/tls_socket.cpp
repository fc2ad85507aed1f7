// tls_socket: OpenSSL on a socket BIO over the non-blocking descriptor; each operation is one
// OpenSSL call retried after the socket becomes readable or writable.
#include "tls_socket.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include <sys/socket.h>

#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace icegate::net {

namespace {

// OpenSSL's socket BIO writes with write(2), which raises SIGPIPE on a connection the peer
// has reset; a server wants EPIPE instead.
void ignore_sigpipe_once() {
    static std::once_flag once;
    std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

constexpr std::size_t max_record = 16 * 1024;

// One SSL_write_ex of the first `count` parts: the first alone when it is the only one or
// fills a record by itself, else as many bytes of them as fit one record, copied together.
int write_gathered(SSL* ssl, const boost::asio::const_buffer* parts, std::size_t count,
                   std::size_t& n) {
    if (count == 1 || parts[0].size() >= max_record) {
        return SSL_write_ex(ssl, parts[0].data(), parts[0].size(), &n);
    }
    // The same bytes are gathered again on a retry, as OpenSSL requires.
    thread_local std::array<std::uint8_t, max_record> scratch;
    std::size_t used = 0;
    for (std::size_t i = 0; i < count && used < scratch.size(); ++i) {
        const std::size_t take = std::min(parts[i].size(), scratch.size() - used);
        std::memcpy(scratch.data() + used, parts[i].data(), take);
        used += take;
    }
    return SSL_write_ex(ssl, scratch.data(), used, &n);
}

} // namespace

tls_socket::impl::impl(boost::asio::ip::tcp::socket s, ssl_st* handle)
    : sock(std::move(s)), ssl(handle) {}

tls_socket::impl::~impl() {
    SSL_free(ssl);
}

tls_socket::tls_socket(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& ctx) {
    ignore_sigpipe_once();
    SSL* ssl = SSL_new(ctx.native_handle());
    if (ssl == nullptr) {
        throw std::runtime_error("SSL_new failed");
    }
    impl_ = std::make_shared<impl>(std::move(socket), ssl);
    boost::system::error_code ec;
    impl_->sock.non_blocking(true, ec);
    SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                          SSL_MODE_RELEASE_BUFFERS);
    if (ec || SSL_set_fd(ssl, static_cast<int>(impl_->sock.native_handle())) != 1) {
        throw std::runtime_error("tls_socket: cannot attach the socket");
    }
    SSL_set_accept_state(ssl);
}

tls_socket::~tls_socket() = default;

void tls_socket::expires_after(std::chrono::steady_clock::duration d) {
    impl& s = *impl_;
    s.timed_out = false;
    const std::uint64_t generation = ++s.deadline_generation;
    if (!s.deadline) {
        s.deadline = std::make_unique<boost::asio::steady_timer>(s.sock.get_executor());
    }
    s.deadline->expires_after(d);
    s.deadline->async_wait(
        [weak = std::weak_ptr<impl>(impl_), generation](const boost::system::error_code& ec) {
            if (ec) {
                return;
            }
            const auto strong = weak.lock();
            if (!strong || strong->deadline_generation != generation) {
                return; // a later deadline replaced this one after it had already fired
            }
            strong->timed_out = true;
            boost::system::error_code ignored;
            strong->sock.cancel(ignored); // waiting operations end with operation_aborted
        });
}

void tls_socket::expires_never() {
    ++impl_->deadline_generation;
    impl_->timed_out = false;
    impl_->deadline.reset(); // a pending wait ends with operation_aborted and finds nothing
}

boost::system::error_code tls_socket::timeout_error() noexcept {
    return boost::beast::error::timeout;
}

void tls_socket::teardown(boost::system::error_code& ec) {
    ERR_clear_error();
    SSL_shutdown(impl_->ssl);
    ERR_clear_error();
    impl_->sock.shutdown(boost::asio::socket_base::shutdown_send, ec);
}

tls_socket::step_result tls_socket::step(impl& s, step_kind kind, const control&) {
    return attempt(s, kind, {}, nullptr);
}

tls_socket::step_result tls_socket::step(impl& s, step_kind kind,
                                         const boost::asio::mutable_buffer& target) {
    return attempt(s, kind, target, nullptr);
}

tls_socket::step_result tls_socket::step(impl& s, step_kind kind, const gather& writes) {
    return attempt(s, kind, {}, &writes);
}

tls_socket::step_result tls_socket::attempt(impl& s, step_kind kind,
                                            boost::asio::mutable_buffer read_target,
                                            const gather* gathered) {
    ERR_clear_error();
    errno = 0;
    int r = 0;
    std::size_t n = 0;
    switch (kind) {
    case step_kind::handshake:
        r = SSL_do_handshake(s.ssl);
        break;
    case step_kind::shutdown:
    case step_kind::teardown:
        // 0: our close_notify is out and the peer's has not come. Calling again reads (and
        // discards what the peer still sends, such as the rest of a refused body) until it
        // comes, as asio::ssl does; the caller's deadline bounds the wait.
        r = SSL_shutdown(s.ssl);
        if (r == 0) {
            r = SSL_shutdown(s.ssl);
        }
        if (r == 1) {
            boost::system::error_code ec;
            if (kind == step_kind::teardown) {
                s.sock.shutdown(boost::asio::socket_base::shutdown_send, ec);
            }
            return {step_result::kind::done, 0, {}};
        }
        break;
    case step_kind::read:
        r = SSL_read_ex(s.ssl, read_target.data(), read_target.size(), &n);
        break;
    case step_kind::write:
        r = write_gathered(s.ssl, gathered->parts, gathered->count, n);
        break;
    }
    if (r > 0) {
        return {step_result::kind::done, n, {}};
    }
    return failure(s.ssl, r, errno);
}

tls_socket::step_result tls_socket::failure(ssl_st* ssl, int r, int saved_errno) {
    switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_WANT_READ:
        return {step_result::kind::want_read, 0, {}};
    case SSL_ERROR_WANT_WRITE:
        return {step_result::kind::want_write, 0, {}};
    case SSL_ERROR_ZERO_RETURN:
        return {step_result::kind::failed, 0, boost::asio::error::eof};
    case SSL_ERROR_SYSCALL:
        if (const unsigned long e = ERR_get_error(); e != 0) {
            return {step_result::kind::failed,
                    0,
                    {static_cast<int>(e), boost::asio::error::get_ssl_category()}};
        }
        if (saved_errno != 0) {
            return {step_result::kind::failed,
                    0,
                    {saved_errno, boost::asio::error::get_system_category()}};
        }
        return {step_result::kind::failed, 0, boost::asio::ssl::error::stream_truncated};
    default: {
        const unsigned long e = ERR_get_error();
        return {step_result::kind::failed,
                0,
                {static_cast<int>(e != 0 ? e : 1), boost::asio::error::get_ssl_category()}};
    }
    }
}

void beast_close_socket(tls_socket& s) {
    boost::system::error_code ignored;
    s.socket().close(ignored);
}

void teardown(boost::beast::role_type, tls_socket& s, boost::system::error_code& ec) {
    s.teardown(ec);
}

} // namespace icegate::net
