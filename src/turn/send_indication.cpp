// Send indication (RFC 8656 section 11.2): relay DATA to XOR-PEER-ADDRESS if the allocation has
// a permission for it. Never answered; anything wrong drops it silently.
#include "engine_impl.hpp"
#include "icegate/stun/attributes.hpp"
#include "icegate/turn/peer_policy.hpp"

namespace icegate::turn {

// DONT-FRAGMENT in a Send indication is accepted and ignored: DF is a property of the relay
// socket, chosen once by the Allocate (section 7.2), and per-datagram toggling would cost a
// setsockopt per packet.
void handle_send_indication(engine::impl& e, const stun::message_view& msg, const client_ref& from,
                            const clock_reading& now) noexcept {
    allocation* a = e.allocations.find(five_tuple::of(from));
    const auto peer = stun::get<stun::xor_peer_address>(msg);
    const auto data = stun::get<stun::data>(msg);
    if (a == nullptr || !a->live(now.mono) || !peer || !data) {
        ++e.counters.client_dropped;
        return;
    }
    const relay_socket* relay = a->relay_for(peer->address.family);
    if (relay == nullptr || !a->permits(peer->address, now.mono)) {
        ++e.counters.client_dropped;
        return;
    }
    if (!e.policy->permits(peer->address)) {
        ++e.counters.peer_dropped_policy;
        return;
    }
    if (!admit_bandwidth(e, *a, data->value.size(), now.mono)) {
        return;
    }
    e.io.send_to_peer(relay->id, peer->address, data->value);
    a->traffic.bytes_to_peer += data->value.size();
    ++a->traffic.packets_to_peer;
}

} // namespace icegate::turn
