// The rooms whose home is one worker: members, resume slots, chat history, room passwords and
// fan-out (design.md sections 2 and 3). Sans-I/O: time and randomness come in as arguments,
// frames go out through each member's `link`, which the I/O layer implements by posting to the
// worker that owns the member's WebSocket.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
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
    std::size_t max_missed = 512;                   // frames kept for a detached member
    std::size_t max_missed_bytes = 1024 * 1024;     // and their bytes (frames are up to 64 KiB)
    std::size_t max_rooms = 100000;                 // per table; beyond: room_full
};

// Fills its argument with random bytes (libsodium's randombytes_buf in the service).
using random_source = std::function<void(std::span<std::uint8_t>)>;

// Times: `now` is a monotonic clock for windows; `wall_ms` is Unix time in ms for chat `ts`.
struct clock_reading {
    std::chrono::steady_clock::time_point now;
    std::int64_t wall_ms = 0;
};

// A join as the I/O layer hands it over: the parsed message, the connection, and the ICE
// servers minted for this member (they go into `joined`).
struct join_request {
    join_message msg;
    std::shared_ptr<link> conn;
    std::vector<ice_server> ice_servers;
};

// What a join came to. On success `session` is the member's id; on failure the error frame
// (with `re`) has already been delivered to the connection.
struct join_result {
    bool ok = false;
    std::string session;
    bool resumed = false;
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
};

using table_event_handler = std::function<void(const table_event&)>;

class room_table {
public:
    room_table(room_settings settings, random_source random);
    room_table(const room_table&) = delete;
    room_table& operator=(const room_table&) = delete;
    ~room_table();

    // join / resume. Creates the room on first join (the first joiner's password, if any, is
    // stored hashed with crypto_pwhash). Errors: room_full, unauthorized (password),
    // resume_failed (token unknown, expired, or for another room).
    join_result join(join_request req, const clock_reading& clock);

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

    // Drops members whose resume window has passed and rooms left empty. Call about once a
    // second.
    void on_tick(const clock_reading& clock);

    // Closes the link of every attached member of every room (shutdown: 1001 "going away"). The
    // members stay until the I/O layer reports each connection with on_detach or on_leave.
    void close_all(std::uint16_t code, std::string_view reason);

    std::size_t rooms() const noexcept;
    std::size_t members() const noexcept; // attached and detached

    // Optional; called synchronously, must not re-enter the table.
    void on_event(table_event_handler handler);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// Session ids and resume secrets: 128 random bits as 22 characters of unpadded base64url.
std::string random_id(const random_source& random);

} // namespace icegate::signal
