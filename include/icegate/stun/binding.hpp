// The STUN Binding service (RFC 8489 section 6.3, RFC 3489 compatible), sans-I/O: a request's
// bytes and source address in, the response's bytes out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "icegate/stun/transport_address.hpp"

namespace icegate::stun {

struct binding_options {
    // SOFTWARE attribute value; empty means the attribute is not sent.
    std::string_view software;
};

// Largest response handle_binding() can write.
inline constexpr std::size_t max_binding_response = 1280;

// A response is never more than this many bytes larger than its request (no amplification for
// spoofed sources): SOFTWARE is left out when it would not fit. The mandatory attributes always
// fit (a 20-byte request gets at most a 44-byte IPv6 XOR-MAPPED-ADDRESS response).
inline constexpr std::size_t max_binding_growth = 64;

// Answers a Binding request received from `source`. Writes the response into `out` and returns
// its length, or returns 0 when the datagram must be dropped silently (not STUN, not a Binding
// request, or too malformed to answer). Never throws, never reads outside `request`.
// - success: XOR-MAPPED-ADDRESS, or MAPPED-ADDRESS echoing the 16-byte id for an RFC 3489
//   request (no magic cookie); SOFTWARE when options.software is set and fits;
// - 420 with UNKNOWN-ATTRIBUTES for unknown comprehension-required attributes;
// - 400 when the header is sound but an attribute TLV is not;
// - dropped: a bad header length, a wrong FINGERPRINT, an `out` too small for the answer;
// - FINGERPRINT on the response when the request carried one. MESSAGE-INTEGRITY on the request
//   is ignored (no short-term credentials here) and none is sent.
std::size_t handle_binding(std::span<const std::uint8_t> request, const transport_address& source,
                           const binding_options& options, std::span<std::uint8_t> out) noexcept;

} // namespace icegate::stun
