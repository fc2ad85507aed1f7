// The WebSocket upgrade's Origin policy: which pages may open a signaling socket.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace icegate::app {

// Whether a WebSocket upgrade's Origin may connect: listed in `allowed` (lowercase), or with
// an empty list the page's own origin (https://<Host>). No Origin header: not a browser, so
// there is no page to protect; allowed.
bool origin_allowed(std::string_view origin, std::string_view host,
                    const std::vector<std::string>& allowed);

// `origins` lowercased, the form origin_allowed compares with.
std::vector<std::string> lowercase_origins(const std::vector<std::string>& origins);

} // namespace icegate::app
