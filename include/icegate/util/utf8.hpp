// The one UTF-8 decoder (RFC 3629): signaling text checks, log escaping and user names all
// use it, so they agree on which bytes are well-formed. Header-only so every layer can.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace icegate::utf8 {

// Decodes the code point at s[i] (i < s.size()) and advances i past it; nullopt when the
// sequence there is ill-formed (RFC 3629 section 4: overlong forms, surrogates, values over
// U+10FFFF, stray continuation bytes, truncation), leaving i where it was.
inline std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) noexcept {
    const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
    const std::uint8_t b0 = byte(i);
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    std::size_t len = 0;
    char32_t cp = 0;
    std::uint8_t lo = 0x80;
    std::uint8_t hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
        cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        cp = b0 & 0x0F;
        lo = b0 == 0xE0 ? 0xA0 : 0x80; // no overlongs
        hi = b0 == 0xED ? 0x9F : 0xBF; // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        cp = b0 & 0x07;
        lo = b0 == 0xF0 ? 0x90 : 0x80; // no overlongs
        hi = b0 == 0xF4 ? 0x8F : 0xBF; // nothing over U+10FFFF
    } else {
        return std::nullopt;
    }
    if (s.size() - i < len) {
        return std::nullopt;
    }
    for (std::size_t k = 1; k < len; ++k) {
        const std::uint8_t b = byte(i + k);
        if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) {
            return std::nullopt;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    i += len;
    return cp;
}

// True when all of `s` is well-formed UTF-8 (the empty string is).
inline bool is_valid(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        if (!next_code_point(s, i)) {
            return false;
        }
    }
    return true;
}

} // namespace icegate::utf8
