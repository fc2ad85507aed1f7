// The key signaling resume tokens are sealed with, kept in state_dir so that a restarted
// server lets the members of the one before back into their rooms (docs/signaling.md, Resume).
#pragma once

#include <filesystem>

#include "icegate/signal/room_table.hpp"

namespace icegate::app {

// Reads `state_dir`/resume.key (32 bytes), creating it (mode 0600, and the folder 0700) with
// random bytes when it is missing. An empty `state_dir` gives a random key for this run only.
// Throws, naming the file, when it cannot be read or made, or does not hold 32 bytes.
signal::resume_key load_resume_key(const std::filesystem::path& state_dir);

} // namespace icegate::app
