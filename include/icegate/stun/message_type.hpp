// STUN message header vocabulary (RFC 8489 section 5): methods, classes, the interleaved
// message type field, the magic cookie and the transaction id.
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |0 0|     STUN Message Type     |         Message Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                         Magic Cookie                          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                     Transaction ID (96 bits)                  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Message type:  M11..M7 | C1 | M6..M4 | C0 | M3..M0   (bits 13..0)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace icegate::stun {

inline constexpr std::uint32_t magic_cookie = 0x2112A442;
inline constexpr std::size_t header_size = 20;
// FINGERPRINT is CRC-32 of the message XOR this (RFC 8489 section 14.7).
inline constexpr std::uint32_t fingerprint_xor = 0x5354554e;
inline constexpr std::size_t attribute_header_size = 4;
// The STUN length field is 16 bits; a message is at most this many bytes.
inline constexpr std::size_t max_message_size = header_size + 0xFFFC;

// 12 bits; values other than these are representable (unknown methods parse fine).
enum class method : std::uint16_t {
    binding = 0x001,
    allocate = 0x003,
    refresh = 0x004,
    send = 0x006,
    data = 0x007,
    create_permission = 0x008,
    channel_bind = 0x009,
    connect = 0x00a,            // RFC 6062
    connection_bind = 0x00b,    // RFC 6062
    connection_attempt = 0x00c, // RFC 6062
};

enum class message_class : std::uint8_t {
    request = 0b00,
    indication = 0b01,
    success_response = 0b10,
    error_response = 0b11,
};

struct message_type {
    stun::method method = stun::method::binding;
    stun::message_class message_class = stun::message_class::request;

    friend bool operator==(const message_type&, const message_type&) = default;
};

// The 96-bit RFC 5389/8489 transaction id.
using transaction_id = std::array<std::uint8_t, 12>;
// RFC 3489 had no magic cookie: its transaction id is the 16 bytes after the length.
using rfc3489_transaction_id = std::array<std::uint8_t, 16>;

// Encodes method and class into the 14-bit type field (the top two bits stay zero).
constexpr std::uint16_t encode_message_type(message_type t) noexcept {
    const auto m = static_cast<std::uint16_t>(static_cast<std::uint16_t>(t.method) & 0x0FFF);
    const auto c = static_cast<std::uint16_t>(t.message_class);
    return static_cast<std::uint16_t>((m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) |
                                      ((c & 0x1) << 4) | ((c & 0x2) << 7));
}

// Splits a type field into method and class; the top two bits are ignored.
constexpr message_type decode_message_type(std::uint16_t type) noexcept {
    const auto m = static_cast<std::uint16_t>((type & 0x000F) | ((type >> 1) & 0x0070) |
                                              ((type >> 2) & 0x0F80));
    const auto c = static_cast<std::uint8_t>(((type >> 4) & 0x1) | ((type >> 7) & 0x2));
    return {static_cast<stun::method>(m), static_cast<stun::message_class>(c)};
}

constexpr bool is_response(message_class c) noexcept {
    return c == message_class::success_response || c == message_class::error_response;
}

} // namespace icegate::stun
