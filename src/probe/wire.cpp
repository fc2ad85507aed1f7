// Resolution, UDP/TCP/TLS links and the TLS client side (verification, SPKI pin) of the probe.
#include "wire.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "icegate/net/tls_material.hpp"
#include "icegate/stun/message_type.hpp"
#include "icegate/stun/stream_framer.hpp"

namespace icegate::probe::detail {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

// A UDP datagram at most (and the largest STUN message).
constexpr std::size_t max_datagram = 65536;

// One connected UDP socket: a refused port shows up as ECONNREFUSED on receive.
class udp_link final : public link {
public:
    udp_link(asio::io_context& io, const tcp::endpoint& to, clock::time_point deadline)
        : link(deadline), io_(io), socket_(io), buffer_(max_datagram) {
        const udp::endpoint peer(to.address(), to.port());
        boost::system::error_code ec;
        socket_.open(peer.protocol(), ec);
        if (!ec) {
            socket_.connect(peer, ec);
        }
        if (ec) {
            throw step_failure("cannot open a UDP socket to " + to.address().to_string() + ": " +
                               describe(ec));
        }
    }

    void send(std::span<const std::uint8_t> bytes) override {
        boost::system::error_code ec;
        socket_.send(asio::buffer(bytes.data(), bytes.size()), 0, ec);
        if (ec) {
            throw step_failure("send: " + describe(ec));
        }
    }

    std::optional<std::span<const std::uint8_t>> receive(clock::time_point until) override {
        const auto [ec, n] = run_until(
            io_, std::min(until, deadline()),
            [&](auto handler) { socket_.async_receive(asio::buffer(buffer_), handler); },
            [&] {
                boost::system::error_code ignored;
                socket_.cancel(ignored);
            });
        if (ec == asio::error::timed_out) {
            return std::nullopt;
        }
        if (ec) {
            throw step_failure(describe(ec));
        }
        return std::span<const std::uint8_t>(buffer_.data(), n);
    }

    bool is_stream() const override { return false; }

private:
    asio::io_context& io_;
    udp::socket socket_;
    std::vector<std::uint8_t> buffer_;
};

template <class Stream>
tcp::socket& lowest(Stream& s) {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
        return s;
    } else {
        return s.next_layer();
    }
}

// TCP or TLS: frames cut with stun::next_frame, as the server cuts them.
template <class Stream>
class stream_link final : public link {
public:
    // `anchor` keeps alive what the stream was built from (the TLS context).
    template <class... Args>
    stream_link(asio::io_context& io, clock::time_point deadline, std::shared_ptr<void> anchor,
                Args&&... args)
        : link(deadline), io_(io), anchor_(std::move(anchor)),
          stream_(std::forward<Args>(args)...) {}

    Stream& stream() { return stream_; }

    void send(std::span<const std::uint8_t> bytes) override {
        const auto [ec, n] = run_until(
            io_, deadline(),
            [&](auto handler) {
                asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()), handler);
            },
            [&] { close_quietly(lowest(stream_)); });
        if (ec) {
            throw step_failure("send: " + describe(ec));
        }
    }

    std::optional<std::span<const std::uint8_t>> receive(clock::time_point) override {
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
        consumed_ = 0;
        for (;;) {
            const auto frame = stun::next_frame(buffer_);
            if (!frame) {
                throw step_failure("the server sent bytes that are neither STUN nor ChannelData");
            }
            if (frame->size <= buffer_.size()) {
                consumed_ = frame->size;
                return std::span<const std::uint8_t>(buffer_.data(), frame->message_size);
            }
            if (!read_more(frame->size)) {
                return std::nullopt;
            }
        }
    }

    bool is_stream() const override { return true; }

private:
    bool read_more(std::size_t wanted) {
        const std::size_t have = buffer_.size();
        buffer_.resize(std::max(wanted, have + 4096));
        const auto [ec, n] = run_until(
            io_, deadline(),
            [&](auto handler) {
                stream_.async_read_some(asio::buffer(buffer_.data() + have, buffer_.size() - have),
                                        handler);
            },
            [&] { close_quietly(lowest(stream_)); });
        buffer_.resize(have + n);
        if (ec == asio::error::timed_out) {
            return false;
        }
        if (ec) {
            throw step_failure(ec == asio::error::eof ? "the server closed the connection"
                                                      : "receive: " + describe(ec));
        }
        return true;
    }

    asio::io_context& io_;
    std::shared_ptr<void> anchor_;
    Stream stream_;
    std::vector<std::uint8_t> buffer_;
    std::size_t consumed_ = 0; // the frame handed out last, dropped on the next call
};

void connect_tcp(asio::io_context& io, tcp::socket& socket, const target& t,
                 clock::time_point deadline) {
    const auto endpoints = resolve(io, t, deadline);
    const auto [ec, n] = run_until(
        io, deadline, [&](auto handler) { asio::async_connect(socket, endpoints, handler); },
        [&] { close_quietly(socket); });
    if (ec) {
        throw step_failure("TCP connect: " + describe(ec));
    }
    // Each request is one small write answered before the next: Nagle would only add delay
    // to what the step times.
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
}

bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

std::string handshake_failure(tls_stream& stream, const boost::system::error_code& ec,
                              const tls_trust& trust) {
    const long verify = SSL_get_verify_result(stream.native_handle());
    if (verify != X509_V_OK) {
        return std::string("TLS handshake: certificate not trusted: ") +
               X509_verify_cert_error_string(verify) +
               (trust.pin_problem.empty()
                    ? " (a self-signed certificate needs --insecure, --ca FILE, or -c CONFIG)"
                    : " (" + trust.pin_problem + ")");
    }
    return "TLS handshake: " + describe(ec);
}

} // namespace

std::string describe(const boost::system::error_code& ec) {
    if (ec == asio::error::timed_out) {
        return "no answer within the timeout";
    }
    if (ec == asio::error::connection_refused) {
        return "connection refused (nothing listens there?)";
    }
    return ec.message();
}

std::vector<tcp::endpoint> resolve(asio::io_context& io, const target& t,
                                   clock::time_point deadline) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(t.host, ec);
    if (!ec) {
        return {tcp::endpoint(address, t.port)};
    }
    tcp::resolver resolver(io);
    tcp::resolver::results_type results;
    const auto [rec, n] = run_until(
        io, deadline,
        [&](auto handler) {
            resolver.async_resolve(t.host, std::to_string(t.port),
                                   [&results, handler](const boost::system::error_code& e,
                                                       tcp::resolver::results_type r) {
                                       results = std::move(r);
                                       handler(e);
                                   });
        },
        [&] { resolver.cancel(); }); // cancel() does not throw
    if (rec || results.empty()) {
        throw step_failure("cannot resolve " + t.host + ": " + describe(rec));
    }
    std::vector<tcp::endpoint> out;
    for (const auto& r : results) {
        out.push_back(r.endpoint());
    }
    return out;
}

asio::ssl::context make_client_context(const tls_trust& trust) {
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    boost::system::error_code ec;
    if (trust.insecure || !trust.spki_pin.empty()) {
        // The pin is checked after the handshake: it trusts a key, not a chain or a name.
        ctx.set_verify_mode(asio::ssl::verify_none);
        return ctx;
    }
    ctx.set_default_verify_paths(ec);
    if (!trust.ca_file.empty()) {
        ctx.load_verify_file(trust.ca_file, ec);
        if (ec) {
            throw step_failure("cannot load --ca " + trust.ca_file + ": " + ec.message());
        }
    }
    ctx.set_verify_mode(asio::ssl::verify_peer);
    return ctx;
}

std::string connect_tls(asio::io_context& io, tls_stream& stream, const target& t,
                        const tls_trust& trust, clock::time_point deadline) {
    connect_tcp(io, stream.next_layer(), t, deadline);
    if (!is_ip_literal(t.host)) {
        SSL_set_tlsext_host_name(stream.native_handle(), t.host.c_str());
    }
    if (!trust.insecure && trust.spki_pin.empty()) {
        stream.set_verify_callback(asio::ssl::host_name_verification(t.host));
    }
    const auto [ec, n] = run_until(
        io, deadline,
        [&](auto handler) { stream.async_handshake(asio::ssl::stream_base::client, handler); },
        [&] { close_quietly(stream.next_layer()); });
    if (ec) {
        throw step_failure(handshake_failure(stream, ec, trust));
    }
    std::string detail = SSL_get_version(stream.native_handle());
    if (trust.insecure) {
        return detail + ", certificate not checked (--insecure)";
    }
    if (!trust.spki_pin.empty()) {
        const X509* cert = SSL_get0_peer_certificate(stream.native_handle());
        const std::string got = cert != nullptr ? net::spki_sha256_base64(*cert) : "";
        if (got != trust.spki_pin) {
            throw step_failure("TLS: the server's key (SPKI " + got +
                               ") is not the config's certificate (SPKI " + trust.spki_pin + ")");
        }
        return detail + ", certificate matches the config's (SPKI pin)";
    }
    return detail + ", certificate verified";
}

std::unique_ptr<link> open_link(asio::io_context& io, const target& t, const tls_trust& trust,
                                clock::time_point deadline, std::string* detail) {
    if (t.transport == transport::udp) {
        return std::make_unique<udp_link>(io, resolve(io, t, deadline).front(), deadline);
    }
    if (t.transport == transport::tcp) {
        auto l = std::make_unique<stream_link<tcp::socket>>(io, deadline, nullptr, io);
        connect_tcp(io, l->stream(), t, deadline);
        *detail = "TCP";
        return l;
    }
    auto ctx = std::make_shared<asio::ssl::context>(make_client_context(trust));
    auto l = std::make_unique<stream_link<tls_stream>>(io, deadline, ctx, io, *ctx);
    *detail = connect_tls(io, l->stream(), t, trust, deadline);
    return l;
}

} // namespace icegate::probe::detail
