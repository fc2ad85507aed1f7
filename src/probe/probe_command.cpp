// `icegate probe`: options, the jobs they name, running them (one thread per target, all under
// one deadline) and printing the report.
#include "icegate/probe/probe_command.hpp"

#include <iostream>
#include <stdexcept>
#include <thread>

#include "config_jobs.hpp"
#include "icegate/config/rest_credential.hpp"
#include "icegate/config/secret_file.hpp"
#include "icegate/probe/probe_report.hpp"
#include "icegate/util/exit_code.hpp"
#include "probe_run.hpp"

namespace icegate::probe {

namespace {

using detail::clock;

constexpr std::string_view probe_usage =
    R"(usage: icegate probe stun:HOST[:PORT][?transport=udp|tcp|tls] [options]
       icegate probe turn:HOST[:PORT][?transport=udp|tcp|tls] (--user U --password P |
                     --secret-file F) [options]
       icegate probe turns:HOST[:PORT] ...          (TURN over TLS, port 5349)
       icegate probe wss://HOST[:PORT]/ws [options]
       icegate probe -c CONFIG [options]            (every listener of CONFIG)

Checks a running server end to end and prints one line per step with its time.
stun: a Binding request. turn: Binding, two allocations (the 401 challenge answered with
long-term credentials), a channel between the two relays, a 32-byte ChannelData round trip
relay 1 -> relay 2 -> relay 1, and both allocations released. wss: TLS, the WebSocket
upgrade, join a random room, expect `joined`, leave, ping -> pong, close.
-c CONFIG probes every `listen:` entry as turn (UDP, TCP, TLS) and http.listen as wss, on
127.0.0.1 / ::1 for wildcard addresses, with the config's own credentials (a REST
credential from the first auth.secrets entry, else the first user's stored key) and its own
certificate as the only one trusted (SPKI pin). Targets run in parallel.

--user U, --password P  TURN long-term credentials (the password shows in `ps`: prefer
                        --secret-file or -c)
--secret-file F         a TURN REST secret (F's first line): the credential is minted
                        for user "icegate-probe" (or --user U)
--insecure              accept any TLS certificate (self-signed servers)
--ca FILE               trust FILE's CA certificates besides the system's
--origin ORIGIN         the WebSocket Origin header (default https://HOST:PORT)
--timeout T             the whole probe's deadline: 5, 5s or 1500ms (default 5s)
--json                  print one JSON object: {"ok", "ms", "timeout_ms", "steps": [{"name",
                        "ok", "ms", "detail"}]}

Exit codes: 0 every step passed, 1 a step failed (or the config could not be read),
2 usage error.
)";

class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct probe_options {
    std::string target;
    std::string config;
    std::string user, password, secret_file, ca, origin;
    std::chrono::milliseconds timeout{5000};
    bool json = false, insecure = false, help = false;
};

bool take_value(std::span<char* const> words, std::size_t& i, std::string_view name,
                std::string_view alias, std::string& out) {
    const std::string_view w = words[i];
    if (w.starts_with(std::string(name) + "=")) {
        out = std::string(w.substr(name.size() + 1));
        return true;
    }
    if (w != name && (alias.empty() || w != alias)) {
        return false;
    }
    if (i + 1 >= words.size()) {
        throw usage_error(std::string(name) + " needs a value");
    }
    out = words[++i];
    return true;
}

probe_options parse_options(std::span<char* const> words) {
    probe_options o;
    std::string timeout;
    for (std::size_t i = 0; i < words.size(); ++i) {
        const std::string_view w = words[i];
        if (w == "-h" || w == "--help") {
            o.help = true;
        } else if (w == "--json") {
            o.json = true;
        } else if (w == "--insecure") {
            o.insecure = true;
        } else if (take_value(words, i, "--config", "-c", o.config) ||
                   take_value(words, i, "--user", "-u", o.user) ||
                   take_value(words, i, "--password", "", o.password) ||
                   take_value(words, i, "--secret-file", "", o.secret_file) ||
                   take_value(words, i, "--ca", "", o.ca) ||
                   take_value(words, i, "--origin", "", o.origin) ||
                   take_value(words, i, "--timeout", "-t", timeout)) {
        } else if (w.starts_with('-') || !o.target.empty()) {
            throw usage_error("unexpected argument '" + std::string(w) + "'");
        } else {
            o.target = w;
        }
    }
    if (!timeout.empty()) {
        const auto t = parse_timeout(timeout);
        if (!t) {
            throw usage_error("--timeout: expected 5, 5s or 1500ms (at most 1 hour)");
        }
        o.timeout = *t;
    }
    return o;
}

turn_credentials given_credentials(const probe_options& o) {
    if (!o.secret_file.empty()) {
        if (!o.password.empty()) {
            throw usage_error("give --password or --secret-file, not both");
        }
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch());
        const auto cred = app::make_rest_credential(app::read_secret_file(o.secret_file),
                                                    o.user.empty() ? "icegate-probe" : o.user,
                                                    (now + std::chrono::minutes(10)).count());
        return {cred.username, cred.password, std::nullopt};
    }
    if (o.user.empty() != o.password.empty()) {
        throw usage_error("--user and --password go together");
    }
    return o.user.empty() ? turn_credentials{} : turn_credentials{o.user, o.password, {}};
}

std::vector<probe_job> make_jobs(const probe_options& o) {
    detail::job_overrides given;
    given.credentials = given_credentials(o);
    given.trust.insecure = o.insecure;
    given.trust.ca_file = o.ca;
    given.ws.origin = o.origin;
    if (!o.config.empty()) {
        if (!o.target.empty()) {
            throw usage_error("give a target or -c CONFIG, not both");
        }
        auto jobs = detail::jobs_from_config(*app::load_config(o.config), given);
        if (jobs.empty()) {
            throw std::runtime_error("the config has no listeners to probe");
        }
        return jobs;
    }
    if (o.target.empty()) {
        throw usage_error("missing the target (stun:, turn:, turns:, wss://) or -c CONFIG");
    }
    std::string why;
    auto target = parse_target(o.target, &why);
    if (!target) {
        throw usage_error(o.target + ": " + why);
    }
    if (target->scheme == scheme::turn && given.credentials.empty()) {
        throw usage_error("turn: needs --user U --password P or --secret-file F");
    }
    return {probe_job{*target, given.credentials, {}, {}, given.trust, given.ws}};
}

report run_jobs(const std::vector<probe_job>& jobs, std::chrono::milliseconds timeout) {
    const auto start = clock::now();
    const auto deadline = start + timeout;
    std::vector<std::vector<step>> results(jobs.size());
    if (jobs.size() == 1) {
        results[0] = detail::run_job(jobs[0], deadline);
    } else {
        // One thread per target: a dead listener must not eat the others' time.
        std::vector<std::jthread> threads;
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            threads.emplace_back([&, i] { results[i] = detail::run_job(jobs[i], deadline); });
        }
    }
    report r;
    for (auto& steps : results) {
        r.steps.insert(r.steps.end(), steps.begin(), steps.end());
    }
    r.total_ms = std::chrono::duration<double, std::milli>(clock::now() - start).count();
    r.timeout_ms = static_cast<double>(timeout.count());
    return r;
}

int probe(std::span<char* const> words) {
    const auto o = parse_options(words);
    if (o.help) {
        std::cout << probe_usage;
        return exit_ok;
    }
    const auto jobs = make_jobs(o);
    const auto r = run_jobs(jobs, o.timeout);
    std::cout << (o.json ? format_json(r) : format_text(r)) << std::flush;
    return r.ok() ? exit_ok : exit_failure;
}

} // namespace

int run_probe_command(std::span<char*> args) {
    const auto words = std::span<char* const>(args).subspan(std::min<std::size_t>(2, args.size()));
    try {
        return probe(words);
    } catch (const usage_error& e) {
        std::cerr << "icegate probe: " << e.what() << "\n\n" << probe_usage;
        return exit_usage;
    } catch (const std::exception& e) {
        std::cerr << "icegate probe: " << e.what() << "\n";
        return exit_failure;
    }
}

} // namespace icegate::probe
