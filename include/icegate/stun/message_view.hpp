// message_view: a zero-copy, allocation-free parse of one STUN message (RFC 8489 sections 5,
// 14) over the caller's bytes, with a fixed-capacity attribute index and integrity checks.
//
// Attribute TLV (RFC 8489 section 14), padded to a multiple of 4 bytes:
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Type                  |            Length             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                         Value (variable)                ....
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>

#include "icegate/stun/attribute_type.hpp"
#include "icegate/stun/error.hpp"
#include "icegate/stun/message_type.hpp"
#include "icegate/util/result.hpp"

namespace icegate::stun {

struct attribute {
    attribute_type type;
    std::span<const std::uint8_t> value; // without padding
};

class message_view {
public:
    // More indexed attributes than this is errc::too_many_attributes.
    static constexpr std::size_t max_attributes = 64;

    // Validates the header (first two bits zero, length a multiple of 4 and equal to the bytes
    // after the header) and every attribute TLV (in bounds, padding included). Attributes after
    // MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, after
    // MESSAGE-INTEGRITY-SHA256 other than FINGERPRINT, and all after FINGERPRINT, are ignored
    // (RFC 8489 sections 14.5-14.7): bounds-checked but not indexed. `bytes` must outlive the
    // view. Messages without the magic cookie (RFC 3489) parse too.
    static result<message_view> parse(std::span<const std::uint8_t> bytes) noexcept;

    std::span<const std::uint8_t> bytes() const noexcept { return bytes_; }
    std::uint16_t raw_type() const noexcept;
    message_type type() const noexcept { return decode_message_type(raw_type()); }
    stun::method method() const noexcept { return type().method; }
    stun::message_class message_class() const noexcept { return type().message_class; }
    // The header's length field: bytes after the 20-byte header.
    std::size_t length() const noexcept { return bytes_.size() - header_size; }
    bool has_magic_cookie() const noexcept;
    // Bytes 8..19 of the header.
    stun::transaction_id transaction_id() const noexcept;
    // Bytes 4..19 of the header: what an RFC 3489 response echoes.
    stun::rfc3489_transaction_id rfc3489_transaction_id() const noexcept;

    std::size_t attribute_count() const noexcept { return count_; }
    attribute attribute_at(std::size_t index) const noexcept;
    // The first indexed occurrence of `type`.
    std::optional<attribute> find(attribute_type type) const noexcept;
    bool contains(attribute_type type) const noexcept { return find(type).has_value(); }

    // HMAC-SHA1 (RFC 8489 section 14.5) / HMAC-SHA256 (14.6, 16 to 32 bytes) over the message
    // up to the attribute, with the length field counting through it; constant-time compare.
    // False when the attribute is absent or malformed.
    bool check_message_integrity(std::span<const std::uint8_t> key) const noexcept;
    bool check_message_integrity_sha256(std::span<const std::uint8_t> key) const noexcept;
    // CRC-32 XOR 0x5354554e (RFC 8489 section 14.7). False when absent or malformed.
    bool check_fingerprint() const noexcept;

    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = attribute;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = attribute;

        iterator() = default;
        attribute operator*() const noexcept { return view_->attribute_at(index_); }
        iterator& operator++() noexcept {
            ++index_;
            return *this;
        }
        iterator operator++(int) noexcept {
            iterator old = *this;
            ++index_;
            return old;
        }
        friend bool operator==(const iterator& a, const iterator& b) noexcept {
            return a.index_ == b.index_;
        }

    private:
        friend class message_view;
        iterator(const message_view* view, std::size_t index) : view_(view), index_(index) {}
        const message_view* view_ = nullptr;
        std::size_t index_ = 0;
    };

    iterator begin() const noexcept { return {this, 0}; }
    iterator end() const noexcept { return {this, count_}; }

private:
    struct entry {
        std::uint16_t type;
        std::uint16_t length;
        std::uint32_t offset; // of the value, from the start of the message
    };

    message_view() = default;
    const entry* find_entry(attribute_type type) const noexcept;
    bool check_hmac(attribute_type type, std::span<const std::uint8_t> key) const noexcept;

    std::span<const std::uint8_t> bytes_;
    std::array<entry, max_attributes> entries_{};
    std::size_t count_ = 0;
};

// Writes into `out` the distinct comprehension-required attribute types (0x0000-0x7FFF) of `m`
// that the registry does not know (is_known_attribute), in message order, and returns how many
// were written (at most out.size()).
std::size_t unknown_comprehension_required(const message_view& m,
                                           std::span<attribute_type> out) noexcept;

} // namespace icegate::stun
