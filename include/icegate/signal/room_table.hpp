// The rooms whose home is one worker: members, resume slots, chat history, room passwords and
// fan-out (design.md sections 2 and 3). Sans-I/O: time and randomness come in as arguments,
// frames go out through each member's `link`, which the I/O layer implements by posting to the
// worker that owns the member's WebSocket.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "icegate/signal/protocol.hpp"

namespace icegate::signal {

// One shared, immutable frame: fanned out to many members without copying the text.
using frame_ptr = std::shared_ptr<const std::string>;

// The way to one connection. Called only on the room table's worker; never blocks (the
// implementation queues, and closes the connection itself when its queue is full). Neither
// call may re-enter the room table (post on_detach and the like instead): the table calls
// them while it walks its rooms.
class link {
public:
    virtual ~link() = default;
    virtual void deliver(frame_ptr frame) = 0;
    // Close the connection with a WebSocket close code (e.g. 1008 policy violation).
    virtual void close(std::uint16_t code, std::string_view reason) = 0;
};

struct room_settings {
    std::uint32_t capacity = 6;                     // members, detached ones included
    std::chrono::milliseconds resume_window{30000}; // a detached member keeps its slot this long
    std::size_t history = 100;                      // public chat messages kept per room
    std::size_t history_bytes = 4 * 1024 * 1024;    // and their bytes over all rooms of the table
    std::size_t max_missed = 512;                   // frames kept for a detached member
    std::size_t max_missed_bytes = 1024 * 1024;     // and their bytes (frames are up to 64 KiB)
    std::size_t max_rooms = 100000;                 // per table; beyond: room_full
    // Password checks per room (right or wrong): a bucket of `password_burst` refilled at
    // `password_rate` per second; beyond it rate_limited. Bounds guessing a room's password.
    double password_rate = 1.0;
    double password_burst = 12;
    // A resume token works in a restarted table (no slot for it: the member is let back in)
    // until resume_window + restart_allowance after it was issued; attached members get a
    // fresh one every restart_allowance / 2, so theirs always has that much left.
    std::chrono::milliseconds restart_allowance{300000};
};

// Fills its argument with random bytes (libsodium's randombytes_buf in the service).
using random_source = std::function<void(std::span<std::uint8_t>)>;

// The key resume tokens are sealed with. The server keeps it in state_dir, so that a restarted
// process accepts the tokens of the one before it (docs/signaling.md, Resume).
using resume_key = std::array<std::uint8_t, 32>;

// Times: `now` is a monotonic clock for windows; `wall_ms` is Unix time in ms for chat `ts`.
struct clock_reading {
    std::chrono::steady_clock::time_point now;
    std::int64_t wall_ms = 0;
};

// Room passwords cost an argon2id run each (about 10 ms of CPU): the table never runs one
// itself, since that would stall every connection of its worker. A join that needs one comes
// back with the work to do; the I/O layer does it elsewhere and joins again with the verdict.
enum class password_op {
    verify, // check `password` against the room's `hash`
    make,   // hash `password` for a room the join creates
};

struct password_work {
    password_op op = password_op::verify;
    std::string hash; // verify: the room's hash (libsodium's crypto_pwhash_str format)
    std::string password;
};

struct password_verdict {
    password_op op = password_op::verify;
    std::string hash; // verify: the hash checked against; make: the new hash
    bool ok = false;  // verify: the password matched; make: the hash was made
};

// Does `work` (slow: call it off the worker). Thread-safe.
password_verdict run_password_work(const password_work& work);

// Mints the ICE servers of one member for its session id: the TURN credentials are bound to
// that session (the server revokes them when the member is gone for good). Called on the
// room's home worker, so it may only read immutable data it captured.
using ice_mint = std::function<std::vector<ice_server>(const std::string& session)>;

// A join as the I/O layer hands it over: the parsed message, the connection, and the ICE
// servers for `joined`: `mint` called with the member's session id once the table knows it, or
// (without `mint`) `ice_servers` as given; on its second round, the verdict of the password
// work the first round asked for.
struct join_request {
    join_message msg;
    std::shared_ptr<link> conn;
    std::vector<ice_server> ice_servers;
    std::optional<password_verdict> verdict = std::nullopt;
    ice_mint mint = nullptr;
};

// What a join came to. On success `session` is the member's id. With `work` set nothing was
// sent: do the work and join again with its verdict. Otherwise, on failure, the error frame
// (with `re`) has already been delivered to the connection.
struct join_result {
    bool ok = false;
    std::string session;
    bool resumed = false;
    std::optional<password_work> work = std::nullopt;
    // A refused join (the error frame is sent already): its message, for the I/O layer's log.
    std::string refused = {};
};

// Room lifecycle, for the I/O layer's log and counters (src/signal itself does not log). The
// views are valid only during the callback; nothing secret is in them.
enum class table_event_kind {
    room_created,
    room_removed,
    member_joined,
    member_resumed,
    member_left,    // sent `leave`
    member_expired, // detached for longer than the resume window
    member_evicted, // detached, and more frames arrived for it than max_missed
};

struct table_event {
    table_event_kind kind;
    std::string_view room;
    std::string_view session; // empty for room events
    std::string_view name;    // the member's display name (room events: empty)
};

using table_event_handler = std::function<void(const table_event&)>;

class room_table {
public:
    // Without a key, one is drawn from `random`: tokens then work in this table alone.
    room_table(room_settings settings, random_source random);
    room_table(room_settings settings, random_source random, const resume_key& key);
    room_table(const room_table&) = delete;
    room_table& operator=(const room_table&) = delete;
    ~room_table();

    // join / resume. Creates the room on first join (the first joiner's password, if any, is
    // stored hashed with crypto_pwhash). Errors: room_full, unauthorized (password),
    // rate_limited (too many password checks for the room), resume_failed (token unknown,
    // expired, or for another room). A resume token this table did not issue and that has no
    // slot here (the server restarted) lets its member back in: same session and name, the
    // room made anew with the password hash the token carries. A password room asks for
    // password work first (see join_result); a verdict counts only while the room's hash is
    // still the one it is about, else the join is weighed afresh (and may ask again).
    join_result join(join_request req, const clock_reading& clock);

    // A reload: later joins, chats and detaches follow `settings` (a room made before keeps
    // its password-guess bucket).
    void set_settings(const room_settings& settings);

    // Messages from a joined member. `conn` must be the member's current link (a frame from a
    // connection the member has since left behind is ignored). Errors go back to `conn`.
    void on_signal(const std::string& session, const link* conn, const signal_message& m);
    void on_chat(const std::string& session, const link* conn, const chat_message& m,
                 const clock_reading& clock);
    void on_state(const std::string& session, const link* conn, const state_message& m);
    void on_app(const std::string& session, const link* conn, const app_message& m);
    // `leave`: the member goes at once (peer leave to the others) and its resume slot is freed.
    void on_leave(const std::string& session, const link* conn);
    // The member's socket dropped: it keeps its slot for the resume window; frames for it are
    // kept (up to max_missed; beyond that it is dropped as if it had left).
    void on_detach(const std::string& session, const link* conn, const clock_reading& clock);

    // Drops members whose resume window has passed and rooms left empty; sends attached members
    // whose resume token is restart_allowance / 2 old a fresh one ({"type":"resume"}). Call
    // about once a second.
    void on_tick(const clock_reading& clock);

    // Closes the link of every attached member of every room (shutdown: 1001 "going away"). The
    // members stay until the I/O layer reports each connection with on_detach or on_leave.
    void close_all(std::uint16_t code, std::string_view reason);

    std::size_t rooms() const noexcept;
    std::size_t members() const noexcept;       // attached and detached
    std::size_t history_bytes() const noexcept; // chat history kept, all rooms (estimated)

    // Optional; called synchronously, must not re-enter the table.
    void on_event(table_event_handler handler);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// Session ids: 128 random bits as 22 characters of unpadded base64url.
std::string random_id(const random_source& random);

} // namespace icegate::signal
