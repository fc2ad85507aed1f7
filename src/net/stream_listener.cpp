// stream_listener: per-worker accept loop for TCP and TLS listeners.
#include "icegate/net/stream_listener.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <spdlog/spdlog.h>

#include "icegate/net/endpoint.hpp"
#include "icegate/net/socket_options.hpp"
#include "stream_listener_state.hpp"
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
                                 client_links& links,
                                 std::shared_ptr<boost::asio::ssl::context> tls,
                                 const stream_limits& limits)
    : acceptor_(std::move(acceptor)),
      state_(std::make_shared<stream_listener_state>(
          stream_listener_state{handler,
                                links,
                                std::move(tls),
                                limits,
                                to_transport_address(acceptor_.local_endpoint()),
                                {},
                                false})),
      pause_(acceptor_.get_executor()) {}

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

void stream_listener::set_tls(std::shared_ptr<boost::asio::ssl::context> tls) {
    if (state_->tls && tls) {
        state_->tls = std::move(tls);
    }
}

void stream_listener::close() {
    if (state_->closed) {
        return;
    }
    state_->closed = true;
    pause_.cancel();
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    const std::vector<session_base*> open(state_->sessions.begin(), state_->sessions.end());
    for (auto* s : open) {
        s->close();
    }
}

void stream_listener::stop_accepting() {
    accepting_ = false;
    pause_.cancel();
    boost::system::error_code ignored;
    acceptor_.close(ignored); // the pending accept completes with operation_aborted
}

void stream_listener::do_accept() {
    acceptor_.async_accept(
        [this, st = state_](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
            if (!st->closed && accepting_) {
                on_accept(ec, std::move(socket));
            }
        });
}

void stream_listener::on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
    if (ec) {
        if (pause_.pause_if_exhausted(ec, state_->local.to_string(), [this, st = state_] {
                if (!st->closed && accepting_) {
                    do_accept();
                }
            })) {
            return;
        }
        spdlog::debug("accept on {}: {}", state_->local.to_string(), ec.message());
        return do_accept();
    }
    auto a = admit(socket, state_->sessions.size(), state_->limits.max_connections,
                   state_->limits.per_source);
    if (a) {
        start_session(std::move(socket), to_transport_address(a->remote), std::move(a->ticket));
    }
    do_accept();
}

} // namespace icegate::net

namespace icegate::net {

void stream_listener::start_session(boost::asio::ip::tcp::socket socket,
                                    const stun::transport_address& peer, source_ticket ticket) {
    if (state_->tls) {
        using tls_stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
        std::make_shared<stream_session<tls_stream>>(tls_stream(std::move(socket), *state_->tls),
                                                     state_, peer, std::move(ticket))
            ->start();
    } else {
        std::make_shared<stream_session<boost::asio::ip::tcp::socket>>(std::move(socket), state_,
                                                                       peer, std::move(ticket))
            ->start();
    }
}

} // namespace icegate::net
