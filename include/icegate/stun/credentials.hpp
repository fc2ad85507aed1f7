// Keys for MESSAGE-INTEGRITY(-SHA256) and the USERHASH value (RFC 8489 sections 9.1.2, 9.2.2,
// 14.4). Inputs must already be normalized: OpaqueString (RFC 8265) / SASLprep is out of scope
// here, so pass the processed strings (e.g. "TheMatrIX", not "The\u00ADM\u00AAtr\u2168").
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "icegate/util/result.hpp"

namespace icegate::stun {

using md5_key = std::array<std::uint8_t, 16>;
using sha256_key = std::array<std::uint8_t, 32>;
using userhash_value = std::array<std::uint8_t, 32>;

// MD5(username ":" realm ":" password): the long-term key for MESSAGE-INTEGRITY (and for
// MESSAGE-INTEGRITY-SHA256 when PASSWORD-ALGORITHM is MD5).
result<md5_key> long_term_key_md5(std::string_view username, std::string_view realm,
                                  std::string_view password) noexcept;

// SHA-256(username ":" realm ":" password): the key when PASSWORD-ALGORITHM is SHA-256.
result<sha256_key> long_term_key_sha256(std::string_view username, std::string_view realm,
                                        std::string_view password) noexcept;

// SHA-256(username ":" realm): the USERHASH attribute value.
result<userhash_value> compute_userhash(std::string_view username, std::string_view realm) noexcept;

// The short-term key is the password's bytes themselves (a view of `password`).
inline std::span<const std::uint8_t> short_term_key(std::string_view password) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(password.data()), password.size()};
}

} // namespace icegate::stun
