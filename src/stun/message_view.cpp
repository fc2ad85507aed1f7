// message_view: header and TLV validation, the attribute index, integrity and fingerprint.
#include "icegate/stun/message_view.hpp"

#include <algorithm>

#include "bytes.hpp"
#include "icegate/stun/crypto.hpp"

namespace icegate::stun {
namespace {

using detail::load_u16;
using detail::load_u32;

// Which attributes are still indexed (RFC 8489 sections 14.5-14.7).
enum class stage : std::uint8_t { open, after_mi, after_mi_sha256, closed };

// Decides whether an attribute of `type` met at `s` is indexed, and moves the stage on.
bool admit(stage& s, attribute_type type) noexcept {
    const bool is_mi = type == attribute_type::message_integrity;
    const bool is_mi256 = type == attribute_type::message_integrity_sha256;
    const bool is_fp = type == attribute_type::fingerprint;
    switch (s) {
    case stage::open:
        s = is_mi ? stage::after_mi : is_mi256 ? stage::after_mi_sha256 : s;
        break;
    case stage::after_mi:
        if (!is_mi256 && !is_fp) {
            return false;
        }
        s = is_mi256 ? stage::after_mi_sha256 : s;
        break;
    case stage::after_mi_sha256:
        if (!is_fp) {
            return false;
        }
        break;
    case stage::closed:
        return false;
    }
    if (is_fp) {
        s = stage::closed;
    }
    return true;
}

// The header as it was when the sender computed the MAC or CRC over it: the length field
// counts up to the end of the attribute that carries the MAC or CRC.
std::array<std::uint8_t, header_size> adjusted_header(std::span<const std::uint8_t> bytes,
                                                      std::size_t end) noexcept {
    std::array<std::uint8_t, header_size> header;
    std::copy_n(bytes.begin(), header_size, header.begin());
    detail::store_u16(&header[2], static_cast<std::uint16_t>(end - header_size));
    return header;
}

} // namespace

result<message_view> message_view::parse(std::span<const std::uint8_t> bytes) noexcept {
    if (bytes.size() < header_size) {
        return errc::truncated;
    }
    if ((bytes[0] & 0xC0) != 0) {
        return errc::not_stun;
    }
    const std::size_t length = load_u16(&bytes[2]);
    if (length % 4 != 0 || header_size + length != bytes.size()) {
        return errc::bad_length;
    }
    message_view view;
    view.bytes_ = bytes;
    stage s = stage::open;
    std::size_t offset = header_size;
    while (offset < bytes.size()) {
        const std::size_t left = bytes.size() - offset;
        if (left < attribute_header_size) {
            return errc::bad_attribute;
        }
        const auto type = static_cast<attribute_type>(load_u16(&bytes[offset]));
        const std::uint16_t value_length = load_u16(&bytes[offset + 2]);
        if (detail::pad4(value_length) > left - attribute_header_size) {
            return errc::bad_attribute;
        }
        if (admit(s, type)) {
            if (view.count_ == max_attributes) {
                return errc::too_many_attributes;
            }
            view.entries_[view.count_++] = {static_cast<std::uint16_t>(type), value_length,
                                            static_cast<std::uint32_t>(offset + 4)};
        }
        offset += attribute_header_size + detail::pad4(value_length);
    }
    return view;
}

std::uint16_t message_view::raw_type() const noexcept {
    return load_u16(&bytes_[0]);
}

bool message_view::has_magic_cookie() const noexcept {
    return load_u32(&bytes_[4]) == magic_cookie;
}

stun::transaction_id message_view::transaction_id() const noexcept {
    stun::transaction_id id;
    std::copy_n(bytes_.begin() + 8, id.size(), id.begin());
    return id;
}

stun::rfc3489_transaction_id message_view::rfc3489_transaction_id() const noexcept {
    stun::rfc3489_transaction_id id;
    std::copy_n(bytes_.begin() + 4, id.size(), id.begin());
    return id;
}

attribute message_view::attribute_at(std::size_t index) const noexcept {
    const entry& e = entries_[index];
    return {static_cast<attribute_type>(e.type), bytes_.subspan(e.offset, e.length)};
}

const message_view::entry* message_view::find_entry(attribute_type type) const noexcept {
    const auto wanted = static_cast<std::uint16_t>(type);
    for (std::size_t i = 0; i < count_; ++i) {
        if (entries_[i].type == wanted) {
            return &entries_[i];
        }
    }
    return nullptr;
}

std::optional<attribute> message_view::find(attribute_type type) const noexcept {
    const entry* e = find_entry(type);
    if (e == nullptr) {
        return std::nullopt;
    }
    return attribute{type, bytes_.subspan(e->offset, e->length)};
}

bool message_view::check_hmac(attribute_type type,
                              std::span<const std::uint8_t> key) const noexcept {
    const entry* e = find_entry(type);
    if (e == nullptr) {
        return false;
    }
    const bool sha256 = type == attribute_type::message_integrity_sha256;
    if (sha256 ? (e->length < 16 || e->length > 32 || e->length % 4 != 0) : e->length != 20) {
        return false;
    }
    const std::size_t start = e->offset - attribute_header_size;
    const auto header = adjusted_header(bytes_, e->offset + e->length);
    std::array<std::uint8_t, 32> mac{};
    const auto kind = sha256 ? detail::digest_kind::sha256 : detail::digest_kind::sha1;
    const auto mac_span = std::span(mac).first(sha256 ? 32 : 20);
    if (!detail::hmac(kind, key, {header, bytes_.subspan(header_size, start - header_size)},
                      mac_span)) {
        return false;
    }
    return detail::constant_time_equal(mac_span.first(e->length),
                                       bytes_.subspan(e->offset, e->length));
}

bool message_view::check_message_integrity(std::span<const std::uint8_t> key) const noexcept {
    return check_hmac(attribute_type::message_integrity, key);
}

bool message_view::check_message_integrity_sha256(
    std::span<const std::uint8_t> key) const noexcept {
    return check_hmac(attribute_type::message_integrity_sha256, key);
}

bool message_view::check_fingerprint() const noexcept {
    const entry* e = find_entry(attribute_type::fingerprint);
    if (e == nullptr || e->length != 4) {
        return false;
    }
    const std::size_t start = e->offset - attribute_header_size;
    const auto header = adjusted_header(bytes_, e->offset + e->length);
    const std::uint32_t crc =
        detail::crc32({header, bytes_.subspan(header_size, start - header_size)});
    return (crc ^ fingerprint_xor) == load_u32(&bytes_[e->offset]);
}

std::size_t unknown_comprehension_required(const message_view& m,
                                           std::span<attribute_type> out) noexcept {
    std::size_t n = 0;
    for (const attribute a : m) {
        if (n == out.size()) {
            break;
        }
        if (!is_comprehension_required(a.type) || is_known_attribute(a.type)) {
            continue;
        }
        const auto written = out.first(n);
        if (std::find(written.begin(), written.end(), a.type) == written.end()) {
            out[n++] = a.type;
        }
    }
    return n;
}

} // namespace icegate::stun
