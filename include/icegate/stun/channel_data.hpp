// ChannelData messages (RFC 8656 section 12.4) and first-byte demultiplexing of what arrives
// on a STUN/TURN port (RFC 7983 style: 0b00 = STUN, 0b01 = ChannelData).
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Channel Number        |            Length             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// /                       Application Data                        /
// /                                                               /
// |                                                               |
// |                               +-------------------------------+
// |                               |
// +-------------------------------+
// Over TCP/TLS the message is padded to a multiple of 4 bytes (section 12.5); over UDP the
// padding is optional.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "icegate/util/result.hpp"

namespace icegate::stun {

enum class packet_kind : std::uint8_t { stun, channel_data, other };

// Looks only at the first byte's top two bits; an empty buffer is `other`.
packet_kind classify(std::span<const std::uint8_t> packet) noexcept;

inline constexpr std::size_t channel_data_header_size = 4;
inline constexpr std::uint16_t min_channel_number = 0x4000;
inline constexpr std::uint16_t max_channel_number = 0x4FFF;

// The channel numbers a client may bind (RFC 8656 section 12).
constexpr bool is_valid_channel_number(std::uint16_t n) noexcept {
    return n >= min_channel_number && n <= max_channel_number;
}

// RFC 5766 section 11 lists 0x4000 through 0x7FFF as channel numbers (its section 11.2 says
// 0x7FFE), and RFC 5766 clients still pick numbers there: coturn's turnutils_uclient draws from
// all of 0x4000-0x7FFF, and coturn accepts them. RFC 8656 narrowed new bindings to
// 0x4000-0x4FFF. The server accepts the old range so that those clients keep working (refusing
// 0x7FFF failed one uclient bind in 16,384).
inline constexpr std::uint16_t max_rfc5766_channel_number = 0x7FFF;
constexpr bool is_rfc5766_channel_number(std::uint16_t n) noexcept {
    return n >= min_channel_number && n <= max_rfc5766_channel_number;
}

enum class channel_framing : std::uint8_t { datagram, stream };

struct channel_data {
    std::uint16_t channel = 0;
    std::span<const std::uint8_t> data; // a view into the parsed bytes

    // Accepts any channel 0x4000-0x7FFF (the caller checks is_valid_channel_number). The data
    // must fit; up to 3 bytes of padding after it are accepted (a padded UDP datagram).
    // Errors: truncated, not_channel_data, bad_length.
    static result<channel_data> parse(std::span<const std::uint8_t> packet) noexcept;

    // Bytes build() writes: header + data, rounded up to 4 for streams.
    std::size_t wire_size(channel_framing framing) const noexcept;
    // Writes header, data and (for streams) zero padding into `out`; returns the size.
    // Errors: buffer_too_small, value_too_long (data over 65535 bytes).
    result<std::size_t> build(std::span<std::uint8_t> out, channel_framing framing) const noexcept;
};

} // namespace icegate::stun
