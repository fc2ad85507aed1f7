// The log lines about refused signaling joins: one per refusal naming the address, the room
// and the reason, capped per address and per second, with one summary line for the rest.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

namespace spdlog {
class logger;
}

namespace icegate::app {

// Shared by every worker: joins are rare next to frames, so a mutex is fine here (as for the
// join limiter). Addresses are counted in a fixed table of 1024 slots under a random hash key,
// reset each 10 s period; addresses sharing a slot share its count (lines left out sooner,
// never more lines). Nothing is allocated unless a line is written.
class refused_join_log {
public:
    using clock = std::chrono::steady_clock;
    static constexpr std::uint32_t default_per_address = 5; // lines per address and period
    static constexpr std::uint32_t default_rate = 20;       // lines a second, all addresses
    static constexpr std::chrono::seconds period{10};

    // `log` may be null: nothing is written (and nothing counted). `key`: the hash key, drawn
    // at random unless given (tests).
    explicit refused_join_log(std::shared_ptr<spdlog::logger> log,
                              std::uint32_t per_address = default_per_address,
                              std::uint32_t rate = default_rate,
                              std::optional<std::uint64_t> key = std::nullopt);

    // `address` is the join limiter's key (an IPv4 address or an IPv6 /64); `why` the error
    // message the client got, which never holds a password or token.
    void refused(std::string_view address, std::string_view room, std::string_view why,
                 clock::time_point now) noexcept;
    // About once a second: once the period is over, the summary of what was left out (if
    // anything) and a new period.
    void tick(clock::time_point now) noexcept;

private:
    struct slot {
        std::uint32_t period = 0;
        std::uint32_t lines = 0;
        std::uint32_t suppressed = 0; // the period in which a line was last left out
    };
    static constexpr std::size_t slots = 1024;

    bool admit(std::string_view address, clock::time_point now) noexcept;

public:
    // The table slot of `address` (tests: picking addresses that share one or not).
    std::size_t slot_of(std::string_view address) const noexcept;

private:
    std::shared_ptr<spdlog::logger> log_;
    std::uint32_t per_address_;
    std::uint32_t rate_;
    std::uint64_t key_;
    std::mutex mutex_;
    std::array<slot, slots> table_{};
    std::uint32_t period_ = 1;
    std::optional<clock::time_point> since_;
    std::int64_t second_ = -1;
    std::uint32_t this_second_ = 0;
    std::uint64_t suppressed_ = 0;
    std::uint64_t sources_ = 0;
};

} // namespace icegate::app
