// ERROR-CODE and ADDRESS-ERROR-CODE codecs, and the default reason phrases.
#include "icegate/stun/error_code_attribute.hpp"

#include <algorithm>

namespace icegate::stun {
namespace {

struct parsed_code {
    std::uint8_t first_byte;
    std::uint16_t code;
    std::string_view reason;
};

result<parsed_code> parse_code(std::span<const std::uint8_t> value) noexcept {
    if (value.size() < 4) {
        return errc::bad_attribute_value;
    }
    const int cls = value[2] & 0x07;
    const int number = value[3];
    if (cls < 3 || cls > 6 || number > 99) {
        return errc::bad_error_code;
    }
    const auto reason = value.subspan(4);
    if (reason.size() > max_reason_phrase_bytes) {
        return errc::value_too_long;
    }
    return parsed_code{value[0],
                       static_cast<std::uint16_t>(cls * 100 + number),
                       {reinterpret_cast<const char*>(reason.data()), reason.size()}};
}

std::error_code write_code(message_builder& b, attribute_type type, std::uint8_t first_byte,
                           std::uint16_t code, std::string_view reason) noexcept {
    if (code < 300 || code > 699) {
        return b.fail(errc::bad_error_code);
    }
    if (reason.size() > max_reason_phrase_bytes) {
        return b.fail(errc::value_too_long);
    }
    auto dest = b.add_uninitialized(type, 4 + reason.size());
    if (!dest) {
        return dest.error();
    }
    std::uint8_t* p = dest->data();
    p[0] = first_byte;
    p[1] = 0;
    p[2] = static_cast<std::uint8_t>(code / 100);
    p[3] = static_cast<std::uint8_t>(code % 100);
    std::copy(reason.begin(), reason.end(), p + 4);
    return {};
}

} // namespace

std::string_view default_reason_phrase(std::uint16_t code) noexcept {
    switch (code) {
    case status::try_alternate:
        return "Try Alternate";
    case status::bad_request:
        return "Bad Request";
    case status::unauthorized:
        return "Unauthorized";
    case status::forbidden:
        return "Forbidden";
    case status::unknown_attribute:
        return "Unknown Attribute";
    case status::allocation_mismatch:
        return "Allocation Mismatch";
    case status::stale_nonce:
        return "Stale Nonce";
    case status::address_family_not_supported:
        return "Address Family not Supported";
    case status::wrong_credentials:
        return "Wrong Credentials";
    case status::unsupported_transport_protocol:
        return "Unsupported Transport Protocol";
    case status::peer_address_family_mismatch:
        return "Peer Address Family Mismatch";
    case status::connection_already_exists:
        return "Connection Already Exists";
    case status::connection_timeout_or_failure:
        return "Connection Timeout or Failure";
    case status::allocation_quota_reached:
        return "Allocation Quota Reached";
    case status::role_conflict:
        return "Role Conflict";
    case status::server_error:
        return "Server Error";
    case status::insufficient_capacity:
        return "Insufficient Capacity";
    default:
        return {};
    }
}

result<error_code_attribute>
error_code_attribute::decode(std::span<const std::uint8_t> value) noexcept {
    auto p = parse_code(value);
    if (!p) {
        return p.error();
    }
    return error_code_attribute{p->code, p->reason};
}

std::error_code error_code_attribute::encode(message_builder& b) const noexcept {
    return write_code(b, type, 0, code, reason);
}

result<address_error_code>
address_error_code::decode(std::span<const std::uint8_t> value) noexcept {
    auto p = parse_code(value);
    if (!p) {
        return p.error();
    }
    if (p->first_byte != 0x01 && p->first_byte != 0x02) {
        return errc::bad_address_family;
    }
    return address_error_code{static_cast<address_family>(p->first_byte), p->code, p->reason};
}

std::error_code address_error_code::encode(message_builder& b) const noexcept {
    if (family != address_family::ipv4 && family != address_family::ipv6) {
        return b.fail(errc::bad_address_family);
    }
    return write_code(b, type, static_cast<std::uint8_t>(family), code, reason);
}

} // namespace icegate::stun
