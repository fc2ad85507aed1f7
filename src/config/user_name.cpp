// check_user_name: the user-name rule of the config loader and the admin commands.
#include "icegate/config/user_name.hpp"

#include <algorithm>

#include "icegate/util/utf8.hpp"

namespace icegate::app {

bool has_control_byte(std::string_view s) {
    return std::ranges::any_of(s, [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c < 0x20 || c == 0x7f;
    });
}

std::string check_user_name(std::string_view name) {
    if (name.empty()) {
        return "a user name must not be empty";
    }
    if (name.size() > max_user_name_bytes) {
        return "a user name must be shorter than 513 bytes";
    }
    if (has_control_byte(name)) {
        return "a user name must not contain control characters";
    }
    if (!utf8::is_valid(name)) {
        return "a user name must be UTF-8";
    }
    return {};
}

} // namespace icegate::app
