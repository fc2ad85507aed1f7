// How one log line is written, in text or JSON lines, with UTC millisecond timestamps:
//   text: 2026-11-21T12:00:00.123Z info  net: message   (control characters escaped)
//   json: {"ts":"2026-11-21T12:00:00.123Z","level":"info","logger":"net","msg":"message"}
// A message can never forge a second line or break the JSON: a remote peer's bytes end up in
// log messages.
#pragma once

#include <memory>

#include <spdlog/formatter.h>

namespace icegate::logging {

enum class line_style { text, json };

std::unique_ptr<spdlog::formatter> make_line_formatter(line_style style);

} // namespace icegate::logging
