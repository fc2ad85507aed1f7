// https_listener: a worker's accept loop on http.listen; each connection becomes an
// http_session (TLS handshake, then HTTP/1.1 requests).
#include "icegate/net/https_listener.hpp"

#include <vector>

#include <spdlog/spdlog.h>

#include "http_session.hpp"
#include "https_listener_state.hpp"

namespace icegate::net {

https_listener::https_listener(boost::asio::ip::tcp::acceptor acceptor,
                               std::shared_ptr<boost::asio::ssl::context> tls, http_app& app,
                               const http_limits& limits)
    : acceptor_(std::move(acceptor)), tick_(acceptor_.get_executor()),
      state_(std::make_shared<https_listener_state>(
          https_listener_state{std::move(tls), app, limits, {}, false, false, 0})),
      pause_(acceptor_.get_executor()) {}

https_listener::~https_listener() {
    close();
}

boost::asio::ip::tcp::endpoint https_listener::local_endpoint() const {
    return acceptor_.local_endpoint();
}

std::size_t https_listener::connections() const noexcept {
    return state_->sessions.size();
}

void https_listener::start() {
    do_accept();
    arm_tick();
}

void https_listener::arm_tick() {
    tick_.expires_after(https_tick_interval);
    tick_.async_wait([this, st = state_](const boost::system::error_code& ec) {
        if (ec || st->closed) {
            return;
        }
        // A tick may end sessions; one destroyed meanwhile has left the set.
        const std::vector<https_session_base*> open(st->sessions.begin(), st->sessions.end());
        for (auto* s : open) {
            if (st->sessions.contains(s)) {
                s->tick();
            }
        }
        arm_tick();
    });
}

void https_listener::set_tls(std::shared_ptr<boost::asio::ssl::context> tls) {
    if (tls) {
        state_->tls = std::move(tls);
    }
}

void https_listener::close() {
    if (state_->closed) {
        return;
    }
    state_->closed = true;
    tick_.cancel();
    pause_.cancel();
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    const std::vector<https_session_base*> open(state_->sessions.begin(), state_->sessions.end());
    for (auto* s : open) {
        s->shutdown();
    }
}

void https_listener::stop_accepting() {
    accepting_ = false;
    pause_.cancel();
    boost::system::error_code ignored;
    acceptor_.close(ignored); // the pending accept completes with operation_aborted
}

std::size_t https_listener::websockets() const noexcept {
    return state_->websockets;
}

void https_listener::drain(std::shared_ptr<const std::string> goaway) {
    if (state_->closed || state_->draining) {
        return;
    }
    state_->draining = true;
    // drain() may end a session (one still in its handshake): iterate over a copy.
    const std::vector<https_session_base*> open(state_->sessions.begin(), state_->sessions.end());
    for (auto* s : open) {
        if (state_->sessions.contains(s)) {
            s->drain(goaway);
        }
    }
}

void https_listener::do_accept() {
    acceptor_.async_accept(
        [this, st = state_](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
            if (!st->closed && accepting_) {
                on_accept(ec, std::move(socket));
            }
        });
}

void https_listener::on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
    if (ec) {
        if (pause_.pause_if_exhausted(ec, "http.listen", [this, st = state_] {
                if (!st->closed && accepting_) {
                    do_accept();
                }
            })) {
            return;
        }
        spdlog::debug("https accept: {}", ec.message());
        return do_accept();
    }
    auto a = admit(socket, state_->sessions.size(), state_->limits.max_connections,
                   state_->limits.per_source);
    if (a) {
        std::make_shared<http_session>(std::move(socket), state_, std::move(a->ticket))->start();
    }
    do_accept();
}

} // namespace icegate::net
