// Datagrams from peers (RFC 8656 sections 11.3, 12.7): with a permission, they reach the client
// as ChannelData when a channel is bound to the peer, else as a Data indication. Built in the
// engine's scratch buffer: nothing allocated per packet.
#include "engine_impl.hpp"
#include "icegate/stun/attributes.hpp"
#include "icegate/stun/channel_data.hpp"
#include "icegate/turn/peer_policy.hpp"

namespace icegate::turn {
namespace {

std::size_t build_channel_data(engine::impl& e, const allocation& a, std::uint16_t channel,
                               std::span<const std::uint8_t> bytes) noexcept {
    // Section 12.5: padded to 4 bytes over streams; unpadded over UDP.
    const auto framing = a.client.transport == client_transport::udp
                             ? stun::channel_framing::datagram
                             : stun::channel_framing::stream;
    const auto n = stun::channel_data{channel, bytes}.build(e.scratch(), framing);
    return n ? *n : 0;
}

std::size_t build_data_indication(engine::impl& e, const stun::transport_address& peer,
                                  std::span<const std::uint8_t> bytes) noexcept {
    const stun::transaction_id id = e.next_indication_id();
    stun::message_builder b(e.scratch(), {stun::method::data, stun::message_class::indication}, id);
    (void)stun::xor_peer_address{peer}.encode(b);
    (void)stun::data{bytes}.encode(b);
    return b.finish() ? b.size() : 0;
}

} // namespace

void handle_peer_datagram(engine::impl& e, relay_id relay, const stun::transport_address& peer,
                          std::span<const std::uint8_t> bytes, const clock_reading& now) noexcept {
    allocation* a = e.allocations.find_by_relay(relay);
    if (a == nullptr || !a->live(now.mono)) {
        return;
    }
    if (!a->permits(peer, now.mono)) {
        ++e.counters.peer_dropped_no_permission;
        return;
    }
    if (!e.policy->permits(peer)) {
        ++e.counters.peer_dropped_policy;
        return;
    }
    if (!admit_bandwidth(e, *a, bytes.size(), now.mono)) {
        return; // before framing: a dropped packet costs no copy
    }
    const channel_binding* c = a->channel_by_peer(peer);
    const std::size_t n = c != nullptr && c->bound(now.mono)
                              ? build_channel_data(e, *a, c->number, bytes)
                              : build_data_indication(e, peer, bytes);
    if (n == 0) {
        return; // too large to frame
    }
    e.io.send_to_client(a->client, e.scratch().first(n));
    a->traffic.bytes_to_client += bytes.size();
    ++a->traffic.packets_to_client;
}

} // namespace icegate::turn
