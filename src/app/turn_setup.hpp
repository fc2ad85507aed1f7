// Builds the TURN engine's inputs from the config: credentials, peer policy, engine settings,
// relay addresses and each worker's slice of the relay port range.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "icegate/config/config.hpp"
#include "icegate/net/worker_io.hpp"
#include "icegate/turn/auth.hpp"
#include "icegate/turn/engine.hpp"
#include "icegate/turn/live_relays.hpp"
#include "icegate/turn/peer_policy.hpp"

namespace icegate::app {

// relay.address / address_v6 with `auto` resolved: the first global address of the host's
// interfaces, else loopback.
struct relay_addresses {
    std::optional<boost::asio::ip::address> v4;
    std::optional<boost::asio::ip::address> v6;
};
relay_addresses resolve_relay_addresses(const config& c);

std::shared_ptr<const turn::auth_settings> make_auth_settings(const config& c);
// `interfaces`: every address of the host's interfaces (interface_addresses()), refused as
// peers like the configured listen and relay addresses; `live`: the relay ports of live
// allocations, the only ports of our relay addresses a peer may be.
std::shared_ptr<const turn::peer_policy>
make_peer_policy(const config& c, const relay_addresses& relays,
                 std::shared_ptr<const turn::live_relays> live,
                 const std::vector<stun::transport_address>& interfaces);
// Throws, naming the key, when a listen address (listen, http.listen) has a port inside
// relay.ports: that range is for relay sockets, and a listener there is no relay.
void check_listeners_outside_relay_ports(const config& c);
// A port for a listener configured with port 0 (net::unused_port) that lies outside
// relay.ports; throws after a bounded number of tries.
std::uint16_t unused_port_outside_relay_ports(const config& c,
                                              const boost::asio::ip::address& address, int type);
// The kernel's ephemeral port range (net.ipv4.ip_local_port_range) read from `path`, or
// nullopt when it cannot be read.
std::optional<std::pair<std::uint16_t, std::uint16_t>>
ephemeral_port_range(const char* path = "/proc/sys/net/ipv4/ip_local_port_range");
// The warning to log when relay.ports overlaps `ephemeral`, else empty.
std::string ephemeral_overlap_warning(const config& c,
                                      std::pair<std::uint16_t, std::uint16_t> ephemeral);
turn::engine_settings make_engine_settings(const config& c, const relay_addresses& relays);
// Worker `index` of `count` gets its own part of relay.ports.
net::relay_settings relay_slice(const config& c, const relay_addresses& relays, unsigned index,
                                unsigned count);

} // namespace icegate::app
