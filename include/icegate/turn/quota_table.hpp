// quota_table: allocation counts shared by every worker's TURN engine, per username and in
// total (design section 5), and each user's bandwidth bucket (limits.user_bandwidth).
// Thread-safe; the map is touched once per Allocate and once per allocation end.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "icegate/turn/bandwidth_bucket.hpp"

namespace icegate::turn {

// Allocations one username may hold at once unless configured otherwise: the default of both
// engine_settings::user_quota and the config's limits.user_quota.
inline constexpr std::uint32_t default_user_quota = 10;

class quota_table {
public:
    quota_table() = default;
    quota_table(const quota_table&) = delete;
    quota_table& operator=(const quota_table&) = delete;

    // Counts one more allocation for `user` unless that would exceed `user_quota` allocations
    // for the user or `total_quota` in all (0: no cap). False: the engine answers 486.
    [[nodiscard]] bool try_acquire(std::string_view user, std::uint32_t user_quota,
                                   std::uint32_t total_quota);
    // Gives back one allocation taken by try_acquire(). Unknown users are ignored.
    void release(std::string_view user) noexcept;

    std::uint32_t total() const noexcept { return total_.load(std::memory_order_relaxed); }
    std::uint32_t count(std::string_view user) const noexcept;
    // The bandwidth bucket all of `user`'s allocations share, on every worker; null when the
    // user holds none. It stays put while the user holds one (map nodes do not move), so an
    // allocation keeps the pointer from its Allocate to its end and the packet path never
    // touches the map or its lock.
    shared_bandwidth_bucket* bandwidth_of(std::string_view user) noexcept;

private:
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    struct user_entry {
        std::uint32_t count = 0;
        shared_bandwidth_bucket bandwidth;
    };

    mutable std::mutex mutex_;
    std::unordered_map<std::string, user_entry, string_hash, std::equal_to<>> per_user_;
    std::atomic<std::uint32_t> total_{0};
};

} // namespace icegate::turn
