// Credential tags: BLAKE2b (libsodium's generichash) of a domain-separated id, 128 bits, as
// unpadded base64url.
#include "icegate/signal/credential_user.hpp"

#include <sodium.h>

#include <array>
#include <cstdint>

namespace icegate::signal {
namespace {

std::string tag(std::string_view prefix, std::string_view domain, std::string_view a,
                std::string_view b) {
    constexpr std::size_t bytes = 16;
    constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, bytes);
    const auto add = [&st](std::string_view s) {
        // The length first, so ("ab", "c") and ("a", "bc") differ.
        const auto n = static_cast<std::uint64_t>(s.size());
        std::array<unsigned char, 8> len{};
        for (std::size_t i = 0; i < len.size(); ++i) {
            len[i] = static_cast<unsigned char>(n >> (8 * i));
        }
        crypto_generichash_update(&st, len.data(), len.size());
        crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(s.data()), s.size());
    };
    add(domain);
    add(a);
    add(b);
    std::array<unsigned char, bytes> raw{};
    crypto_generichash_final(&st, raw.data(), raw.size());
    std::array<char, sodium_base64_ENCODED_LEN(bytes, variant)> text{};
    sodium_bin2base64(text.data(), text.size(), raw.data(), raw.size(), variant);
    return std::string(prefix) + text.data();
}

} // namespace

std::string session_credential_user(std::string_view session) {
    return tag("s-", "icegate turn credential: session", session, {});
}

std::string subject_credential_user(std::string_view room, std::string_view name) {
    return tag("t-", "icegate turn credential: join token subject", room, name);
}

} // namespace icegate::signal
