// The one rule for user names, shared by the config loader (auth.users, auth.users_file) and
// `icegate user` / `icegate credential`, so a name one accepts the other never refuses.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace icegate::app {

// RFC 8489 section 14.3: USERNAME is fewer than 513 bytes.
inline constexpr std::size_t max_user_name_bytes = 512;

// True when `s` holds a C0 control byte or DEL (realms are held to this too).
bool has_control_byte(std::string_view s);

// Why `name` cannot be a user name (empty, 513 bytes or more, control characters, not UTF-8);
// empty when it can.
std::string check_user_name(std::string_view name);

} // namespace icegate::app
