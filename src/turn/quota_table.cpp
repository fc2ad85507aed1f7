// quota_table: the total is an atomic reserved first, the per-user count sits under a mutex
// (two locks per Allocate, one per allocation end, never on the packet path: the packet path
// only touches a user's bandwidth bucket, an atomic the allocation holds a pointer to).
#include "icegate/turn/quota_table.hpp"

namespace icegate::turn {

bool quota_table::try_acquire(std::string_view user, std::uint32_t user_quota,
                              std::uint32_t total_quota) {
    const std::uint32_t before = total_.fetch_add(1, std::memory_order_relaxed);
    if (total_quota != 0 && before >= total_quota) {
        total_.fetch_sub(1, std::memory_order_relaxed);
        return false;
    }
    const std::lock_guard lock(mutex_);
    auto it = per_user_.find(user);
    if (it == per_user_.end()) {
        it = per_user_.try_emplace(std::string(user)).first;
    }
    if (user_quota != 0 && it->second.count >= user_quota) {
        total_.fetch_sub(1, std::memory_order_relaxed);
        return false;
    }
    ++it->second.count;
    return true;
}

void quota_table::release(std::string_view user) noexcept {
    const std::lock_guard lock(mutex_);
    const auto it = per_user_.find(user);
    if (it == per_user_.end() || it->second.count == 0) {
        return;
    }
    total_.fetch_sub(1, std::memory_order_relaxed);
    if (--it->second.count == 0) {
        per_user_.erase(it);
    }
}

std::uint32_t quota_table::count(std::string_view user) const noexcept {
    const std::lock_guard lock(mutex_);
    const auto it = per_user_.find(user);
    return it == per_user_.end() ? 0 : it->second.count;
}

shared_bandwidth_bucket* quota_table::bandwidth_of(std::string_view user) noexcept {
    const std::lock_guard lock(mutex_);
    const auto it = per_user_.find(user);
    return it == per_user_.end() || it->second.count == 0 ? nullptr : &it->second.bandwidth;
}

} // namespace icegate::turn
