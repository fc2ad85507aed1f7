// TURN REST credentials over turn::authenticator's password, so minting and checking agree.
#include "icegate/config/rest_credential.hpp"

#include "icegate/turn/auth.hpp"

namespace icegate::app {

std::string rest_password(std::string_view secret, std::string_view username) {
    return turn::authenticator::rest_password(secret, username);
}

rest_credential make_rest_credential(std::string_view secret, std::string_view user,
                                     std::int64_t expiry_unix) {
    rest_credential c;
    c.username = std::to_string(expiry_unix) + ":" + std::string(user);
    c.password = rest_password(secret, c.username);
    return c;
}

} // namespace icegate::app
