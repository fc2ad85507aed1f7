// Live reload: the settings each module gets from the config, built at start and again on
// SIGHUP, and handed to every worker, which swaps them in on its own thread (no lock on the
// packet path: each worker reads only what it was handed).
#include <algorithm>

#include <spdlog/spdlog.h>

#include "icegate/config/config_reload.hpp"
#include "icegate/web/origin.hpp"
#include "server.hpp"

namespace icegate::app {

std::shared_ptr<const front_settings> server::make_front_settings(const config& c) {
    auto f = std::make_shared<front_settings>();
    f->ice = std::make_shared<const ice_minter>(c, bound_, c.auth.secrets.front());
    f->session.message_rate = c.signal.message_rate;
    f->session.join_secret = c.signal.join_secret;
    f->session.ice_refresh = f->ice->ttl() * 4 / 5;
    f->allowed_origins = lowercase_origins(c.http.allowed_origins);
    f->web.web_root = web_root_;
    f->web.ice = f->ice.get();
    f->web.join_secret = c.signal.join_secret;
    f->web.ice_servers_api = c.http.ice_servers_api == ice_servers_api::token;
    f->web.metrics = &metrics_;
    f->web.metrics_allow = c.metrics.allow;
    f->web.draining = &draining_; // drain.cpp: /healthz answers 503 while draining
    return f;
}

signal::room_settings server::room_settings_of(const config& c) {
    signal::room_settings rs;
    rs.capacity = c.signal.room_capacity;
    rs.history_bytes = c.signal.history_bytes / c.workers;
    // Room password checks: enough for a whole room to (re)join at once.
    rs.password_burst = std::max(rs.password_burst, 2.0 * rs.capacity);
    return rs;
}

std::string server::tls_stamp(const net::tls_material& m) {
    std::string out;
    for (const auto& p : {m.certificate, m.private_key}) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(p, ec);
        const auto time = std::filesystem::last_write_time(p, ec);
        out += p.string() + '|' + std::to_string(ec ? 0 : size) + '|' +
               std::to_string(ec ? 0 : time.time_since_epoch().count()) + '\n';
    }
    return out;
}

bool server::has_tls_listener() const {
    return cfg_->http.listen.has_value() ||
           std::ranges::any_of(cfg_->listen, [](const listen_address& la) {
               return la.proto == turn::client_transport::tls;
           });
}

std::vector<std::string> server::reload(std::shared_ptr<const config> next) {
    auto plan = plan_reload(*cfg_, *with_rest_secret(std::move(next)));
    const auto& c = *plan.effective;
    // Everything that can fail is built before anything is swapped.
    std::shared_ptr<boost::asio::ssl::context> tls;
    std::string stamp;
    if (has_tls_listener()) {
        stamp = tls_stamp(net::ensure_tls_material(make_tls_settings(c)));
        if (stamp != tls_stamp_) {
            tls = build_tls_context(c);
        }
    }
    auto auth_settings = std::make_shared<turn::auth_settings>(*make_auth_settings(c));
    auth_settings->nonce_key = auth_settings_->nonce_key; // issued nonces stay valid
    const auto auth = std::make_shared<const turn::authenticator>(auth_settings);
    const auto engine_settings = make_engine_settings(c, relays_);
    const auto front = router_ ? make_front_settings(c) : nullptr;
    const auto rooms = room_settings_of(c);

    if (router_) {
        router_->joins().set_rate(c.signal.join_rate, c.signal.join_rate * 2.0);
    }
    for (auto& slot : slots_) {
        slot.w->post([&slot, auth, engine_settings, tls, front, rooms] {
            slot.engine->set_authenticator(auth);
            slot.engine->set_settings(engine_settings);
            for (auto& s : slot.streams) {
                s->set_tls(tls);
            }
            if (slot.https) {
                slot.https->set_tls(tls);
            }
            if (slot.web && front) {
                slot.web->set_settings(front);
            }
            slot.rooms->set_settings(rooms);
        });
    }
    // The peer policy is built on worker 0, from the host's addresses it keeps there.
    slots_.front().w->post([this, cfg = plan.effective] {
        policy_cfg_ = cfg;
        on_interfaces_changed(interfaces_);
    });
    if (tls) {
        tls_stamp_ = stamp;
        retired_tls_.push_back(std::exchange(tls_, tls));
    }
    auth_settings_ = std::move(auth_settings);
    if (front) {
        front_ = front;
    }
    cfg_ = plan.effective;
    credential_ttl_ = c.auth.credential_ttl.count();
    ++reloads_ok_;
    return plan.restart_keys;
}

} // namespace icegate::app
