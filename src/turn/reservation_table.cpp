// reservation_table: one mutex over the token map (touched once per reserving or claiming
// Allocate and once per tick), plus a bitset of reserved ports readable without it.
#include "icegate/turn/reservation_table.hpp"

#include <cstring>

namespace icegate::turn {
namespace {

std::uint64_t key_of(const reservation_table::token& t) noexcept {
    std::uint64_t k = 0;
    std::memcpy(&k, t.data(), t.size());
    return k;
}

std::size_t word_index(stun::address_family f, std::uint16_t port) noexcept {
    const std::size_t base = f == stun::address_family::ipv6 ? 65536 / 64 : 0;
    return base + port / 64;
}

std::uint64_t bit_of(std::uint16_t port) noexcept {
    return std::uint64_t{1} << (port % 64);
}

} // namespace

std::atomic<std::uint64_t>& reservation_table::word(stun::address_family f,
                                                    std::uint16_t port) noexcept {
    return bits_[word_index(f, port)];
}

void reservation_table::set_bit(const reserved_port& p, bool on) noexcept {
    if (on) {
        word(p.family, p.port).fetch_or(bit_of(p.port), std::memory_order_release);
    } else {
        word(p.family, p.port).fetch_and(~bit_of(p.port), std::memory_order_release);
    }
}

bool reservation_table::reserve(const token& t, stun::address_family family, std::uint16_t port,
                                std::int64_t handle, time_point expiry) {
    const std::scoped_lock lock(mutex_);
    if (is_reserved(family, port)) {
        return false;
    }
    const reserved_port where{family, port, handle};
    if (!by_token_.emplace(key_of(t), record{where, expiry}).second) {
        return false;
    }
    set_bit(where, true);
    return true;
}

std::optional<reservation_table::reserved_port>
reservation_table::claim(const token& t, time_point now, std::int64_t* stale) {
    const std::scoped_lock lock(mutex_);
    const auto it = by_token_.find(key_of(t));
    if (it == by_token_.end()) {
        return std::nullopt;
    }
    const record r = it->second;
    by_token_.erase(it);
    set_bit(r.where, false);
    if (r.expiry <= now) {
        if (stale != nullptr) {
            *stale = r.where.handle;
        }
        return std::nullopt;
    }
    return r.where;
}

std::vector<std::int64_t> reservation_table::expire(time_point now) {
    std::vector<std::int64_t> handles;
    const std::scoped_lock lock(mutex_);
    for (auto it = by_token_.begin(); it != by_token_.end();) {
        if (it->second.expiry <= now) {
            set_bit(it->second.where, false);
            handles.push_back(it->second.where.handle);
            it = by_token_.erase(it);
        } else {
            ++it;
        }
    }
    return handles;
}

std::vector<std::int64_t> reservation_table::drain() {
    return expire(time_point::max());
}

bool reservation_table::is_reserved(stun::address_family family,
                                    std::uint16_t port) const noexcept {
    const auto w = bits_[word_index(family, port)].load(std::memory_order_acquire);
    return (w & bit_of(port)) != 0;
}

std::size_t reservation_table::size() const {
    const std::scoped_lock lock(mutex_);
    return by_token_.size();
}

} // namespace icegate::turn
