// How a client reaches the server: the one transport enum of turn (client_ref), net (each
// message's packet_context) and the config (each listener).
#pragma once

#include <cstdint>

namespace icegate::turn {

enum class client_transport : std::uint8_t { udp, tcp, tls };

} // namespace icegate::turn
