// TURN credentials that belong to a signaling session (docs/signaling.md): the start-up warning
// about a signaling service open to anyone; the revocation itself is server's
// (session_credentials.cpp holds it).
#pragma once

#include "icegate/config/config.hpp"

namespace icegate::app {

// One warning when anyone who reaches http.listen may join rooms and so get TURN credentials
// (no signal.join_secret), naming how to close it.
void warn_if_open_signaling(const config& c);

} // namespace icegate::app
