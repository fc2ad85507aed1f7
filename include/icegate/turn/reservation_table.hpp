// reservation_table: EVEN-PORT R-bit reservations (RFC 8656 section 7.2) shared by every worker's
// TURN engine, so a RESERVATION-TOKEN can be claimed from any worker. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "icegate/stun/transport_address.hpp"

namespace icegate::turn {

class reservation_table {
public:
    using token = std::array<std::uint8_t, 8>;
    using time_point = std::chrono::steady_clock::time_point; // process-wide: any worker's clock

    struct reserved_port {
        stun::address_family family = stun::address_family::ipv4;
        std::uint16_t port = 0;
        std::int64_t handle = -1; // the held socket (io_port::hold_port)
    };

    reservation_table() = default;
    reservation_table(const reservation_table&) = delete;
    reservation_table& operator=(const reservation_table&) = delete;

    // Keeps `port` (held as `handle`) for `t` until `expiry`. False: the token or the port is
    // already reserved (the caller still owns `handle`).
    [[nodiscard]] bool reserve(const token& t, stun::address_family family, std::uint16_t port,
                               std::int64_t handle, time_point expiry);
    // Takes the reservation of `t` away, handing its held socket to the claimer. Unknown or
    // already claimed: nullopt. Expired (at `now`): nullopt, and `*stale` gets the handle to
    // release.
    std::optional<reserved_port> claim(const token& t, time_point now, std::int64_t* stale);
    // Drops every reservation due at `now`; returns their handles for the caller to release.
    std::vector<std::int64_t> expire(time_point now);
    // Drops every reservation (shutdown); returns their handles.
    std::vector<std::int64_t> drain();
    // Lock-free; the port allocators of all workers skip reserved ports.
    bool is_reserved(stun::address_family family, std::uint16_t port) const noexcept;
    std::size_t size() const;

private:
    struct record {
        reserved_port where;
        time_point expiry;
    };
    static constexpr std::size_t words_per_family = 65536 / 64;

    std::atomic<std::uint64_t>& word(stun::address_family f, std::uint16_t port) noexcept;
    void set_bit(const reserved_port& p, bool on) noexcept;

    mutable std::mutex mutex_;
    std::unordered_map<std::uint64_t, record> by_token_;
    std::array<std::atomic<std::uint64_t>, 2 * words_per_family> bits_{}; // IPv4 ports, then IPv6
};

} // namespace icegate::turn
