// server::revoke_session_credentials (posts the revocation to every worker's TURN engine) and
// the start-up warning about open signaling.
#include "session_credentials.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <string>

#include "icegate/signal/credential_user.hpp"
#include "server.hpp"

namespace icegate::app {

namespace {

// Credentials minted just before the revocation (a refresh racing a leave) expire a little
// after now + ttl: the revocation outlives them by this much.
constexpr std::int64_t revocation_slack_s = 60;

turn::clock_reading now_reading() noexcept {
    return {std::chrono::steady_clock::now(), static_cast<std::int64_t>(std::time(nullptr))};
}

} // namespace

void server::revoke_session_credentials(std::string_view session) {
    const std::string user = signal::session_credential_user(session);
    const std::int64_t until = static_cast<std::int64_t>(std::time(nullptr)) +
                               credential_ttl_.load(std::memory_order_relaxed) + revocation_slack_s;
    for (auto& slot : slots_) {
        slot.w->post([e = slot.engine.get(), user, until] {
            e->revoke_rest_user(user, until, now_reading());
        });
    }
}

void warn_if_open_signaling(const config& c) {
    if (!c.http.listen || !c.signal.join_secret.empty()) {
        return;
    }
    const bool v6 = c.http.listen->address.is_v6();
    spdlog::get("app")->warn(
        "signaling is open: anyone who reaches https://{}{}{}:{} can join rooms and get TURN "
        "credentials (relay through this server) for as long as they stay; set "
        "signal.join_secret so joins need a token your application signs, and give rooms "
        "passwords",
        v6 ? "[" : "", c.http.listen->address.to_string(), v6 ? "]" : "", c.http.listen->port);
}

} // namespace icegate::app
