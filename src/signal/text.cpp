// Code point counting (over the shared UTF-8 decoder), the control-character policy and the
// JSON depth pre-scan.
#include "text.hpp"

#include "icegate/util/utf8.hpp"

namespace icegate::signal {
namespace {

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
        const auto cp = utf8::next_code_point(s, i);
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
