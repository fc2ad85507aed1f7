// source_buckets: a keyed hash of the source's address (IPv4, or the /64 of IPv6, by
// source_hasher) picks a GCRA slot.
#include "source_buckets.hpp"

#include <algorithm>

namespace icegate::turn {
namespace {

std::uint64_t load_le64(const std::uint8_t* p) noexcept {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) {
        v = (v << 8) | p[i];
    }
    return v;
}

std::uint64_t rotl(std::uint64_t x, int b) noexcept {
    return (x << b) | (x >> (64 - b));
}

struct sip_state {
    std::uint64_t v0, v1, v2, v3;

    void round() noexcept {
        v0 += v1;
        v1 = rotl(v1, 13);
        v1 ^= v0;
        v0 = rotl(v0, 32);
        v2 += v3;
        v3 = rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = rotl(v1, 17);
        v1 ^= v2;
        v2 = rotl(v2, 32);
    }
    void absorb(std::uint64_t m) noexcept {
        v3 ^= m;
        round();
        v0 ^= m;
    }
};

// SipHash-1-3 of two words: the address part and a word that tells the families apart (and
// stands in for SipHash's length block).
std::uint64_t siphash13(std::uint64_t k0, std::uint64_t k1, std::uint64_t m0,
                        std::uint64_t m1) noexcept {
    sip_state s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
                k1 ^ 0x7465646279746573ULL};
    s.absorb(m0);
    s.absorb(m1);
    s.v2 ^= 0xff;
    s.round();
    s.round();
    s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

// An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is its IPv4 host, not a /64 of many.
bool is_v4_mapped(const stun::transport_address& a) noexcept {
    const auto& b = a.bytes;
    return !a.is_v4() && std::all_of(b.begin(), b.begin() + 10, [](auto x) { return x == 0; }) &&
           b[10] == 0xff && b[11] == 0xff;
}

std::int64_t nanos(source_buckets::clock::time_point t) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

} // namespace

source_hasher::source_hasher(const key_type& key) noexcept
    : k0_(load_le64(key.data())), k1_(load_le64(key.data() + 8)) {}

std::uint64_t source_hasher::operator()(const stun::transport_address& source) const noexcept {
    std::uint64_t m0 = 0;
    std::uint64_t m1 = 4;
    if (source.is_v4() || is_v4_mapped(source)) {
        const std::size_t at = source.is_v4() ? 0 : 12;
        for (std::size_t i = 0; i < 4; ++i) {
            m0 = (m0 << 8) | source.bytes[at + i];
        }
    } else {
        m0 = load_le64(source.bytes.data()); // the /64: the rest is the host's own choice
        m1 = 6;
    }
    return siphash13(k0_, k1_, m0, m1);
}

source_buckets::source_buckets(std::size_t slots, const key_type& key)
    : slots_(std::make_unique<slot[]>(std::max<std::size_t>(slots, 1))),
      count_(std::max<std::size_t>(slots, 1)), hash_(key) {}

std::size_t source_buckets::slot_of(const stun::transport_address& source) const noexcept {
    return static_cast<std::size_t>(hash_(source) % count_);
}

bool source_buckets::take(const stun::transport_address& source, bucket_rate r,
                          clock::time_point now) noexcept {
    if (r.rate == 0) {
        return true;
    }
    constexpr std::int64_t second = 1'000'000'000;
    const std::int64_t interval = second / r.rate;
    const std::int64_t tolerance = interval * std::max<std::uint32_t>(r.burst, 1);
    const std::int64_t t = nanos(now);
    slot& s = slots_[slot_of(source)];
    const std::int64_t tat = std::max(s.tat, t);
    if (tat + interval - t > tolerance) {
        if (s.period != period_) {
            s.period = period_;
            ++sources_refused_;
        }
        return false;
    }
    s.tat = tat + interval;
    return true;
}

void source_buckets::new_period() noexcept {
    ++period_;
    sources_refused_ = 0;
}

} // namespace icegate::turn
