// Long-term keys and USERHASH: digests over "user:realm[:password]" without building a string.
#include "icegate/stun/credentials.hpp"

#include "icegate/stun/crypto.hpp"
#include "icegate/stun/error.hpp"

namespace icegate::stun {
namespace {

std::span<const std::uint8_t> bytes_of(std::string_view s) noexcept {
    return short_term_key(s);
}

const std::uint8_t colon[1] = {':'};

} // namespace

result<md5_key> long_term_key_md5(std::string_view username, std::string_view realm,
                                  std::string_view password) noexcept {
    md5_key key;
    if (!detail::digest(detail::digest_kind::md5,
                        {bytes_of(username), colon, bytes_of(realm), colon, bytes_of(password)},
                        key)) {
        return errc::crypto_failure;
    }
    return key;
}

result<sha256_key> long_term_key_sha256(std::string_view username, std::string_view realm,
                                        std::string_view password) noexcept {
    sha256_key key;
    if (!detail::digest(detail::digest_kind::sha256,
                        {bytes_of(username), colon, bytes_of(realm), colon, bytes_of(password)},
                        key)) {
        return errc::crypto_failure;
    }
    return key;
}

result<userhash_value> compute_userhash(std::string_view username,
                                        std::string_view realm) noexcept {
    userhash_value hash;
    if (!detail::digest(detail::digest_kind::sha256, {bytes_of(username), colon, bytes_of(realm)},
                        hash)) {
        return errc::crypto_failure;
    }
    return hash;
}

} // namespace icegate::stun
