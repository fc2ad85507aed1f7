// allocation_table: one engine's allocations, owned here, found by five-tuple (client
// requests and ChannelData) and by relay id (peer datagrams).
#pragma once

#include <cstddef>
#include <memory>
#include <unordered_map>

#include "allocation.hpp"

namespace icegate::turn {

class allocation_table {
public:
    // Reserves room for `expected` allocations so the common case never rehashes.
    explicit allocation_table(std::size_t expected = 1024);

    allocation* find(const five_tuple& key) noexcept;
    allocation* find_by_relay(relay_id id) noexcept;
    // Adds `a` under its client's five-tuple and each of its relays. The five-tuple must be
    // free (the engine answers 437 otherwise).
    allocation& insert(std::unique_ptr<allocation> a);
    // Takes the allocation out of both indexes; null when there is none.
    std::unique_ptr<allocation> remove(const five_tuple& key) noexcept;
    // Some allocation, or null when empty (for shutdown).
    allocation* any() noexcept;
    // Calls f(allocation&) for each (rare walks: a reload). f must not add or remove.
    template <class F>
    void for_each(F&& f) {
        for (auto& [key, a] : by_tuple_) {
            f(*a);
        }
    }
    // Gives back bucket arrays sized for a past peak once occupancy has fallen far below them
    // (never below the constructor's reservation). For the coarse tick: a rehash is O(size).
    void shrink();

    std::size_t size() const noexcept { return by_tuple_.size(); }
    // Both indexes' bucket arrays together (what shrink() gives back).
    std::size_t bucket_count() const noexcept {
        return by_tuple_.bucket_count() + by_relay_.bucket_count();
    }
    bool empty() const noexcept { return by_tuple_.empty(); }

private:
    std::size_t expected_;
    std::unordered_map<five_tuple, std::unique_ptr<allocation>, five_tuple_hash> by_tuple_;
    std::unordered_map<relay_id, allocation*> by_relay_;
};

} // namespace icegate::turn
