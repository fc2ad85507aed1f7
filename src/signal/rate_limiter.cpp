// Token buckets for signaling messages and the per-IP join table.
#include "icegate/signal/rate_limiter.hpp"

#include <algorithm>

namespace icegate::signal {
namespace {

double seconds_between(steady_time from, steady_time to) noexcept {
    return std::chrono::duration<double>(to - from).count();
}

} // namespace

token_bucket::token_bucket(double rate, double burst) noexcept
    : rate_(rate), burst_(burst), tokens_(burst) {}

bool token_bucket::take(steady_time now) noexcept {
    if (!started_) {
        started_ = true;
        last_ = now;
    } else if (now > last_) { // a clock that steps back refills nothing
        tokens_ = std::min(burst_, tokens_ + seconds_between(last_, now) * rate_);
        last_ = now;
    }
    if (tokens_ < 1.0) {
        return false;
    }
    tokens_ -= 1.0;
    return true;
}

bool token_bucket::full(steady_time now) const noexcept {
    if (!started_ || tokens_ >= burst_) {
        return true;
    }
    return now > last_ && tokens_ + seconds_between(last_, now) * rate_ >= burst_;
}

join_limiter::join_limiter(double rate, double burst, std::size_t max_entries)
    : rate_(rate), burst_(burst), max_entries_(max_entries) {}

bool join_limiter::allow(const std::string& ip, steady_time now) {
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(ip);
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_entries_ && now >= next_prune_) {
            std::erase_if(buckets_, [&](const auto& entry) { return entry.second.full(now); });
            next_prune_ = now + std::chrono::seconds(1);
        }
        if (buckets_.size() >= max_entries_) {
            return false;
        }
        it = buckets_.emplace(ip, token_bucket(rate_, burst_)).first;
    }
    return it->second.take(now);
}

void join_limiter::set_rate(double rate, double burst) {
    std::lock_guard lock(mutex_);
    rate_ = rate;
    burst_ = burst;
    buckets_.clear();
}

} // namespace icegate::signal
