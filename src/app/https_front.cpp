// https_front and the glue between a WebSocket and its signal::session: the session decides,
// this file carries its frames to the socket and its room work to the room's home worker.
#include "https_front.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string_view>

#include <spdlog/spdlog.h>

#include "icegate/signal/credential_user.hpp"
#include "icegate/web/origin.hpp"

namespace icegate::app {

namespace {

namespace http = boost::beast::http;

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

signal::frame_ptr make_frame(std::string text) {
    return std::make_shared<const std::string>(std::move(text));
}

// A member's way back to its WebSocket, used on the room's home worker: a call for a socket of
// this same worker goes straight to it, any other is posted to the socket's worker.
class conn_link : public signal::link {
public:
    conn_link(boost::asio::any_io_executor exec, std::weak_ptr<net::ws_connection> conn)
        : exec_(std::move(exec)), conn_(std::move(conn)) {}
    void deliver(signal::frame_ptr frame) override {
        run([f = std::move(frame)](net::ws_connection& c) mutable { c.send(std::move(f)); });
    }
    void close(std::uint16_t code, std::string_view reason) override {
        run([code, r = std::string(reason)](net::ws_connection& c) { c.close(code, r); });
    }

private:
    template <class F>
    void run(F&& f) {
        const auto* e = exec_.target<boost::asio::io_context::executor_type>();
        if (e != nullptr && e->running_in_this_thread()) {
            if (auto conn = conn_.lock()) {
                f(*conn);
            }
            return;
        }
        boost::asio::post(exec_, [c = conn_, f = std::forward<F>(f)]() mutable {
            if (auto conn = c.lock()) {
                f(*conn);
            }
        });
    }

    boost::asio::any_io_executor exec_;
    std::weak_ptr<net::ws_connection> conn_;
};

// One WebSocket paired with its session: socket events in, the session's requests out.
class session_socket final : public net::ws_handler, public signal::session_port {
public:
    session_socket(std::shared_ptr<const front_settings> fs, room_router& router,
                   net::ws_connection& conn, std::shared_ptr<net::ws_connection> shared,
                   std::string ip, std::string host)
        : fs_(std::move(fs)), router_(router), conn_(conn),
          link_(std::make_shared<conn_link>(conn.executor(), std::move(shared))),
          ip_(std::move(ip)), host_(std::move(host)),
          session_(fs_->session, *this, link_, signal_clock()) {}
    ~session_socket() override { *alive_ = false; }

    void on_text(std::string_view text) override { session_.on_text(text, signal_clock()); }
    void on_tick() override { session_.on_tick(signal_clock()); }
    void on_closed() override {
        *alive_ = false;
        session_.on_closed();
    }

    void send(std::string frame) override { conn_.send(make_frame(std::move(frame))); }
    void close(std::uint16_t code, std::string_view reason) override { conn_.close(code, reason); }
    bool allow_join(signal::steady_time now) override { return router_.joins().allow(ip_, now); }
    signal::ice_mint ice_for(std::int64_t unix_now) override {
        // The credentials carry the session's tag as their user part: the server revokes them
        // when the member is gone for good, and limits.user_quota counts per session.
        return [ice = fs_->ice, host = host_, unix_now](const std::string& session) {
            return ice->mint(host, signal::session_credential_user(session), unix_now);
        };
    }
    void start_join(signal::join_request req) override;
    void to_room(const std::string& room, signal::room_work work) override {
        router_.post_home(room,
                          [w = std::move(work)](signal::room_table& t) { w(t, signal_clock()); });
    }
    void abuse_closed(int refused, std::chrono::seconds window) override {
        spdlog::get("signal")->info("closing {}: {} refused frames in {} s", ip_, refused,
                                    window.count());
    }
    void join_refused(const std::string& room, std::string_view why) override {
        router_.refused_joins().refused(ip_, room, why, std::chrono::steady_clock::now());
    }

private:
    std::shared_ptr<const front_settings> fs_; // this socket's snapshot, kept while it lives
    room_router& router_;
    net::ws_connection& conn_;
    std::shared_ptr<conn_link> link_;
    std::string ip_;
    std::string host_;
    // What a join's completion, posted back from the home worker, may touch: it outlives this
    // object if the socket closes first. Atomic: the password pool reads it too.
    std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
    signal::session session_; // last: its port (*this) is whole when it is made
};

void session_socket::start_join(signal::join_request req) {
    room_router::join_flight f;
    const std::string room = req.msg.room;
    f.req = std::move(req);
    f.wanted = alive_;
    f.done = [exec = conn_.executor(), room, alive = alive_, self = this, router = &router_,
              link = link_, ip = ip_](const signal::join_result& r) {
        boost::asio::post(exec, [r, room, alive, self, router, link, ip] {
            if (*alive) {
                self->session_.on_join_done(r, room, signal_clock());
            } else if (!r.ok) {
                // The client got its error and left before this came back: still a line.
                router->refused_joins().refused(
                    ip, room, r.refused.empty() ? std::string_view("refused") : r.refused,
                    std::chrono::steady_clock::now());
            } else {
                // The socket closed while the join was on its way: detach what it created.
                router->post_home(room, [s = r.session, link](signal::room_table& t) {
                    t.on_detach(s, link.get(), signal_clock());
                });
            }
        });
    };
    router_.join(std::move(f));
}

// The join limiter's key: an IPv4 address, or the /64 of an IPv6 one (one host commonly has a
// whole /64 to pick addresses from).
std::string rate_key(const boost::asio::ip::address& a) {
    if (a.is_v4() || a.to_v6().is_v4_mapped()) {
        return a.is_v4() ? a.to_string()
                         : boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6())
                               .to_string();
    }
    auto bytes = a.to_v6().to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

} // namespace

net::http_response https_front::handle(const net::http_request& req,
                                       const boost::asio::ip::tcp::endpoint& remote) {
    const auto target = std::string_view(req.target().data(), req.target().size());
    if (target.substr(0, target.find('?')) == "/metrics") {
        return handle_metrics_request(req, settings_->web, remote.address());
    }
    return handle_web_request(req, settings_->web, unix_now());
}

std::unique_ptr<net::ws_handler> https_front::accept_websocket(
    const net::http_request& req, const boost::asio::ip::tcp::endpoint& remote,
    std::shared_ptr<net::ws_connection> conn, net::http_response& refusal) {
    const auto target = std::string_view(req.target().data(), req.target().size());
    auto refuse = [&](http::status status, std::string body) {
        refusal = net::http_response(status, req.version());
        refusal.set(http::field::content_type, "text/plain; charset=utf-8");
        add_security_headers(refusal);
        refusal.body() = std::move(body);
        return nullptr;
    };
    if (target.substr(0, target.find('?')) != "/ws") {
        return refuse(http::status::not_found, "not found\n");
    }
    const auto field = [&](http::field f) {
        const auto v = req[f];
        return std::string_view(v.data(), v.size());
    };
    const std::string_view host = field(http::field::host);
    if (!origin_allowed(field(http::field::origin), host, settings_->allowed_origins)) {
        spdlog::get("signal")->info("refused WebSocket from {}: origin '{}' not allowed",
                                    remote.address().to_string(),
                                    std::string(field(http::field::origin)));
        return refuse(http::status::forbidden, "origin not allowed\n");
    }
    auto& c = *conn;
    return std::make_unique<session_socket>(settings_, router_, c, std::move(conn),
                                            rate_key(remote.address()), host_of_header(host));
}

} // namespace icegate::app
