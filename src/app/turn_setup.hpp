// Builds the TURN engine's inputs from the config: credentials, peer policy, engine settings,
// relay addresses and each worker's slice of the relay port range.
#pragma once

#include <memory>
#include <vector>

#include "icegate/app/config.hpp"
#include "icegate/net/worker_io.hpp"
#include "icegate/turn/auth.hpp"
#include "icegate/turn/engine.hpp"
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
std::shared_ptr<const turn::peer_policy> make_peer_policy(const config& c,
                                                          const relay_addresses& relays);
turn::engine_settings make_engine_settings(const config& c, const relay_addresses& relays);
// Worker `index` of `count` gets its own part of relay.ports.
net::relay_settings relay_slice(const config& c, const relay_addresses& relays, unsigned index,
                                unsigned count);

} // namespace icegate::app
