// Text and JSON renderings of a probe report.
#include "icegate/probe/probe_report.hpp"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace icegate::probe {

namespace {

std::string milliseconds(double ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f ms", ms);
    return buf;
}

// One decimal: what a human reads in the text form too.
double rounded(double ms) {
    return static_cast<double>(static_cast<long long>(ms * 10 + 0.5)) / 10;
}

} // namespace

bool report::ok() const {
    const auto passed = [](const step& s) { return s.status == step_status::ok; };
    const auto failed = [](const step& s) { return s.status == step_status::failed; };
    return std::any_of(steps.begin(), steps.end(), passed) &&
           std::none_of(steps.begin(), steps.end(), failed);
}

std::string format_step(const step& s, std::size_t name_width) {
    std::string line = s.status == step_status::ok       ? "ok   "
                       : s.status == step_status::failed ? "FAIL "
                                                         : "skip ";
    line += s.name;
    line.append(name_width > s.name.size() ? name_width - s.name.size() : 0, ' ');
    const std::string time = milliseconds(s.ms);
    // Right-aligned in 10 columns: "    1.2 ms", " 5000.0 ms".
    line.append(time.size() < 10 ? 10 - time.size() : 0, ' ');
    line += ' ';
    line += time;
    if (!s.detail.empty()) {
        line += "  ";
        line += s.detail;
    }
    return line;
}

std::string format_text(const report& r) {
    std::size_t width = 0;
    for (const auto& s : r.steps) {
        width = std::max(width, s.name.size());
    }
    std::string out;
    std::size_t failed = 0;
    for (const auto& s : r.steps) {
        out += format_step(s, width) + "\n";
        failed += s.status == step_status::failed ? 1 : 0;
    }
    if (r.ok()) {
        out += "probe ok: " + std::to_string(r.steps.size()) + " steps in " +
               milliseconds(r.total_ms) + "\n";
    } else if (failed == 0) {
        out += "probe FAILED: nothing was probed (" + std::to_string(r.steps.size()) +
               " steps skipped)\n";
    } else {
        out += "probe FAILED: " + std::to_string(failed) + " of " + std::to_string(r.steps.size()) +
               " steps failed (" + milliseconds(r.total_ms) + ", timeout " +
               milliseconds(r.timeout_ms) + ")\n";
    }
    return out;
}

std::string format_json(const report& r) {
    nlohmann::ordered_json out;
    out["ok"] = r.ok();
    out["ms"] = rounded(r.total_ms);
    out["timeout_ms"] = rounded(r.timeout_ms);
    out["steps"] = nlohmann::ordered_json::array();
    for (const auto& s : r.steps) {
        nlohmann::ordered_json j;
        j["name"] = s.name;
        j["ok"] = s.status != step_status::failed;
        j["ms"] = rounded(s.ms);
        j["detail"] = s.detail;
        if (s.status == step_status::skipped) {
            j["skipped"] = true;
        }
        out["steps"].push_back(std::move(j));
    }
    // Replacement instead of an exception when a server sent bytes that are not UTF-8.
    return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

} // namespace icegate::probe
