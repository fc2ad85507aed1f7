// Address attributes: MAPPED-ADDRESS family (plain) and XOR-MAPPED-ADDRESS family (XOR-ed).
//
// MAPPED-ADDRESS (RFC 8489 section 14.1), also ALTERNATE-SERVER (14.15), RESPONSE-ORIGIN and
// OTHER-ADDRESS (RFC 5780 sections 7.3, 7.4):
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |0 0 0 0 0 0 0 0|    Family     |           Port                |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                 Address (32 bits or 128 bits)                 |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// XOR-MAPPED-ADDRESS (RFC 8489 section 14.2), also XOR-PEER-ADDRESS and XOR-RELAYED-ADDRESS
// (RFC 8656 sections 18.3, 18.5): same layout, X-Port = port XOR the cookie's top 16 bits,
// X-Address = address XOR the magic cookie (IPv4) or XOR cookie || transaction id (IPv6):
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |0 0 0 0 0 0 0 0|    Family     |         X-Port                |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                X-Address (Variable)
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Family 0x01: 4-byte address (value length 8); 0x02: 16-byte address (value length 20).
#pragma once

#include <cstdint>
#include <span>
#include <system_error>

#include "icegate/stun/attribute_type.hpp"
#include "icegate/stun/message_builder.hpp"
#include "icegate/stun/message_type.hpp"
#include "icegate/stun/transport_address.hpp"
#include "icegate/util/result.hpp"

namespace icegate::stun {

namespace detail {
result<transport_address> decode_address(std::span<const std::uint8_t> value) noexcept;
result<transport_address> decode_xor_address(std::span<const std::uint8_t> value,
                                             const transaction_id& id) noexcept;
std::error_code encode_address(message_builder& b, attribute_type type,
                               const transport_address& a) noexcept;
std::error_code encode_xor_address(message_builder& b, attribute_type type,
                                   const transport_address& a) noexcept;
} // namespace detail

template <attribute_type Type>
struct address_attribute {
    static constexpr attribute_type type = Type;
    transport_address address;

    static result<address_attribute> decode(std::span<const std::uint8_t> value) noexcept {
        auto a = detail::decode_address(value);
        if (!a) {
            return a.error();
        }
        return address_attribute{*a};
    }
    std::error_code encode(message_builder& b) const noexcept {
        return detail::encode_address(b, Type, address);
    }
};

template <attribute_type Type>
struct xor_address_attribute {
    static constexpr attribute_type type = Type;
    transport_address address;

    static result<xor_address_attribute> decode(std::span<const std::uint8_t> value,
                                                const transaction_id& id) noexcept {
        auto a = detail::decode_xor_address(value, id);
        if (!a) {
            return a.error();
        }
        return xor_address_attribute{*a};
    }
    // XOR-s with the builder's transaction id.
    std::error_code encode(message_builder& b) const noexcept {
        return detail::encode_xor_address(b, Type, address);
    }
};

using mapped_address = address_attribute<attribute_type::mapped_address>;
using alternate_server = address_attribute<attribute_type::alternate_server>;
using response_origin = address_attribute<attribute_type::response_origin>;
using other_address = address_attribute<attribute_type::other_address>;

using xor_mapped_address = xor_address_attribute<attribute_type::xor_mapped_address>;
using xor_peer_address = xor_address_attribute<attribute_type::xor_peer_address>;
using xor_relayed_address = xor_address_attribute<attribute_type::xor_relayed_address>;

} // namespace icegate::stun
