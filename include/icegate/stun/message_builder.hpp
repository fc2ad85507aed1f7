// message_builder: writes one STUN message into a caller-provided span, without allocating.
// Errors (out of room, attribute order) are sticky: check error() or finish() at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>

#include "icegate/stun/attribute_type.hpp"
#include "icegate/stun/error.hpp"
#include "icegate/stun/message_type.hpp"
#include "icegate/util/result.hpp"

namespace icegate::stun {

class message_builder {
public:
    // Writes the 20-byte header (magic cookie + `id`) with length 0.
    message_builder(std::span<std::uint8_t> out, message_type type,
                    const stun::transaction_id& id) noexcept;
    // RFC 3489 form: no magic cookie, the 16 bytes after the length are `id`.
    message_builder(std::span<std::uint8_t> out, message_type type,
                    const stun::rfc3489_transaction_id& id) noexcept;

    // Appends a TLV with zero padding. Errors: buffer_too_small, value_too_long (value or
    // message over the 16-bit length), attribute_order (nothing but MESSAGE-INTEGRITY-SHA256 or
    // FINGERPRINT after MESSAGE-INTEGRITY, nothing but FINGERPRINT after
    // MESSAGE-INTEGRITY-SHA256, nothing after FINGERPRINT), or the earlier sticky error.
    std::error_code add(attribute_type type, std::span<const std::uint8_t> value) noexcept;
    std::error_code add(attribute_type type, std::string_view value) noexcept;
    // Appends a TLV header and zeroed padding and returns the `length` value bytes to fill in.
    result<std::span<std::uint8_t>> add_uninitialized(attribute_type type,
                                                      std::size_t length) noexcept;

    // HMAC-SHA1 over the message so far, the length field counting the 24-byte attribute
    // (RFC 8489 section 14.5). Long-term key: see credentials.hpp; short-term: the password.
    std::error_code add_message_integrity(std::span<const std::uint8_t> key) noexcept;
    // HMAC-SHA256, the full 32 bytes (RFC 8489 section 14.6).
    std::error_code add_message_integrity_sha256(std::span<const std::uint8_t> key) noexcept;
    // CRC-32 XOR 0x5354554e over the message so far (RFC 8489 section 14.7); must be last.
    std::error_code add_fingerprint() noexcept;

    // Records `ec` as the sticky error unless one is already recorded; returns the sticky error.
    // Typed encoders call it when they reject a value, so finish() reports that too.
    std::error_code fail(std::error_code ec) noexcept;

    // The first error met, or a default (success) error_code.
    std::error_code error() const noexcept { return error_; }
    // The message written so far, or the sticky error.
    result<std::span<const std::uint8_t>> finish() const noexcept;
    std::size_t size() const noexcept { return size_; }
    bool has_magic_cookie() const noexcept { return cookie_; }
    // Header bytes 8..19 (what XOR-encoded IPv6 addresses are masked with).
    const stun::transaction_id& transaction_id() const noexcept { return id_; }

private:
    enum class stage : std::uint8_t { open, after_mi, after_mi_sha256, closed };

    void start(message_type type) noexcept;
    std::error_code check_order(attribute_type type) noexcept;
    std::error_code add_hmac(attribute_type type, std::size_t mac_size,
                             std::span<const std::uint8_t> key) noexcept;

    std::span<std::uint8_t> out_;
    std::size_t size_ = 0;
    std::error_code error_;
    stun::transaction_id id_{};
    stage stage_ = stage::open;
    bool cookie_ = true;
};

} // namespace icegate::stun
