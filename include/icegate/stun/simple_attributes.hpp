// Attributes with a simple value, one template per shape: 32/64-bit integers, empty flags,
// opaque bytes, bounded UTF-8 strings and fixed-size byte strings. Each alias names its RFC.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>

#include "icegate/stun/attribute_type.hpp"
#include "icegate/stun/error.hpp"
#include "icegate/stun/message_builder.hpp"
#include "icegate/util/result.hpp"

namespace icegate::stun {

namespace detail {
result<std::uint32_t> decode_u32(std::span<const std::uint8_t> value) noexcept;
result<std::uint64_t> decode_u64(std::span<const std::uint8_t> value) noexcept;
std::error_code encode_u32(message_builder& b, attribute_type type, std::uint32_t v) noexcept;
std::error_code encode_u64(message_builder& b, attribute_type type, std::uint64_t v) noexcept;
} // namespace detail

// A 32-bit unsigned value, network order; value length 4.
//  0                   1                   2                   3
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                            Value                              |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
template <attribute_type Type>
struct u32_attribute {
    static constexpr attribute_type type = Type;
    std::uint32_t value = 0;

    static result<u32_attribute> decode(std::span<const std::uint8_t> v) noexcept {
        auto n = detail::decode_u32(v);
        if (!n) {
            return n.error();
        }
        return u32_attribute{*n};
    }
    std::error_code encode(message_builder& b) const noexcept {
        return detail::encode_u32(b, Type, value);
    }
};

// A 64-bit unsigned value, network order; value length 8.
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                       Value (64 bits)                         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
template <attribute_type Type>
struct u64_attribute {
    static constexpr attribute_type type = Type;
    std::uint64_t value = 0;

    static result<u64_attribute> decode(std::span<const std::uint8_t> v) noexcept {
        auto n = detail::decode_u64(v);
        if (!n) {
            return n.error();
        }
        return u64_attribute{*n};
    }
    std::error_code encode(message_builder& b) const noexcept {
        return detail::encode_u64(b, Type, value);
    }
};

// No value: the attribute's presence is the information; value length 0.
template <attribute_type Type>
struct flag_attribute {
    static constexpr attribute_type type = Type;

    static result<flag_attribute> decode(std::span<const std::uint8_t> v) noexcept {
        if (!v.empty()) {
            return errc::bad_attribute_value;
        }
        return flag_attribute{};
    }
    std::error_code encode(message_builder& b) const noexcept {
        return b.add(Type, std::span<const std::uint8_t>{});
    }
};

// Opaque bytes of any length (a view into the message).
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Value (variable)                ....
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
template <attribute_type Type>
struct bytes_attribute {
    static constexpr attribute_type type = Type;
    std::span<const std::uint8_t> value;

    static result<bytes_attribute> decode(std::span<const std::uint8_t> v) noexcept {
        return bytes_attribute{v};
    }
    std::error_code encode(message_builder& b) const noexcept { return b.add(Type, value); }
};

// UTF-8 text of at most MaxBytes bytes (a view into the message); longer is value_too_long.
// Normalization (OpaqueString, RFC 8265) is the caller's business. Same layout as bytes.
template <attribute_type Type, std::size_t MaxBytes>
struct string_attribute {
    static constexpr attribute_type type = Type;
    static constexpr std::size_t max_bytes = MaxBytes;
    std::string_view value;

    static result<string_attribute> decode(std::span<const std::uint8_t> v) noexcept {
        if (v.size() > MaxBytes) {
            return errc::value_too_long;
        }
        return string_attribute{{reinterpret_cast<const char*>(v.data()), v.size()}};
    }
    std::error_code encode(message_builder& b) const noexcept {
        if (value.size() > MaxBytes) {
            return b.fail(errc::value_too_long);
        }
        return b.add(Type, value);
    }
};

// Exactly N opaque bytes.
template <attribute_type Type, std::size_t N>
struct fixed_bytes_attribute {
    static constexpr attribute_type type = Type;
    std::array<std::uint8_t, N> value{};

    static result<fixed_bytes_attribute> decode(std::span<const std::uint8_t> v) noexcept {
        if (v.size() != N) {
            return errc::bad_attribute_value;
        }
        fixed_bytes_attribute a;
        for (std::size_t i = 0; i < N; ++i) {
            a.value[i] = v[i];
        }
        return a;
    }
    std::error_code encode(message_builder& b) const noexcept {
        return b.add(Type, std::span<const std::uint8_t>(value));
    }
};

// LIFETIME (RFC 8656 section 18.2): seconds until the allocation expires.
using lifetime = u32_attribute<attribute_type::lifetime>;
// PRIORITY (RFC 8445 section 7.1.1): the candidate priority.
using priority = u32_attribute<attribute_type::priority>;
// CONNECTION-ID (RFC 6062 section 6.2.1): identifies a peer TCP connection.
using connection_id = u32_attribute<attribute_type::connection_id>;
// ICE-CONTROLLED / ICE-CONTROLLING (RFC 8445 section 7.1.3): 64-bit tie-breaker.
using ice_controlled = u64_attribute<attribute_type::ice_controlled>;
using ice_controlling = u64_attribute<attribute_type::ice_controlling>;
// DONT-FRAGMENT (RFC 8656 section 18.9), USE-CANDIDATE (RFC 8445 section 7.1.2): empty.
using dont_fragment = flag_attribute<attribute_type::dont_fragment>;
using use_candidate = flag_attribute<attribute_type::use_candidate>;
// DATA (RFC 8656 section 18.4): the application datagram. PADDING (RFC 5780 section 7.6).
using data = bytes_attribute<attribute_type::data>;
using padding = bytes_attribute<attribute_type::padding>;
// USERNAME (RFC 8489 section 14.3): fewer than 513 bytes (RFC 5389's limit; 8489 says 509
// after OpaqueString, we accept the older, larger bound).
using username = string_attribute<attribute_type::username, 512>;
// REALM, NONCE, SOFTWARE (RFC 8489 sections 14.9, 14.10, 14.14): fewer than 763 bytes.
using realm = string_attribute<attribute_type::realm, 762>;
using nonce = string_attribute<attribute_type::nonce, 762>;
using software = string_attribute<attribute_type::software, 762>;
// ALTERNATE-DOMAIN (RFC 8489 section 14.16): a DNS name, at most 255 bytes.
using alternate_domain = string_attribute<attribute_type::alternate_domain, 255>;
// RESERVATION-TOKEN (RFC 8656 section 18.10): 8 opaque bytes.
using reservation_token = fixed_bytes_attribute<attribute_type::reservation_token, 8>;
// USERHASH (RFC 8489 section 14.4): SHA-256(username ":" realm), 32 bytes.
using userhash = fixed_bytes_attribute<attribute_type::userhash, 32>;

} // namespace icegate::stun
