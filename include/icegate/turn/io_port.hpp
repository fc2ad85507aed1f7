// What the sans-I/O TURN engine asks of the I/O layer (src/net implements it, tests fake it).
// Every call happens on the worker thread that owns the engine, synchronously.
#pragma once

#include <cstdint>
#include <span>

#include "icegate/stun/transport_address.hpp"
#include "icegate/turn/client_transport.hpp"
#include "icegate/util/result.hpp"

namespace icegate::turn {

// Where a client message came from, and the handle to answer it through.
struct client_ref {
    stun::transport_address client; // remote address
    stun::transport_address server; // our address it arrived on
    client_transport transport = client_transport::udp;
    // The I/O layer's handle for the socket or connection (a UDP listener socket, or a TCP/TLS
    // session). Opaque to the engine; stable while the connection lives.
    std::uint64_t conn = 0;

    friend bool operator==(const client_ref&, const client_ref&) = default;
};

using relay_id = std::uint32_t;

struct relay_request {
    stun::address_family family = stun::address_family::ipv4;
    std::uint16_t port = 0;     // 0: any free port of this worker's range; else exactly this one
    bool even_port = false;     // with port 0: an even port
    bool dont_fragment = false; // set DF (IP_PMTUDISC_DO / IPV6_DONTFRAG) on the socket
    // With an exact port: a claimed reservation, which may lie in another worker's slice (but
    // never outside the relay range).
    bool reserved = false;
    // A claimed reservation's held socket (hold_port()): the relay adopts it instead of
    // binding anew, so the port is never free between reservation and claim. Consumed even
    // when opening fails.
    std::int64_t adopt = -1;
};

struct relay_binding {
    relay_id id = 0;
    stun::transport_address address; // the bound address (before external_address mapping)
};

class io_port {
public:
    virtual ~io_port() = default;
    // Opens a UDP relay socket. Errors: the range is exhausted (the engine answers 508), the
    // exact port is taken, the family has no relay address (440). With port 0 it never picks a
    // port the shared reservation_table holds.
    virtual result<relay_binding> open_relay(const relay_request& req) noexcept = 0;
    virtual void close_relay(relay_id id) noexcept = 0;
    // Binds a socket to exactly `port` of this worker's slice and keeps it, unregistered with
    // any event loop, so any worker can adopt it (relay_request::adopt) or let it go
    // (release_port()). Returns its handle. EVEN-PORT's reserved neighbour port lives here.
    virtual result<std::int64_t> hold_port(stun::address_family family,
                                           std::uint16_t port) noexcept = 0;
    virtual void release_port(std::int64_t handle) noexcept = 0;
    virtual void send_to_peer(relay_id id, const stun::transport_address& peer,
                              std::span<const std::uint8_t> bytes) noexcept = 0;
    // Over TCP/TLS `bytes` is one whole frame; ChannelData there must already be padded.
    virtual void send_to_client(const client_ref& to,
                                std::span<const std::uint8_t> bytes) noexcept = 0;
};

} // namespace icegate::turn
