// Long-term credentials for TURN (RFC 8489 section 9.2, RFC 8656 section 5): REALM, a
// stateless NONCE, MESSAGE-INTEGRITY / MESSAGE-INTEGRITY-SHA256 with PASSWORD-ALGORITHMS and
// USERHASH, static users stored as keys, and TURN REST shared secrets. Sans-I/O: time and the
// nonce key come in from the caller.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "icegate/stun/credentials.hpp"
#include "icegate/stun/error_code_attribute.hpp" // stun::status: the codes verdict carries
#include "icegate/stun/list_attributes.hpp"
#include "icegate/stun/message_builder.hpp"
#include "icegate/stun/message_view.hpp"
#include "icegate/stun/transport_address.hpp"

namespace icegate::turn {

struct user_key {
    std::string name;
    std::array<std::uint8_t, 16> md5{};                 // MD5(name:realm:password)
    std::optional<std::array<std::uint8_t, 32>> sha256; // SHA-256(name:realm:password)
};

struct auth_settings {
    std::string realm;
    std::vector<user_key> users;
    std::vector<std::string> secrets;         // TURN REST shared secrets, all accepted (rotation)
    std::array<std::uint8_t, 32> nonce_key{}; // random at start (libsodium), same on all workers
    std::int64_t nonce_lifetime = 600;        // seconds until a nonce is stale (438)
};

// The key a verified request was signed with; the response is signed with the same.
struct credential {
    std::string username;                // as sent (REST: "<expiry>:<user>"); USERHASH: the name
    std::optional<std::int64_t> expires; // REST credentials: unix time of expiry
    stun::password_algorithm_id algorithm = stun::password_algorithm_id::md5;
    bool sha256_integrity = false;      // request used MESSAGE-INTEGRITY-SHA256
    std::array<std::uint8_t, 32> key{}; // first key_size bytes used
    std::uint8_t key_size = 16;

    std::span<const std::uint8_t> key_bytes() const noexcept { return {key.data(), key_size}; }
};

// Why verify() refused, for the operator's log line (auth_failure_log). no_integrity is the
// normal first request of every client (answered with the challenge), not a failure.
enum class auth_failure : std::uint8_t {
    none,
    no_integrity,
    malformed,   // USERNAME/REALM/NONCE missing or bad, or PASSWORD-ALGORITHM(S) not ours
    stale_nonce, // stale, forged or another client's nonce
    wrong_realm,
    unknown_user,
    bad_integrity, // the user exists, the MAC does not match (wrong password)
    expired,       // a TURN REST username past its expiry
    no_sha256_key, // SHA-256 asked of a user configured with only an MD5 key
    revoked,       // set by the engine: the credential's session is gone
};

// What verify() concluded. On failure `code` is the error to answer with (400, 401, 438);
// 401 and 438 responses carry the challenge (add_challenge()).
struct verdict {
    std::uint16_t code = 0; // 0: verified
    std::optional<credential> cred;
    auth_failure failure = auth_failure::none;
    bool ok() const noexcept { return code == 0; }
};

class authenticator {
public:
    explicit authenticator(std::shared_ptr<const auth_settings> settings);

    // Checks a request's long-term credentials in this order (RFC 8489 section 9.2.4, with the
    // cheap stateless NONCE check moved before the user lookup and MAC): no
    // MESSAGE-INTEGRITY(-SHA256) → 401; missing or malformed USERNAME/USERHASH, REALM or
    // NONCE → 400; stale, forged or other-client NONCE → 438; PASSWORD-ALGORITHM(S) present
    // but not both, the list not ours, or the algorithm not in it → 400; REALM not ours →
    // 401; unknown user, expired REST username, a SHA-256 PASSWORD-ALGORITHM for a user
    // with only an MD5 key, or a bad MAC → 401. MESSAGE-INTEGRITY-SHA256 is checked when
    // present, else MESSAGE-INTEGRITY. USERNAME wins over USERHASH; USERHASH finds static
    // users only (a REST username cannot be recovered from its hash). Nothing is stored.
    verdict verify(const stun::message_view& request, const stun::transport_address& client,
                   std::int64_t unix_now) const noexcept;

    // REALM, a fresh NONCE for `client` (with the RFC 8489 "obMatJos2" security-feature
    // prefix announcing password algorithms) and PASSWORD-ALGORITHMS (SHA-256, MD5).
    std::error_code add_challenge(stun::message_builder& b, const stun::transport_address& client,
                                  std::int64_t unix_now) const noexcept;

    // MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 matching what the request used.
    static std::error_code sign(stun::message_builder& b, const credential& c) noexcept;

    // TURN REST API: password = base64(HMAC-SHA1(secret, username)), standard alphabet with
    // padding (28 characters).
    static std::string rest_password(std::string_view secret, std::string_view username);

    // The expiry of a TURN REST username: "<unix expiry>" or "<unix expiry>:<user>" (coturn's
    // default ':' separator), or nullopt for any other form.
    static std::optional<std::int64_t> rest_expiry(std::string_view username) noexcept;

    // Whether a credential accepted earlier (`username` with the long-term `key`, 16 bytes for
    // MD5, 32 for SHA-256) is still good here: the user has that key, or a current secret
    // yields it. After a reload, allocations whose credential is not are revoked.
    bool still_accepts(std::string_view username, std::span<const std::uint8_t> key) const noexcept;

    const auth_settings& settings() const noexcept { return *settings_; }

private:
    friend struct authenticator_test_access; // unit tests reach the MAC step without a NONCE

    // The steps after the NONCE: REALM, user lookup, key choice and MAC.
    verdict authenticate(const stun::message_view& request, stun::password_algorithm_id alg,
                         std::int64_t unix_now) const noexcept;
    verdict authenticate_rest(const stun::message_view& request, std::string_view name,
                              stun::password_algorithm_id alg,
                              std::int64_t unix_now) const noexcept;
    const user_key* find_user(std::string_view name) const noexcept;
    const user_key* find_userhash(std::span<const std::uint8_t> hash) const noexcept;

    std::shared_ptr<const auth_settings> settings_;
    std::vector<std::uint32_t> by_name_; // indexes into settings_->users, sorted by name
    std::vector<std::pair<stun::userhash_value, std::uint32_t>> by_hash_; // sorted by hash
};

} // namespace icegate::turn
