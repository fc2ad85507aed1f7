// ChannelData from a client (RFC 8656 section 12.6): the channel names the peer; the data
// (without the 4-byte header or padding) goes out of the relay socket.
#include "engine_impl.hpp"
#include "icegate/stun/channel_data.hpp"
#include "icegate/turn/peer_policy.hpp"

namespace icegate::turn {

void handle_client_channel_data(engine::impl& e, std::span<const std::uint8_t> bytes,
                                const client_ref& from, const clock_reading& now) noexcept {
    const auto frame = stun::channel_data::parse(bytes);
    allocation* a = frame && stun::is_rfc5766_channel_number(frame->channel)
                        ? e.allocations.find(five_tuple::of(from))
                        : nullptr;
    if (a == nullptr || !a->live(now.mono)) {
        ++e.counters.client_dropped;
        return;
    }
    const channel_binding* c = a->channel_by_number(frame->channel);
    if (c == nullptr || !c->bound(now.mono) || !a->permits(c->peer, now.mono)) {
        ++e.counters.client_dropped;
        return;
    }
    const relay_socket* relay = a->relay_for(c->peer.family);
    if (relay == nullptr) {
        ++e.counters.client_dropped;
        return;
    }
    if (!e.policy->permits(c->peer)) {
        ++e.counters.peer_dropped_policy;
        return;
    }
    if (!admit_bandwidth(e, *a, frame->data.size(), now.mono)) {
        return;
    }
    e.io.send_to_peer(relay->id, c->peer, frame->data);
    a->traffic.bytes_to_peer += frame->data.size();
    ++a->traffic.packets_to_peer;
}

} // namespace icegate::turn
