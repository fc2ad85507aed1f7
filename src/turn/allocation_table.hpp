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

    std::size_t size() const noexcept { return by_tuple_.size(); }
    bool empty() const noexcept { return by_tuple_.empty(); }

private:
    std::unordered_map<five_tuple, std::unique_ptr<allocation>, five_tuple_hash> by_tuple_;
    std::unordered_map<relay_id, allocation*> by_relay_;
};

} // namespace icegate::turn
