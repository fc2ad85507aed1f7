// One signaling session: what a WebSocket's frames mean before they reach a room (design.md
// sections 2 and 3). Sans-I/O: frames and a clock come in; frames for the own socket, work for
// the room's home table and closes go out through a `session_port`. The I/O layer (src/app)
// owns the socket and the workers; this object owns the behaviour: join and its pending
// frames, the message rate, abuse counting, keepalive, ICE refresh.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "icegate/signal/protocol.hpp"
#include "icegate/signal/rate_limiter.hpp"
#include "icegate/signal/room_table.hpp"

namespace icegate::signal {

struct session_settings {
    double message_rate = 50; // frames per second; burst 4x
    limits frame_limits;
    std::string join_secret;               // non-empty: every join needs a token signed with it
    std::chrono::seconds ping_after{20};   // idle socket: the server pings
    std::chrono::seconds drop_after{45};   // silent socket: closed 4001
    std::chrono::seconds abuse_window{10}; // refused frames are counted per window...
    int abuse_limit = 20;                  // ...and this many close the socket 1008
    std::size_t max_pending = 64;          // frames held while a join is on its way
    // New ICE credentials go out this long after the last ones (4/5 of their lifetime).
    std::chrono::seconds ice_refresh{3600 * 4 / 5};
};

// Work for a room's home table. The clock is read there, when the work runs, so chat
// timestamps follow the order in which the table handles them.
using room_work = std::function<void(room_table&, const clock_reading&)>;

// What a session asks of the I/O layer. Every call is made on the session's own thread.
class session_port {
public:
    virtual ~session_port() = default;
    // A frame for this session's own socket.
    virtual void send(std::string frame) = 0;
    // Closes this session's socket (WebSocket close code); on_closed follows from the I/O.
    virtual void close(std::uint16_t code, std::string_view reason) = 0;
    // The join limiter of the client's address (shared by all sessions): false refuses.
    virtual bool allow_join(steady_time now) = 0;
    // Mints fresh ICE servers (TURN credentials bound to the session id it is called with) at
    // Unix time `unix_now`. The function may run on the room's home worker (for `joined`, once
    // the session id is known), so it captures only immutable data.
    virtual ice_mint ice_for(std::int64_t unix_now) = 0;
    // Starts the join at the room's home table. Its outcome comes back through
    // session::on_join_done, on this thread, unless the socket closed meanwhile.
    virtual void start_join(join_request req) = 0;
    // Runs `work` on the home table of `room` (in the order of the calls for one room).
    virtual void to_room(const std::string& room, room_work work) = 0;
    // The session closed its socket for refused frames (for the log).
    virtual void abuse_closed(int refused, std::chrono::seconds window) = 0;
    // A join of `room` was refused (its error frame is sent): `why` says why, never with a
    // password or token in it (for the log).
    virtual void join_refused(const std::string& room, std::string_view why) {
        (void)room;
        (void)why;
    }
};

class session {
public:
    // `self` is this session's way back from the room table (passed with every room call).
    session(const session_settings& settings, session_port& port, std::shared_ptr<link> self,
            const clock_reading& clock);
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    void on_text(std::string_view text, const clock_reading& clock);
    // Called about once a second: keepalive and ICE refresh.
    void on_tick(const clock_reading& clock);
    // The socket is gone: the member is detached (it may resume within the window).
    void on_closed();
    // The outcome of start_join for `room`; the frames held meanwhile run now, in their order.
    void on_join_done(const join_result& r, const std::string& room, const clock_reading& clock);

    bool joining() const noexcept { return joining_; }
    // The room and member id while joined.
    const std::optional<std::string>& room() const noexcept { return room_; }
    const std::string& member_id() const noexcept { return member_; }

private:
    void send(std::string frame) { port_.send(std::move(frame)); }
    void refuse(errc code, std::string message, const std::optional<message_id>& re);
    // refuse() for a join, told to the port too.
    void refuse_join(const join_message& m, errc code, std::string message);
    bool count_abuse(steady_time now);
    void dispatch(client_message msg, const clock_reading& clock);
    void join(join_message m, const clock_reading& clock);
    void leave();
    template <class M, class F>
    void to_room(const M& m, F f);

    const session_settings& settings_;
    session_port& port_;
    std::shared_ptr<link> self_;
    token_bucket bucket_;
    std::optional<std::string> room_; // set while a member of a room
    std::string member_;
    bool joining_ = false;
    std::vector<client_message> pending_; // held while a join is in flight
    steady_time last_rx_;
    bool pinged_ = false;
    steady_time ice_due_{};
    steady_time abuse_start_{};
    int abuse_ = 0;
};

} // namespace icegate::signal
