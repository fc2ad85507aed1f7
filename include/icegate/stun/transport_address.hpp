// An IP address and port as the sans-I/O modules see it: a plain value, no sockets.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>

namespace icegate::stun {

// Family codes as STUN encodes them (RFC 8489 section 14.1).
enum class address_family : std::uint8_t { ipv4 = 0x01, ipv6 = 0x02 };

struct transport_address {
    address_family family = address_family::ipv4;
    // Network byte order; IPv4 uses the first 4 bytes, the rest stay zero.
    std::array<std::uint8_t, 16> bytes{};
    std::uint16_t port = 0; // host byte order

    static transport_address v4(std::array<std::uint8_t, 4> ip, std::uint16_t port);
    static transport_address v6(const std::array<std::uint8_t, 16>& ip, std::uint16_t port);

    bool is_v4() const noexcept { return family == address_family::ipv4; }
    std::size_t address_size() const noexcept { return is_v4() ? 4 : 16; }

    // "192.0.2.1:3478" or "[2001:db8::1]:3478".
    std::string to_string() const;

    friend auto operator<=>(const transport_address&, const transport_address&) = default;
};

} // namespace icegate::stun
