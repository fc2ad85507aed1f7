// The known-attribute registry: names for every attribute type the codec understands.
#include "icegate/stun/attribute_type.hpp"

#include <array>

namespace icegate::stun {

namespace {

struct registry_entry {
    attribute_type type;
    std::string_view name;
};

using enum attribute_type;

constexpr registry_entry registry[] = {
    {mapped_address, "MAPPED-ADDRESS"},
    {username, "USERNAME"},
    {message_integrity, "MESSAGE-INTEGRITY"},
    {error_code, "ERROR-CODE"},
    {unknown_attributes, "UNKNOWN-ATTRIBUTES"},
    {realm, "REALM"},
    {nonce, "NONCE"},
    {message_integrity_sha256, "MESSAGE-INTEGRITY-SHA256"},
    {password_algorithm, "PASSWORD-ALGORITHM"},
    {userhash, "USERHASH"},
    {xor_mapped_address, "XOR-MAPPED-ADDRESS"},
    {password_algorithms, "PASSWORD-ALGORITHMS"},
    {alternate_domain, "ALTERNATE-DOMAIN"},
    {software, "SOFTWARE"},
    {alternate_server, "ALTERNATE-SERVER"},
    {fingerprint, "FINGERPRINT"},
    {channel_number, "CHANNEL-NUMBER"},
    {lifetime, "LIFETIME"},
    {xor_peer_address, "XOR-PEER-ADDRESS"},
    {data, "DATA"},
    {xor_relayed_address, "XOR-RELAYED-ADDRESS"},
    {requested_address_family, "REQUESTED-ADDRESS-FAMILY"},
    {even_port, "EVEN-PORT"},
    {requested_transport, "REQUESTED-TRANSPORT"},
    {dont_fragment, "DONT-FRAGMENT"},
    {reservation_token, "RESERVATION-TOKEN"},
    {additional_address_family, "ADDITIONAL-ADDRESS-FAMILY"},
    {address_error_code, "ADDRESS-ERROR-CODE"},
    {icmp, "ICMP"},
    {connection_id, "CONNECTION-ID"},
    {change_request, "CHANGE-REQUEST"},
    {padding, "PADDING"},
    {response_port, "RESPONSE-PORT"},
    {response_origin, "RESPONSE-ORIGIN"},
    {other_address, "OTHER-ADDRESS"},
    {priority, "PRIORITY"},
    {use_candidate, "USE-CANDIDATE"},
    {ice_controlled, "ICE-CONTROLLED"},
    {ice_controlling, "ICE-CONTROLLING"},
};

// Every known type lies in 0x0000-0x003F or 0x8000-0x803F: the names sit in one table indexed
// by the low six bits, per half, so a lookup (is_known_attribute runs once per
// comprehension-required attribute of every parsed message) is a bounds check and a load.
constexpr std::uint16_t block = 0x40;
using name_table = std::array<std::string_view, 2 * block>;

constexpr std::size_t slot_of(std::uint16_t t) noexcept {
    return (t >= 0x8000 ? block : 0) + (t & 0x7FFF);
}

constexpr bool fits(std::uint16_t t) noexcept {
    return (t & 0x7FFF) < block;
}

constexpr name_table make_names() {
    name_table names{};
    for (const auto& e : registry) {
        names[slot_of(static_cast<std::uint16_t>(e.type))] = e.name;
    }
    return names;
}

constexpr bool registry_fits() {
    name_table seen{};
    for (const auto& e : registry) {
        const auto t = static_cast<std::uint16_t>(e.type);
        if (!fits(t) || e.name.empty() || !seen[slot_of(t)].empty()) {
            return false;
        }
        seen[slot_of(t)] = e.name;
    }
    return true;
}
static_assert(registry_fits(), "a type outside the table's two blocks, or listed twice");

constexpr name_table names = make_names();

} // namespace

std::string_view attribute_name(attribute_type t) noexcept {
    const auto v = static_cast<std::uint16_t>(t);
    return fits(v) ? names[slot_of(v)] : std::string_view{};
}

bool is_known_attribute(attribute_type t) noexcept {
    return !attribute_name(t).empty();
}

} // namespace icegate::stun
