// STUN attribute types this codec knows (RFC 8489, 8656, 6062, 5780, 8445) and the
// comprehension-required rule (types 0x0000-0x7FFF, RFC 8489 section 14).
#pragma once

#include <cstdint>
#include <string_view>

namespace icegate::stun {

// Any 16-bit value is representable; these are the ones the registry knows.
enum class attribute_type : std::uint16_t {
    // RFC 8489
    mapped_address = 0x0001,
    username = 0x0006,
    message_integrity = 0x0008,
    error_code = 0x0009,
    unknown_attributes = 0x000A,
    realm = 0x0014,
    nonce = 0x0015,
    message_integrity_sha256 = 0x001C,
    password_algorithm = 0x001D,
    userhash = 0x001E,
    xor_mapped_address = 0x0020,
    password_algorithms = 0x8002,
    alternate_domain = 0x8003,
    software = 0x8022,
    alternate_server = 0x8023,
    fingerprint = 0x8028,
    // RFC 8656 (TURN)
    channel_number = 0x000C,
    lifetime = 0x000D,
    xor_peer_address = 0x0012,
    data = 0x0013,
    xor_relayed_address = 0x0016,
    requested_address_family = 0x0017,
    even_port = 0x0018,
    requested_transport = 0x0019,
    dont_fragment = 0x001A,
    reservation_token = 0x0022,
    additional_address_family = 0x8000,
    address_error_code = 0x8001,
    icmp = 0x8004,
    // RFC 6062 (TURN TCP)
    connection_id = 0x002A,
    // RFC 5780 (NAT behaviour discovery)
    change_request = 0x0003,
    padding = 0x0026,
    response_port = 0x0027,
    response_origin = 0x802B,
    other_address = 0x802C,
    // RFC 8445 (ICE)
    priority = 0x0024,
    use_candidate = 0x0025,
    ice_controlled = 0x8029,
    ice_controlling = 0x802A,
};

constexpr bool is_comprehension_required(attribute_type t) noexcept {
    return static_cast<std::uint16_t>(t) < 0x8000;
}

// True for every attribute type listed above.
bool is_known_attribute(attribute_type t) noexcept;

// "XOR-MAPPED-ADDRESS" etc., or "" for unknown types. For logs and test messages.
std::string_view attribute_name(attribute_type t) noexcept;

} // namespace icegate::stun
