// transport_address: construction and text form.
#include "icegate/stun/transport_address.hpp"

#include <arpa/inet.h>

namespace icegate::stun {

transport_address transport_address::v4(std::array<std::uint8_t, 4> ip, std::uint16_t port) {
    transport_address a;
    a.family = address_family::ipv4;
    for (std::size_t i = 0; i < ip.size(); ++i) {
        a.bytes[i] = ip[i];
    }
    a.port = port;
    return a;
}

transport_address transport_address::v6(const std::array<std::uint8_t, 16>& ip,
                                        std::uint16_t port) {
    transport_address a;
    a.family = address_family::ipv6;
    a.bytes = ip;
    a.port = port;
    return a;
}

std::string transport_address::to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    if (is_v4()) {
        inet_ntop(AF_INET, bytes.data(), text, sizeof text);
        return std::string(text) + ":" + std::to_string(port);
    }
    inet_ntop(AF_INET6, bytes.data(), text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(port);
}

} // namespace icegate::stun
