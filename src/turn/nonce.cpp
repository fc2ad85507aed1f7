// The stateless NONCE: HMAC-SHA256(nonce_key, tag || time || client IP), truncated, after the
// RFC 8489 nonce cookie. Nothing is stored per client; a nonce key change invalidates all.
#include "nonce.hpp"

#include <algorithm>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "icegate/stun/crypto.hpp"

namespace icegate::turn::detail {
namespace {

// RFC 8489 section 9.2: the nonce cookie, then base64 of the 24 STUN Security Feature bits.
// Bit 0 "Password algorithms" and bit 1 "Username anonymity" (USERHASH) are set. Bits count
// from the right (RFC 8489 erratum 6290), so the 24 bits are 0x000003: "AAAD".
constexpr std::string_view cookie = "obMatJos2AAAD";
constexpr std::size_t mac_size = 16;
constexpr std::int64_t max_clock_skew = 5; // seconds; workers read the clock independently
constexpr std::string_view mac_tag = "icegate nonce v1";

// The IP the nonce is bound to, in canonical form: a v4-mapped IPv6 client (dual-stack
// socket) binds like its IPv4 address, so either listener accepts the other's nonce.
stun::transport_address canonical_ip(const stun::transport_address& a) noexcept {
    const auto& b = a.bytes;
    const bool mapped =
        !a.is_v4() &&
        std::all_of(b.begin(), b.begin() + 10, [](std::uint8_t x) { return x == 0; }) &&
        b[10] == 0xff && b[11] == 0xff;
    if (mapped) {
        return stun::transport_address::v4({b[12], b[13], b[14], b[15]}, 0);
    }
    stun::transport_address out = a;
    out.port = 0;
    return out;
}

// base64(time (8, big-endian) || MAC (16)) for `client` at `issued`.
bool opaque_part(std::span<const std::uint8_t, 32> key, const stun::transport_address& client,
                 std::int64_t issued, std::span<char, 32> out) noexcept {
    std::array<std::uint8_t, 8 + mac_size> raw{};
    const auto t = static_cast<std::uint64_t>(issued);
    for (std::size_t i = 0; i < 8; ++i) {
        raw[i] = static_cast<std::uint8_t>(t >> (56 - 8 * i));
    }
    const stun::transport_address ip = canonical_ip(client);
    std::array<std::uint8_t, mac_tag.size() + 8 + 1 + 16> input{};
    std::copy(mac_tag.begin(), mac_tag.end(), input.begin());
    std::copy(raw.begin(), raw.begin() + 8, input.begin() + mac_tag.size());
    input[mac_tag.size() + 8] = static_cast<std::uint8_t>(ip.family);
    std::copy(ip.bytes.begin(), ip.bytes.end(), input.begin() + mac_tag.size() + 9);
    const std::size_t input_size = mac_tag.size() + 9 + ip.address_size();

    std::array<std::uint8_t, 32> mac{};
    if (!hmac_sha256(key, std::span(input).first(input_size), mac)) {
        return false;
    }
    std::copy(mac.begin(), mac.begin() + mac_size, raw.begin() + 8);
    return base64_encode(raw, out) == out.size();
}

} // namespace

nonce_text make_nonce(std::span<const std::uint8_t, 32> key, const stun::transport_address& client,
                      std::int64_t unix_now) noexcept {
    nonce_text text{};
    std::copy(cookie.begin(), cookie.end(), text.begin());
    if (!opaque_part(key, client, unix_now, std::span(text).subspan<cookie.size()>())) {
        // An OpenSSL failure: a nonce that never verifies, so the client just retries.
        std::fill(text.begin() + cookie.size(), text.end(), 'A');
    }
    return text;
}

nonce_status check_nonce(std::span<const std::uint8_t, 32> key, std::string_view nonce,
                         const stun::transport_address& client, std::int64_t unix_now,
                         std::int64_t lifetime) noexcept {
    if (nonce.size() != nonce_size || !nonce.starts_with(cookie)) {
        return nonce_status::invalid;
    }
    std::array<std::uint8_t, 24 + 1> raw{};
    const auto* encoded = reinterpret_cast<const unsigned char*>(nonce.data() + cookie.size());
    if (EVP_DecodeBlock(raw.data(), encoded, 32) != 24) {
        return nonce_status::invalid;
    }
    std::uint64_t t = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        t = (t << 8) | raw[i];
    }
    const auto issued = static_cast<std::int64_t>(t);
    // Rebuild the whole nonce and compare: no trust in the decoder's leniency, constant time.
    std::array<char, 32> expected{};
    if (!opaque_part(key, client, issued, expected) ||
        CRYPTO_memcmp(expected.data(), nonce.data() + cookie.size(), expected.size()) != 0) {
        return nonce_status::invalid;
    }
    if (issued > unix_now + max_clock_skew) {
        return nonce_status::invalid;
    }
    return unix_now - issued > lifetime ? nonce_status::stale : nonce_status::valid;
}

bool hmac_sha1(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data,
               std::span<std::uint8_t, 20> out) noexcept {
    // One HMAC context per digest and thread, re-keyed per call (icegate/stun/crypto.hpp).
    return stun::detail::hmac(stun::detail::digest_kind::sha1, key, {data}, out);
}

bool hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data,
                 std::span<std::uint8_t, 32> out) noexcept {
    return stun::detail::hmac(stun::detail::digest_kind::sha256, key, {data}, out);
}

std::size_t base64_encode(std::span<const std::uint8_t> in, std::span<char> out) noexcept {
    const std::size_t needed = 4 * ((in.size() + 2) / 3);
    if (out.size() < needed) {
        return 0;
    }
    // EVP_EncodeBlock writes a terminating NUL the caller's span has no room for.
    std::array<unsigned char, 4 * ((64 + 2) / 3) + 1> buf{};
    if (in.size() > 64) {
        return 0;
    }
    const int n = EVP_EncodeBlock(buf.data(), in.data(), static_cast<int>(in.size()));
    std::copy(buf.begin(), buf.begin() + n, out.begin());
    return static_cast<std::size_t>(n);
}

} // namespace icegate::turn::detail
