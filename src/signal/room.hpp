// The private state behind room_table: a member (one session, attached to a link or detached
// and keeping its missed frames) and a room (members in join order, password hash and its
// guess bucket, history).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "icegate/signal/protocol.hpp"
#include "icegate/signal/rate_limiter.hpp"
#include "icegate/signal/room_table.hpp"

namespace icegate::signal {

struct room;

struct member {
    std::string session;
    std::string name;
    media_state state;
    room* home = nullptr;
    std::shared_ptr<link> conn; // null while detached
    std::chrono::steady_clock::time_point detached_at{};
    std::chrono::steady_clock::time_point token_at{}; // its newest resume token was issued
    // Frames for a detached member, oldest first. Vectors, not deques: libstdc++'s deque
    // allocates about 600 bytes even when empty, and every idle member would carry them.
    std::vector<frame_ptr> missed;
    std::size_t missed_bytes = 0;
    bool evicting = false; // its missed queue overflowed; removed after this operation

    peer_info info() const { return peer_info{session, name, state}; }
};

struct room {
    explicit room(const room_settings& s) : password_checks(s.password_rate, s.password_burst) {}

    std::string name;
    std::string password_hash;                    // crypto_pwhash_str output; empty: an open room
    std::vector<std::unique_ptr<member>> members; // join order
    std::vector<chat_entry> history;              // public chat, oldest first
    std::size_t history_bytes = 0;                // estimated, as history_entry_bytes counts
    token_bucket password_checks;                 // argon2id verifications asked for
};

// What one history entry holds in memory, near enough: the counted budget is what it bounds.
inline std::size_t history_entry_bytes(const chat_entry& e) noexcept {
    return sizeof(chat_entry) + e.from.size() + e.name.size() + e.text.size();
}

// Room passwords: argon2id hashes in libsodium's self-describing string format.
bool hash_room_password(const std::string& password, std::string& hash_out);
bool verify_room_password(const std::string& hash, const std::string& password);

} // namespace icegate::signal
