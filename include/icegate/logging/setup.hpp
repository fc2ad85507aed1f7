// Logging setup: the named spdlog loggers (stun, turn, signal, net, app) on one sink, in text or
// JSON lines with UTC millisecond timestamps.
#pragma once

#include <ostream>

#include "icegate/config/config.hpp"

namespace icegate::logging {

// Creates the named loggers stun, turn, signal, net and app in spdlog's registry (app is also
// the default logger) on one thread-safe stdout sink, at the configured level and format:
//   text: 2026-11-21T12:00:00.123Z info  net: message   (control characters escaped)
//   json: {"ts":"2026-11-21T12:00:00.123Z","level":"info","logger":"net","msg":"message"}
// Calling it again (reload) re-registers the loggers; on stdout the same logger objects are kept
// and updated in place, so pointers other threads hold see the new level and format.
void setup_logging(const app::log_config& c);

// For tests: the same, into `out`, which must outlive the loggers (or the next setup_logging).
void setup_logging(const app::log_config& c, std::ostream& out);

} // namespace icegate::logging
