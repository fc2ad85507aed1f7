// SIGTERM/SIGINT in `icegate serve`: the first starts a drain of shutdown.grace, a second (or a
// grace of 0s) stops at once (docs/operations.md, Drain).
#pragma once

#include <functional>

#include <boost/asio/io_context.hpp>

#include "server.hpp"

namespace icegate::app {

// Called on `main_io`'s thread with the signal's number. Tells systemd STOPPING=1 (and, for a
// drain, EXTEND_TIMEOUT_USEC). Returns true while a drain goes on: the caller keeps waiting for
// signals, and `main_io` is stopped when the drain ends. False: `main_io` was stopped now.
bool on_stop_signal(server& srv, boost::asio::io_context& main_io, int sig);

// begin_drain's `done` for `icegate serve`: logs how the drain ended and stops `main_io`.
std::function<void(std::size_t left)> end_of_drain(boost::asio::io_context& main_io);

} // namespace icegate::app
