// Rate limits of the signaling service: a token bucket per session (messages) and a shared
// per-IP table for joins. Sans-I/O: the caller passes the time.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace icegate::signal {

using steady_time = std::chrono::steady_clock::time_point;

// `rate` tokens per second, at most `burst` saved up; starts full.
class token_bucket {
public:
    token_bucket(double rate, double burst) noexcept;
    // Takes one token if there is one.
    bool take(steady_time now) noexcept;
    // True if the bucket would hold `burst` tokens at `now` (forgetting it changes nothing).
    bool full(steady_time now) const noexcept;

private:
    double rate_;
    double burst_;
    double tokens_;
    steady_time last_{};
    bool started_ = false;
};

// Joins per client IP, shared by every worker (joins are rare; a mutex is fine here). Holds at
// most `max_entries` addresses: full buckets are forgotten first. When none is full, a new
// address is refused, and the table is scanned for full buckets at most once a second (so a
// flood from many addresses cannot make every join walk the whole table).
class join_limiter {
public:
    join_limiter(double rate, double burst, std::size_t max_entries = 65536);
    // `ip` is the address as text. False: over the limit.
    bool allow(const std::string& ip, steady_time now);
    // A reload: every address starts again from a full bucket at the new rate.
    void set_rate(double rate, double burst);

private:
    std::mutex mutex_;
    double rate_;
    double burst_;
    std::size_t max_entries_;
    std::unordered_map<std::string, token_bucket> buckets_;
    steady_time next_prune_{};
};

} // namespace icegate::signal
