// The seam between the transport layer and the protocol engines: net hands every STUN or
// ChannelData message to its worker's handler and sends back what the handler writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "icegate/stun/transport_address.hpp"

namespace icegate::net {

enum class transport_kind : std::uint8_t { udp, tcp, tls };

struct packet_context {
    stun::transport_address source; // the client
    stun::transport_address local;  // the listener's address it arrived on
    transport_kind transport = transport_kind::udp;
};

// One instance per worker, called only on that worker's thread.
class packet_handler {
public:
    virtual ~packet_handler() = default;
    // Handles one message. Writes the reply into `out` and returns its size; 0 means no reply.
    virtual std::size_t on_message(std::span<const std::uint8_t> in, const packet_context& ctx,
                                   std::span<std::uint8_t> out) noexcept = 0;
};

} // namespace icegate::net
