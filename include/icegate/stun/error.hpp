// Error codes of the STUN codec (parse, typed decode, build) and their std::error_category.
#pragma once

#include <system_error>

namespace icegate::stun {

enum class errc {
    truncated = 1,       // fewer bytes than a header needs
    not_stun,            // first two bits not zero (or not a ChannelData number)
    bad_length,          // message length not a multiple of 4 or not matching the buffer
    bad_attribute,       // attribute TLV out of bounds
    too_many_attributes, // more attributes than message_view can index
    attribute_missing,   // the requested attribute is absent
    bad_attribute_value, // an attribute value with the wrong size or layout
    value_too_long,      // a string attribute over its RFC limit
    bad_address_family,  // address family neither IPv4 nor IPv6
    bad_error_code,      // ERROR-CODE outside 300-699
    buffer_too_small,    // the builder's output span is full
    attribute_order,     // an attribute added after MESSAGE-INTEGRITY(-SHA256)/FINGERPRINT
    crypto_failure,      // OpenSSL refused a digest or HMAC
    not_channel_data,    // ChannelData with a channel number outside 0x4000-0x7FFF
};

const std::error_category& stun_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), stun_category()};
}

} // namespace icegate::stun

template <>
struct std::is_error_code_enum<icegate::stun::errc> : std::true_type {};
