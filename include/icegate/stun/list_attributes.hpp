// List-shaped attributes: UNKNOWN-ATTRIBUTES (RFC 8489 section 14.13), PASSWORD-ALGORITHM
// (14.12) and PASSWORD-ALGORITHMS (14.11). Decoded lists are views into the message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <system_error>

#include "icegate/stun/attribute_type.hpp"
#include "icegate/stun/message_builder.hpp"
#include "icegate/util/result.hpp"

namespace icegate::stun {

// UNKNOWN-ATTRIBUTES: 16-bit attribute types; value length is even.
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |      Attribute 1 Type         |       Attribute 2 Type        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |      Attribute 3 Type         |       Attribute 4 Type    ...
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct unknown_attributes {
    static constexpr attribute_type type = attribute_type::unknown_attributes;
    std::span<const std::uint8_t> raw; // the value as on the wire

    std::size_t size() const noexcept { return raw.size() / 2; }
    attribute_type operator[](std::size_t i) const noexcept;

    static result<unknown_attributes> decode(std::span<const std::uint8_t> value) noexcept;
    std::error_code encode(message_builder& b) const noexcept;
    static std::error_code encode(message_builder& b,
                                  std::span<const attribute_type> types) noexcept;
};

enum class password_algorithm_id : std::uint16_t { md5 = 0x0001, sha256 = 0x0002 };

// PASSWORD-ALGORITHM: one algorithm; MD5 and SHA-256 take no parameters.
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          Algorithm           |  Algorithm Parameters Length   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Algorithm Parameters (variable)
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct password_algorithm {
    static constexpr attribute_type type = attribute_type::password_algorithm;
    password_algorithm_id algorithm = password_algorithm_id::md5;
    std::span<const std::uint8_t> parameters;

    static result<password_algorithm> decode(std::span<const std::uint8_t> value) noexcept;
    std::error_code encode(message_builder& b) const noexcept;
};

// PASSWORD-ALGORITHMS: a list of PASSWORD-ALGORITHM values, each one's parameters padded to
// a multiple of 4 bytes.
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Algorithm 1           | Algorithm 1 Parameters Length |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Algorithm 1 Parameters (variable)
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Algorithm 2           | Algorithm 2 Parameters Length |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Algorithm 2 Parameters (variable)
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct password_algorithms {
    static constexpr attribute_type type = attribute_type::password_algorithms;
    std::span<const std::uint8_t> raw; // validated by decode()

    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = password_algorithm;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = password_algorithm;

        iterator() = default;
        password_algorithm operator*() const noexcept;
        iterator& operator++() noexcept;
        iterator operator++(int) noexcept {
            iterator old = *this;
            ++*this;
            return old;
        }
        friend bool operator==(const iterator& a, const iterator& b) noexcept {
            return a.rest_.data() == b.rest_.data() && a.rest_.size() == b.rest_.size();
        }

    private:
        friend struct password_algorithms;
        explicit iterator(std::span<const std::uint8_t> rest) : rest_(rest) {}
        std::span<const std::uint8_t> rest_;
    };

    iterator begin() const noexcept { return iterator(raw); }
    iterator end() const noexcept { return iterator(raw.subspan(raw.size())); }
    bool contains(password_algorithm_id id) const noexcept;

    static result<password_algorithms> decode(std::span<const std::uint8_t> value) noexcept;
    std::error_code encode(message_builder& b) const noexcept;
    static std::error_code encode(message_builder& b,
                                  std::span<const password_algorithm> list) noexcept;
};

} // namespace icegate::stun
