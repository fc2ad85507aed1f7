#include "icegate/web/origin.hpp"

#include <algorithm>
#include <cctype>

namespace icegate::app {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

} // namespace

bool origin_allowed(std::string_view origin, std::string_view host,
                    const std::vector<std::string>& allowed) {
    if (origin.empty()) {
        return true;
    }
    const std::string o = lower(origin);
    if (allowed.empty()) {
        return !host.empty() && o == "https://" + lower(host);
    }
    return std::ranges::find(allowed, o) != allowed.end();
}

std::vector<std::string> lowercase_origins(const std::vector<std::string>& origins) {
    std::vector<std::string> out;
    out.reserve(origins.size());
    for (const auto& o : origins) {
        out.push_back(lower(o));
    }
    return out;
}

} // namespace icegate::app
