// One TURN allocation (RFC 8656 section 2.2): its five-tuple, relay sockets, permissions,
// channel bindings, lifetime and traffic counters. Plain state; the engine applies the rules.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "icegate/stun/message_type.hpp"
#include "icegate/stun/transport_address.hpp"
#include "icegate/turn/bandwidth_bucket.hpp"
#include "icegate/turn/io_port.hpp"

namespace icegate::turn {

using mono_time = std::chrono::steady_clock::time_point;

// Client address, server address and transport: what identifies an allocation (section 2.2).
struct five_tuple {
    stun::transport_address client;
    stun::transport_address server;
    client_transport transport = client_transport::udp;

    static five_tuple of(const client_ref& c) noexcept { return {c.client, c.server, c.transport}; }
    friend bool operator==(const five_tuple&, const five_tuple&) = default;
};

struct five_tuple_hash {
    std::size_t operator()(const five_tuple& t) const noexcept;
};

struct relay_socket {
    relay_id id = 0;
    stun::transport_address bound;      // what the socket is bound to
    stun::transport_address advertised; // in XOR-RELAYED-ADDRESS (external address, bound port)
};

// Keyed by the peer's IP address alone (section 9): `ip` carries port 0.
struct permission {
    stun::transport_address ip;
    mono_time expiry;
};

// Bound until `expiry`; then, for `channel_cooldown`, neither the number nor the peer may be
// bound to anything else (RFC 8656 section 12: clients wait 5 minutes before rebinding).
struct channel_binding {
    std::uint16_t number = 0;
    stun::transport_address peer; // IP and port
    mono_time expiry;

    bool bound(mono_time now) const noexcept { return now < expiry; }
};

inline constexpr std::chrono::seconds channel_cooldown{300};

struct traffic_counters {
    std::uint64_t bytes_to_peer = 0;
    std::uint64_t packets_to_peer = 0;
    std::uint64_t bytes_to_client = 0;
    std::uint64_t packets_to_client = 0;
};

struct allocation {
    client_ref client;
    std::string username; // the credential's USERNAME: requests must keep using it (441)
    // The long-term key that credential used (first key_size bytes): a reload checks it.
    std::array<std::uint8_t, 32> key{};
    std::uint8_t key_size = 0;
    bool revoked = false;   // a reload dropped its user or secret: its next Refresh ends it
    std::string quota_user; // the name quota_table counted it under
    std::uint64_t serial = 0;
    std::array<relay_socket, 2> relays{}; // [0] the requested family, [1] IPv6 of a dual stack
    std::uint8_t relay_count = 0;
    mono_time created;
    mono_time expiry;

    // An Allocate retransmission (same transaction id) gets the same success rebuilt.
    stun::transaction_id allocate_txn{};
    std::uint32_t granted_lifetime = 0; // seconds, as first answered
    std::optional<std::array<std::uint8_t, 8>> reservation_token;
    std::uint16_t v6_error = 0; // dual stack without IPv6: ADDRESS-ERROR-CODE in the success

    // The earliest timer wheel entry pending for this allocation (seconds).
    std::int64_t timer_due = std::numeric_limits<std::int64_t>::max();
    traffic_counters traffic;
    bandwidth_bucket bandwidth;                        // limits.allocation_bandwidth
    shared_bandwidth_bucket* user_bandwidth = nullptr; // limits.user_bandwidth, in quota_table
    std::vector<permission> permissions;
    std::vector<channel_binding> channels;

    bool live(mono_time now) const noexcept { return now < expiry; }
    bool has_family(stun::address_family f) const noexcept { return relay_for(f) != nullptr; }
    const relay_socket* relay_for(stun::address_family f) const noexcept;

    // A permission for `peer`'s IP address that has not expired.
    bool permits(const stun::transport_address& peer, mono_time now) const noexcept;
    permission* find_permission(const stun::transport_address& peer) noexcept;
    // Installs or refreshes the permission for `peer`'s IP address.
    void install_permission(const stun::transport_address& peer, mono_time expiry);

    // Bound or cooling channels with this number / this peer (IP and port).
    channel_binding* channel_by_number(std::uint16_t number) noexcept;
    channel_binding* channel_by_peer(const stun::transport_address& peer) noexcept;

    // Drops expired permissions and channels past their cool-down; returns when something here
    // next changes state (the allocation's own expiry included).
    mono_time sweep(mono_time now) noexcept;
};

// "192.0.2.10:50000,[2001:db8::10]:50002": the advertised relay addresses, for log lines.
std::string relay_list(const allocation& a);

// `a` with the port zeroed: the key of a permission.
stun::transport_address ip_only(const stun::transport_address& a) noexcept;

} // namespace icegate::turn
