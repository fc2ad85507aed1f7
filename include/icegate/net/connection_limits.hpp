// What bounds a listener's connections beyond its own count: how many one source address
// (an IPv4 address, or an IPv6 /64) may hold at once across every worker and TCP listener,
// and how accepting pauses instead of spinning when the process is out of descriptors.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

namespace icegate::net {

// Counts open connections per source in a fixed table of atomic counters indexed by a keyed
// hash of the source (IPv4 address, IPv6 /64; IPv4-mapped IPv6 counts as IPv4). Two sources
// sharing a slot share a budget, which with 65,536 slots only matters when both are near the
// cap. Lock-free; any worker may call it.
class source_limiter {
public:
    // `per_source` 0: no limit.
    explicit source_limiter(std::uint32_t per_source);
    source_limiter(const source_limiter&) = delete;
    source_limiter& operator=(const source_limiter&) = delete;

    // One more connection from `a`; false (and nothing counted) when it holds the limit.
    bool try_acquire(const boost::asio::ip::address& a) noexcept;
    void release(const boost::asio::ip::address& a) noexcept;
    std::uint32_t held(const boost::asio::ip::address& a) const noexcept;
    std::uint32_t limit() const noexcept { return per_source_; }
    // Connections refused for being over the limit, since start.
    std::uint64_t refused() const noexcept { return refused_.load(std::memory_order_relaxed); }

private:
    static constexpr std::size_t slots = 65536;
    std::size_t slot_of(const boost::asio::ip::address& a) const noexcept;

    std::uint32_t per_source_;
    std::array<std::uint64_t, 2> key_{};
    std::unique_ptr<std::atomic<std::uint32_t>[]> counts_;
    std::atomic<std::uint64_t> refused_{0};
};

// A counted connection from one source; gives its count back when destroyed.
class source_ticket {
public:
    source_ticket() = default;
    source_ticket(std::shared_ptr<source_limiter> limiter, const boost::asio::ip::address& a)
        : limiter_(std::move(limiter)), address_(a) {}
    source_ticket(source_ticket&& o) noexcept
        : limiter_(std::move(o.limiter_)), address_(o.address_) {}
    source_ticket& operator=(source_ticket&& o) noexcept {
        if (this != &o) {
            reset();
            limiter_ = std::move(o.limiter_);
            address_ = o.address_;
        }
        return *this;
    }
    ~source_ticket() { reset(); }
    void reset() noexcept {
        if (limiter_) {
            limiter_->release(address_);
            limiter_.reset();
        }
    }

private:
    std::shared_ptr<source_limiter> limiter_;
    boost::asio::ip::address address_;
};

// A just-accepted socket, if it may stay: the listener holds fewer than `max_open`
// connections and its source is under `per_source` (null: no per-source limit). Otherwise the
// socket is closed and nullopt returned. Sets TCP_NODELAY on the ones it keeps.
struct admitted {
    boost::asio::ip::tcp::endpoint remote;
    source_ticket ticket;
};
std::optional<admitted> admit(boost::asio::ip::tcp::socket& socket, std::size_t open,
                              std::size_t max_open,
                              const std::shared_ptr<source_limiter>& per_source);

// Out of descriptors (EMFILE, ENFILE) or kernel memory (ENOBUFS, ENOMEM): accept() fails at
// once for as long as that lasts, so an accept loop that retries at once spins. These
// errors pause it instead.
bool accept_exhausted(const boost::system::error_code& ec) noexcept;

// One listener's pause: the first exhaustion is logged (warn), later ones once a minute with a
// count; each pause lasts `pause`, then accepting resumes by itself.
class accept_pause {
public:
    explicit accept_pause(boost::asio::any_io_executor exec,
                          std::chrono::milliseconds pause = std::chrono::milliseconds(250))
        : timer_(std::move(exec)), pause_(pause) {}

    // When `ec` is exhaustion: logs as above, counts, and calls `resume` after the pause
    // (not when cancelled); returns true. Otherwise false and nothing happens.
    template <class F>
    bool pause_if_exhausted(const boost::system::error_code& ec, std::string_view listener,
                            F&& resume) {
        if (!accept_exhausted(ec)) {
            return false;
        }
        note(ec, listener);
        timer_.expires_after(pause_);
        timer_.async_wait([r = std::forward<F>(resume)](const boost::system::error_code& e) {
            if (!e) {
                r();
            }
        });
        return true;
    }
    void cancel() noexcept { timer_.cancel(); }
    std::uint64_t pauses() const noexcept { return pauses_; }

private:
    void note(const boost::system::error_code& ec, std::string_view listener);

    boost::asio::steady_timer timer_;
    std::chrono::milliseconds pause_;
    std::uint64_t pauses_ = 0;
    std::uint64_t unlogged_ = 0;
    std::chrono::steady_clock::time_point logged_at_{};
};

} // namespace icegate::net
