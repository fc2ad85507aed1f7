// Plain and XOR-ed address attribute codecs (RFC 8489 sections 14.1, 14.2).
#include "icegate/stun/address_attributes.hpp"

#include <algorithm>
#include <array>

#include "bytes.hpp"

namespace icegate::stun::detail {
namespace {

// Cookie || transaction id: the XOR mask for port (first 2 bytes) and address.
std::array<std::uint8_t, 16> xor_mask(const transaction_id& id) noexcept {
    std::array<std::uint8_t, 16> mask;
    store_u32(mask.data(), magic_cookie);
    std::copy(id.begin(), id.end(), mask.begin() + 4);
    return mask;
}

void apply_mask(transport_address& a, const transaction_id& id) noexcept {
    const auto mask = xor_mask(id);
    a.port = static_cast<std::uint16_t>(a.port ^ load_u16(mask.data()));
    for (std::size_t i = 0; i < a.address_size(); ++i) {
        a.bytes[i] ^= mask[i];
    }
}

} // namespace

result<transport_address> decode_address(std::span<const std::uint8_t> value) noexcept {
    if (value.size() < 4) {
        return errc::bad_attribute_value;
    }
    transport_address a;
    if (value[1] == static_cast<std::uint8_t>(address_family::ipv4)) {
        a.family = address_family::ipv4;
    } else if (value[1] == static_cast<std::uint8_t>(address_family::ipv6)) {
        a.family = address_family::ipv6;
    } else {
        return errc::bad_address_family;
    }
    if (value.size() != 4 + a.address_size()) {
        return errc::bad_attribute_value;
    }
    a.port = load_u16(&value[2]);
    std::copy_n(value.begin() + 4, a.address_size(), a.bytes.begin());
    return a;
}

result<transport_address> decode_xor_address(std::span<const std::uint8_t> value,
                                             const transaction_id& id) noexcept {
    auto a = decode_address(value);
    if (a) {
        apply_mask(*a, id);
    }
    return a;
}

std::error_code encode_address(message_builder& b, attribute_type type,
                               const transport_address& a) noexcept {
    if (a.family != address_family::ipv4 && a.family != address_family::ipv6) {
        return b.fail(errc::bad_address_family);
    }
    auto dest = b.add_uninitialized(type, 4 + a.address_size());
    if (!dest) {
        return dest.error();
    }
    std::uint8_t* p = dest->data();
    p[0] = 0;
    p[1] = static_cast<std::uint8_t>(a.family);
    store_u16(p + 2, a.port);
    std::copy_n(a.bytes.begin(), a.address_size(), p + 4);
    return {};
}

std::error_code encode_xor_address(message_builder& b, attribute_type type,
                                   const transport_address& a) noexcept {
    transport_address masked = a;
    apply_mask(masked, b.transaction_id());
    return encode_address(b, type, masked);
}

} // namespace icegate::stun::detail
