// The stateless NONCE (RFC 8489 section 9.2): "obMatJos2", the security-feature bits, then the
// issue time and a MAC binding it to the client's IP. Also the small OpenSSL helpers auth uses.
// Private to src/turn.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "icegate/stun/transport_address.hpp"

namespace icegate::turn::detail {

// "obMatJos2" + 4 base64 characters of features + 32 of base64(time (8) || MAC (16)).
inline constexpr std::size_t nonce_size = 9 + 4 + 32;
using nonce_text = std::array<char, nonce_size>;

enum class nonce_status : std::uint8_t { valid, stale, invalid };

// The nonce issued to `client` at `unix_now`, keyed by `key`.
nonce_text make_nonce(std::span<const std::uint8_t, 32> key, const stun::transport_address& client,
                      std::int64_t unix_now) noexcept;

// valid when `nonce` is one make_nonce() gave `client` at most `lifetime` seconds ago; stale
// when it was but is older; invalid when malformed, forged, for another client or from the
// future (beyond a few seconds of clock skew between workers).
nonce_status check_nonce(std::span<const std::uint8_t, 32> key, std::string_view nonce,
                         const stun::transport_address& client, std::int64_t unix_now,
                         std::int64_t lifetime) noexcept;

// HMAC through OpenSSL 3's EVP_MAC, one reused context per digest and thread; false on an
// OpenSSL failure. Safe to call from any thread.
bool hmac_sha1(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data,
               std::span<std::uint8_t, 20> out) noexcept;
bool hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data,
                 std::span<std::uint8_t, 32> out) noexcept;

// Standard base64 with padding of at most 64 bytes; `out` must hold 4 * ceil(in / 3)
// characters. Returns the count written, 0 when `in` is too long or `out` too short.
std::size_t base64_encode(std::span<const std::uint8_t> in, std::span<char> out) noexcept;

inline std::span<const std::uint8_t> bytes_of(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

} // namespace icegate::turn::detail
