// ERROR-CODE (RFC 8489 section 14.8), ADDRESS-ERROR-CODE (RFC 8656 section 18.14) and the
// STUN/TURN error code numbers with their default reason phrases.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>

#include "icegate/stun/attribute_type.hpp"
#include "icegate/stun/message_builder.hpp"
#include "icegate/stun/transport_address.hpp"
#include "icegate/util/result.hpp"

namespace icegate::stun {

// Error codes of RFC 8489 section 14.8, RFC 8656 section 19 and RFC 6062 section 6.3.
namespace status {
inline constexpr std::uint16_t try_alternate = 300;
inline constexpr std::uint16_t bad_request = 400;
inline constexpr std::uint16_t unauthorized = 401;
inline constexpr std::uint16_t forbidden = 403;
inline constexpr std::uint16_t unknown_attribute = 420;
inline constexpr std::uint16_t allocation_mismatch = 437;
inline constexpr std::uint16_t stale_nonce = 438;
inline constexpr std::uint16_t address_family_not_supported = 440;
inline constexpr std::uint16_t wrong_credentials = 441;
inline constexpr std::uint16_t unsupported_transport_protocol = 442;
inline constexpr std::uint16_t peer_address_family_mismatch = 443;
inline constexpr std::uint16_t connection_already_exists = 446;
inline constexpr std::uint16_t connection_timeout_or_failure = 447;
inline constexpr std::uint16_t allocation_quota_reached = 486;
inline constexpr std::uint16_t role_conflict = 487;
inline constexpr std::uint16_t server_error = 500;
inline constexpr std::uint16_t insufficient_capacity = 508;
} // namespace status

// The RFC's suggested reason phrase for `code`, or "" when it has none.
std::string_view default_reason_phrase(std::uint16_t code) noexcept;

// The reason phrase is fewer than 128 characters; we bound it at 763 bytes as the RFC does.
inline constexpr std::size_t max_reason_phrase_bytes = 762;

// ERROR-CODE: code = Class * 100 + Number, Class 3-6, Number 0-99.
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           Reserved, should be 0         |Class|     Number    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |      Reason Phrase (variable)                                ..
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct error_code_attribute {
    static constexpr attribute_type type = attribute_type::error_code;
    std::uint16_t code = 0;  // 300-699
    std::string_view reason; // UTF-8, a view into the message when decoded

    static result<error_code_attribute> decode(std::span<const std::uint8_t> value) noexcept;
    std::error_code encode(message_builder& b) const noexcept;
};

// ADDRESS-ERROR-CODE: which family of a dual allocation failed, and why (same code rules).
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Family       |    Reserved             |Class|     Number    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |      Reason Phrase (variable)                                ..
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct address_error_code {
    static constexpr attribute_type type = attribute_type::address_error_code;
    address_family family = address_family::ipv4;
    std::uint16_t code = 0;
    std::string_view reason;

    static result<address_error_code> decode(std::span<const std::uint8_t> value) noexcept;
    std::error_code encode(message_builder& b) const noexcept;
};

} // namespace icegate::stun
