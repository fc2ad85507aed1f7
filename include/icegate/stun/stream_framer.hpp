// Framing of a TCP/TLS byte stream that carries STUN messages and ChannelData (RFC 8656
// section 12.5: over streams ChannelData is padded to a multiple of 4). Pure, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "icegate/util/result.hpp"

namespace icegate::stun {

enum class frame_kind : std::uint8_t { stun, channel_data };

struct frame_info {
    frame_kind kind;
    // Bytes this frame occupies in the stream, including ChannelData padding.
    std::size_t size;
    // Bytes of the frame proper (STUN message, or ChannelData header + data, without padding).
    std::size_t message_size;
};

// Looks at the start of `buffered`. Returns:
// - a frame_info whose size is <= buffered.size() when a whole frame is there;
// - a frame_info whose size is > buffered.size() when more bytes are needed (size is the total
//   the frame will need, or 4 / 20 when even the header is incomplete);
// - an error (the stream is not STUN/ChannelData, or a length is impossible): close the stream.
result<frame_info> next_frame(std::span<const std::uint8_t> buffered) noexcept;

} // namespace icegate::stun
