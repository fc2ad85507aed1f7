// `icegate credential`: a TURN REST API credential (username "expiry:user", password
// base64(HMAC-SHA1(secret, username))) with the config's TURN URIs, printed as JSON.
#include <array>
#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "admin_args.hpp"
#include "icegate/admin/admin_commands.hpp"
#include "icegate/config/config_values.hpp"
#include "icegate/config/config_yaml.hpp"
#include "icegate/config/rest_credential.hpp"
#include "icegate/config/secret_file.hpp"
#include "icegate/config/user_name.hpp"
#include "icegate/util/exit_code.hpp"

namespace icegate::app {

namespace {

namespace fs = std::filesystem;
using detail::admin_args;
using detail::option_spec;

constexpr std::chrono::seconds fallback_ttl{600}; // auth.credential_ttl's default

constexpr std::string_view credential_usage =
    R"(usage: icegate credential (--secret-file FILE | --secret SECRET) --user NAME
                          [--ttl DURATION] [-c CONFIG]

Mints a TURN REST API credential: username "EXPIRY:NAME" (EXPIRY in unix seconds),
password base64(HMAC-SHA1(secret, username)). Prints JSON:
  {"username": "...", "password": "...", "ttl": SECONDS, "uris": ["turn:...", ...]}

--secret-file FILE  the secret is FILE's first line, trimmed (one of auth.secrets)
--secret SECRET     the secret itself (it lands in shell history; prefer a file)
--ttl DURATION      lifetime: 600s, 10m, 1h, 1d (default: auth.credential_ttl, else 10m)
-c CONFIG           where the TURN URIs come from (default: the default config);
                    without any config, uris is []
)";

std::string uri_host(const config& cfg, const boost::asio::ip::address& bound) {
    const std::string& pub = cfg.http.public_host;
    if (!pub.empty()) {
        return pub.find(':') != std::string::npos ? "[" + pub + "]" : pub;
    }
    if (bound.is_unspecified()) {
        return bound.is_v6() ? "[::1]" : "127.0.0.1";
    }
    return bound.is_v6() ? "[" + bound.to_string() + "]" : bound.to_string();
}

std::string read_secret(const admin_args& a) {
    const auto file = a.value("--secret-file");
    const auto inline_secret = a.value("--secret");
    if (inline_secret) {
        std::cerr << "warning: --secret puts the secret in shell history and the process "
                     "list; prefer --secret-file\n";
        if (inline_secret->empty()) {
            throw usage_error("--secret must not be empty");
        }
        return *inline_secret;
    }
    return read_secret_file(*file);
}

int credential(std::span<char* const> words) {
    static constexpr std::array<option_spec, 5> specs{{{"--secret-file", "", true},
                                                       {"--secret", "", true},
                                                       {"--user", "-u", true},
                                                       {"--ttl", "", true},
                                                       {"--config", "-c", true}}};
    const admin_args a(words, specs);
    if (a.help()) {
        std::cout << credential_usage;
        return exit_ok;
    }
    a.expect_positional(0, "");
    if (a.value("--secret-file").has_value() == a.value("--secret").has_value()) {
        throw usage_error("give one of --secret-file FILE or --secret SECRET");
    }
    const auto user = a.value("--user");
    if (!user) {
        throw usage_error("missing --user NAME");
    }
    const auto ttl_text = a.value("--ttl");
    std::optional<std::chrono::seconds> ttl;
    if (ttl_text) {
        ttl = parse_ttl(*ttl_text);
    }
    const auto config_path = a.value("--config");
    const auto cfg =
        find_admin_config(config_path ? std::optional<fs::path>(*config_path) : std::nullopt);
    const auto lifetime = ttl ? *ttl : cfg ? cfg->auth.credential_ttl : fallback_ttl;
    const std::string secret = read_secret(a);

    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch());
    const auto cred = make_rest_credential(secret, *user, (now + lifetime).count());
    if (auto why = check_user_name(cred.username); !why.empty()) {
        throw usage_error("--user: " + why);
    }
    nlohmann::ordered_json out;
    out["username"] = cred.username;
    out["password"] = cred.password;
    out["ttl"] = lifetime.count();
    out["uris"] = cfg ? turn_uris(*cfg) : std::vector<std::string>{};
    std::cout << out.dump(2) << "\n";
    return exit_ok;
}

} // namespace

namespace detail {

int run_credential_command(std::span<char* const> words) {
    return guarded(credential_usage, [&] { return credential(words); });
}

} // namespace detail

std::chrono::seconds parse_ttl(std::string_view text) {
    // The config's own duration reader, so --ttl and credential_ttl accept the same text.
    std::vector<std::string> warnings;
    detail::yaml_source src{"--ttl", {}, &warnings};
    const detail::yaml_value v(YAML::Node(std::string(text)), "", src, 0);
    try {
        return detail::read_duration(v);
    } catch (const config_error& e) {
        throw usage_error(e.what());
    }
}

std::vector<std::string> turn_uris(const config& cfg) {
    std::vector<std::string> out;
    for (const auto& la : cfg.listen) {
        if (la.port == 0) {
            continue; // a free port picked at start: nothing to advertise yet
        }
        const std::string hostport = uri_host(cfg, la.address) + ":" + std::to_string(la.port);
        std::string uri =
            la.proto == turn::client_transport::tls   ? "turns:" + hostport + "?transport=tcp"
            : la.proto == turn::client_transport::tcp ? "turn:" + hostport + "?transport=tcp"
                                                      : "turn:" + hostport + "?transport=udp";
        if (std::ranges::find(out, uri) == out.end()) {
            out.push_back(std::move(uri));
        }
    }
    return out;
}

} // namespace icegate::app
