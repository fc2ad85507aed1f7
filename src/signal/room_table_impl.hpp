// The state behind room_table and the helpers its two source files share: room_table.cpp
// (joins, routing, history, expiry) and room_resume.cpp (resume tokens, resume, and letting
// members back in after a restart).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "icegate/signal/room_table.hpp"
#include "room.hpp"

namespace icegate::signal {

struct resume_claims;

inline frame_ptr make_frame(std::string text) {
    return std::make_shared<const std::string>(std::move(text));
}

inline void send_error(link& conn, errc code, std::string message,
                       const std::optional<message_id>& re) {
    conn.deliver(make_frame(serialize(error_frame{code, std::move(message)}, re)));
}

// Constant time: password hashes are compared with it.
bool same_secret(const std::string& a, const std::string& b);

// Rooms by the bytes of history they hold, largest last (pointers ordered by std::less).
struct by_history_size {
    bool operator()(const std::pair<std::size_t, room*>& a,
                    const std::pair<std::size_t, room*>& b) const noexcept {
        return a.first != b.first ? a.first < b.first : std::less<room*>{}(a.second, b.second);
    }
};

struct room_table::impl {
    room_settings settings;
    random_source random;
    resume_key key{};
    std::uint64_t instance = 0; // in every token this table issues: "not from a restart"
    table_event_handler events;
    std::unordered_map<std::string, std::unique_ptr<room>> rooms;
    std::unordered_map<std::string, member*> by_session;
    std::unordered_set<member*> detached;
    std::vector<std::string> evictions; // sessions whose missed frames overflowed
    // Rooms holding history, by its size: over the table's budget, the largest room loses its
    // oldest entry, so a room flooding chat pays for itself and a quiet room keeps its lines.
    std::set<std::pair<std::size_t, room*>, by_history_size> by_history;
    std::size_t history_total = 0;
    // Every token issued, oldest first (the interval is the same for all, so this is also the
    // order in which they fall due for a refresh). An entry whose member has gone, detached or
    // had a newer token since is skipped when it comes up.
    std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> token_queue;

    // A join refused with its error frame sent already: `why` is that frame's message.
    static join_result refused_join(std::string_view why) {
        join_result out;
        out.refused = why;
        return out;
    }

    void emit(table_event_kind kind, const room& r) const {
        if (events) {
            events(table_event{kind, r.name, {}, {}});
        }
    }
    void emit(table_event_kind kind, const room& r, std::string_view session,
              std::string_view name) const {
        if (events) {
            events(table_event{kind, r.name, session, name});
        }
    }

    // The member `session` if `conn` is its current link; frames from anything else are stale.
    member* current(const std::string& session, const link* conn) const {
        const auto it = by_session.find(session);
        if (conn == nullptr || it == by_session.end() || it->second->conn.get() != conn) {
            return nullptr;
        }
        return it->second;
    }

    member* target(member& from, const std::string& to, const std::optional<message_id>& re);
    void send(member& m, const frame_ptr& f);
    void fan_out(room& r, const frame_ptr& f, const member* except) {
        for (const auto& m : r.members) {
            if (m.get() != except) {
                send(*m, f);
            }
        }
    }

    // room_table.cpp. The ICE servers of `joined` come from `req` (minted for m's session).
    void deliver_joined(member& m, join_request& req, const clock_reading& clock, bool resumed);
    std::optional<join_result> admit(room& r, const join_request& req, const clock_reading& clock);
    std::optional<join_result> room_password(const join_request& req, std::string& hash) const;
    std::string new_session() const;
    room& create_room(const std::string& name, std::string password_hash);
    member& add_member(room& r, std::string session, std::string name, std::shared_ptr<link> conn);
    // The room a join (new or after a restart) names, nullptr when it is not there yet; nullopt
    // when it would be a new room over max_rooms (the client has been told).
    std::optional<room*> room_to_join(const join_request& req) const;
    join_result join_new(join_request& req, const clock_reading& clock);
    void remove(member& m, table_event_kind why);
    void flush_evictions();
    void add_history(room& r, const chat_entry& e);
    void set_history_bytes(room& r, std::size_t bytes);
    void drop_oldest(room& r);

    // room_resume.cpp
    std::string issue_token(member& m, const clock_reading& clock);
    member* resumable(const join_message& msg, const resume_claims& c,
                      const clock_reading& clock) const;
    join_result resume(join_request& req, const clock_reading& clock);
    join_result readmit(join_request& req, const resume_claims& c, const clock_reading& clock);
    void refresh_tokens(const clock_reading& clock);
};

} // namespace icegate::signal
