// to_yaml: the effective config as YAML with every key present and every secret masked, in a
// shape parse_config reads back (masked values are refused there, so they cannot leak into use).
#include <string>

#include <yaml-cpp/yaml.h>

#include "icegate/config/config.hpp"
#include "icegate/config/config_values.hpp"

namespace icegate::app {

namespace {

using detail::format_duration;

constexpr const char* masked = "***";

std::string host_port(const listen_address& la) {
    std::string host = la.address.to_string();
    if (la.address.is_v6()) {
        host = "[" + host + "]";
    }
    return host + ":" + std::to_string(la.port);
}

std::string ip_or(const std::optional<boost::asio::ip::address>& a, const char* fallback) {
    return a ? a->to_string() : fallback;
}

void emit_cidrs(YAML::Emitter& out, const char* key, const std::vector<cidr>& list) {
    out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& c : list) {
        out << c.to_string();
    }
    out << YAML::EndSeq;
}

void emit_top(YAML::Emitter& out, const config& c) {
    out << YAML::Key << "realm" << YAML::Value << YAML::DoubleQuoted << c.realm;
    out << YAML::Key << "workers" << YAML::Value << c.workers;
    out << YAML::Key << "software" << YAML::Value << YAML::DoubleQuoted << c.software;
    out << YAML::Key << "listen" << YAML::Value << YAML::BeginSeq;
    for (const auto& la : c.listen) {
        out << la.to_string();
    }
    out << YAML::EndSeq;
    out << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "certificate" << YAML::Value << c.tls.certificate.string();
    out << YAML::Key << "private_key" << YAML::Value << c.tls.private_key.string();
    out << YAML::EndMap;
    out << YAML::Key << "state_dir" << YAML::Value << c.state_dir.string();
    out << YAML::Key << "relay" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "address" << YAML::Value << ip_or(c.relay.address, "auto");
    out << YAML::Key << "address_v6" << YAML::Value << ip_or(c.relay.address_v6, "auto");
    out << YAML::Key << "external_address" << YAML::Value;
    if (c.relay.external_address) {
        out << c.relay.external_address->to_string();
    } else {
        out << YAML::Null;
    }
    out << YAML::Key << "ports" << YAML::Value
        << std::to_string(c.relay.ports.first) + "-" + std::to_string(c.relay.ports.last);
    out << YAML::EndMap;
}

void emit_auth(YAML::Emitter& out, const auth_config& a) {
    out << YAML::Key << "auth" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "users" << YAML::Value << YAML::BeginSeq;
    std::size_t from_file = 0;
    for (const auto& u : a.users) {
        if (u.from_users_file) {
            ++from_file;
            continue;
        }
        out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << u.name;
        out << YAML::Key << "key" << YAML::Value << YAML::DoubleQuoted << masked;
        if (u.key_sha256) {
            out << YAML::Key << "key_sha256" << YAML::Value << YAML::DoubleQuoted << masked;
        }
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::Key << "users_file" << YAML::Value << a.users_file.string();
    if (!a.users_file.empty()) {
        out << YAML::Comment(std::to_string(from_file) + " user(s) loaded from it");
    }
    out << YAML::Key << "secrets" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (std::size_t i = 0; i < a.secrets.size(); ++i) {
        out << YAML::DoubleQuoted << masked;
    }
    out << YAML::EndSeq;
    out << YAML::Key << "credential_ttl" << YAML::Value << format_duration(a.credential_ttl);
    out << YAML::EndMap;
}

void emit_limits(YAML::Emitter& out, const limits_config& l) {
    out << YAML::Key << "limits" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "max_lifetime" << YAML::Value << format_duration(l.max_lifetime);
    out << YAML::Key << "user_quota" << YAML::Value << l.user_quota;
    out << YAML::Key << "total_quota" << YAML::Value << l.total_quota;
    out << YAML::Key << "max_permissions" << YAML::Value << l.max_permissions;
    out << YAML::Key << "max_channels" << YAML::Value << l.max_channels;
    out << YAML::Key << "tcp_idle_timeout" << YAML::Value << format_duration(l.tcp_idle_timeout);
    out << YAML::Key << "tcp_buffer" << YAML::Value << l.tcp_buffer;
    out << YAML::Key << "tcp_preauth_timeout" << YAML::Value
        << format_duration(l.tcp_preauth_timeout);
    out << YAML::Key << "connections_per_address" << YAML::Value << l.connections_per_address;
    out << YAML::Key << "unauthenticated_answer_rate" << YAML::Value
        << l.unauthenticated_answer_rate;
    out << YAML::Key << "unauthenticated_answer_burst" << YAML::Value
        << l.unauthenticated_answer_burst;
    out << YAML::Key << "allocation_rate" << YAML::Value << l.allocation_rate;
    out << YAML::Key << "allocation_bandwidth" << YAML::Value
        << detail::format_rate(l.allocation_bandwidth);
    out << YAML::Key << "user_bandwidth" << YAML::Value << detail::format_rate(l.user_bandwidth);
    out << YAML::Key << "total_bandwidth" << YAML::Value << detail::format_rate(l.total_bandwidth);
    out << YAML::EndMap;
}

void emit_rest(YAML::Emitter& out, const config& c) {
    out << YAML::Key << "peers" << YAML::Value << YAML::BeginMap;
    emit_cidrs(out, "allow", c.peers.allow);
    emit_cidrs(out, "deny", c.peers.deny);
    out << YAML::EndMap;
    out << YAML::Key << "http" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "listen" << YAML::Value;
    if (c.http.listen) {
        out << host_port(*c.http.listen);
    } else {
        out << YAML::Null;
    }
    out << YAML::Key << "web_root" << YAML::Value << c.http.web_root.string();
    out << YAML::Key << "allowed_origins" << YAML::Value << YAML::Flow << c.http.allowed_origins;
    out << YAML::Key << "public_host" << YAML::Value << YAML::DoubleQuoted << c.http.public_host;
    out << YAML::Key << "ice_servers_api" << YAML::Value
        << (c.http.ice_servers_api == ice_servers_api::token ? "token" : "off");
    out << YAML::EndMap;
    out << YAML::Key << "signal" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "room_capacity" << YAML::Value << c.signal.room_capacity;
    out << YAML::Key << "message_rate" << YAML::Value << c.signal.message_rate;
    out << YAML::Key << "join_rate" << YAML::Value << c.signal.join_rate;
    out << YAML::Key << "history_bytes" << YAML::Value << c.signal.history_bytes;
    out << YAML::Key << "join_secret" << YAML::Value << YAML::DoubleQuoted
        << (c.signal.join_secret.empty() ? "" : masked);
    out << YAML::EndMap;
    out << YAML::Key << "metrics" << YAML::Value << YAML::BeginMap;
    emit_cidrs(out, "allow", c.metrics.allow);
    out << YAML::EndMap;
    out << YAML::Key << "log" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "level" << YAML::Value << c.log.level;
    out << YAML::Key << "format" << YAML::Value
        << (c.log.format == log_format::json ? "json" : "text");
    out << YAML::EndMap;
}

void emit_shutdown(YAML::Emitter& out, const shutdown_config& s) {
    out << YAML::Key << "shutdown" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "grace" << YAML::Value << format_duration(s.grace);
    out << YAML::Key << "alternate_server" << YAML::Value;
    if (s.alternate_server) {
        out << host_port(*s.alternate_server);
    } else {
        out << YAML::Null;
    }
    out << YAML::EndMap;
}

} // namespace

std::string to_yaml(const config& c) {
    YAML::Emitter out;
    out << YAML::BeginMap;
    emit_top(out, c);
    emit_auth(out, c.auth);
    emit_limits(out, c.limits);
    emit_rest(out, c);
    emit_shutdown(out, c.shutdown);
    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

} // namespace icegate::app
