// What a reload may change. Keys bound at start (sockets, threads, the relay port range, files
// the server placed on disk) keep their running value until a restart; everything else is taken
// from the new config.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "icegate/config/config.hpp"

namespace icegate::app {

struct reload_plan {
    // `next` with every restart-only key set back to its running value.
    std::shared_ptr<const config> effective;
    // The restart-only keys whose value differs in `next` ("listen", "relay.ports", ...).
    std::vector<std::string> restart_keys;
};

reload_plan plan_reload(const config& running, const config& next);

} // namespace icegate::app
