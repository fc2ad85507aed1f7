// signal_hub, signal_app and signal_connection: a WebSocket's frames are parsed and rate
// limited on its own worker, then posted to the room's home worker, whose room_table answers
// through each member's link (a post back to the member's worker).
#include "signal_service.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <vector>

#include <sodium.h>
#include <spdlog/spdlog.h>

#include "icegate/signal/join_token.hpp"

namespace icegate::app {

namespace {

namespace http = boost::beast::http;
using steady = std::chrono::steady_clock;

constexpr auto ping_after = std::chrono::seconds(20); // idle socket: the server pings
constexpr auto drop_after = std::chrono::seconds(45); // silent socket: dropped
constexpr auto abuse_window = std::chrono::seconds(10);
constexpr int abuse_limit = 20;         // refused frames per window before the socket closes
constexpr std::size_t max_pending = 64; // frames held while a join is on its way
// A join goes through the password pool again only when its room changed meanwhile (removed,
// made anew): a few rounds is plenty, and bounds how long one join can keep the pool busy.
constexpr int max_password_rounds = 3;

std::string random_token() {
    return signal::random_id(
        [](std::span<std::uint8_t> b) { randombytes_buf(b.data(), b.size()); });
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
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
        if (local()) {
            if (auto conn = conn_.lock()) {
                conn->send(std::move(frame));
            }
            return;
        }
        boost::asio::post(exec_, [c = conn_, f = std::move(frame)]() mutable {
            if (auto conn = c.lock()) {
                conn->send(std::move(f));
            }
        });
    }
    void close(std::uint16_t code, std::string_view reason) override {
        if (local()) {
            if (auto conn = conn_.lock()) {
                conn->close(code, reason);
            }
            return;
        }
        boost::asio::post(exec_, [c = conn_, code, r = std::string(reason)] {
            if (auto conn = c.lock()) {
                conn->close(code, r);
            }
        });
    }

private:
    bool local() const noexcept {
        const auto* e = exec_.target<boost::asio::io_context::executor_type>();
        return e != nullptr && e->running_in_this_thread();
    }

    boost::asio::any_io_executor exec_;
    std::weak_ptr<net::ws_connection> conn_;
};

struct membership {
    std::string room;
    std::string session;
};

class signal_connection : public net::ws_handler {
public:
    signal_connection(signal_hub& hub, net::ws_connection& conn,
                      std::shared_ptr<net::ws_connection> shared, std::string ip, std::string host)
        : hub_(hub), conn_(conn), link_(std::make_shared<conn_link>(conn.executor(), shared)),
          ip_(std::move(ip)), host_(std::move(host)), ice_user_(random_token()),
          bucket_(hub.config().message_rate, hub.config().message_rate * 4),
          state_(std::make_shared<shared_state>()) {
        last_rx_ = steady::now();
    }
    ~signal_connection() override { state_->alive = false; }

    void on_text(std::string_view text) override;
    void on_tick() override;
    void on_closed() override;

private:
    // What a join's completion, posted back from the home worker, may touch: it outlives the
    // connection if the socket closes first.
    struct shared_state {
        std::atomic<bool> alive{true}; // atomic: the password pool reads it too
    };

    void send(std::string text) { conn_.send(make_frame(std::move(text))); }
    void refuse(signal::errc code, std::string message,
                const std::optional<signal::message_id>& re = {});
    bool count_abuse();
    void dispatch(signal::client_message msg);
    void join(signal::join_message m);
    void joined(const signal::join_result& r, const std::string& room);
    template <class M, class F>
    void to_room(const M& m, F f);

    signal_hub& hub_;
    net::ws_connection& conn_;
    std::shared_ptr<conn_link> link_;
    std::string ip_;
    std::string host_;
    std::string ice_user_;
    signal::token_bucket bucket_;
    std::shared_ptr<shared_state> state_;
    std::optional<membership> member_;
    bool joining_ = false;
    std::vector<signal::client_message> pending_; // held while a join is in flight
    steady::time_point last_rx_;
    bool pinged_ = false;
    steady::time_point ice_due_{};
    steady::time_point abuse_start_{};
    int abuse_ = 0;
};

void signal_connection::refuse(signal::errc code, std::string message,
                               const std::optional<signal::message_id>& re) {
    send(signal::serialize(signal::error_frame{code, std::move(message)}, re));
}

// Refused frames within a window; true when the socket has been closed for abuse.
bool signal_connection::count_abuse() {
    const auto now = steady::now();
    if (now - abuse_start_ > abuse_window) {
        abuse_start_ = now;
        abuse_ = 0;
    }
    if (++abuse_ < abuse_limit) {
        return false;
    }
    spdlog::get("signal")->info("closing {}: {} refused frames in {} s", ip_, abuse_,
                                abuse_window.count());
    conn_.close(1008, "too many refused frames");
    return true;
}

void signal_connection::on_text(std::string_view text) {
    last_rx_ = steady::now();
    pinged_ = false;
    const bool within_rate = bucket_.take(last_rx_);
    signal::parse_error detail;
    auto parsed = signal::parse_client_frame(text, hub_.config().frame_limits, &detail);
    if (!within_rate) {
        if (!count_abuse()) {
            refuse(signal::errc::rate_limited, "slow down: message rate exceeded",
                   parsed ? signal::id_of(*parsed) : detail.re);
        }
        return;
    }
    if (!parsed) {
        if (!count_abuse()) {
            send(signal::serialize(detail));
        }
        return;
    }
    if (joining_ && !std::holds_alternative<signal::ping_message>(*parsed)) {
        if (pending_.size() >= max_pending) {
            return refuse(signal::errc::rate_limited, "too many frames before joined",
                          signal::id_of(*parsed));
        }
        pending_.push_back(std::move(*parsed));
        return;
    }
    dispatch(std::move(*parsed));
}

template <class M, class F>
void signal_connection::to_room(const M& m, F f) {
    if (!member_) {
        return refuse(signal::errc::bad_request, "join a room first", m.id);
    }
    hub_.post_home(member_->room, [s = member_->session, l = link_, m, f](signal::room_table& t) {
        f(t, s, l.get(), m);
    });
}

void signal_connection::dispatch(signal::client_message msg) {
    std::visit(
        [this](auto&& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, signal::ping_message>) {
                send(signal::serialize(signal::pong_frame{}, m.id));
            } else if constexpr (std::is_same_v<T, signal::pong_message>) {
                // keepalive answered: last_rx_ is already fresh
            } else if constexpr (std::is_same_v<T, signal::join_message>) {
                join(std::move(m));
            } else if constexpr (std::is_same_v<T, signal::leave_message>) {
                if (member_) {
                    hub_.post_home(member_->room,
                                   [s = member_->session, l = link_](signal::room_table& t) {
                                       t.on_leave(s, l.get());
                                   });
                    member_.reset();
                }
            } else if constexpr (std::is_same_v<T, signal::signal_message>) {
                to_room(m, [](auto& t, auto& s, auto l, auto& x) { t.on_signal(s, l, x); });
            } else if constexpr (std::is_same_v<T, signal::chat_message>) {
                to_room(m, [](auto& t, auto& s, auto l, auto& x) {
                    t.on_chat(s, l, x, signal_clock());
                });
            } else if constexpr (std::is_same_v<T, signal::state_message>) {
                to_room(m, [](auto& t, auto& s, auto l, auto& x) { t.on_state(s, l, x); });
            } else if constexpr (std::is_same_v<T, signal::app_message>) {
                to_room(m, [](auto& t, auto& s, auto l, auto& x) { t.on_app(s, l, x); });
            }
        },
        std::move(msg));
}

void signal_connection::join(signal::join_message m) {
    if (member_) {
        return refuse(signal::errc::bad_request, "already in room; send leave first", m.id);
    }
    if (!hub_.joins().allow(ip_, steady::now())) {
        return refuse(signal::errc::rate_limited, "too many joins from this address", m.id);
    }
    const auto& secret = hub_.config().join_secret;
    if (!secret.empty()) {
        if (!m.token) {
            return refuse(signal::errc::unauthorized, "this server needs a join token", m.id);
        }
        std::string why;
        const auto claims = signal::verify_join_token(*m.token, secret, unix_now(), &why);
        if (!claims) {
            return refuse(signal::errc::unauthorized, "join token refused: " + why, m.id);
        }
        if (claims->room != m.room) {
            return refuse(signal::errc::unauthorized, "join token is for another room", m.id);
        }
        m.name = claims->name;
    }
    joining_ = true;
    ice_due_ = steady::now() + hub_.ice().ttl() * 4 / 5;
    signal_hub::join_flight f;
    f.req = signal::join_request{m, link_, hub_.ice().mint(host_, ice_user_, unix_now())};
    f.wanted = std::shared_ptr<const std::atomic<bool>>(state_, &state_->alive);
    f.done = [exec = conn_.executor(), room = m.room, st = state_, self = this, hub = &hub_,
              link = link_](const signal::join_result& r) {
        boost::asio::post(exec, [r, room, st, self, hub, link] {
            if (st->alive) {
                self->joined(r, room);
            } else if (r.ok) {
                // The socket closed while the join was on its way: detach what it created.
                hub->post_home(room, [s = r.session, link](signal::room_table& t) {
                    t.on_detach(s, link.get(), signal_clock());
                });
            }
        });
    };
    hub_.join(std::move(f));
}

void signal_connection::joined(const signal::join_result& r, const std::string& room) {
    joining_ = false;
    if (r.ok) {
        member_ = membership{room, r.session};
    }
    std::size_t done = 0;
    while (done < pending_.size() && !joining_) {
        auto next = std::move(pending_[done++]);
        dispatch(std::move(next));
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
    if (pending_.empty()) {
        std::vector<signal::client_message>().swap(pending_); // idle sessions keep nothing
    }
}

void signal_connection::on_tick() {
    const auto now = steady::now();
    if (now - last_rx_ >= drop_after) {
        conn_.close(4001, "keepalive timeout");
        return;
    }
    if (now - last_rx_ >= ping_after && !pinged_) {
        pinged_ = true;
        send(signal::serialize(signal::ping_frame{}));
    }
    if (member_ && now >= ice_due_) {
        ice_due_ = now + hub_.ice().ttl() * 4 / 5;
        send(signal::serialize(signal::ice_frame{hub_.ice().mint(host_, ice_user_, unix_now())}));
    }
}

void signal_connection::on_closed() {
    state_->alive = false;
    if (member_) {
        hub_.post_home(member_->room, [s = member_->session, l = link_](signal::room_table& t) {
            t.on_detach(s, l.get(), signal_clock());
        });
        member_.reset();
    }
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

signal::clock_reading signal_clock() noexcept {
    return signal::clock_reading{steady::now(),
                                 std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count()};
}

bool origin_allowed(std::string_view origin, std::string_view host,
                    const std::vector<std::string>& allowed) {
    if (origin.empty()) {
        return true;
    }
    const std::string o = lower(origin);
    if (allowed.empty()) {
        return !host.empty() && o == "https://" + lower(host);
    }
    return std::ranges::find(allowed, o) != allowed.end();
}

signal_hub::signal_hub(settings s, std::vector<net::worker*> workers,
                       std::vector<signal::room_table*> tables,
                       std::shared_ptr<const ice_minter> ice)
    : settings_(std::move(s)), workers_(std::move(workers)), tables_(std::move(tables)),
      ice_(std::move(ice)), joins_(settings_.join_rate, settings_.join_rate * 2),
      pool_(settings_.password_threads, settings_.password_queue) {
    settings_.web.ice = ice_.get();
}

signal_hub::~signal_hub() {
    shutdown();
}

void signal_hub::shutdown() {
    pool_.stop();
}

std::size_t signal_hub::home_of(const std::string& room) const noexcept {
    return std::hash<std::string>{}(room) % workers_.size();
}

void signal_hub::join(join_flight f) {
    const std::string room = f.req.msg.room;
    post_home(room, [this, f = std::move(f)](signal::room_table& t) mutable {
        join_round(t, std::move(f));
    });
}

// On the home worker: the table's answer goes back, or the password work it asks for goes to
// the pool, whose thread sends the join round again with the verdict. The worker never hashes.
void signal_hub::join_round(signal::room_table& t, join_flight f) {
    auto r = t.join(f.req, signal_clock()); // a copy: a second round needs the request again
    if (!r.work) {
        f.done(r);
        return;
    }
    auto flight = std::make_shared<join_flight>(std::move(f));
    if (++flight->rounds <= max_password_rounds &&
        pool_.submit([this, flight, work = std::move(*r.work)] {
            if (!flight->wanted->load()) {
                return; // the connection closed: nobody waits for the answer
            }
            flight->req.verdict = signal::run_password_work(work);
            join(std::move(*flight));
        })) {
        return;
    }
    // Beyond the pool's queue, in total over all rooms and workers: the join is refused rather
    // than queued without bound.
    flight->req.conn->deliver(make_frame(signal::serialize(
        signal::error_frame{signal::errc::rate_limited, "server busy: try again later"},
        flight->req.msg.id)));
    flight->done(signal::join_result{});
}

net::http_response signal_app::handle(const net::http_request& req,
                                      const boost::asio::ip::tcp::endpoint& remote) {
    const auto target = std::string_view(req.target().data(), req.target().size());
    if (target.substr(0, target.find('?')) == "/metrics") {
        return handle_metrics_request(req, hub_.config().web, remote.address());
    }
    return handle_web_request(req, hub_.config().web, unix_now(), random_token());
}

std::unique_ptr<net::ws_handler> signal_app::accept_websocket(
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
    if (!origin_allowed(field(http::field::origin), host, hub_.config().allowed_origins)) {
        spdlog::get("signal")->info("refused WebSocket from {}: origin '{}' not allowed",
                                    remote.address().to_string(),
                                    std::string(field(http::field::origin)));
        return refuse(http::status::forbidden, "origin not allowed\n");
    }
    auto& c = *conn;
    return std::make_unique<signal_connection>(hub_, c, std::move(conn), rate_key(remote.address()),
                                               host_of_header(host));
}

} // namespace icegate::app
