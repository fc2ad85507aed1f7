// The seam between the transport layer and the protocol engine: net hands every STUN or
// ChannelData message from a client to its worker's handler; replies go back through
// worker_io (see worker_io.hpp), addressed by the context's `conn`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "icegate/stun/transport_address.hpp"
#include "icegate/turn/client_transport.hpp"

namespace icegate::net {

struct packet_context {
    stun::transport_address source; // the client
    stun::transport_address local;  // the listener's address it arrived on
    turn::client_transport transport = turn::client_transport::udp;
    // UDP: the index of the worker's listener socket; TCP/TLS: the session's id.
    std::uint64_t conn = 0;
};

// One instance per worker, called only on that worker's thread.
class packet_handler {
public:
    virtual ~packet_handler() = default;
    // Handles one message (a whole STUN message or ChannelData frame).
    virtual void on_message(std::span<const std::uint8_t> in,
                            const packet_context& ctx) noexcept = 0;
    // A TCP/TLS connection ended.
    virtual void on_closed(const packet_context& ctx) noexcept = 0;
};

} // namespace icegate::net
