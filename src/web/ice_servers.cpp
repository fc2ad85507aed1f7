// ice_minter: stun:/turn:/turns: URIs from the bound listeners, and fresh REST credentials.
#include "icegate/web/ice_servers.hpp"

#include <algorithm>

#include "icegate/config/rest_credential.hpp"

namespace icegate::app {

namespace {

bool is_ip_literal(std::string_view host, bool& v6) {
    boost::system::error_code ec;
    const auto a = boost::asio::ip::make_address(std::string(host), ec);
    v6 = !ec && a.is_v6();
    return !ec;
}

std::string bracketed(std::string_view host) {
    return host.find(':') != std::string_view::npos ? "[" + std::string(host) + "]"
                                                    : std::string(host);
}

} // namespace

std::string host_of_header(std::string_view h) {
    std::string_view host = h;
    if (!h.empty() && h.front() == '[') {
        const auto close = h.find(']');
        if (close == std::string_view::npos) {
            return {};
        }
        host = h.substr(1, close - 1);
    } else if (const auto colon = h.rfind(':'); colon != std::string_view::npos) {
        host = h.substr(0, colon);
    }
    if (host.empty() || host.size() > 253) {
        return {};
    }
    const bool ok = std::ranges::all_of(host, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '-' || c == ':';
    });
    return ok ? std::string(host) : std::string();
}

ice_minter::ice_minter(const config& cfg, std::vector<listen_address> bound, std::string secret)
    : bound_(std::move(bound)), secret_(std::move(secret)), public_host_(cfg.http.public_host),
      external_(cfg.relay.external_address), ttl_(cfg.auth.credential_ttl) {}

// Which host names a listener in a URI: the configured public name, then the external
// address, then the listener's own address, and for a wildcard listener the host the client
// used when it is of the listener's family ("" leaves the listener out).
std::string ice_minter::host_for(const listen_address& la, std::string_view request_host) const {
    if (!public_host_.empty()) {
        return bracketed(public_host_);
    }
    if (external_) {
        return bracketed(external_->to_string());
    }
    if (!la.address.is_unspecified()) {
        return bracketed(la.address.to_string());
    }
    bool v6 = false;
    if (request_host.empty() || (is_ip_literal(request_host, v6) && v6 != la.address.is_v6())) {
        return {};
    }
    return bracketed(request_host);
}

std::vector<std::string> ice_minter::uris(std::string_view request_host) const {
    std::vector<std::string> stun;
    std::vector<std::string> turn;
    auto add = [](std::vector<std::string>& v, std::string uri) {
        if (std::ranges::find(v, uri) == v.end()) {
            v.push_back(std::move(uri));
        }
    };
    for (const auto& la : bound_) {
        const std::string host = host_for(la, request_host);
        if (host.empty()) {
            continue;
        }
        const std::string hp = host + ":" + std::to_string(la.port);
        switch (la.proto) {
        case turn::client_transport::udp:
            add(stun, "stun:" + hp);
            add(turn, "turn:" + hp + "?transport=udp");
            break;
        case turn::client_transport::tcp:
            add(turn, "turn:" + hp + "?transport=tcp");
            break;
        case turn::client_transport::tls:
            add(turn, "turns:" + hp + "?transport=tcp");
            break;
        }
    }
    // UDP first, then TCP, then TLS: browsers try them in about this order anyway.
    const auto rank = [](const std::string& u) {
        return u.starts_with("turns:") ? 2 : u.ends_with("transport=udp") ? 0 : 1;
    };
    std::ranges::stable_sort(turn, {}, rank);
    stun.insert(stun.end(), turn.begin(), turn.end());
    return stun;
}

std::vector<signal::ice_server> ice_minter::mint(std::string_view request_host,
                                                 std::string_view user,
                                                 std::int64_t now_unix) const {
    std::vector<signal::ice_server> out;
    signal::ice_server stun_servers;
    signal::ice_server turn_servers;
    for (auto& uri : uris(request_host)) {
        (uri.starts_with("stun:") ? stun_servers : turn_servers).urls.push_back(std::move(uri));
    }
    if (!stun_servers.urls.empty()) {
        out.push_back(std::move(stun_servers));
    }
    if (!turn_servers.urls.empty() && !secret_.empty()) {
        const auto cred = make_rest_credential(secret_, user, now_unix + ttl_.count());
        turn_servers.username = cred.username;
        turn_servers.credential = cred.password;
        out.push_back(std::move(turn_servers));
    }
    return out;
}

} // namespace icegate::app
