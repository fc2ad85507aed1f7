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

// Answers a Binding request received from `source`. Writes the response into `out` and returns
// its length, or returns 0 when the datagram must be dropped silently (not STUN, not a Binding
// request, or too malformed to answer). Never throws, never reads outside `request`.
std::size_t handle_binding(std::span<const std::uint8_t> request, const transport_address& source,
                           const binding_options& options, std::span<std::uint8_t> out) noexcept;

} // namespace icegate::stun
