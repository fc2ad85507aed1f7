// Running one probe job: its steps in order, each timed, stopping at the first that fails.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "icegate/probe/probe_report.hpp"
#include "icegate/probe/probe_target.hpp"
#include "wire.hpp"

namespace icegate::probe::detail {

// Appends the steps of one target to `out`, each named "<target label> <step>".
class step_recorder {
public:
    step_recorder(std::vector<step>& out, std::string prefix)
        : out_(out), prefix_(std::move(prefix)) {}

    // Runs `body` (returning the step's detail) and records it with its time; a step_failure
    // or any other exception fails the step with its message. Returns whether it passed.
    bool run(std::string_view name, const std::function<std::string()>& body);
    void skip(std::string_view name, std::string why);

private:
    std::vector<step>& out_;
    std::string prefix_;
};

// stun: [connect], binding. turn: [connect], binding, allocate, allocate 2, channel bind,
// relay round trip, release. (connect: TCP and TLS only.)
void probe_stun_turn(const probe_job& job, clock::time_point deadline, std::vector<step>& out);
// wss: connect (TLS and the WebSocket upgrade), join (expects joined), leave (then a ping
// answered by pong).
void probe_wss(const probe_job& job, clock::time_point deadline, std::vector<step>& out);
// Either of the above, or one skipped step when the job says so.
std::vector<step> run_job(const probe_job& job, clock::time_point deadline);

// Random lowercase hex (for room names and payloads that must not repeat).
std::string random_hex(std::size_t bytes);

} // namespace icegate::probe::detail
