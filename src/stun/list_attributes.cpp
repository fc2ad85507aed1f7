// UNKNOWN-ATTRIBUTES, PASSWORD-ALGORITHM and PASSWORD-ALGORITHMS codecs.
#include "icegate/stun/list_attributes.hpp"

#include <algorithm>

#include "bytes.hpp"

namespace icegate::stun {

using detail::load_u16;
using detail::pad4;
using detail::store_u16;

attribute_type unknown_attributes::operator[](std::size_t i) const noexcept {
    return static_cast<attribute_type>(load_u16(&raw[2 * i]));
}

result<unknown_attributes>
unknown_attributes::decode(std::span<const std::uint8_t> value) noexcept {
    if (value.size() % 2 != 0) {
        return errc::bad_attribute_value;
    }
    return unknown_attributes{value};
}

std::error_code unknown_attributes::encode(message_builder& b) const noexcept {
    return b.add(type, raw);
}

std::error_code unknown_attributes::encode(message_builder& b,
                                           std::span<const attribute_type> types) noexcept {
    auto dest = b.add_uninitialized(type, 2 * types.size());
    if (!dest) {
        return dest.error();
    }
    for (std::size_t i = 0; i < types.size(); ++i) {
        store_u16(&(*dest)[2 * i], static_cast<std::uint16_t>(types[i]));
    }
    return {};
}

result<password_algorithm>
password_algorithm::decode(std::span<const std::uint8_t> value) noexcept {
    if (value.size() < 4) {
        return errc::bad_attribute_value;
    }
    const std::size_t length = load_u16(&value[2]);
    if (value.size() != 4 + length) {
        return errc::bad_attribute_value;
    }
    return password_algorithm{static_cast<password_algorithm_id>(load_u16(value.data())),
                              value.subspan(4)};
}

std::error_code password_algorithm::encode(message_builder& b) const noexcept {
    if (parameters.size() > 0xFFFF) {
        return b.fail(errc::value_too_long);
    }
    auto dest = b.add_uninitialized(type, 4 + parameters.size());
    if (!dest) {
        return dest.error();
    }
    store_u16(dest->data(), static_cast<std::uint16_t>(algorithm));
    store_u16(dest->data() + 2, static_cast<std::uint16_t>(parameters.size()));
    std::copy(parameters.begin(), parameters.end(), dest->begin() + 4);
    return {};
}

// Iteration relies on decode() having validated every entry's bounds.
password_algorithm password_algorithms::iterator::operator*() const noexcept {
    const std::size_t length = load_u16(&rest_[2]);
    return {static_cast<password_algorithm_id>(load_u16(rest_.data())), rest_.subspan(4, length)};
}

password_algorithms::iterator& password_algorithms::iterator::operator++() noexcept {
    const std::size_t length = load_u16(&rest_[2]);
    rest_ = rest_.subspan(std::min(rest_.size(), 4 + pad4(length)));
    return *this;
}

bool password_algorithms::contains(password_algorithm_id id) const noexcept {
    return std::any_of(begin(), end(),
                       [id](const password_algorithm& a) { return a.algorithm == id; });
}

result<password_algorithms>
password_algorithms::decode(std::span<const std::uint8_t> value) noexcept {
    std::size_t offset = 0;
    while (offset < value.size()) {
        if (value.size() - offset < 4) {
            return errc::bad_attribute_value;
        }
        const std::size_t length = load_u16(&value[offset + 2]);
        // The last entry's padding may be left to the attribute padding.
        if (value.size() - offset - 4 < length) {
            return errc::bad_attribute_value;
        }
        offset += std::min(value.size() - offset, 4 + pad4(length));
    }
    return password_algorithms{value};
}

std::error_code password_algorithms::encode(message_builder& b) const noexcept {
    return b.add(type, raw);
}

std::error_code password_algorithms::encode(message_builder& b,
                                            std::span<const password_algorithm> list) noexcept {
    std::size_t total = 0;
    for (const auto& a : list) {
        total += 4 + pad4(a.parameters.size());
    }
    auto dest = b.add_uninitialized(type, total);
    if (!dest) {
        return dest.error();
    }
    std::uint8_t* p = dest->data();
    for (const auto& a : list) {
        store_u16(p, static_cast<std::uint16_t>(a.algorithm));
        store_u16(p + 2, static_cast<std::uint16_t>(a.parameters.size()));
        std::copy(a.parameters.begin(), a.parameters.end(), p + 4);
        std::fill(p + 4 + a.parameters.size(), p + 4 + pad4(a.parameters.size()), 0);
        p += 4 + pad4(a.parameters.size());
    }
    return {};
}

} // namespace icegate::stun
