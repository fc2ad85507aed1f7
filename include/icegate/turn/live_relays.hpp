// The relay ports of this server that belong to a live allocation right now, per address
// family: what the peer policy's relay-to-relay exception checks. Shared by all workers.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "icegate/stun/transport_address.hpp"

namespace icegate::turn {

// One bit per port and family (16 KiB in all), lock-free: engines set a bit when a relay socket
// of an allocation opens and clear it before the socket closes, and the peer policy reads it on
// every relayed packet. A reserved port (EVEN-PORT's held neighbour) is not marked: nothing
// relays through it until an allocation claims it.
//
// A bit rather than a count is enough because the kernel lets only one relay socket hold a
// port of a family at a time. Clearing before the close (and setting after the open) means a
// port another worker binds next can never have its fresh bit cleared by the old owner.
class live_relays {
public:
    void add(stun::address_family family, std::uint16_t port) noexcept {
        word(family, port).fetch_or(bit(port), std::memory_order_release);
    }
    void remove(stun::address_family family, std::uint16_t port) noexcept {
        word(family, port).fetch_and(~bit(port), std::memory_order_release);
    }
    bool contains(stun::address_family family, std::uint16_t port) const noexcept {
        return (word(family, port).load(std::memory_order_acquire) & bit(port)) != 0;
    }

private:
    static constexpr std::size_t words = 65536 / 64;
    using bitmap = std::array<std::atomic<std::uint64_t>, words>;

    static std::uint64_t bit(std::uint16_t port) noexcept {
        return std::uint64_t{1} << (port % 64);
    }
    std::atomic<std::uint64_t>& word(stun::address_family f, std::uint16_t port) noexcept {
        return (f == stun::address_family::ipv4 ? v4_ : v6_)[port / 64];
    }
    const std::atomic<std::uint64_t>& word(stun::address_family f,
                                           std::uint16_t port) const noexcept {
        return (f == stun::address_family::ipv4 ? v4_ : v6_)[port / 64];
    }

    bitmap v4_{};
    bitmap v6_{};
};

} // namespace icegate::turn
