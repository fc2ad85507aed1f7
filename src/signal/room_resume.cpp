// room_table's resume side: issuing and refreshing resume tokens, resuming a member whose slot
// is still here, and letting a member back in after a restart (no slot, a token from another
// run of the server sealed with the same key).
#include <algorithm>
#include <utility>

#include "resume_token.hpp"
#include "room_table_impl.hpp"

namespace icegate::signal {
namespace {

// Refreshes sent per tick at most: members who all joined in the same second (a restart
// brings a whole node back at once) get theirs spread over a few ticks.
constexpr int max_refresh_per_tick = 2048;

} // namespace

std::string room_table::impl::issue_token(member& m, const clock_reading& clock) {
    const auto valid = settings.resume_window + settings.restart_allowance;
    const resume_claims c{instance, clock.wall_ms + valid.count(), m.session, m.name,
                          m.home->password_hash};
    m.token_at = clock.now;
    token_queue.emplace_back(clock.now, m.session);
    return seal_resume_token(key, m.home->name, c, random);
}

// The member whose slot the token names, if it is in this room and its window is still open.
member* room_table::impl::resumable(const join_message& msg, const resume_claims& c,
                                    const clock_reading& clock) const {
    const auto it = by_session.find(c.session);
    if (it == by_session.end()) {
        return nullptr;
    }
    member* m = it->second;
    if (m->home->name != msg.room || m->evicting) {
        return nullptr;
    }
    if (!m->conn && clock.now - m->detached_at >= settings.resume_window) {
        return nullptr; // on_tick has not got to it yet
    }
    return m;
}

join_result room_table::impl::resume(join_request& req, const clock_reading& clock) {
    const join_message& msg = req.msg;
    const auto claims = open_resume_token(key, msg.room, *msg.resume);
    member* m = claims ? resumable(msg, *claims, clock) : nullptr;
    if (m == nullptr) {
        // No slot: a token from an earlier run of the server (another instance) may come back
        // in until it expires. One of ours without a slot left, expired or was dropped.
        if (claims && !by_session.contains(claims->session) && claims->instance != instance &&
            clock.wall_ms < claims->expires_ms) {
            return readmit(req, *claims, clock);
        }
        send_error(*req.conn, errc::resume_failed, "resume token unknown or expired", msg.id);
        return refused_join("resume token unknown or expired");
    }
    // The old socket may not have noticed it is dead yet; a frame from it is stale from now on.
    if (m->conn && m->conn != req.conn) {
        std::shared_ptr<link> old = std::move(m->conn);
        old->close(4000, "replaced by a resumed connection");
    }
    m->conn = req.conn;
    detached.erase(m);
    emit(table_event_kind::member_resumed, *m->home, m->session, m->name);
    deliver_joined(*m, req, clock, true);
    std::vector<frame_ptr> missed = std::exchange(m->missed, {});
    m->missed_bytes = 0;
    for (auto& f : missed) {
        m->conn->deliver(std::move(f));
    }
    return join_result{true, m->session, true};
}

// After a restart: the member comes back with its session id and name. The token stands for
// the password check it passed in the run before, so a password room takes it without one, and
// a room that is not there yet is made again with the hash the token carries. Capacity and
// the table's room limit apply as to any join.
join_result room_table::impl::readmit(join_request& req, const resume_claims& c,
                                      const clock_reading& clock) {
    const join_message& msg = req.msg;
    link& conn = *req.conn;
    const std::optional<room*> to_join = room_to_join(req);
    if (!to_join) {
        return refused_join("too many rooms");
    }
    room* r = *to_join;
    if (r != nullptr && r->members.size() >= settings.capacity) {
        send_error(conn, errc::room_full, "room is full", msg.id);
        return refused_join("room is full");
    }
    // Someone made the room anew since the restart with another password (or none): the token
    // vouches for the old one only. The client joins afresh, under the room's current rules.
    if (r != nullptr && !same_secret(r->password_hash, c.password_hash)) {
        send_error(conn, errc::resume_failed, "resume token unknown or expired", msg.id);
        return refused_join("resume token unknown or expired");
    }
    if (r == nullptr) {
        r = &create_room(msg.room, c.password_hash);
    }
    member& m = add_member(*r, c.session, c.name, req.conn);
    emit(table_event_kind::member_resumed, *r, m.session, m.name);
    deliver_joined(m, req, clock, true);
    fan_out(*r, make_frame(serialize(peer_frame{peer_kind::join, m.info()})), &m);
    return join_result{true, m.session, true};
}

// Attached members whose newest token is half the restart allowance old get a fresh one, so
// the token a client holds when the server goes down works for a while after it is back.
void room_table::impl::refresh_tokens(const clock_reading& clock) {
    const auto every = std::max<std::chrono::milliseconds>(settings.restart_allowance / 2,
                                                           std::chrono::seconds(1));
    for (int sent = 0; sent < max_refresh_per_tick && !token_queue.empty() &&
                       clock.now - token_queue.front().first >= every;) {
        const auto [at, session] = std::move(token_queue.front());
        token_queue.pop_front();
        const auto it = by_session.find(session);
        if (it == by_session.end() || !it->second->conn || it->second->token_at != at) {
            continue; // gone, detached (a resume issues a new one), or refreshed since
        }
        member& m = *it->second;
        m.conn->deliver(make_frame(serialize(resume_frame{issue_token(m, clock)})));
        ++sent;
    }
}

} // namespace icegate::signal
