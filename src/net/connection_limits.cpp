// source_limiter's hashed counters and the accept pause's logging (connection_limits.hpp).
#include "icegate/net/connection_limits.hpp"

#include <cerrno>
#include <cstring>

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

namespace icegate::net {

namespace {

// SipHash-like mixing is overkill here: the key only keeps an attacker from aiming many
// sources at one slot, and a keyed 64-bit mix of the 8 relevant bytes does that.
std::uint64_t mix(std::uint64_t x, std::uint64_t k) noexcept {
    x ^= k;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

} // namespace

source_limiter::source_limiter(std::uint32_t per_source)
    : per_source_(per_source), counts_(new std::atomic<std::uint32_t>[slots]) {
    for (std::size_t i = 0; i < slots; ++i) {
        counts_[i].store(0, std::memory_order_relaxed);
    }
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key_.data()), sizeof(key_)) != 1) {
        key_ = {0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL};
    }
}

std::size_t source_limiter::slot_of(const boost::asio::ip::address& a) const noexcept {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;
    if (a.is_v4() || a.to_v6().is_v4_mapped()) {
        const auto v4 =
            a.is_v4() ? a.to_v4()
                      : boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
        lo = v4.to_uint();
        hi = 4;
    } else {
        const auto b = a.to_v6().to_bytes();
        for (std::size_t i = 0; i < 8; ++i) { // the /64
            lo = (lo << 8) | b[i];
        }
        hi = 6;
    }
    return static_cast<std::size_t>(mix(mix(lo, key_[0]) ^ hi, key_[1]) % slots);
}

bool source_limiter::try_acquire(const boost::asio::ip::address& a) noexcept {
    if (per_source_ == 0) {
        return true;
    }
    auto& c = counts_[slot_of(a)];
    std::uint32_t now = c.load(std::memory_order_relaxed);
    do {
        if (now >= per_source_) {
            refused_.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
    } while (!c.compare_exchange_weak(now, now + 1, std::memory_order_relaxed));
    return true;
}

void source_limiter::release(const boost::asio::ip::address& a) noexcept {
    if (per_source_ != 0) {
        counts_[slot_of(a)].fetch_sub(1, std::memory_order_relaxed);
    }
}

std::uint32_t source_limiter::held(const boost::asio::ip::address& a) const noexcept {
    return per_source_ == 0 ? 0 : counts_[slot_of(a)].load(std::memory_order_relaxed);
}

std::optional<admitted> admit(boost::asio::ip::tcp::socket& socket, std::size_t open,
                              std::size_t max_open,
                              const std::shared_ptr<source_limiter>& per_source) {
    boost::system::error_code ec;
    admitted a;
    a.remote = socket.remote_endpoint(ec);
    if (ec || open >= max_open) {
        socket.close(ec);
        return std::nullopt;
    }
    if (per_source) {
        if (!per_source->try_acquire(a.remote.address())) {
            socket.close(ec); // over limits.connections_per_address (the limiter counts it)
            return std::nullopt;
        }
        a.ticket = source_ticket(per_source, a.remote.address());
    }
    socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
    return a;
}

bool accept_exhausted(const boost::system::error_code& ec) noexcept {
    if (ec.category() != boost::system::system_category()) {
        return false;
    }
    const int e = ec.value();
    return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

void accept_pause::note(const boost::system::error_code& ec, std::string_view listener) {
    ++pauses_;
    const auto now = std::chrono::steady_clock::now();
    if (pauses_ > 1 && now - logged_at_ < std::chrono::minutes(1)) {
        ++unlogged_;
        return;
    }
    logged_at_ = now;
    auto log = spdlog::get("net");
    if (!log) {
        return;
    }
    log->warn("accept on {}: {}; pausing new connections for {} ms ({} more pauses since the "
              "last line; raise LimitNOFILE or lower limits.connections_per_address)",
              listener, ec.message(), pause_.count(), unlogged_);
    unlogged_ = 0;
}

} // namespace icegate::net
