// Resume tokens: who a member is (session, name), the room's password hash and an expiry,
// sealed with the table's key so that a restarted server can let the member back in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "icegate/signal/room_table.hpp"

namespace icegate::signal {

struct resume_claims {
    std::uint64_t instance = 0;  // the room_table that issued it (random per table and run)
    std::int64_t expires_ms = 0; // Unix ms; a restarted server refuses the token after it
    std::string session;
    std::string name;
    std::string password_hash; // the room's, empty for an open room
};

// base64url(version | nonce | XChaCha20-Poly1305(claims)), the version and the room name as
// associated data: the token is opaque (the name and the hash stay hidden), and one for another
// room or made with another key does not open. Draws the 24-byte nonce from `random`.
std::string seal_resume_token(const resume_key& key, std::string_view room,
                              const resume_claims& claims, const random_source& random);

// The claims of `token` if it was sealed with `key` for `room`; nullopt for anything else
// (forged, damaged, another key or room, an unknown version). Expiry is the caller's to check.
std::optional<resume_claims> open_resume_token(const resume_key& key, std::string_view room,
                                               std::string_view token);

} // namespace icegate::signal
