// The TURN REST user parts an engine refuses (401) although their credentials have not expired:
// those of signaling sessions that are gone for good (engine::revoke_rest_user). Bounded: each
// entry lives until the last credential minted for it expires, and past `capacity` entries the
// oldest is forgotten first (its credentials then work again until they expire).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace icegate::turn {

class revocation_set {
public:
    static constexpr std::size_t default_capacity = 65536;

    explicit revocation_set(std::size_t capacity = default_capacity) : capacity_(capacity) {}

    // Refuses `user` until Unix time `until` (inclusive). Drops entries that expired by `now`,
    // then the oldest ones while more than `capacity` remain; returns how many were dropped
    // before their time.
    std::size_t add(std::string_view user, std::int64_t until, std::int64_t now);
    bool contains(std::string_view user, std::int64_t now) const noexcept;
    std::size_t size() const noexcept { return until_.size(); }

private:
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    std::size_t capacity_;
    // Insertion order with each entry's `until` then; a user revoked again appears twice, and
    // only the entry matching its current `until` removes it.
    std::deque<std::pair<std::string, std::int64_t>> order_;
    std::unordered_map<std::string, std::int64_t, string_hash, std::equal_to<>> until_;
};

} // namespace icegate::turn
