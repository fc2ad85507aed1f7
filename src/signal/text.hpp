// Checks on untrusted frame text: UTF-8 validation with code point counting, control
// characters, and a JSON nesting-depth pre-scan that bounds the parser's recursion.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace icegate::signal {

enum class control_policy {
    forbid,           // no C0, DEL or C1 controls at all (room, name, topic)
    allow_whitespace, // tab, LF and CR allowed; other controls forbidden (chat text)
};

// The number of code points in `s`, or nullopt if `s` is not well-formed UTF-8 (overlong forms,
// surrogates and values over U+10FFFF are ill-formed) or holds a control the policy forbids.
std::optional<std::size_t> count_chars(std::string_view s, control_policy policy) noexcept;

// True if `s` is 1-`max` bytes of printable ASCII (0x21-0x7E): the shape of a session id.
bool is_token(std::string_view s, std::size_t max) noexcept;

// True if the arrays and objects of JSON text `text` nest deeper than `max_depth`. Brackets
// inside strings do not count; the text need not be valid JSON.
bool nests_deeper_than(std::string_view text, std::size_t max_depth) noexcept;

} // namespace icegate::signal
