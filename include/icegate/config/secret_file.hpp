// Secret files named on the command line (`--secret-file F` of `icegate credential` and
// `icegate probe`): the secret is the file's first line.
#pragma once

#include <filesystem>
#include <string>

namespace icegate::app {

// The first line of `file` with spaces, tabs and CR trimmed from both ends; the rest of the
// file is ignored. Throws config_error naming the file ("--secret-file: cannot read \"F\": ...")
// when it is missing, not a regular file or larger than 64 KiB, and std::runtime_error naming it
// when the first line is empty.
std::string read_secret_file(const std::filesystem::path& file);

} // namespace icegate::app
