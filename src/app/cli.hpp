// The icegate command line: subcommands and their options. Exit codes: icegate/util/exit_code.hpp.
#pragma once

#include <span>
#include <string_view>

#include "icegate/util/exit_code.hpp" // the exit codes returned here

namespace icegate::app {

// Runs the subcommand named by argv; returns the process exit code.
int run_cli(std::span<char*> args);

} // namespace icegate::app
