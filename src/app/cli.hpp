// The icegate command line: subcommands, their options, exit codes.
#pragma once

#include <span>
#include <string_view>

namespace icegate::app {

// Exit codes of every subcommand.
enum exit_code : int {
    exit_ok = 0,
    exit_failure = 1, // bad config, cannot listen, runtime error
    exit_usage = 2,   // unknown subcommand or option
};

// Runs the subcommand named by argv; returns the process exit code.
int run_cli(std::span<char*> args);

} // namespace icegate::app
