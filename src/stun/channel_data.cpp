// ChannelData parse/build and the STUN/ChannelData/other demultiplexer.
#include "icegate/stun/channel_data.hpp"

#include <algorithm>

#include "bytes.hpp"
#include "icegate/stun/error.hpp"

namespace icegate::stun {

packet_kind classify(std::span<const std::uint8_t> packet) noexcept {
    if (packet.empty()) {
        return packet_kind::other;
    }
    switch (packet[0] >> 6) {
    case 0:
        return packet_kind::stun;
    case 1:
        return packet_kind::channel_data;
    default:
        return packet_kind::other;
    }
}

result<channel_data> channel_data::parse(std::span<const std::uint8_t> packet) noexcept {
    if (packet.size() < channel_data_header_size) {
        return errc::truncated;
    }
    if ((packet[0] & 0xC0) != 0x40) {
        return errc::not_channel_data;
    }
    const std::size_t length = detail::load_u16(&packet[2]);
    const std::size_t available = packet.size() - channel_data_header_size;
    if (length > available || available - length > 3) {
        return errc::bad_length;
    }
    return channel_data{detail::load_u16(packet.data()),
                        packet.subspan(channel_data_header_size, length)};
}

std::size_t channel_data::wire_size(channel_framing framing) const noexcept {
    const std::size_t size = channel_data_header_size + data.size();
    return framing == channel_framing::stream ? detail::pad4(size) : size;
}

result<std::size_t> channel_data::build(std::span<std::uint8_t> out,
                                        channel_framing framing) const noexcept {
    if (data.size() > 0xFFFF) {
        return errc::value_too_long;
    }
    const std::size_t size = wire_size(framing);
    if (out.size() < size) {
        return errc::buffer_too_small;
    }
    detail::store_u16(out.data(), channel);
    detail::store_u16(out.data() + 2, static_cast<std::uint16_t>(data.size()));
    std::copy(data.begin(), data.end(), out.begin() + channel_data_header_size);
    std::fill(out.begin() + channel_data_header_size + data.size(), out.begin() + size, 0);
    return size;
}

} // namespace icegate::stun
