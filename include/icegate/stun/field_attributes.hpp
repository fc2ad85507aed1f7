// Attributes with small fixed layouts: CHANNEL-NUMBER, REQUESTED-TRANSPORT,
// REQUESTED-ADDRESS-FAMILY, ADDITIONAL-ADDRESS-FAMILY, EVEN-PORT, CHANGE-REQUEST,
// RESPONSE-PORT and ICMP. Reserved bits are sent as zero and ignored on receipt.
#pragma once

#include <cstdint>
#include <span>
#include <system_error>

#include "icegate/stun/attribute_type.hpp"
#include "icegate/stun/message_builder.hpp"
#include "icegate/stun/transport_address.hpp"
#include "icegate/util/result.hpp"

namespace icegate::stun {

// CHANNEL-NUMBER (RFC 8656 section 18.1). Valid channels are 0x4000-0x4FFF; decode accepts any
// number, the TURN engine checks the range.
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |        Channel Number         |         RFFU = 0              |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct channel_number {
    static constexpr attribute_type type = attribute_type::channel_number;
    std::uint16_t number = 0;

    static result<channel_number> decode(std::span<const std::uint8_t> value) noexcept;
    std::error_code encode(message_builder& b) const noexcept;
};

// REQUESTED-TRANSPORT (RFC 8656 section 18.7): an IANA protocol number (17 UDP, 6 TCP).
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |    Protocol   |                    RFFU                       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct requested_transport {
    static constexpr attribute_type type = attribute_type::requested_transport;
    static constexpr std::uint8_t udp = 17;
    static constexpr std::uint8_t tcp = 6;
    std::uint8_t protocol = udp;

    static result<requested_transport> decode(std::span<const std::uint8_t> value) noexcept;
    std::error_code encode(message_builder& b) const noexcept;
};

namespace detail {
result<address_family> decode_family(std::span<const std::uint8_t> value) noexcept;
std::error_code encode_family(message_builder& b, attribute_type type,
                              address_family family) noexcept;
} // namespace detail

// REQUESTED-ADDRESS-FAMILY (RFC 8656 section 18.11), ADDITIONAL-ADDRESS-FAMILY (18.12):
// family 0x01 IPv4 or 0x02 IPv6; anything else is bad_address_family (the TURN engine maps it
// to 440).
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Family    |            Reserved                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
template <attribute_type Type>
struct family_attribute {
    static constexpr attribute_type type = Type;
    address_family family = address_family::ipv4;

    static result<family_attribute> decode(std::span<const std::uint8_t> value) noexcept {
        auto f = detail::decode_family(value);
        if (!f) {
            return f.error();
        }
        return family_attribute{*f};
    }
    std::error_code encode(message_builder& b) const noexcept {
        return detail::encode_family(b, Type, family);
    }
};

using requested_address_family = family_attribute<attribute_type::requested_address_family>;
using additional_address_family = family_attribute<attribute_type::additional_address_family>;

// EVEN-PORT (RFC 8656 section 18.8): value length 1; R asks to reserve the next port too.
// +-+-+-+-+-+-+-+-+
// |R|    RFFU     |
// +-+-+-+-+-+-+-+-+
struct even_port {
    static constexpr attribute_type type = attribute_type::even_port;
    bool reserve = false;

    static result<even_port> decode(std::span<const std::uint8_t> value) noexcept;
    std::error_code encode(message_builder& b) const noexcept;
};

// CHANGE-REQUEST (RFC 5780 section 7.2): A = change IP (0x4), B = change port (0x2).
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 A B 0|
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct change_request {
    static constexpr attribute_type type = attribute_type::change_request;
    bool change_ip = false;
    bool change_port = false;

    static result<change_request> decode(std::span<const std::uint8_t> value) noexcept;
    std::error_code encode(message_builder& b) const noexcept;
};

// RESPONSE-PORT (RFC 5780 section 7.5).
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           Port                |            Padding            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct response_port {
    static constexpr attribute_type type = attribute_type::response_port;
    std::uint16_t port = 0;

    static result<response_port> decode(std::span<const std::uint8_t> value) noexcept;
    std::error_code encode(message_builder& b) const noexcept;
};

// ICMP (RFC 8656 section 18.13): type is 7 bits (0-127), code 8 bits.
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Reserved                     |  ICMP Type  |  ICMP Code      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                          Error Data                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct icmp {
    static constexpr attribute_type type = attribute_type::icmp;
    std::uint8_t icmp_type = 0;
    std::uint8_t icmp_code = 0;
    std::uint32_t error_data = 0;

    static result<icmp> decode(std::span<const std::uint8_t> value) noexcept;
    std::error_code encode(message_builder& b) const noexcept;
};

} // namespace icegate::stun
