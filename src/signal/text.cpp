// UTF-8 validation and counting, control-character policy and the JSON depth pre-scan.
#include "text.hpp"

#include <cstdint>

namespace icegate::signal {
namespace {

// Decodes the code point at s[i], advancing i; nullopt when ill-formed (RFC 3629 table 3.7).
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) noexcept {
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

bool is_control(char32_t cp) noexcept {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

bool allowed(char32_t cp, control_policy policy) noexcept {
    if (!is_control(cp)) {
        return true;
    }
    return policy == control_policy::allow_whitespace && (cp == '\t' || cp == '\n' || cp == '\r');
}

} // namespace

std::optional<std::size_t> count_chars(std::string_view s, control_policy policy) noexcept {
    std::size_t count = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        const auto cp = next_code_point(s, i);
        if (!cp || !allowed(*cp, policy)) {
            return std::nullopt;
        }
        ++count;
    }
    return count;
}

bool is_token(std::string_view s, std::size_t max) noexcept {
    if (s.empty() || s.size() > max) {
        return false;
    }
    for (const char c : s) {
        if (c < 0x21 || c > 0x7E) {
            return false;
        }
    }
    return true;
}

bool nests_deeper_than(std::string_view text, std::size_t max_depth) noexcept {
    std::size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) {
                return true;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return false;
}

} // namespace icegate::signal
