// OpenSSL 3 (EVP) and zlib wrappers used by the STUN codec and the TURN nonce: HMAC, digests,
// CRC-32. Inputs are scattered parts so callers never copy a message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>

namespace icegate::stun::detail {

enum class digest_kind : std::uint8_t { md5, sha1, sha256 };

using parts = std::initializer_list<std::span<const std::uint8_t>>;

// Writes the digest of the concatenated parts into out (which must be exactly the digest size).
bool digest(digest_kind kind, parts input, std::span<std::uint8_t> out) noexcept;

// HMAC of the concatenated parts; out must be exactly the digest size (16, 20 or 32). Safe from
// any thread: each thread reuses its own context per digest.
bool hmac(digest_kind kind, std::span<const std::uint8_t> key, parts input,
          std::span<std::uint8_t> out) noexcept;

// CRC-32 (ISO HDLC, as zlib computes it) of the concatenated parts.
std::uint32_t crc32(parts input) noexcept;

// CRYPTO_memcmp: true when equal, in time independent of the contents.
bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;

} // namespace icegate::stun::detail
