// Codecs for the small fixed-layout attributes (TURN, RFC 5780).
#include "icegate/stun/field_attributes.hpp"

#include "bytes.hpp"

namespace icegate::stun {

using detail::load_u16;
using detail::load_u32;
using detail::store_u16;
using detail::store_u32;

namespace {

// Writes a 4-byte value; the common case for these attributes.
std::error_code add_word(message_builder& b, attribute_type type, std::uint32_t word) noexcept {
    auto dest = b.add_uninitialized(type, 4);
    if (!dest) {
        return dest.error();
    }
    store_u32(dest->data(), word);
    return {};
}

} // namespace

result<channel_number> channel_number::decode(std::span<const std::uint8_t> value) noexcept {
    if (value.size() != 4) {
        return errc::bad_attribute_value;
    }
    return channel_number{load_u16(value.data())};
}

std::error_code channel_number::encode(message_builder& b) const noexcept {
    return add_word(b, type, std::uint32_t{number} << 16);
}

result<requested_transport>
requested_transport::decode(std::span<const std::uint8_t> value) noexcept {
    if (value.size() != 4) {
        return errc::bad_attribute_value;
    }
    return requested_transport{value[0]};
}

std::error_code requested_transport::encode(message_builder& b) const noexcept {
    return add_word(b, type, std::uint32_t{protocol} << 24);
}

result<address_family> detail::decode_family(std::span<const std::uint8_t> value) noexcept {
    if (value.size() != 4) {
        return errc::bad_attribute_value;
    }
    if (value[0] != 0x01 && value[0] != 0x02) {
        return errc::bad_address_family;
    }
    return static_cast<address_family>(value[0]);
}

std::error_code detail::encode_family(message_builder& b, attribute_type type,
                                      address_family family) noexcept {
    return add_word(b, type, std::uint32_t{static_cast<std::uint8_t>(family)} << 24);
}

result<even_port> even_port::decode(std::span<const std::uint8_t> value) noexcept {
    if (value.size() != 1) {
        return errc::bad_attribute_value;
    }
    return even_port{(value[0] & 0x80) != 0};
}

std::error_code even_port::encode(message_builder& b) const noexcept {
    auto dest = b.add_uninitialized(type, 1);
    if (!dest) {
        return dest.error();
    }
    (*dest)[0] = reserve ? 0x80 : 0x00;
    return {};
}

result<change_request> change_request::decode(std::span<const std::uint8_t> value) noexcept {
    if (value.size() != 4) {
        return errc::bad_attribute_value;
    }
    const std::uint32_t flags = load_u32(value.data());
    return change_request{(flags & 0x4) != 0, (flags & 0x2) != 0};
}

std::error_code change_request::encode(message_builder& b) const noexcept {
    return add_word(b, type, (change_ip ? 0x4U : 0U) | (change_port ? 0x2U : 0U));
}

result<response_port> response_port::decode(std::span<const std::uint8_t> value) noexcept {
    if (value.size() != 4) {
        return errc::bad_attribute_value;
    }
    return response_port{load_u16(value.data())};
}

std::error_code response_port::encode(message_builder& b) const noexcept {
    return add_word(b, type, std::uint32_t{port} << 16);
}

result<icmp> icmp::decode(std::span<const std::uint8_t> value) noexcept {
    if (value.size() != 8) {
        return errc::bad_attribute_value;
    }
    return icmp{static_cast<std::uint8_t>(value[2] & 0x7F), value[3], load_u32(&value[4])};
}

std::error_code icmp::encode(message_builder& b) const noexcept {
    auto dest = b.add_uninitialized(type, 8);
    if (!dest) {
        return dest.error();
    }
    store_u16(dest->data(), 0);
    (*dest)[2] = static_cast<std::uint8_t>(icmp_type & 0x7F);
    (*dest)[3] = icmp_code;
    store_u32(dest->data() + 4, error_data);
    return {};
}

} // namespace icegate::stun
