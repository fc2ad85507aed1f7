// TURN REST API credentials (draft-uberti-behave-turn-rest): what the web front hands browsers
// and `icegate credential` prints. Apart from the admin commands: the running server needs it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace icegate::app {

// base64(HMAC-SHA1(secret, username)): the TURN REST API password.
std::string rest_password(std::string_view secret, std::string_view username);

struct rest_credential {
    std::string username; // "<expiry unix time>:<user>"
    std::string password;
};
rest_credential make_rest_credential(std::string_view secret, std::string_view user,
                                     std::int64_t expiry_unix);

} // namespace icegate::app
