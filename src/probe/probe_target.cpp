// Parsing of probe targets (stun:, turn:, turns:, wss:// URIs) and of --timeout.
#include "icegate/probe/probe_target.hpp"

#include <charconv>

namespace icegate::probe {

namespace {

constexpr std::uint16_t stun_port = 3478;
constexpr std::uint16_t stuns_port = 5349;
constexpr std::uint16_t https_port = 443;

std::optional<std::uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

bool valid_host(std::string_view host) {
    if (host.empty()) {
        return false;
    }
    for (const char c : host) {
        const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
        if (!word) {
            return false;
        }
    }
    return true;
}

bool valid_ipv6_literal(std::string_view host) {
    if (host.empty()) {
        return false;
    }
    for (const char c : host) {
        const bool hex = (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9');
        if (!hex && c != ':' && c != '.') {
            return false;
        }
    }
    return true;
}

// HOST[:PORT] with HOST a name, an IPv4 address or a bracketed IPv6 literal.
bool parse_host_port(std::string_view text, target& t, std::string* why) {
    std::string_view host = text;
    std::string_view port;
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == std::string_view::npos) {
            *why = "missing ']' after the IPv6 address";
            return false;
        }
        host = text.substr(1, close - 1);
        const auto rest = text.substr(close + 1);
        if (!rest.empty() && !rest.starts_with(':')) {
            *why = "expected ':PORT' after ']'";
            return false;
        }
        port = rest.empty() ? rest : rest.substr(1);
        if (!valid_ipv6_literal(host)) {
            *why = "bad IPv6 address '" + std::string(host) + "'";
            return false;
        }
    } else {
        if (const auto colon = text.find(':'); colon != std::string_view::npos) {
            host = text.substr(0, colon);
            port = text.substr(colon + 1);
        }
        if (!valid_host(host)) {
            *why = "bad host '" + std::string(host) + "' (IPv6 addresses go in brackets)";
            return false;
        }
    }
    if (!port.empty() || text.ends_with(':')) {
        const auto p = parse_port(port);
        if (!p) {
            *why = "bad port '" + std::string(port) + "'";
            return false;
        }
        t.port = *p;
    }
    t.host = std::string(host);
    return true;
}

bool parse_query(std::string_view query, target& t, std::string* why) {
    if (query.empty()) {
        return true;
    }
    if (!query.starts_with("transport=")) {
        *why = "unknown parameter '" + std::string(query) + "' (only transport=udp|tcp|tls)";
        return false;
    }
    const auto value = query.substr(10);
    if (value == "udp") {
        t.transport = transport::udp;
    } else if (value == "tcp") {
        t.transport = transport::tcp;
    } else if (value == "tls") {
        t.transport = transport::tls;
    } else {
        *why = "unknown transport '" + std::string(value) + "' (udp, tcp or tls)";
        return false;
    }
    return true;
}

std::optional<target> parse_wss(std::string_view rest, std::string* why) {
    target t;
    t.scheme = scheme::wss;
    t.transport = transport::tls;
    t.port = https_port;
    const auto slash = rest.find('/');
    if (slash != std::string_view::npos) {
        t.path = std::string(rest.substr(slash));
        rest = rest.substr(0, slash);
    }
    if (!parse_host_port(rest, t, why)) {
        return std::nullopt;
    }
    return t;
}

// stun:, turn: and turns: (RFC 7064, RFC 7065; turns: with ?transport=tcp is TLS too).
std::optional<target> parse_stun_turn(scheme s, bool secure, std::string_view rest,
                                      std::string* why) {
    target t;
    t.scheme = s;
    std::string_view query;
    if (const auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    if (!parse_query(query, t, why)) {
        return std::nullopt;
    }
    if (secure) {
        if (t.transport == transport::udp && !query.empty()) {
            *why = "turns: runs over TLS, not UDP";
            return std::nullopt;
        }
        t.transport = transport::tls;
    }
    t.port = t.transport == transport::tls ? stuns_port : stun_port;
    if (!parse_host_port(rest, t, why)) {
        return std::nullopt;
    }
    return t;
}

} // namespace

std::string target::authority() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string target::label() const {
    static constexpr const char* transports[] = {"udp", "tcp", "tls"};
    switch (scheme) {
    case scheme::stun:
        return std::string("stun ") + transports[static_cast<int>(transport)] + " " + authority();
    case scheme::turn:
        return std::string("turn ") + transports[static_cast<int>(transport)] + " " + authority();
    case scheme::wss:
        break;
    }
    return "wss " + authority() + path;
}

std::optional<target> parse_target(std::string_view text, std::string* why) {
    std::string ignored;
    why = why ? why : &ignored;
    if (text.starts_with("wss://")) {
        return parse_wss(text.substr(6), why);
    }
    if (text.starts_with("stun:")) {
        return parse_stun_turn(scheme::stun, false, text.substr(5), why);
    }
    if (text.starts_with("stuns:")) {
        return parse_stun_turn(scheme::stun, true, text.substr(6), why);
    }
    if (text.starts_with("turn:")) {
        return parse_stun_turn(scheme::turn, false, text.substr(5), why);
    }
    if (text.starts_with("turns:")) {
        return parse_stun_turn(scheme::turn, true, text.substr(6), why);
    }
    *why = "expected stun:HOST[:PORT], turn:HOST[:PORT][?transport=udp|tcp|tls], "
           "turns:HOST[:PORT] or wss://HOST[:PORT]/PATH";
    return std::nullopt;
}

std::optional<std::chrono::milliseconds> parse_timeout(std::string_view text) {
    std::uint64_t scale = 1000;
    if (text.ends_with("ms")) {
        scale = 1;
        text.remove_suffix(2);
    } else if (text.ends_with('s')) {
        text.remove_suffix(1);
    }
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
        value > 3600 * 1000) {
        return std::nullopt;
    }
    const std::uint64_t ms = value * scale;
    if (ms == 0 || ms > 3600 * 1000) {
        return std::nullopt;
    }
    return std::chrono::milliseconds(ms);
}

} // namespace icegate::probe
