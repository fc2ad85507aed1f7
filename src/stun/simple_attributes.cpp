// Integer codecs behind the simple attribute templates.
#include "icegate/stun/simple_attributes.hpp"

#include "bytes.hpp"

namespace icegate::stun::detail {

result<std::uint32_t> decode_u32(std::span<const std::uint8_t> value) noexcept {
    if (value.size() != 4) {
        return errc::bad_attribute_value;
    }
    return load_u32(value.data());
}

result<std::uint64_t> decode_u64(std::span<const std::uint8_t> value) noexcept {
    if (value.size() != 8) {
        return errc::bad_attribute_value;
    }
    return load_u64(value.data());
}

std::error_code encode_u32(message_builder& b, attribute_type type, std::uint32_t v) noexcept {
    auto dest = b.add_uninitialized(type, 4);
    if (!dest) {
        return dest.error();
    }
    store_u32(dest->data(), v);
    return {};
}

std::error_code encode_u64(message_builder& b, attribute_type type, std::uint64_t v) noexcept {
    auto dest = b.add_uninitialized(type, 8);
    if (!dest) {
        return dest.error();
    }
    store_u64(dest->data(), v);
    return {};
}

} // namespace icegate::stun::detail
