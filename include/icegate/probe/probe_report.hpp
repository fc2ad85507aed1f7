// The outcome of a probe: one timed step after another, printed one line each or as one JSON
// object (`--json`), and the verdict the exit code follows.
#pragma once

#include <string>
#include <vector>

namespace icegate::probe {

enum class step_status { ok, failed, skipped };

struct step {
    std::string name; // "turn udp 127.0.0.1:3478 allocate"
    step_status status = step_status::ok;
    double ms = 0;
    std::string detail; // what was seen ("relay 127.0.0.1:16400"), or why it failed
};

struct report {
    std::vector<step> steps;
    double total_ms = 0;
    double timeout_ms = 0;

    // True when no step failed and one passed: skipped steps neither fail a probe nor pass
    // one (a config whose every listener is skipped probed nothing).
    bool ok() const;
};

// "ok   turn udp 127.0.0.1:3478 allocate              1.2 ms  relay 127.0.0.1:16400"; the name
// is padded to `name_width` so that the times line up.
std::string format_step(const step& s, std::size_t name_width);
// Every step, then "probe ok: 7 steps in 12.3 ms" or "probe FAILED: 1 of 7 steps failed ...".
std::string format_text(const report& r);
// {"ok":true,"ms":12.3,"timeout_ms":5000,"steps":[{"name":..,"ok":..,"ms":..,"detail":..}]};
// a skipped step has ok true and "skipped": true.
std::string format_json(const report& r);

} // namespace icegate::probe
