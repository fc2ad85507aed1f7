// stream_listener: per-worker accept loop for TCP and TLS listeners.
#include "icegate/net/stream_listener.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <spdlog/spdlog.h>

#include "icegate/net/endpoint.hpp"
#include "icegate/net/socket_options.hpp"
#include "stream_session.hpp"

namespace icegate::net {

boost::asio::ip::tcp::acceptor open_tcp_acceptor(boost::asio::io_context& io,
                                                 const boost::asio::ip::tcp::endpoint& ep) {
    boost::asio::ip::tcp::acceptor a(io);
    a.open(ep.protocol());
    a.set_option(reuse_port(true));
    a.set_option(boost::asio::socket_base::reuse_address(true));
    if (ep.address().is_v6()) {
        a.set_option(boost::asio::ip::v6_only(true));
    }
    a.bind(ep);
    a.listen(boost::asio::socket_base::max_listen_connections);
    return a;
}

stream_listener::stream_listener(boost::asio::ip::tcp::acceptor acceptor, packet_handler& handler,
                                 worker_io& io, std::shared_ptr<boost::asio::ssl::context> tls,
                                 const stream_limits& limits)
    : acceptor_(std::move(acceptor)),
      state_(std::make_shared<state>(state{handler,
                                           io,
                                           std::move(tls),
                                           limits,
                                           to_transport_address(acceptor_.local_endpoint()),
                                           {},
                                           false})) {}

stream_listener::~stream_listener() {
    close();
}

boost::asio::ip::tcp::endpoint stream_listener::local_endpoint() const {
    return acceptor_.local_endpoint();
}

std::size_t stream_listener::connections() const noexcept {
    return state_->sessions.size();
}

void stream_listener::start() {
    do_accept();
}

void stream_listener::close() {
    if (state_->closed) {
        return;
    }
    state_->closed = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    const std::vector<session_base*> open(state_->sessions.begin(), state_->sessions.end());
    for (auto* s : open) {
        s->close();
    }
}

void stream_listener::do_accept() {
    acceptor_.async_accept(
        [this, st = state_](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
            if (st->closed) {
                return;
            }
            if (ec) {
                spdlog::debug("accept on {}: {}", st->local.to_string(), ec.message());
            } else if (st->sessions.size() >= st->limits.max_connections) {
                socket.close(ec);
            } else {
                socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
                const auto peer = to_transport_address(socket.remote_endpoint(ec));
                if (!ec) {
                    start_session(std::move(socket), peer);
                }
            }
            do_accept();
        });
}

} // namespace icegate::net

namespace icegate::net {

void stream_listener::start_session(boost::asio::ip::tcp::socket socket,
                                    const stun::transport_address& peer) {
    if (state_->tls) {
        using tls_stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
        std::make_shared<stream_session<tls_stream>>(tls_stream(std::move(socket), *state_->tls),
                                                     state_, peer)
            ->start();
    } else {
        std::make_shared<stream_session<boost::asio::ip::tcp::socket>>(std::move(socket), state_,
                                                                       peer)
            ->start();
    }
}

} // namespace icegate::net
