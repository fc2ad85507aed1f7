// The RTCIceServer list handed to browsers (joined.iceServers, ice frames, /api/ice-servers):
// this service's own stun:/turn:/turns: URIs with TURN REST credentials minted from the first
// auth.secrets entry for auth.credential_ttl.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "icegate/config/config.hpp"
#include "icegate/signal/protocol.hpp"

namespace icegate::app {

class ice_minter {
public:
    // `bound`: the STUN/TURN listeners with their ports resolved. `secret`: the REST secret.
    ice_minter(const config& cfg, std::vector<listen_address> bound, std::string secret);

    // `request_host` is the host the client used (the Host header, port stripped; may be
    // empty): it names wildcard listeners unless http.public_host or relay.external_address
    // is set. `user` goes after the expiry in the REST username ("1700000600:k3Jd...").
    std::vector<signal::ice_server> mint(std::string_view request_host, std::string_view user,
                                         std::int64_t now_unix) const;
    std::chrono::seconds ttl() const noexcept { return ttl_; }

    // The URIs alone (for tests and logs).
    std::vector<std::string> uris(std::string_view request_host) const;

private:
    std::string host_for(const listen_address& la, std::string_view request_host) const;

    std::vector<listen_address> bound_;
    std::string secret_;
    std::string public_host_;
    std::optional<boost::asio::ip::address> external_;
    std::chrono::seconds ttl_;
};

// The host part of a Host header ("example.com:8443" -> "example.com", "[::1]:8443" -> "::1"),
// or "" when it holds anything but letters, digits, '.', '-', ':' (IPv6 in brackets).
std::string host_of_header(std::string_view host_header);

} // namespace icegate::app
