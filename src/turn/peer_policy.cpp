// peer_policy: prefix matching, IPv4-in-IPv6 reduction, the default deny list and our live
// relays (RFC 8656 section 21, design section 5, coturn CVE-2020-26262 and CVE-2026-27624).
#include "icegate/turn/peer_policy.hpp"

#include <algorithm>
#include <utility>

namespace icegate::turn {
namespace {

using stun::address_family;
using stun::transport_address;

constexpr std::uint8_t max_length(address_family f) noexcept {
    return f == address_family::ipv4 ? 32 : 128;
}

// True when bytes [from, to) of `b` are all `value`.
bool all_equal(const std::array<std::uint8_t, 16>& b, std::size_t from, std::size_t to,
               std::uint8_t value) noexcept {
    return std::all_of(b.begin() + static_cast<std::ptrdiff_t>(from),
                       b.begin() + static_cast<std::ptrdiff_t>(to),
                       [value](std::uint8_t x) { return x == value; });
}

// IPv4 from bytes [at, at + 4) of `a`, XORed with `mask` (Teredo obfuscates the client).
transport_address v4_at(const transport_address& a, std::size_t at,
                        std::uint8_t mask = 0) noexcept {
    const auto& b = a.bytes;
    return transport_address::v4(
        {static_cast<std::uint8_t>(b[at] ^ mask), static_cast<std::uint8_t>(b[at + 1] ^ mask),
         static_cast<std::uint8_t>(b[at + 2] ^ mask), static_cast<std::uint8_t>(b[at + 3] ^ mask)},
        a.port);
}

// ::ffff:a.b.c.d (RFC 4291 section 2.5.5.2).
bool is_v4_mapped(const std::array<std::uint8_t, 16>& b) noexcept {
    return all_equal(b, 0, 10, 0) && b[10] == 0xff && b[11] == 0xff;
}

// The forms whose IPv4 sits in the last 32 bits: v4-mapped, v4-translated ::ffff:0:a.b.c.d
// (RFC 6052 / SIIT), v4-compatible ::a.b.c.d (deprecated, RFC 4291 section 2.5.5.1; :: and ::1
// are themselves, not IPv4), NAT64 64:ff9b::/96 (RFC 6052) and 64:ff9b:1::/48 (RFC 8215,
// taken as a /96 embedding: the common deployment).
bool embeds_in_last_32(const std::array<std::uint8_t, 16>& b) noexcept {
    if (is_v4_mapped(b)) {
        return true;
    }
    if (all_equal(b, 0, 8, 0) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0) {
        return true;
    }
    if (all_equal(b, 0, 12, 0)) {
        return !(all_equal(b, 12, 15, 0) && b[15] <= 1);
    }
    const bool nat64_prefix = b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b;
    if (nat64_prefix && all_equal(b, 4, 12, 0)) {
        return true;
    }
    return nat64_prefix && b[4] == 0x00 && b[5] == 0x01;
}

// The address alone (port 0): how own and relay addresses are stored and looked up.
transport_address address_of(const transport_address& a) noexcept {
    transport_address out = a;
    out.port = 0;
    return out;
}

bool any_contains(const std::vector<prefix>& list, const transport_address& a) noexcept {
    return std::any_of(list.begin(), list.end(), [&a](const prefix& p) { return p.contains(a); });
}

prefix v4p(std::uint8_t a, std::uint8_t b, std::uint8_t length) noexcept {
    return prefix::v4({a, b, 0, 0}, length);
}

prefix v6p(std::uint8_t b0, std::uint8_t b1, std::uint8_t b15, std::uint8_t length) noexcept {
    std::array<std::uint8_t, 16> ip{};
    ip[0] = b0;
    ip[1] = b1;
    ip[15] = b15;
    return prefix::v6(ip, length);
}

// The TEST-NETs (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, RFC 5737) are deliberately
// absent: they are documentation ranges, never routed on the Internet, so relaying there
// reaches nothing real, and our lab and integration tests put peers on them inside network
// namespaces. Denying them would only break those setups.
std::vector<prefix> make_default_deny() {
    return {
        v4p(0, 0, 8),           // "this network"; 0.0.0.0 reaches loopback (CVE-2020-26262)
        v4p(10, 0, 8),          // private (RFC 1918)
        v4p(100, 64, 10),       // carrier-grade NAT shared space (RFC 6598)
        v4p(127, 0, 8),         // loopback
        v4p(169, 254, 16),      // link-local, cloud metadata services
        v4p(172, 16, 12),       // private (RFC 1918)
        v4p(192, 0, 24),        // IETF protocol assignments (RFC 6890)
        v4p(192, 168, 16),      // private (RFC 1918)
        v4p(198, 18, 15),       // benchmarking (RFC 2544)
        v4p(224, 0, 4),         // multicast
        v4p(240, 0, 4),         // reserved, including broadcast 255.255.255.255
        v6p(0, 0, 0, 128),      // :: unspecified, reaches loopback (CVE-2020-26262)
        v6p(0, 0, 1, 128),      // ::1 loopback
        v6p(0xfc, 0, 0, 7),     // unique local (RFC 4193)
        v6p(0xfe, 0x80, 0, 10), // link-local
        v6p(0xfe, 0xc0, 0, 10), // deprecated site-local (RFC 3879), still private where used
        v6p(0xff, 0, 0, 8),     // multicast
    };
}

} // namespace

bool prefix::contains(const stun::transport_address& a) const noexcept {
    if (a.family != family) {
        return false;
    }
    const std::size_t whole = length / 8;
    for (std::size_t i = 0; i < whole; ++i) {
        if (a.bytes[i] != bytes[i]) {
            return false;
        }
    }
    const unsigned rest = length % 8;
    if (rest == 0) {
        return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (a.bytes[whole] & mask) == bytes[whole];
}

prefix prefix::of(const stun::transport_address& a, std::uint8_t length) noexcept {
    if (!a.is_v4() && is_v4_mapped(a.bytes) && length >= 96) {
        return of(v4_at(a, 12), static_cast<std::uint8_t>(std::min<int>(length, 128) - 96));
    }
    prefix p;
    p.family = a.family;
    p.length = std::min(length, max_length(a.family));
    const std::size_t whole = p.length / 8;
    for (std::size_t i = 0; i < whole; ++i) {
        p.bytes[i] = a.bytes[i];
    }
    if (p.length % 8 != 0) {
        p.bytes[whole] = a.bytes[whole] & static_cast<std::uint8_t>(0xff << (8 - p.length % 8));
    }
    return p;
}

prefix prefix::v4(std::array<std::uint8_t, 4> ip, std::uint8_t length) noexcept {
    return of(transport_address::v4(ip, 0), length);
}

prefix prefix::v6(const std::array<std::uint8_t, 16>& ip, std::uint8_t length) noexcept {
    return of(transport_address::v6(ip, 0), length);
}

peer_policy::peer_policy(std::vector<prefix> allow, std::vector<prefix> deny,
                         const std::vector<stun::transport_address>& own,
                         const std::vector<stun::transport_address>& relays,
                         std::shared_ptr<const live_relays> live)
    : live_(std::move(live)) {
    const auto normalize = [](prefix& p) {
        p = prefix::of(transport_address{p.family, p.bytes, 0}, p.length);
    };
    std::ranges::for_each(allow, normalize);
    std::ranges::for_each(deny, normalize);
    allow_ = std::move(allow);
    const auto& defaults = default_deny();
    deny_.reserve(defaults.size() + deny.size());
    deny_.insert(deny_.end(), defaults.begin(), defaults.end());
    deny_.insert(deny_.end(), deny.begin(), deny.end());
    user_deny_ = std::move(deny);
    const auto exact = [](const std::vector<transport_address>& in,
                          std::vector<transport_address>& out) {
        for (const auto& given : in) {
            const auto a = !given.is_v4() && is_v4_mapped(given.bytes) ? v4_at(given, 12) : given;
            if (!all_equal(a.bytes, 0, a.address_size(), 0)) {
                out.push_back(address_of(a));
            }
        }
        std::ranges::sort(out);
        out.erase(std::unique(out.begin(), out.end()), out.end());
    };
    exact(own, own_);
    exact(relays, relays_);
}

bool peer_policy::is_own(const stun::transport_address& a) const noexcept {
    return std::binary_search(own_.begin(), own_.end(), address_of(a));
}

// Only the address itself and its IPv4-mapped form (what a dual-stack socket reports for it)
// count: NAT64, 6to4 or Teredo forms of our address lead somewhere else, so they stay refused
// as our own address.
bool peer_policy::relay_of_ours(const stun::transport_address& a) const noexcept {
    if (!live_) {
        return false;
    }
    const transport_address addr = !a.is_v4() && is_v4_mapped(a.bytes) ? v4_at(a, 12) : a;
    return live_->contains(addr.family, addr.port) &&
           std::binary_search(relays_.begin(), relays_.end(), address_of(addr)) &&
           !any_contains(user_deny_, addr);
}

bool peer_policy::permits(const stun::transport_address& peer) const noexcept {
    if (any_contains(allow_, peer)) {
        return true;
    }
    const embedded_v4_set embedded = embedded_v4s(peer);
    bool all_allowed = embedded.count > 0;
    for (std::size_t i = 0; i < embedded.count; ++i) {
        all_allowed = all_allowed && any_contains(allow_, embedded.addresses[i]);
    }
    if (all_allowed || relay_of_ours(peer)) {
        return true;
    }
    if (any_contains(deny_, peer) || is_own(peer)) {
        return false;
    }
    for (std::size_t i = 0; i < embedded.count; ++i) {
        const auto& v4 = embedded.addresses[i];
        if (!any_contains(allow_, v4) && (any_contains(deny_, v4) || is_own(v4))) {
            return false;
        }
    }
    return true;
}

embedded_v4_set peer_policy::embedded_v4s(const stun::transport_address& a) noexcept {
    embedded_v4_set out;
    if (a.is_v4()) {
        return out;
    }
    const auto& b = a.bytes;
    if (embeds_in_last_32(b)) {
        out.addresses[out.count++] = v4_at(a, 12);
    } else if (b[0] == 0x20 && b[1] == 0x02) {
        // 6to4 (RFC 3056): 2002:AABB:CCDD::/48.
        out.addresses[out.count++] = v4_at(a, 2);
    } else if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00) {
        // Teredo (RFC 4380): the client, obfuscated in the last 32 bits, then the server.
        out.addresses[out.count++] = v4_at(a, 12, 0xff);
        out.addresses[out.count++] = v4_at(a, 4);
    }
    return out;
}

std::optional<stun::transport_address>
peer_policy::embedded_v4(const stun::transport_address& a) noexcept {
    if (a.is_v4()) {
        return a;
    }
    const embedded_v4_set s = embedded_v4s(a);
    if (s.count == 0) {
        return std::nullopt;
    }
    return s.addresses[0];
}

const std::vector<prefix>& peer_policy::default_deny() {
    static const std::vector<prefix> list = make_default_deny();
    return list;
}

} // namespace icegate::turn
