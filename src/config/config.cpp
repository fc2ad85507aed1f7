// parse_config / load_config: YAML text to a validated, immutable config, one reader per
// section. Key-by-key rules are in docs/configuration.md.
#include "icegate/config/config.hpp"

#include <algorithm>
#include <limits>
#include <thread>

#include "icegate/config/config_auth.hpp"
#include "icegate/config/config_values.hpp"
#include "icegate/config/config_yaml.hpp"

namespace icegate::app {

namespace {

using namespace detail;

constexpr std::uint32_t max_workers = 256;
constexpr std::uint32_t u32_max = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t max_attribute_bytes = 763; // REALM and SOFTWARE, RFC 8489 section 14
constexpr std::size_t max_config_bytes = 16UL * 1024 * 1024;

unsigned resolve_workers(unsigned configured) {
    if (configured != 0) {
        return configured;
    }
    unsigned cores = std::thread::hardware_concurrency();
    return std::clamp(cores, 1u, max_workers);
}

std::string read_attribute_text(const yaml_value& v, bool allow_empty) {
    std::string s = allow_empty ? read_string(v) : read_nonempty_string(v);
    if (s.size() >= max_attribute_bytes) {
        v.fail("must be shorter than 763 bytes (RFC 8489 limit)");
    }
    return s;
}

void read_listen(const yaml_value& v, std::vector<listen_address>& out) {
    std::vector<yaml_value> items = v.items("a list of listen URLs");
    for (std::size_t i = 0; i < items.size(); ++i) {
        listen_address la = read_listen_url(items[i]);
        for (std::size_t j = 0; j < out.size() && la.port != 0; ++j) {
            if (out[j].proto == la.proto && out[j].address == la.address &&
                out[j].port == la.port) {
                items[i].fail("duplicate of listen[" + std::to_string(j) + "]");
            }
        }
        out.push_back(la);
    }
}

void read_tls(const yaml_value& v, tls_config& tls) {
    yaml_map m(v, {"certificate", "private_key"});
    auto cert = m.get("certificate");
    auto key = m.get("private_key");
    if (cert) {
        tls.certificate = read_path(*cert);
    }
    if (key) {
        tls.private_key = read_path(*key);
    }
    if (tls.certificate.empty() != tls.private_key.empty()) {
        const yaml_value& which = cert ? *cert : *key;
        which.fail("tls.certificate and tls.private_key go together: set both or neither");
    }
}

void read_relay(const yaml_value& v, relay_config& relay) {
    yaml_map m(v, {"address", "address_v6", "external_address", "ports"});
    if (auto a = m.get("address")) {
        relay.address = read_ip_or_auto(*a, false);
    }
    if (auto a = m.get("address_v6")) {
        relay.address_v6 = read_ip_or_auto(*a, true);
    }
    if (auto a = m.get("external_address")) {
        relay.external_address = read_ip(*a);
    }
    if (auto p = m.get("ports")) {
        relay.ports = read_port_range(*p);
    }
}

void read_auth(const yaml_value& v, const std::string& realm, auth_config& auth) {
    yaml_map m(v, {"users", "users_file", "secrets", "credential_ttl"});
    user_reader users(realm, auth.users);
    if (auto u = m.get("users")) {
        users.read_list(*u, false);
    }
    if (auto f = m.get("users_file")) {
        auth.users_file = read_path(*f);
        std::error_code ec;
        if (!auth.users_file.empty() && !std::filesystem::exists(auth.users_file, ec) && !ec) {
            // `icegate user add --file` creates it; until then it simply holds no users.
            f->warn("\"" + auth.users_file.string() + "\" does not exist yet: no users from it");
        } else if (!auth.users_file.empty()) {
            users.read_file(*f, auth.users_file);
        }
    }
    if (auto s = m.get("secrets")) {
        auth.secrets = read_secrets(*s);
    }
    if (auto t = m.get("credential_ttl")) {
        auth.credential_ttl = read_duration(*t);
    }
}

void read_limits(const yaml_value& v, limits_config& l) {
    yaml_map m(v,
               {"max_lifetime", "user_quota", "total_quota", "max_permissions", "max_channels",
                "tcp_idle_timeout", "tcp_buffer", "tcp_preauth_timeout", "connections_per_address",
                "unauthenticated_answer_rate", "unauthenticated_answer_burst", "allocation_rate",
                "allocation_bandwidth", "user_bandwidth", "total_bandwidth"});
    if (auto x = m.get("max_lifetime")) {
        l.max_lifetime = read_duration(*x);
    }
    if (auto x = m.get("user_quota")) {
        l.user_quota = read_uint(*x, 1, u32_max);
    }
    if (auto x = m.get("total_quota")) {
        l.total_quota = read_uint(*x, 1, u32_max);
    }
    if (auto x = m.get("max_permissions")) {
        l.max_permissions = read_uint(*x, 1, 65535);
    }
    if (auto x = m.get("max_channels")) {
        // Channel numbers 0x4000-0x4FFF (RFC 8656 section 12).
        l.max_channels = read_uint(*x, 1, 4096);
    }
    if (auto x = m.get("tcp_idle_timeout")) {
        l.tcp_idle_timeout = read_duration(*x);
    }
    if (auto x = m.get("tcp_buffer")) {
        // At least one maximum-size ChannelData frame (4 + 65535 bytes, padded).
        l.tcp_buffer = read_uint(*x, 1024, 16 * 1024 * 1024);
    }
    if (auto x = m.get("tcp_preauth_timeout")) {
        l.tcp_preauth_timeout = read_duration(*x);
    }
    if (auto x = m.get("connections_per_address")) {
        l.connections_per_address = read_uint(*x, 0, 1000000);
    }
    if (auto x = m.get("unauthenticated_answer_rate")) {
        l.unauthenticated_answer_rate = read_uint(*x, 0, 1000000);
    }
    if (auto x = m.get("unauthenticated_answer_burst")) {
        l.unauthenticated_answer_burst = read_uint(*x, 1, 1000000);
    }
    if (auto x = m.get("allocation_rate")) {
        l.allocation_rate = read_uint(*x, 0, 1000000);
    }
    if (auto x = m.get("allocation_bandwidth")) {
        l.allocation_bandwidth = read_rate(*x);
    }
    if (auto x = m.get("user_bandwidth")) {
        l.user_bandwidth = read_rate(*x);
    }
    if (auto x = m.get("total_bandwidth")) {
        l.total_bandwidth = read_rate(*x);
    }
}

void read_peers(const yaml_value& v, peers_config& p) {
    yaml_map m(v, {"allow", "deny"});
    if (auto x = m.get("allow")) {
        p.allow = read_cidr_list(*x);
    }
    if (auto x = m.get("deny")) {
        p.deny = read_cidr_list(*x);
    }
}

bool valid_origin(std::string_view s) {
    for (std::string_view scheme : {"https://", "http://"}) {
        if (s.substr(0, scheme.size()) == scheme) {
            std::string_view rest = s.substr(scheme.size());
            return !rest.empty() && rest.find_first_of("/?# \t") == std::string_view::npos;
        }
    }
    return false;
}

bool valid_host_name(std::string_view s) {
    if (s.empty() || s.size() > 253) {
        return false;
    }
    std::size_t label = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-') {
                return false;
            }
            label = 0;
        } else if (alnum || (c == '-' && label > 0)) {
            if (++label > 63) {
                return false;
            }
        } else {
            return false;
        }
    }
    return s.back() != '-';
}

void read_public_host(const yaml_value& v, std::string& out) {
    out = read_string(v);
    boost::system::error_code ec;
    boost::asio::ip::make_address(out, ec);
    if (!out.empty() && ec && !valid_host_name(out)) {
        v.fail_expected("a host name or IP address (no scheme, no port)");
    }
}

void read_http(const yaml_value& v, http_config& http, std::optional<yaml_value>& ice_api_node) {
    yaml_map m(v, {"listen", "web_root", "allowed_origins", "public_host", "ice_servers_api"});
    if (auto x = m.get("listen")) {
        http.listen = read_host_port(*x, turn::client_transport::tls);
    }
    if (auto x = m.get("web_root")) {
        http.web_root = read_path(*x);
    }
    if (auto x = m.get("allowed_origins")) {
        for (const auto& item : x->items("a list of origins")) {
            const std::string& o = item.scalar("an origin such as https://example.com");
            if (!valid_origin(o)) {
                item.fail_expected("an origin such as https://example.com:8443 (no path)");
            }
            http.allowed_origins.push_back(o);
        }
    }
    if (auto x = m.get("public_host")) {
        read_public_host(*x, http.public_host);
    }
    if (auto x = m.get("ice_servers_api")) {
        // YAML 1.1 reads a bare `off` as a boolean: take its text as written.
        const std::string& mode = x->scalar("off or token");
        if (mode != "off" && mode != "token") {
            x->fail_expected("off or token");
        }
        http.ice_servers_api = mode == "token" ? ice_servers_api::token : ice_servers_api::off;
        ice_api_node.emplace(*x);
    }
}

void read_signal(const yaml_value& v, signal_config& s) {
    yaml_map m(v, {"room_capacity", "join_secret", "message_rate", "join_rate", "history_bytes"});
    if (auto x = m.get("room_capacity")) {
        s.room_capacity = read_uint(*x, 1, 1000);
    }
    if (auto x = m.get("message_rate")) {
        s.message_rate = read_uint(*x, 1, 100000);
    }
    if (auto x = m.get("join_rate")) {
        s.join_rate = read_uint(*x, 1, 100000);
    }
    if (auto x = m.get("history_bytes")) {
        s.history_bytes = read_uint(*x, 0, 1024u * 1024u * 1024u);
    }
    if (auto x = m.get("join_secret")) {
        s.join_secret = read_secret(*x, true);
    }
}

void read_log(const yaml_value& v, log_config& log) {
    static constexpr std::array<std::string_view, 7> levels = {"trace", "debug",    "info", "warn",
                                                               "error", "critical", "off"};
    yaml_map m(v, {"level", "format"});
    if (auto x = m.get("level")) {
        std::string_view what = "one of trace, debug, info, warn, error, critical, off";
        log.level = x->scalar(what);
        if (std::find(levels.begin(), levels.end(), log.level) == levels.end()) {
            x->fail_expected(what);
        }
    }
    if (auto x = m.get("format")) {
        const std::string& f = x->scalar("text or json");
        if (f != "text" && f != "json") {
            x->fail_expected("text or json");
        }
        log.format = f == "json" ? log_format::json : log_format::text;
    }
}

void read_shutdown(const yaml_value& v, shutdown_config& s) {
    constexpr std::chrono::seconds max_grace{3600};
    yaml_map m(v, {"grace", "alternate_server"});
    if (auto x = m.get("grace")) {
        s.grace = read_duration(*x, true);
        if (s.grace > max_grace) {
            x->fail_expected("a duration of at most 1h (0s: no drain)");
        }
    }
    if (auto x = m.get("alternate_server")) {
        // An empty string (or null) leaves it unset, as in the default config.
        if (!x->is_scalar() || !x->node().Scalar().empty()) {
            s.alternate_server = read_host_port(*x, turn::client_transport::udp);
            if (s.alternate_server->port == 0) {
                x->fail_expected("an address and port such as 203.0.113.7:3478 (port not 0)");
            }
        }
    }
}

void read_top_scalars(const yaml_map& m, config& c) {
    if (auto x = m.get_raw("realm")) {
        c.realm = read_attribute_text(*x, false);
    }
    if (auto x = m.get("workers")) {
        c.workers =
            read_uint(*x, 0, max_workers, "0 (one per core) or a number of threads up to 256");
    }
    c.workers = resolve_workers(c.workers);
    if (auto x = m.get("software")) {
        c.software = read_attribute_text(*x, true);
    }
    if (auto x = m.get("state_dir")) {
        c.state_dir = read_path(*x);
    }
}

void read_config(const yaml_value& root, config& c) {
    yaml_map m(root, {"realm", "workers", "software", "listen", "tls", "state_dir", "relay", "auth",
                      "limits", "peers", "http", "signal", "metrics", "log", "shutdown"});
    read_top_scalars(m, c);
    if (auto x = m.get("listen")) {
        read_listen(*x, c.listen);
    }
    if (auto x = m.get("tls")) {
        read_tls(*x, c.tls);
    }
    if (auto x = m.get("relay")) {
        read_relay(*x, c.relay);
    }
    if (auto x = m.get("auth")) {
        read_auth(*x, c.realm, c.auth);
    }
    if (auto x = m.get("limits")) {
        read_limits(*x, c.limits);
    }
    if (auto x = m.get("peers")) {
        read_peers(*x, c.peers);
    }
    std::optional<yaml_value> ice_api_node;
    if (auto x = m.get("http")) {
        read_http(*x, c.http, ice_api_node);
    }
    if (auto x = m.get("signal")) {
        read_signal(*x, c.signal);
    }
    if (c.http.ice_servers_api == ice_servers_api::token && c.signal.join_secret.empty()) {
        ice_api_node->fail("token needs signal.join_secret (the secret join tokens are signed "
                           "with)");
    }
    if (auto x = m.get("metrics")) {
        yaml_map mm(*x, {"allow"});
        if (auto a = mm.get("allow")) {
            c.metrics.allow = read_cidr_list(*a);
        }
    }
    if (auto x = m.get("log")) {
        read_log(*x, c.log);
    }
    if (auto x = m.get("shutdown")) {
        read_shutdown(*x, c.shutdown);
    }
    if (c.listen.empty() && !c.http.listen) {
        yaml_value(root.node(), "", root.source(), 0)
            .warn("no listeners configured (listen and http.listen are empty)");
    }
}

} // namespace

std::shared_ptr<const config> parse_config(const std::string& yaml_text,
                                           const std::filesystem::path& file) {
    auto c = std::make_shared<config>();
    std::error_code ec;
    yaml_source src{"<embedded>", std::filesystem::current_path(ec), &c->warnings};
    c->source = "<embedded>";
    if (!file.empty()) {
        std::filesystem::path abs = std::filesystem::absolute(file, ec).lexically_normal();
        c->source = abs.empty() ? file : abs;
        src.name = file.filename().string();
        src.folder = c->source.parent_path();
    }
    try {
        YAML::Node root = load_yaml(yaml_text, src);
        int line = root.Mark().is_null() ? 1 : root.Mark().line + 1;
        read_config(yaml_value(root, "", src, line), *c);
    } catch (const YAML::Exception& e) {
        std::string where = src.name;
        if (!e.mark.is_null()) {
            where += ":" + std::to_string(e.mark.line + 1);
        }
        throw config_error(where + ": " + e.msg);
    }
    return c;
}

std::shared_ptr<const config> load_config(const std::filesystem::path& file) {
    yaml_source src{file.filename().string(), {}, nullptr};
    std::string text = read_small_file(yaml_value({}, "", src, 0), file, max_config_bytes);
    return parse_config(text, file);
}

} // namespace icegate::app
