// allocation_table: two unordered_maps kept in step (an open-addressing table may replace them).
#include "allocation_table.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace icegate::turn {
namespace {

// Rehashes `m` down to twice its size when it holds under an eighth of its buckets: the
// factor-of-four gap between the two keeps a table that hovers around one size from
// rehashing back and forth.
template <class Map>
void shrink_buckets(Map& m, std::size_t floor) {
    const std::size_t want = std::max(2 * m.size(), floor);
    if (m.size() < m.bucket_count() / 8 && m.bucket_count() > 2 * want) {
        m.rehash(want);
    }
}

} // namespace

allocation_table::allocation_table(std::size_t expected) : expected_(expected) {
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

void allocation_table::shrink() {
    shrink_buckets(by_tuple_, expected_);
    shrink_buckets(by_relay_, 2 * expected_);
}

allocation* allocation_table::any() noexcept {
    return by_tuple_.empty() ? nullptr : by_tuple_.begin()->second.get();
}

} // namespace icegate::turn
