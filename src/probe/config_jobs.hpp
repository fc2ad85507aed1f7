// `icegate probe -c CONFIG`: one job per listener of a config, with the config's own
// credentials (a REST credential from auth.secrets, else the first user's stored key) and its
// own certificate as the TLS pin.
#pragma once

#include <vector>

#include "icegate/config/config.hpp"
#include "icegate/probe/probe_target.hpp"

namespace icegate::probe::detail {

// Options given on the command line win over what the config holds: `credentials` when not
// empty, `trust` when it says --insecure or --ca, `ws.origin` when set.
struct job_overrides {
    turn_credentials credentials;
    tls_trust trust;
    ws_options ws;
};

// UDP listeners become turn udp jobs (Binding first), TCP and TLS listeners turn tcp / tls
// jobs, http.listen a wss job on /ws. Wildcard addresses are probed on 127.0.0.1 / ::1; a
// listener on port 0 is skipped (its port is picked at start).
std::vector<probe_job> jobs_from_config(const app::config& cfg, const job_overrides& given);

// The config's TURN credentials (see above); empty with `why` set when it has none.
turn_credentials config_credentials(const app::config& cfg, std::string* why);

// An HS256 join token for `room` (signal.join_secret set), valid for five minutes.
std::string mint_join_token(const std::string& secret, const std::string& room);

} // namespace icegate::probe::detail
