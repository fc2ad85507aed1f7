// next_frame(): where the next STUN message or ChannelData ends in a TCP/TLS byte stream.
#include "icegate/stun/stream_framer.hpp"

#include "bytes.hpp"
#include "icegate/stun/channel_data.hpp"
#include "icegate/stun/error.hpp"
#include "icegate/stun/message_type.hpp"

namespace icegate::stun {

result<frame_info> next_frame(std::span<const std::uint8_t> buffered) noexcept {
    switch (classify(buffered)) {
    case packet_kind::other:
        if (buffered.empty()) {
            // Nothing yet: the smallest header (ChannelData) is 4 bytes.
            return frame_info{frame_kind::stun, channel_data_header_size, channel_data_header_size};
        }
        return errc::not_stun;
    case packet_kind::stun: {
        if (buffered.size() < header_size) {
            return frame_info{frame_kind::stun, header_size, header_size};
        }
        const std::size_t length = detail::load_u16(&buffered[2]);
        if (length % 4 != 0) {
            return errc::bad_length;
        }
        return frame_info{frame_kind::stun, header_size + length, header_size + length};
    }
    case packet_kind::channel_data: {
        if (buffered.size() < channel_data_header_size) {
            return frame_info{frame_kind::channel_data, channel_data_header_size,
                              channel_data_header_size};
        }
        if (detail::load_u16(&buffered[0]) > max_rfc5766_channel_number) {
            return errc::not_channel_data;
        }
        const std::size_t size = channel_data_header_size + detail::load_u16(&buffered[2]);
        return frame_info{frame_kind::channel_data, detail::pad4(size), size};
    }
    }
    return errc::not_stun;
}

} // namespace icegate::stun
