// room_table: joins, routing, fan-out, history and expiry for the signaling rooms of one worker
// (resume is in room_resume.cpp).
#include "icegate/signal/room_table.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdlib>
#include <optional>
#include <span>
#include <utility>

#include "room.hpp"
#include "room_table_impl.hpp"

namespace icegate::signal {
namespace {

bool has_password(const join_message& msg) {
    return msg.password && !msg.password->empty();
}

join_result needs_work(password_op op, std::string hash, const std::string& password) {
    join_result out;
    out.work = password_work{op, std::move(hash), password};
    return out;
}

} // namespace

bool same_secret(const std::string& a, const std::string& b) {
    return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_id(const random_source& random) {
    constexpr std::size_t bytes = 16;
    constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    std::array<std::uint8_t, bytes> raw{};
    random(std::span<std::uint8_t>(raw));
    std::array<char, sodium_base64_ENCODED_LEN(bytes, variant)> text{};
    sodium_bin2base64(text.data(), text.size(), raw.data(), raw.size(), variant);
    return std::string(text.data());
}

// The member `to` names in the sender's room, or null after telling the sender.
member* room_table::impl::target(member& from, const std::string& to,
                                 const std::optional<message_id>& re) {
    const auto it = by_session.find(to);
    if (it == by_session.end() || it->second->home != from.home || it->second == &from) {
        send_error(*from.conn, errc::no_such_peer, "no member '" + to + "' in this room", re);
        return nullptr;
    }
    return it->second;
}

// To the member's link, or into its missed queue while it is detached.
void room_table::impl::send(member& m, const frame_ptr& f) {
    if (m.conn) {
        m.conn->deliver(f);
        return;
    }
    if (m.evicting) {
        return;
    }
    if (m.missed.size() >= settings.max_missed ||
        m.missed_bytes + f->size() > settings.max_missed_bytes) {
        // Removing it now would change the room under the caller's loop: do it afterwards.
        m.evicting = true;
        m.missed.clear();
        m.missed_bytes = 0;
        evictions.push_back(m.session);
        return;
    }
    m.missed.push_back(f);
    m.missed_bytes += f->size();
}

void room_table::impl::deliver_joined(member& m, join_request& req, const clock_reading& clock,
                                      bool resumed) {
    const room& r = *m.home;
    joined_frame f;
    f.session = m.session;
    f.room = r.name;
    for (const auto& other : r.members) {
        if (other.get() != &m) {
            f.peers.push_back(other->info());
        }
    }
    f.ice_servers = req.mint ? req.mint(m.session) : std::move(req.ice_servers);
    f.resume = issue_token(m, clock);
    f.resumed = resumed;
    const std::size_t skip = r.history.size() - std::min(r.history.size(), settings.history);
    f.history.assign(r.history.begin() + static_cast<std::ptrdiff_t>(skip), r.history.end());
    m.conn->deliver(make_frame(serialize(f, req.msg.id)));
}

// May `req` enter the existing room `r`? nullopt: yes. Otherwise what the join comes to: an
// error (sent already), or a password check to run first.
std::optional<join_result> room_table::impl::admit(room& r, const join_request& req,
                                                   const clock_reading& clock) {
    const join_message& msg = req.msg;
    link& conn = *req.conn;
    // Capacity before the password: a full room is refused without paying for a hash.
    if (r.members.size() >= settings.capacity) {
        send_error(conn, errc::room_full, "room is full", msg.id);
        return refused_join("room is full");
    }
    if (r.password_hash.empty()) {
        return std::nullopt; // an open room; a password sent anyway is ignored
    }
    if (!has_password(msg)) {
        send_error(conn, errc::unauthorized, "room needs a password", msg.id);
        return refused_join("room needs a password");
    }
    const auto& v = req.verdict;
    if (v && v->op == password_op::verify && same_secret(v->hash, r.password_hash)) {
        if (v->ok) {
            return std::nullopt;
        }
        send_error(conn, errc::unauthorized, "wrong room password", msg.id);
        return refused_join("wrong room password");
    }
    // No verdict, or one about a hash the room no longer has (it was removed and made anew).
    if (!r.password_checks.take(clock.now)) {
        send_error(conn, errc::rate_limited,
                   "too many password attempts for this room; try again later", msg.id);
        return refused_join("too many password attempts for this room; try again later");
    }
    return needs_work(password_op::verify, r.password_hash, *msg.password);
}

// The hash for a room `req` creates, into `hash`: nullopt when it is ready (or the room is
// open), else what the join comes to (hashing to do first, or an error sent).
std::optional<join_result> room_table::impl::room_password(const join_request& req,
                                                           std::string& hash) const {
    if (!has_password(req.msg)) {
        return std::nullopt;
    }
    const auto& v = req.verdict;
    if (!v || v->op != password_op::make) {
        return needs_work(password_op::make, {}, *req.msg.password);
    }
    if (!v->ok) {
        // Out of memory for the hash: the server is out of room, not the client wrong, and
        // room_full is the code that says so.
        send_error(*req.conn, errc::room_full, "cannot create the room now", req.msg.id);
        return refused_join("cannot create the room now");
    }
    hash = v->hash;
    return std::nullopt;
}

// An unused session id. Retries only matter with a broken random source.
std::string room_table::impl::new_session() const {
    for (int attempt = 0; attempt < 8; ++attempt) {
        std::string id = random_id(random);
        if (!by_session.contains(id)) {
            return id;
        }
    }
    assert(false && "random source repeats itself");
    return {};
}

room& room_table::impl::create_room(const std::string& name, std::string password_hash) {
    auto owned = std::make_unique<room>(settings);
    owned->name = name;
    owned->password_hash = std::move(password_hash);
    room& r = *owned;
    rooms.emplace(name, std::move(owned));
    emit(table_event_kind::room_created, r);
    return r;
}

member& room_table::impl::add_member(room& r, std::string session, std::string name,
                                     std::shared_ptr<link> conn) {
    auto owned = std::make_unique<member>();
    member& m = *owned;
    m.session = std::move(session);
    m.name = std::move(name);
    m.home = &r;
    m.conn = std::move(conn);
    r.members.push_back(std::move(owned));
    by_session.emplace(m.session, &m);
    return m;
}

std::optional<room*> room_table::impl::room_to_join(const join_request& req) const {
    const auto found = rooms.find(req.msg.room);
    room* r = found == rooms.end() ? nullptr : found->second.get();
    if (r == nullptr && rooms.size() >= settings.max_rooms) {
        send_error(*req.conn, errc::room_full, "too many rooms", req.msg.id);
        return std::nullopt;
    }
    return r;
}

join_result room_table::impl::join_new(join_request& req, const clock_reading& clock) {
    const join_message& msg = req.msg;
    link& conn = *req.conn;
    const std::optional<room*> to_join = room_to_join(req);
    if (!to_join) {
        return refused_join("too many rooms");
    }
    room* r = *to_join;
    std::string hash;
    auto early = r != nullptr ? admit(*r, req, clock) : room_password(req, hash);
    if (early) {
        return std::move(*early);
    }
    std::string session = new_session();
    if (session.empty()) {
        send_error(conn, errc::room_full, "cannot create the room now", msg.id);
        return refused_join("cannot create the room now");
    }
    if (r == nullptr) {
        r = &create_room(msg.room, std::move(hash));
    }
    member& m = add_member(*r, std::move(session), msg.name, req.conn);
    emit(table_event_kind::member_joined, *r, m.session, m.name);
    deliver_joined(m, req, clock, false);
    fan_out(*r, make_frame(serialize(peer_frame{peer_kind::join, m.info()})), &m);
    return join_result{true, m.session, false};
}

// Removes `m` (and its room when that empties) and tells the others it left.
void room_table::impl::remove(member& m, table_event_kind why) {
    room& r = *m.home;
    const peer_info info = m.info();
    emit(why, r, info.session, info.name);
    by_session.erase(info.session);
    detached.erase(&m);
    std::erase_if(r.members, [&](const auto& p) { return p.get() == &m; });
    if (r.members.empty()) {
        emit(table_event_kind::room_removed, r);
        set_history_bytes(r, 0);
        rooms.erase(rooms.find(r.name));
        return;
    }
    fan_out(r, make_frame(serialize(peer_frame{peer_kind::leave, info})), nullptr);
}

// Each removal sends a leave, which may overflow another detached member: loop until calm.
void room_table::impl::flush_evictions() {
    while (!evictions.empty()) {
        const std::string session = std::move(evictions.back());
        evictions.pop_back();
        if (const auto it = by_session.find(session); it != by_session.end()) {
            remove(*it->second, table_event_kind::member_evicted);
        }
    }
}

void room_table::impl::add_history(room& r, const chat_entry& e) {
    const std::size_t bytes = history_entry_bytes(e);
    if (settings.history == 0 || bytes > settings.history_bytes) {
        return;
    }
    if (r.history.size() >= settings.history) {
        drop_oldest(r);
    }
    r.history.push_back(e);
    set_history_bytes(r, r.history_bytes + bytes);
    while (history_total > settings.history_bytes) {
        drop_oldest(*by_history.rbegin()->second);
    }
}

// Keeps by_history and history_total in step with a room's history size.
void room_table::impl::set_history_bytes(room& r, std::size_t bytes) {
    if (r.history_bytes != 0) {
        by_history.erase({r.history_bytes, &r});
    }
    if (bytes != 0) {
        by_history.insert({bytes, &r});
    }
    history_total = history_total - r.history_bytes + bytes;
    r.history_bytes = bytes;
}

void room_table::impl::drop_oldest(room& r) {
    const std::size_t bytes = history_entry_bytes(r.history.front());
    r.history.erase(r.history.begin()); // at most `history` (default 100) entries move
    set_history_bytes(r, r.history_bytes - bytes);
}

room_table::room_table(room_settings settings, random_source random)
    : impl_(std::make_unique<impl>()) {
    // crypto_pwhash and sodium_memcmp need it; idempotent and thread-safe.
    if (sodium_init() < 0) {
        std::abort();
    }
    impl_->settings = settings;
    impl_->random = std::move(random);
    std::array<std::uint8_t, sizeof(impl_->instance)> id{};
    impl_->random(std::span<std::uint8_t>(id));
    for (const std::uint8_t b : id) {
        impl_->instance = (impl_->instance << 8) | b;
    }
    impl_->random(std::span<std::uint8_t>(impl_->key)); // replaced when one is given
}

room_table::room_table(room_settings settings, random_source random, const resume_key& key)
    : room_table(std::move(settings), std::move(random)) {
    impl_->key = key;
}

void room_table::set_settings(const room_settings& settings) {
    impl_->settings = settings;
}

room_table::~room_table() = default;

join_result room_table::join(join_request req, const clock_reading& clock) {
    assert(req.conn);
    if (!req.conn) {
        return {};
    }
    join_result result = req.msg.resume ? impl_->resume(req, clock) : impl_->join_new(req, clock);
    impl_->flush_evictions();
    return result;
}

void room_table::on_signal(const std::string& session, const link* conn, const signal_message& m) {
    member* from = impl_->current(session, conn);
    if (from == nullptr) {
        return;
    }
    if (member* to = impl_->target(*from, m.to, m.id)) {
        impl_->send(*to, make_frame(serialize(signal_frame{from->session, m.data})));
    }
    impl_->flush_evictions();
}

void room_table::on_chat(const std::string& session, const link* conn, const chat_message& m,
                         const clock_reading& clock) {
    member* from = impl_->current(session, conn);
    if (from == nullptr) {
        return;
    }
    const chat_frame f{chat_entry{from->session, from->name, m.text, clock.wall_ms}, m.to};
    // Everyone gets the server's copy (with its `ts`); the sender's carries `re`.
    const frame_ptr echo = make_frame(serialize(f, m.id));
    if (m.to) {
        if (member* to = impl_->target(*from, *m.to, m.id)) {
            impl_->send(*to, make_frame(serialize(f)));
            from->conn->deliver(echo);
        }
    } else {
        impl_->add_history(*from->home, f.entry);
        impl_->fan_out(*from->home, m.id ? make_frame(serialize(f)) : echo, from);
        from->conn->deliver(echo);
    }
    impl_->flush_evictions();
}

void room_table::on_state(const std::string& session, const link* conn, const state_message& m) {
    member* from = impl_->current(session, conn);
    if (from == nullptr) {
        return;
    }
    from->state = m.state;
    impl_->fan_out(*from->home, make_frame(serialize(peer_frame{peer_kind::update, from->info()})),
                   from);
    impl_->flush_evictions();
}

void room_table::on_app(const std::string& session, const link* conn, const app_message& m) {
    member* from = impl_->current(session, conn);
    if (from == nullptr) {
        return;
    }
    const app_frame f{from->session, m.topic, m.data};
    if (m.to) {
        if (member* to = impl_->target(*from, *m.to, m.id)) {
            impl_->send(*to, make_frame(serialize(f)));
        }
    } else {
        impl_->fan_out(*from->home, make_frame(serialize(f)), from);
    }
    impl_->flush_evictions();
}

void room_table::on_leave(const std::string& session, const link* conn) {
    if (member* from = impl_->current(session, conn)) {
        impl_->remove(*from, table_event_kind::member_left);
        impl_->flush_evictions();
    }
}

void room_table::on_detach(const std::string& session, const link* conn,
                           const clock_reading& clock) {
    if (member* from = impl_->current(session, conn)) {
        from->conn.reset();
        from->detached_at = clock.now;
        impl_->detached.insert(from);
    }
}

void room_table::on_tick(const clock_reading& clock) {
    std::vector<std::string> expired;
    for (const member* m : impl_->detached) {
        if (clock.now - m->detached_at >= impl_->settings.resume_window) {
            expired.push_back(m->session);
        }
    }
    for (const auto& session : expired) {
        // By session, not by pointer: safe whatever a removal does to the other members.
        if (const auto it = impl_->by_session.find(session); it != impl_->by_session.end()) {
            impl_->remove(*it->second, table_event_kind::member_expired);
        }
    }
    impl_->refresh_tokens(clock);
    impl_->flush_evictions();
}

void room_table::close_all(std::uint16_t code, std::string_view reason) {
    std::vector<std::shared_ptr<link>> links;
    for (const auto& [name, r] : impl_->rooms) {
        for (const auto& m : r->members) {
            if (m->conn) {
                links.push_back(m->conn);
            }
        }
    }
    for (const auto& l : links) {
        l->close(code, reason);
    }
}

std::size_t room_table::rooms() const noexcept {
    return impl_->rooms.size();
}

std::size_t room_table::members() const noexcept {
    return impl_->by_session.size();
}

std::size_t room_table::history_bytes() const noexcept {
    return impl_->history_total;
}

void room_table::on_event(table_event_handler handler) {
    impl_->events = std::move(handler);
}

} // namespace icegate::signal
