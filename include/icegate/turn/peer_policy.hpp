// Which peer addresses a relay may talk to (design section 5): a default deny list of
// special-purpose ranges plus the server's own addresses, `peers.deny` added to it, and
// `peers.allow` beating both; our live relays stay reachable. IPv4 embedded in IPv6 is reduced
// to IPv4 before any check.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "icegate/stun/transport_address.hpp"
#include "icegate/turn/live_relays.hpp"

namespace icegate::turn {

// An address prefix on stun::transport_address bytes (the port is ignored).
struct prefix {
    stun::address_family family = stun::address_family::ipv4;
    std::array<std::uint8_t, 16> bytes{}; // masked to `length`
    std::uint8_t length = 0;

    bool contains(const stun::transport_address& a) const noexcept;

    // `a`'s address masked to `length` (clamped to 32 or 128); an IPv4-mapped IPv6 prefix of
    // length 96 or more (::ffff:a.b.c.d/104) becomes the IPv4 prefix it means (a.b.c.d/8).
    static prefix of(const stun::transport_address& a, std::uint8_t length) noexcept;
    static prefix v4(std::array<std::uint8_t, 4> ip, std::uint8_t length) noexcept;
    static prefix v6(const std::array<std::uint8_t, 16>& ip, std::uint8_t length) noexcept;
};

// The IPv4 addresses an IPv6 address embeds: none, one, or two (Teredo's server and client).
struct embedded_v4_set {
    std::array<stun::transport_address, 2> addresses{};
    std::size_t count = 0;
};

class peer_policy {
public:
    // `own`: the server's own addresses (listen and relay addresses, and every address of every
    // local interface; ports ignored), refused as peers; unspecified addresses (0.0.0.0, ::)
    // are skipped here since the default list denies them anyway. `relays`: the addresses
    // relay sockets bind to or are advertised as. A peer on one of those (or its IPv4-mapped
    // form) whose port `live` holds for the family is another allocation of this server (two
    // clients relayed by one server, the usual relay-to-relay case): permitted even in a
    // default-denied range (a LAN or loopback deployment) and despite the own-address rule,
    // unless `deny` names it. Every other port of our addresses stays refused: a port of
    // relay.ports that no allocation holds may be anything (another program's socket, a
    // listener). Without `live` there is no exception. Prefixes are normalized with
    // prefix::of().
    peer_policy(std::vector<prefix> allow, std::vector<prefix> deny,
                const std::vector<stun::transport_address>& own,
                const std::vector<stun::transport_address>& relays = {},
                std::shared_ptr<const live_relays> live = nullptr);

    // True when a relay may send to or receive from `peer`. Called per packet: no allocation.
    // Permitted when `allow` holds the raw address or every IPv4 it embeds; otherwise refused
    // when the deny list holds the raw address or any embedded IPv4 that `allow` lacks.
    bool permits(const stun::transport_address& peer) const noexcept;

    // The IPv4 address an IPv6 address embeds (v4-mapped ::ffff:0:0/96, v4-translated
    // ::ffff:0:0:0/96, v4-compatible ::/96 except :: and ::1, 6to4 2002::/16, NAT64
    // 64:ff9b::/96 and 64:ff9b:1::/48 (last 32 bits), Teredo 2001::/32 client), or nullopt.
    // IPv4 input returns itself. For Teredo this is the client (the obfuscated last 32 bits),
    // where the traffic goes; embedded_v4s() also gives the server.
    static std::optional<stun::transport_address>
    embedded_v4(const stun::transport_address& a) noexcept;
    // Every IPv4 address an IPv6 address embeds (ports kept); empty for IPv4 input.
    static embedded_v4_set embedded_v4s(const stun::transport_address& a) noexcept;

    static const std::vector<prefix>& default_deny();

private:
    bool relay_of_ours(const stun::transport_address& a) const noexcept;
    bool is_own(const stun::transport_address& a) const noexcept;

    std::vector<prefix> allow_;
    std::vector<prefix> deny_; // default_deny() + `deny`
    std::vector<prefix> user_deny_;
    // Sorted, ports 0: a host can have hundreds of interface addresses, and this is searched
    // for every relayed packet.
    std::vector<stun::transport_address> own_;
    std::vector<stun::transport_address> relays_; // ports 0
    std::shared_ptr<const live_relays> live_;
};

} // namespace icegate::turn
