// The known-attribute registry: names for every attribute type the codec understands.
#include "icegate/stun/attribute_type.hpp"

namespace icegate::stun {

std::string_view attribute_name(attribute_type t) noexcept {
    using enum attribute_type;
    switch (t) {
    case mapped_address:
        return "MAPPED-ADDRESS";
    case username:
        return "USERNAME";
    case message_integrity:
        return "MESSAGE-INTEGRITY";
    case error_code:
        return "ERROR-CODE";
    case unknown_attributes:
        return "UNKNOWN-ATTRIBUTES";
    case realm:
        return "REALM";
    case nonce:
        return "NONCE";
    case message_integrity_sha256:
        return "MESSAGE-INTEGRITY-SHA256";
    case password_algorithm:
        return "PASSWORD-ALGORITHM";
    case userhash:
        return "USERHASH";
    case xor_mapped_address:
        return "XOR-MAPPED-ADDRESS";
    case password_algorithms:
        return "PASSWORD-ALGORITHMS";
    case alternate_domain:
        return "ALTERNATE-DOMAIN";
    case software:
        return "SOFTWARE";
    case alternate_server:
        return "ALTERNATE-SERVER";
    case fingerprint:
        return "FINGERPRINT";
    case channel_number:
        return "CHANNEL-NUMBER";
    case lifetime:
        return "LIFETIME";
    case xor_peer_address:
        return "XOR-PEER-ADDRESS";
    case data:
        return "DATA";
    case xor_relayed_address:
        return "XOR-RELAYED-ADDRESS";
    case requested_address_family:
        return "REQUESTED-ADDRESS-FAMILY";
    case even_port:
        return "EVEN-PORT";
    case requested_transport:
        return "REQUESTED-TRANSPORT";
    case dont_fragment:
        return "DONT-FRAGMENT";
    case reservation_token:
        return "RESERVATION-TOKEN";
    case additional_address_family:
        return "ADDITIONAL-ADDRESS-FAMILY";
    case address_error_code:
        return "ADDRESS-ERROR-CODE";
    case icmp:
        return "ICMP";
    case connection_id:
        return "CONNECTION-ID";
    case change_request:
        return "CHANGE-REQUEST";
    case padding:
        return "PADDING";
    case response_port:
        return "RESPONSE-PORT";
    case response_origin:
        return "RESPONSE-ORIGIN";
    case other_address:
        return "OTHER-ADDRESS";
    case priority:
        return "PRIORITY";
    case use_candidate:
        return "USE-CANDIDATE";
    case ice_controlled:
        return "ICE-CONTROLLED";
    case ice_controlling:
        return "ICE-CONTROLLING";
    }
    return {};
}

bool is_known_attribute(attribute_type t) noexcept {
    return !attribute_name(t).empty();
}

} // namespace icegate::stun
