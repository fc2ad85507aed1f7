// revocation_set: a map for the lookup on each authenticated request, a FIFO for expiry and the
// size bound.
#include "revocation_set.hpp"

#include <algorithm>

namespace icegate::turn {

std::size_t revocation_set::add(std::string_view user, std::int64_t until, std::int64_t now) {
    std::size_t early = 0;
    // The front is the oldest entry: all entries share about one lifetime (credential_ttl),
    // so expired ones gather there; an entry behind a longer-lived one waits a little longer.
    while (!order_.empty() && (order_.front().second < now || until_.size() >= capacity_)) {
        auto [name, at] = std::move(order_.front());
        order_.pop_front();
        const auto it = until_.find(name);
        if (it == until_.end() || it->second != at) {
            continue; // revoked again since: a later entry covers it
        }
        if (at >= now) {
            ++early;
        }
        until_.erase(it);
    }
    const auto [it, fresh] = until_.try_emplace(std::string(user), until);
    if (!fresh) {
        it->second = std::max(it->second, until);
    }
    order_.emplace_back(it->first, it->second);
    return early;
}

bool revocation_set::contains(std::string_view user, std::int64_t now) const noexcept {
    const auto it = until_.find(user);
    return it != until_.end() && now <= it->second;
}

} // namespace icegate::turn
