// message_builder: TLV appends with padding, MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT.
#include "icegate/stun/message_builder.hpp"

#include <algorithm>
#include <array>

#include "bytes.hpp"
#include "icegate/stun/crypto.hpp"

namespace icegate::stun {

message_builder::message_builder(std::span<std::uint8_t> out, message_type type,
                                 const stun::transaction_id& id) noexcept
    : out_(out), id_(id) {
    start(type);
    if (!error_) {
        detail::store_u32(&out_[4], magic_cookie);
        std::copy(id.begin(), id.end(), out_.begin() + 8);
    }
}

message_builder::message_builder(std::span<std::uint8_t> out, message_type type,
                                 const stun::rfc3489_transaction_id& id) noexcept
    : out_(out), cookie_(false) {
    std::copy(id.begin() + 4, id.end(), id_.begin());
    cookie_ = detail::load_u32(id.data()) == magic_cookie;
    start(type);
    if (!error_) {
        std::copy(id.begin(), id.end(), out_.begin() + 4);
    }
}

void message_builder::start(message_type type) noexcept {
    if (out_.size() < header_size) {
        fail(errc::buffer_too_small);
        return;
    }
    detail::store_u16(&out_[0], encode_message_type(type));
    detail::store_u16(&out_[2], 0);
    size_ = header_size;
}

std::error_code message_builder::fail(std::error_code ec) noexcept {
    if (!error_) {
        error_ = ec;
    }
    return error_;
}

std::error_code message_builder::check_order(attribute_type type) noexcept {
    const bool is_mi = type == attribute_type::message_integrity;
    const bool is_mi256 = type == attribute_type::message_integrity_sha256;
    const bool is_fp = type == attribute_type::fingerprint;
    const bool allowed = stage_ == stage::open ||
                         (stage_ == stage::after_mi && (is_mi256 || is_fp)) ||
                         (stage_ == stage::after_mi_sha256 && is_fp);
    if (!allowed) {
        return fail(errc::attribute_order);
    }
    if (is_fp) {
        stage_ = stage::closed;
    } else if (is_mi256) {
        stage_ = stage::after_mi_sha256;
    } else if (is_mi) {
        stage_ = stage::after_mi;
    }
    return {};
}

result<std::span<std::uint8_t>> message_builder::add_uninitialized(attribute_type type,
                                                                   std::size_t length) noexcept {
    if (error_) {
        return error_;
    }
    if (length > 0xFFFF) {
        return fail(errc::value_too_long);
    }
    const std::size_t total = attribute_header_size + detail::pad4(length);
    if (size_ + total > max_message_size) {
        return fail(errc::value_too_long);
    }
    if (total > out_.size() - size_) {
        return fail(errc::buffer_too_small);
    }
    if (auto ec = check_order(type)) {
        return ec;
    }
    std::uint8_t* p = &out_[size_];
    detail::store_u16(p, static_cast<std::uint16_t>(type));
    detail::store_u16(p + 2, static_cast<std::uint16_t>(length));
    std::fill(p + attribute_header_size + length, p + total, std::uint8_t{0});
    size_ += total;
    detail::store_u16(&out_[2], static_cast<std::uint16_t>(size_ - header_size));
    return out_.subspan(size_ - total + attribute_header_size, length);
}

std::error_code message_builder::add(attribute_type type,
                                     std::span<const std::uint8_t> value) noexcept {
    auto dest = add_uninitialized(type, value.size());
    if (!dest) {
        return dest.error();
    }
    std::copy(value.begin(), value.end(), dest->begin());
    return {};
}

std::error_code message_builder::add(attribute_type type, std::string_view value) noexcept {
    return add(type, std::span(reinterpret_cast<const std::uint8_t*>(value.data()), value.size()));
}

std::error_code message_builder::add_hmac(attribute_type type, std::size_t mac_size,
                                          std::span<const std::uint8_t> key) noexcept {
    const std::size_t covered = size_;
    // Reserving first sets the length field to count the MAC attribute, as the RFC requires.
    auto dest = add_uninitialized(type, mac_size);
    if (!dest) {
        return dest.error();
    }
    const auto kind = mac_size == 20 ? detail::digest_kind::sha1 : detail::digest_kind::sha256;
    if (!detail::hmac(kind, key, {out_.first(covered)}, *dest)) {
        return fail(errc::crypto_failure);
    }
    return {};
}

std::error_code message_builder::add_message_integrity(std::span<const std::uint8_t> key) noexcept {
    return add_hmac(attribute_type::message_integrity, 20, key);
}

std::error_code
message_builder::add_message_integrity_sha256(std::span<const std::uint8_t> key) noexcept {
    return add_hmac(attribute_type::message_integrity_sha256, 32, key);
}

std::error_code message_builder::add_fingerprint() noexcept {
    const std::size_t covered = size_;
    auto dest = add_uninitialized(attribute_type::fingerprint, 4);
    if (!dest) {
        return dest.error();
    }
    const std::uint32_t crc = detail::crc32({out_.first(covered)});
    detail::store_u32(dest->data(), crc ^ fingerprint_xor);
    return {};
}

result<std::span<const std::uint8_t>> message_builder::finish() const noexcept {
    if (error_) {
        return error_;
    }
    return std::span<const std::uint8_t>(out_.first(size_));
}

} // namespace icegate::stun
