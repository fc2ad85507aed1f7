// The one seam between the listeners and worker_io: a listener socket or a TCP/TLS session
// registers with the worker's client_links (its worker_io) and gets the id its clients' replies
// carry (packet_context::conn); worker_io sends the engine's replies back through it. Neither
// side sees the other's class.
#pragma once

#include <cstdint>
#include <span>

#include "icegate/stun/transport_address.hpp"

namespace icegate::net {

// A UDP listener socket, as worker_io sees it.
class udp_link {
public:
    // Queues a datagram to `to`; it leaves with the batch (flush(), or when the batch fills).
    // Returns false when it was dropped (too large).
    virtual bool send(const stun::transport_address& to,
                      std::span<const std::uint8_t> bytes) noexcept = 0;
    virtual void flush() noexcept = 0;
    // Gives `client` a socket of its own (udp_listener::pin): an upgrade's overlap.
    virtual bool pin(const stun::transport_address& client) = 0;

protected:
    ~udp_link() = default;
};

// A TCP/TLS session, as worker_io sees it.
class stream_link {
public:
    // Queues one frame for the client. Past the write queue limit peer data is dropped and
    // any other frame disconnects the client, later (posted), so callers deep inside the
    // engine never see the session vanish.
    virtual void send(std::span<const std::uint8_t> bytes) = 0;

protected:
    ~stream_link() = default;
};

// worker_io, as listeners and sessions see it. Only on the worker's thread.
class client_links {
public:
    // Listeners and sessions register so replies can find them. Returns the conn id.
    virtual std::uint64_t add_listener(udp_link* l) = 0;
    virtual std::uint64_t add_session(stream_link* s) = 0;
    virtual void remove_session(std::uint64_t id) noexcept = 0;

protected:
    ~client_links() = default;
};

} // namespace icegate::net
