// allocation_table: two unordered_maps kept in step (an open-addressing table may replace them).
#include "allocation_table.hpp"

#include <cassert>
#include <utility>

namespace icegate::turn {

allocation_table::allocation_table(std::size_t expected) {
    by_tuple_.reserve(expected);
    by_relay_.reserve(expected * 2);
}

allocation* allocation_table::find(const five_tuple& key) noexcept {
    const auto it = by_tuple_.find(key);
    return it == by_tuple_.end() ? nullptr : it->second.get();
}

allocation* allocation_table::find_by_relay(relay_id id) noexcept {
    const auto it = by_relay_.find(id);
    return it == by_relay_.end() ? nullptr : it->second;
}

allocation& allocation_table::insert(std::unique_ptr<allocation> a) {
    allocation& ref = *a;
    for (std::size_t i = 0; i < ref.relay_count; ++i) {
        by_relay_[ref.relays[i].id] = &ref;
    }
    const auto [it, inserted] = by_tuple_.emplace(five_tuple::of(ref.client), std::move(a));
    assert(inserted);
    (void)it;
    (void)inserted;
    return ref;
}

std::unique_ptr<allocation> allocation_table::remove(const five_tuple& key) noexcept {
    const auto it = by_tuple_.find(key);
    if (it == by_tuple_.end()) {
        return nullptr;
    }
    std::unique_ptr<allocation> a = std::move(it->second);
    by_tuple_.erase(it);
    for (std::size_t i = 0; i < a->relay_count; ++i) {
        const auto r = by_relay_.find(a->relays[i].id);
        if (r != by_relay_.end() && r->second == a.get()) {
            by_relay_.erase(r);
        }
    }
    return a;
}

allocation* allocation_table::any() noexcept {
    return by_tuple_.empty() ? nullptr : by_tuple_.begin()->second.get();
}

} // namespace icegate::turn
