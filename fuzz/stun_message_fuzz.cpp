// libFuzzer target: parse a STUN message, walk and decode every attribute, run the integrity
// and fingerprint checks, answer it as a Binding server, and parse ChannelData.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "icegate/stun/attributes.hpp"
#include "icegate/stun/binding.hpp"
#include "icegate/stun/channel_data.hpp"
#include "icegate/stun/credentials.hpp"
#include "icegate/stun/message_view.hpp"

namespace {

using namespace icegate::stun;

// Decodes `a` with every typed codec whose type matches, and with a few that do not (decoders
// must cope with any bytes whatever the attribute type says).
void decode_typed(const message_view& m, const attribute& a) {
    const auto v = a.value;
    (void)mapped_address::decode(v);
    (void)xor_mapped_address::decode(v, m.transaction_id());
    (void)error_code_attribute::decode(v);
    (void)address_error_code::decode(v);
    (void)channel_number::decode(v);
    (void)requested_transport::decode(v);
    (void)requested_address_family::decode(v);
    (void)even_port::decode(v);
    (void)change_request::decode(v);
    (void)response_port::decode(v);
    (void)icmp::decode(v);
    (void)lifetime::decode(v);
    (void)ice_controlling::decode(v);
    (void)use_candidate::decode(v);
    (void)username::decode(v);
    (void)reservation_token::decode(v);
    (void)userhash::decode(v);
    (void)password_algorithm::decode(v);
    if (auto u = unknown_attributes::decode(v)) {
        for (std::size_t i = 0; i < u->size(); ++i) {
            (void)(*u)[i];
        }
    }
    if (auto list = password_algorithms::decode(v)) {
        for (const password_algorithm p : *list) {
            (void)p.parameters.size();
        }
        (void)list->contains(password_algorithm_id::sha256);
    }
}

void fuzz_view(const message_view& m) {
    for (const attribute a : m) {
        decode_typed(m, a);
    }
    (void)get<xor_peer_address>(m);
    (void)get<data>(m);
    std::array<attribute_type, 8> unknown{};
    (void)unknown_comprehension_required(m, unknown);
    static const std::uint8_t key[16] = {1, 2, 3};
    (void)m.check_message_integrity(key);
    (void)m.check_message_integrity_sha256(key);
    (void)m.check_fingerprint();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    const std::span<const std::uint8_t> input(bytes, size);
    (void)classify(input);
    if (auto m = message_view::parse(input)) {
        fuzz_view(*m);
    }
    (void)channel_data::parse(input);

    std::array<std::uint8_t, max_binding_response> out;
    const auto v4 = transport_address::v4({192, 0, 2, 1}, 3478);
    const std::size_t n = handle_binding(input, v4, {"icegate fuzz"}, out);
    if (n > 0) {
        // What we send must parse, and never amplifies much.
        auto reply = message_view::parse(std::span(out).first(n));
        if (!reply || n > size + max_binding_growth) {
            __builtin_trap();
        }
    }
    std::array<std::uint8_t, 16> ip6{0x20, 0x01, 0x0d, 0xb8};
    (void)handle_binding(input, transport_address::v6(ip6, 1), {}, out);
    return 0;
}
