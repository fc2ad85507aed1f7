// refused_join_log: the per-address and per-second caps and the summary line.
#include "refused_join_log.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

namespace icegate::app {

refused_join_log::refused_join_log(std::shared_ptr<spdlog::logger> log, std::uint32_t per_address,
                                   std::uint32_t rate, std::optional<std::uint64_t> key)
    : log_(std::move(log)), per_address_(per_address), rate_(rate), key_(key.value_or(0)) {
    if (!key) {
        randombytes_buf(&key_, sizeof key_);
    }
}

// FNV-1a seeded with a random key: an outsider cannot aim addresses at one slot by design.
std::size_t refused_join_log::slot_of(std::string_view address) const noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL ^ key_;
    for (const char c : address) {
        h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    }
    h ^= h >> 29;
    return static_cast<std::size_t>(h % slots);
}

bool refused_join_log::admit(std::string_view address, clock::time_point now) noexcept {
    slot& s = table_[slot_of(address)];
    if (s.period != period_) {
        s.period = period_;
        s.lines = 0;
    }
    const auto second =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (second != second_) {
        second_ = second;
        this_second_ = 0;
    }
    if (s.lines < per_address_ && this_second_ < rate_) {
        ++s.lines;
        ++this_second_;
        return true;
    }
    ++suppressed_;
    if (s.suppressed != period_) {
        s.suppressed = period_;
        ++sources_;
    }
    if (!since_) {
        since_ = now;
    }
    return false;
}

void refused_join_log::refused(std::string_view address, std::string_view room,
                               std::string_view why, clock::time_point now) noexcept {
    if (!log_) {
        return;
    }
    {
        std::lock_guard lock(mutex_);
        if (!since_) {
            since_ = now;
        }
        if (!admit(address, now)) {
            return;
        }
    }
    try {
        log_->info("join refused: client={} room='{}' reason={}", address, room, why);
    } catch (...) {
        // Out of memory formatting a log line: the join is refused all the same.
    }
}

void refused_join_log::tick(clock::time_point now) noexcept {
    std::uint64_t suppressed = 0;
    std::uint64_t sources = 0;
    std::chrono::seconds took{};
    {
        std::lock_guard lock(mutex_);
        if (!since_ || now - *since_ < period) {
            return;
        }
        took = std::chrono::ceil<std::chrono::seconds>(now - *since_);
        suppressed = suppressed_;
        sources = sources_;
        suppressed_ = 0;
        sources_ = 0;
        ++period_;
        since_.reset();
    }
    if (log_ && suppressed > 0) {
        try {
            log_->warn("suppressed {} join refused lines from {} sources in the last {}s (over {} "
                       "per address per {}s or {}/s)",
                       suppressed, sources, took.count(), per_address_, period.count(), rate_);
        } catch (...) {
        }
    }
}

} // namespace icegate::app
