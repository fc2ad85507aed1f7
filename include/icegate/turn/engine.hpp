// The TURN server of one worker (RFC 8656, RFC 5766 compatible), sans-I/O: messages, peer
// datagrams and clock ticks in; responses, relayed data and relay sockets out through io_port.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "icegate/stun/transport_address.hpp"
#include "icegate/turn/auth.hpp"
#include "icegate/turn/io_port.hpp"
#include "icegate/turn/live_relays.hpp"
#include "icegate/turn/peer_policy.hpp"
#include "icegate/turn/quota_table.hpp"

namespace icegate::turn {

// The clock as the engine sees it: monotonic for lifetimes, unix seconds for credentials.
struct clock_reading {
    std::chrono::steady_clock::time_point mono;
    std::int64_t unix_seconds = 0;
};

struct engine_settings {
    std::string software; // SOFTWARE in responses; empty: none
    std::chrono::seconds default_lifetime{600};
    std::chrono::seconds max_lifetime{3600};
    std::chrono::seconds permission_lifetime{300};
    std::chrono::seconds channel_lifetime{600};
    std::chrono::seconds reservation_lifetime{30}; // EVEN-PORT R bit reservations
    std::uint32_t max_permissions = 64;            // per allocation
    std::uint32_t max_channels = 64;               // per allocation
    std::uint32_t user_quota = default_user_quota; // per username (REST: the user part); 0: no cap
    std::uint32_t total_quota = 10000;             // all workers together; 0: no cap
    // Relayed payload in bits per second, both directions together; 0: no cap. Past a cap the
    // packet is dropped and counted. Per allocation; per user (quota_table's name: a REST
    // user part), one bucket in quota_table for all workers; for this engine (its share of
    // the server's total: app divides limits.total_bandwidth by the worker count).
    std::uint64_t allocation_bandwidth = 0;
    std::uint64_t user_bandwidth = 0;
    std::uint64_t total_bandwidth = 0;
    bool relay_v4 = true; // a relay address exists for the family
    bool relay_v6 = false;
    // Advertised in XOR-RELAYED-ADDRESS instead of the bound IPv4 address (1:1 NAT).
    std::optional<stun::transport_address> external_v4;
    std::optional<stun::transport_address> external_v6;
    // "allocation created" and "allocation ended" lines per second, each, per engine; past it
    // they are counted and one summary line follows (churn must not fill the disk). 0: no cap.
    std::uint32_t lifecycle_log_rate = 20;
    // Pre-authentication limits, per source (an IPv4 address or an IPv6 /64) and per engine
    // (worker). Error answers to UDP requests that did not authenticate (400, 401, 420, 438):
    // past the bucket the request is dropped unanswered, so spoofed floods are not reflected.
    // rate 0: no limit.
    std::uint32_t unauthenticated_answer_rate = 10;  // per second
    std::uint32_t unauthenticated_answer_burst = 20; // banked at most
    // New allocations per second (burst the same), any transport; past it 486. 0: no cap.
    std::uint32_t allocation_rate = 20;
};

// EVEN-PORT reservations shared by all workers' engines (and their port allocators).
class reservation_table;

// What an engine dropped or relayed, for metrics (read on the owner thread).
struct engine_counters {
    std::uint64_t allocations_created = 0;
    std::uint64_t allocations_ended = 0;
    std::uint64_t peer_dropped_no_permission = 0; // inbound from a peer without a permission
    std::uint64_t peer_dropped_policy = 0;        // either way, refused by peer_policy
    std::uint64_t client_dropped = 0; // unparseable, unknown channel, no permission, ...
    // Relayed packets (either way) dropped over a bandwidth cap, by the cap that refused them.
    std::uint64_t bandwidth_dropped_allocation = 0;
    std::uint64_t bandwidth_dropped_user = 0;
    std::uint64_t bandwidth_dropped_total = 0;
    std::uint64_t answers_suppressed = 0;       // unauthenticated answers over the rate
    std::uint64_t allocations_rate_limited = 0; // Allocates refused (486) over allocation_rate
};

class engine {
public:
    // `live` (shared by all workers, may be null): the engine marks each relay port of a live
    // allocation there, for the peer policy's relay-to-relay exception.
    engine(engine_settings settings, std::shared_ptr<const authenticator> auth,
           std::shared_ptr<const peer_policy> policy, std::shared_ptr<quota_table> quotas,
           std::shared_ptr<reservation_table> reservations, io_port& io,
           std::function<void(std::span<std::uint8_t>)> random,
           std::shared_ptr<live_relays> live = nullptr);
    // Ends what is still allocated as close_all() does, so the shared quota_table, live_relays
    // and the io_port (which must outlive the engine) hold nothing of it afterwards.
    ~engine();
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;

    // One STUN message or ChannelData frame from a client (framing already done for streams).
    // Answers, relays and opens sockets through io_port. Never throws.
    void on_client_message(std::span<const std::uint8_t> bytes, const client_ref& from,
                           const clock_reading& now) noexcept;
    // A datagram that arrived on relay socket `relay` from `peer`.
    void on_peer_datagram(relay_id relay, const stun::transport_address& peer,
                          std::span<const std::uint8_t> bytes, const clock_reading& now) noexcept;
    // A TCP/TLS client connection closed: its allocation ends now.
    void on_client_closed(const client_ref& from) noexcept;
    // Expires allocations, permissions, channels and reservations. Call about once a second.
    void on_tick(const clock_reading& now) noexcept;
    // Ends every allocation (shutdown).
    void close_all() noexcept;
    // Checks every later packet and request against `policy` (the host's addresses changed,
    // or a reload): permissions already granted are not revisited, but their packets are.
    void set_peer_policy(std::shared_ptr<const peer_policy> policy) noexcept;
    // Drain (shutdown): every later new Allocate is refused, with 300 Try Alternate and
    // ALTERNATE-SERVER `alternate` when it is set and of the client's address family, else 508.
    // Live allocations keep refreshing and relaying. Not undone: the process is ending.
    void set_draining(std::optional<stun::transport_address> alternate) noexcept;
    // A reload: later requests authenticate against `auth` (users, secrets; keep the nonce key
    // so issued nonces stay valid); a live allocation whose credential `auth` no longer accepts
    // is revoked and ends at its next Refresh (answered 401). `set_settings`: later
    // allocations get its limits, the next request its pre-authentication rates (each source's
    // bucket keeps its state); the bandwidth caps apply to the next packet of every
    // allocation (a changed rate starts every bucket full).
    void set_authenticator(std::shared_ptr<const authenticator> auth) noexcept;
    void set_settings(const engine_settings& settings) noexcept;
    // The TURN REST credentials whose user part ("<expiry>:<user>") is `user` are revoked (the
    // signaling session they were minted for is gone for good): every allocation of this
    // engine made with one ends now (reason "revoked"), and requests with one get 401 until
    // Unix time `until` (the last such credential's expiry). This engine remembers a bounded
    // number of revoked users (revocation_set); static users are never matched.
    void revoke_rest_user(std::string_view user, std::int64_t until,
                          const clock_reading& now) noexcept;

    std::size_t allocation_count() const noexcept;
    // Calls f(client) for the client of each live allocation (a rare walk: an upgrade's
    // handover gives each UDP client a socket of its own). f must not call into the engine.
    void for_each_client(const std::function<void(const client_ref&)>& f) const;
    const engine_counters& counters() const noexcept;

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

} // namespace icegate::turn
