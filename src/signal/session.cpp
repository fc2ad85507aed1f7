// signal::session: parse, rate-limit and route one WebSocket's frames; keepalive and ICE
// refresh on the tick. Frames of one session for one room take one path (port.to_room), so
// their order holds.
#include "icegate/signal/session.hpp"

#include <type_traits>
#include <utility>
#include <variant>

#include "icegate/signal/join_token.hpp"

namespace icegate::signal {

namespace {

std::int64_t unix_seconds(const clock_reading& clock) {
    return clock.wall_ms / 1000;
}

} // namespace

session::session(const session_settings& settings, session_port& port, std::shared_ptr<link> self,
                 const clock_reading& clock)
    : settings_(settings), port_(port), self_(std::move(self)),
      bucket_(settings.message_rate, settings.message_rate * 4), last_rx_(clock.now) {}

void session::refuse(errc code, std::string message, const std::optional<message_id>& re) {
    send(serialize(error_frame{code, std::move(message)}, re));
}

void session::refuse_join(const join_message& m, errc code, std::string message) {
    port_.join_refused(m.room, message);
    refuse(code, std::move(message), m.id);
}

// Refused frames within a window; true when the socket has been closed for abuse.
bool session::count_abuse(steady_time now) {
    if (now - abuse_start_ > settings_.abuse_window) {
        abuse_start_ = now;
        abuse_ = 0;
    }
    if (++abuse_ < settings_.abuse_limit) {
        return false;
    }
    port_.abuse_closed(abuse_, settings_.abuse_window);
    port_.close(1008, "too many refused frames");
    return true;
}

void session::on_text(std::string_view text, const clock_reading& clock) {
    last_rx_ = clock.now;
    pinged_ = false;
    const bool within_rate = bucket_.take(clock.now);
    parse_error detail;
    auto parsed = parse_client_frame(text, settings_.frame_limits, &detail);
    if (!within_rate) {
        if (!count_abuse(clock.now)) {
            refuse(errc::rate_limited, "slow down: message rate exceeded",
                   parsed ? id_of(*parsed) : detail.re);
        }
        return;
    }
    if (!parsed) {
        if (!count_abuse(clock.now)) {
            send(serialize(detail));
        }
        return;
    }
    if (joining_ && !std::holds_alternative<ping_message>(*parsed)) {
        if (pending_.size() >= settings_.max_pending) {
            return refuse(errc::rate_limited, "too many frames before joined", id_of(*parsed));
        }
        pending_.push_back(std::move(*parsed));
        return;
    }
    dispatch(std::move(*parsed), clock);
}

template <class M, class F>
void session::to_room(const M& m, F f) {
    if (!room_) {
        return refuse(errc::bad_request, "join a room first", m.id);
    }
    port_.to_room(*room_, [s = member_, l = self_, m, f](room_table& t, const clock_reading& c) {
        f(t, s, l.get(), m, c);
    });
}

void session::leave() {
    if (!room_) {
        return;
    }
    port_.to_room(*room_, [s = member_, l = self_](room_table& t, const clock_reading&) {
        t.on_leave(s, l.get());
    });
    room_.reset();
    member_.clear();
}

void session::dispatch(client_message msg, const clock_reading& clock) {
    std::visit(
        [this, &clock](auto&& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, ping_message>) {
                send(serialize(pong_frame{}, m.id));
            } else if constexpr (std::is_same_v<T, pong_message>) {
                // keepalive answered: last_rx_ is already fresh
            } else if constexpr (std::is_same_v<T, join_message>) {
                join(std::move(m), clock);
            } else if constexpr (std::is_same_v<T, leave_message>) {
                leave();
            } else if constexpr (std::is_same_v<T, signal_message>) {
                to_room(m, [](auto& t, auto& s, auto l, auto& x, auto&) { t.on_signal(s, l, x); });
            } else if constexpr (std::is_same_v<T, chat_message>) {
                to_room(m,
                        [](auto& t, auto& s, auto l, auto& x, auto& c) { t.on_chat(s, l, x, c); });
            } else if constexpr (std::is_same_v<T, state_message>) {
                to_room(m, [](auto& t, auto& s, auto l, auto& x, auto&) { t.on_state(s, l, x); });
            } else if constexpr (std::is_same_v<T, app_message>) {
                to_room(m, [](auto& t, auto& s, auto l, auto& x, auto&) { t.on_app(s, l, x); });
            }
        },
        std::move(msg));
}

void session::join(join_message m, const clock_reading& clock) {
    if (room_) {
        return refuse_join(m, errc::bad_request, "already in room; send leave first");
    }
    if (!port_.allow_join(clock.now)) {
        return refuse_join(m, errc::rate_limited, "too many joins from this address");
    }
    if (!settings_.join_secret.empty()) {
        if (!m.token) {
            return refuse_join(m, errc::unauthorized, "this server needs a join token");
        }
        std::string why;
        const auto claims =
            verify_join_token(*m.token, settings_.join_secret, unix_seconds(clock), &why);
        if (!claims) {
            return refuse_join(m, errc::unauthorized, "join token refused: " + why);
        }
        if (claims->room != m.room) {
            return refuse_join(m, errc::unauthorized, "join token is for another room");
        }
        m.name = claims->name;
    }
    joining_ = true;
    ice_due_ = clock.now + settings_.ice_refresh;
    join_request req{std::move(m), self_, {}};
    req.mint = port_.ice_for(unix_seconds(clock));
    port_.start_join(std::move(req));
}

void session::on_join_done(const join_result& r, const std::string& room,
                           const clock_reading& clock) {
    joining_ = false;
    if (r.ok) {
        room_ = room;
        member_ = r.session;
    } else {
        port_.join_refused(room, r.refused.empty() ? std::string_view("refused") : r.refused);
    }
    std::size_t done = 0;
    while (done < pending_.size() && !joining_) {
        auto next = std::move(pending_[done++]);
        dispatch(std::move(next), clock);
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
    if (pending_.empty()) {
        std::vector<client_message>().swap(pending_); // idle sessions keep nothing
    }
}

void session::on_tick(const clock_reading& clock) {
    if (clock.now - last_rx_ >= settings_.drop_after) {
        port_.close(4001, "keepalive timeout");
        return;
    }
    if (clock.now - last_rx_ >= settings_.ping_after && !pinged_) {
        pinged_ = true;
        send(serialize(ping_frame{}));
    }
    if (room_ && clock.now >= ice_due_) {
        ice_due_ = clock.now + settings_.ice_refresh;
        send(serialize(ice_frame{port_.ice_for(unix_seconds(clock))(member_)}));
    }
}

void session::on_closed() {
    if (room_) {
        port_.to_room(*room_, [s = member_, l = self_](room_table& t, const clock_reading& c) {
            t.on_detach(s, l.get(), c);
        });
        room_.reset();
        member_.clear();
    }
}

} // namespace icegate::signal
