// Blocking I/O with one deadline for the probe's steps: Asio operations run one at a time on the
// caller's io_context until they complete or the deadline passes (a CLI, not the server), and
// the links a STUN/TURN client sends and receives on (UDP datagrams, TCP or TLS frames).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/system/error_code.hpp>

#include "icegate/probe/probe_target.hpp"

namespace icegate::probe::detail {

using clock = std::chrono::steady_clock;

// A step that could not complete; what() is the detail its line prints.
class step_failure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct completion_state {
    std::optional<boost::system::error_code> ec;
    std::size_t bytes = 0;
};

// The handler every operation gets: records the error and the bytes moved, ignores the rest
// (resolver results, the connected endpoint).
struct completion_handler {
    completion_state* state;
    void operator()(const boost::system::error_code& ec) const { state->ec = ec; }
    void operator()(const boost::system::error_code& ec, std::size_t n) const {
        state->ec = ec;
        state->bytes = n;
    }
    template <class T>
    void operator()(const boost::system::error_code& ec, const T&) const {
        state->ec = ec;
    }
};

// Starts `start(handler)` and runs `io` until the handler ran or `until` passed; then `cancel()`
// aborts the operation, which is drained before returning (the handler points at this frame).
// Returns the operation's error (timed_out when `until` passed) and the bytes it moved.
template <class Start, class Cancel>
std::pair<boost::system::error_code, std::size_t>
run_until(boost::asio::io_context& io, clock::time_point until, Start&& start, Cancel&& cancel) {
    completion_state st;
    start(completion_handler{&st});
    io.restart();
    while (!st.ec && io.run_one_until(until) > 0) {
    }
    if (st.ec) {
        return {*st.ec, st.bytes};
    }
    cancel();
    io.restart();
    while (!st.ec && io.run_one() > 0) {
    }
    return {boost::asio::error::timed_out, st.bytes};
}

// The addresses of `t.host` (an IP literal is taken as is). Throws step_failure.
std::vector<boost::asio::ip::tcp::endpoint> resolve(boost::asio::io_context& io, const target& t,
                                                    clock::time_point deadline);

// What a STUN/TURN client talks through.
class link {
public:
    explicit link(clock::time_point deadline) : deadline_(deadline) {}
    virtual ~link() = default;
    link(const link&) = delete;
    link& operator=(const link&) = delete;

    // Throws step_failure (a closed or refused connection, the deadline).
    virtual void send(std::span<const std::uint8_t> bytes) = 0;
    // The next datagram, or the next STUN message or ChannelData of the stream, valid until the
    // next call; nullopt when nothing came by `until` (streams wait for the deadline). Throws
    // step_failure on errors other than the wait running out.
    virtual std::optional<std::span<const std::uint8_t>> receive(clock::time_point until) = 0;
    // Streams never lose a message: requests are not retransmitted; ChannelData is padded.
    virtual bool is_stream() const = 0;

    clock::time_point deadline() const { return deadline_; }

private:
    clock::time_point deadline_;
};

// A connected link to `t` (udp, tcp or tls); `detail` receives what the connect step prints
// ("TLS 1.3, certificate verified"). Throws step_failure.
std::unique_ptr<link> open_link(boost::asio::io_context& io, const target& t,
                                const tls_trust& trust, clock::time_point deadline,
                                std::string* detail);

// A TLS client context for `t` and `trust` (TLS 1.2 minimum). Throws step_failure.
boost::asio::ssl::context make_client_context(const tls_trust& trust);

using tls_stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

// Connects the stream's socket to one of `endpoints` and runs the TLS handshake: SNI and the
// host name check for names, the SPKI pin or --insecure as `trust` says. Returns the detail of
// the connect step. Throws step_failure naming what failed.
std::string connect_tls(boost::asio::io_context& io, tls_stream& stream, const target& t,
                        const tls_trust& trust, clock::time_point deadline);

// Closes without throwing: what a deadline does to a stream.
inline void close_quietly(boost::asio::ip::tcp::socket& s) {
    boost::system::error_code ignored;
    s.close(ignored);
}

// "connection refused", "timed out": the text of a socket error for a step's detail.
std::string describe(const boost::system::error_code& ec);

} // namespace icegate::probe::detail
