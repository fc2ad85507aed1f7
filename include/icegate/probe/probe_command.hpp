// `icegate probe`: an end-to-end check of a running server (STUN Binding, TURN allocations and
// a relayed round trip over UDP, TCP or TLS, the signaling WebSocket), for admins, cron and
// monitoring. Exit 0 when every step passes, 1 otherwise, 2 on a usage error.
#pragma once

#include <span>

namespace icegate::probe {

// Runs `icegate probe ...`; `args` as main's argv (args[1] is "probe"). Catches its own errors.
int run_probe_command(std::span<char*> args);

} // namespace icegate::probe
