// Exit codes of every icegate subcommand. Here rather than in src/app's cli.hpp so that the admin
// commands (src/admin) return the same codes without depending on the executable's module.
#pragma once

namespace icegate {

enum exit_code : int {
    exit_ok = 0,
    exit_failure = 1, // bad config, cannot listen, runtime error
    exit_usage = 2,   // unknown subcommand or option
};

} // namespace icegate
