// Probe jobs from a config's listeners, credentials and certificate.
#include "config_jobs.hpp"

#include <chrono>
#include <cstdlib>
#include <memory>

#include <jwt.h>

#include "icegate/config/rest_credential.hpp"
#include "icegate/net/tls_material.hpp"
#include "probe_run.hpp"

namespace icegate::probe::detail {

namespace {

namespace fs = std::filesystem;

// The REST user name part: shows up in the server's allocation log lines.
constexpr const char* probe_user = "icegate-probe";
constexpr std::chrono::minutes token_lifetime{5};

std::string loopback_for(const boost::asio::ip::address& a) {
    if (a.is_unspecified()) {
        return a.is_v6() ? "::1" : "127.0.0.1";
    }
    return a.to_string();
}

// The certificate `serve` presents: the configured pair when both files are set and the
// certificate exists, else the one generated into state_dir (as net::ensure_tls_material picks).
fs::path certificate_in_use(const app::config& cfg) {
    std::error_code ec;
    if (!cfg.tls.certificate.empty() && !cfg.tls.private_key.empty() &&
        fs::exists(cfg.tls.certificate, ec)) {
        return cfg.tls.certificate;
    }
    return cfg.state_dir / "cert.pem";
}

tls_trust config_trust(const app::config& cfg, const tls_trust& given) {
    if (given.insecure || !given.ca_file.empty()) {
        return given;
    }
    tls_trust t;
    const fs::path cert = certificate_in_use(cfg);
    try {
        t.spki_pin = net::spki_sha256_base64(cert);
    } catch (const std::exception& e) {
        t.pin_problem = std::string("cannot pin the config's certificate: ") + e.what();
    }
    return t;
}

probe_job listener_job(const app::listen_address& l) {
    probe_job job;
    job.target.scheme = scheme::turn;
    job.target.transport = l.proto == turn::client_transport::udp   ? transport::udp
                           : l.proto == turn::client_transport::tcp ? transport::tcp
                                                                    : transport::tls;
    job.target.host = loopback_for(l.address);
    job.target.port = l.port;
    if (l.port == 0) {
        job.skip_target = "listens on port 0: the port is picked at start, give it as a URI";
    }
    return job;
}

} // namespace

turn_credentials config_credentials(const app::config& cfg, std::string* why) {
    if (!cfg.auth.secrets.empty()) {
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch());
        const auto cred = app::make_rest_credential(cfg.auth.secrets.front(), probe_user,
                                                    (now + cfg.auth.credential_ttl).count());
        return {cred.username, cred.password, std::nullopt};
    }
    if (!cfg.auth.users.empty()) {
        // Users are stored as keys: MESSAGE-INTEGRITY needs only the key, never the password.
        const auto& u = cfg.auth.users.front();
        return {u.name, std::nullopt, u.key_md5};
    }
    *why = "no auth.secrets or auth.users in the config (give --user/--password or "
           "--secret-file)";
    return {};
}

std::vector<probe_job> jobs_from_config(const app::config& cfg, const job_overrides& given) {
    std::string why;
    const turn_credentials creds =
        given.credentials.empty() ? config_credentials(cfg, &why) : given.credentials;
    const tls_trust trust = config_trust(cfg, given.trust);
    std::vector<probe_job> jobs;
    for (const auto& l : cfg.listen) {
        auto job = listener_job(l);
        job.credentials = creds;
        job.skip_reason = why;
        job.trust = trust;
        jobs.push_back(std::move(job));
    }
    if (cfg.http.listen) {
        probe_job job;
        job.target = {scheme::wss, transport::tls, loopback_for(cfg.http.listen->address),
                      cfg.http.listen->port, "/ws"};
        if (job.target.port == 0) {
            job.skip_target = "listens on port 0: the port is picked at start, give it as a URI";
        }
        job.trust = trust;
        job.ws = given.ws;
        if (job.ws.origin.empty() && !cfg.http.allowed_origins.empty()) {
            job.ws.origin = cfg.http.allowed_origins.front();
        }
        if (!cfg.signal.join_secret.empty()) {
            job.ws.room = "icegate-probe-" + random_hex(8);
            job.ws.join_token = mint_join_token(cfg.signal.join_secret, job.ws.room);
        }
        jobs.push_back(std::move(job));
    }
    return jobs;
}

std::string mint_join_token(const std::string& secret, const std::string& room) {
    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) {
        throw std::runtime_error("cannot create a join token");
    }
    const std::unique_ptr<jwt_t, decltype(&jwt_free)> jwt(raw, &jwt_free);
    const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                         (std::chrono::system_clock::now() + token_lifetime).time_since_epoch())
                         .count();
    if (jwt_add_grant(jwt.get(), "room", room.c_str()) != 0 ||
        jwt_add_grant(jwt.get(), "name", "icegate probe") != 0 ||
        jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(exp)) != 0 ||
        jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                    static_cast<int>(secret.size())) != 0) {
        throw std::runtime_error("cannot sign a join token");
    }
    char* text = jwt_encode_str(jwt.get());
    if (text == nullptr) {
        throw std::runtime_error("cannot encode a join token");
    }
    std::string out(text);
    std::free(text); // libjwt allocates it with malloc
    return out;
}

} // namespace icegate::probe::detail
