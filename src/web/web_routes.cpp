// handle_web_request: static files (GET/HEAD, ETag revalidation, no path escapes), /healthz,
// /api/ice-servers.
#include "icegate/web/web_routes.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "icegate/signal/credential_user.hpp"
#include "icegate/signal/error.hpp"
#include "icegate/signal/join_token.hpp"

namespace icegate::app {

namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;

constexpr std::uintmax_t max_file_bytes = 16U * 1024 * 1024;

std::string_view sv(boost::beast::string_view v) {
    return {v.data(), v.size()};
}

boost::beast::string_view bsv(std::string_view v) {
    return {v.data(), v.size()};
}

net::http_response make_response(const net::http_request& req, http::status status,
                                 std::string_view type, std::string body) {
    net::http_response res(status, req.version());
    res.set(http::field::server, "icegate");
    res.set(http::field::content_type, bsv(type));
    res.body() = std::move(body);
    res.keep_alive(req.keep_alive());
    add_security_headers(res);
    return res;
}

net::http_response text(const net::http_request& req, http::status status, std::string body) {
    auto res = make_response(req, status, "text/plain; charset=utf-8", std::move(body));
    res.set(http::field::cache_control, "no-store");
    res.prepare_payload();
    return res;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// The path of a request target, percent-decoded; nullopt when it is malformed.
std::optional<std::string> decoded_path(std::string_view target) {
    target = target.substr(0, target.find_first_of("?#"));
    if (target.empty() || target.front() != '/') {
        return std::nullopt;
    }
    std::string out;
    for (std::size_t i = 0; i < target.size(); ++i) {
        if (target[i] != '%') {
            out += target[i];
            continue;
        }
        if (i + 2 >= target.size() || hex_value(target[i + 1]) < 0 ||
            hex_value(target[i + 2]) < 0) {
            return std::nullopt;
        }
        out += static_cast<char>(hex_value(target[i + 1]) * 16 + hex_value(target[i + 2]));
        i += 2;
    }
    return out;
}

// The file under web_root a URL path names; nullopt for anything that could leave web_root
// or reach a hidden file ("..", ".git", NUL, backslashes).
std::optional<fs::path> file_for(const fs::path& root, const std::string& path) {
    if (path.find('\0') != std::string::npos || path.find('\\') != std::string::npos) {
        return std::nullopt;
    }
    fs::path rel;
    std::size_t start = 1;
    while (start <= path.size()) {
        const auto end = std::min(path.find('/', start), path.size());
        const std::string_view seg(path.data() + start, end - start);
        if (!seg.empty() && seg.front() == '.') {
            return std::nullopt;
        }
        if (!seg.empty()) {
            rel /= std::string(seg);
        }
        start = end + 1;
    }
    if (path.back() == '/') {
        rel /= "index.html";
    }
    std::error_code ec;
    const fs::path full = fs::canonical(root / rel, ec);
    if (ec || !fs::is_regular_file(full, ec)) {
        return std::nullopt;
    }
    const auto [r, f] = std::mismatch(root.begin(), root.end(), full.begin(), full.end());
    if (r != root.end()) {
        return std::nullopt; // a symlink pointing out of web_root
    }
    return full;
}

net::http_response static_file(const net::http_request& req, const web_context& ctx) {
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
        auto res = text(req, http::status::method_not_allowed, "method not allowed\n");
        res.set(http::field::allow, "GET, HEAD");
        return res;
    }
    const auto path = decoded_path(sv(req.target()));
    if (!path) {
        return text(req, http::status::bad_request, "malformed path\n");
    }
    const auto file = ctx.web_root.empty() ? std::nullopt : file_for(ctx.web_root, *path);
    std::error_code ec;
    const auto size = file ? fs::file_size(*file, ec) : 0;
    if (!file || ec || size > max_file_bytes) {
        return text(req, http::status::not_found, "not found\n");
    }
    const auto mtime =
        static_cast<std::uint64_t>(fs::last_write_time(*file, ec).time_since_epoch().count());
    const std::string etag = "\"" + std::to_string(size) + "-" + std::to_string(mtime) + "\"";
    if (req[http::field::if_none_match] == etag) {
        auto res = make_response(req, http::status::not_modified, content_type_for(*file), {});
        res.set(http::field::etag, etag);
        res.set(http::field::cache_control, "no-cache");
        return res;
    }
    std::ifstream in(*file, std::ios::binary);
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
        return text(req, http::status::internal_server_error, "read error\n");
    }
    const auto length = body.size();
    auto res = make_response(req, http::status::ok, content_type_for(*file),
                             req.method() == http::verb::head ? std::string() : std::move(body));
    res.set(http::field::etag, etag);
    res.set(http::field::cache_control, "no-cache"); // revalidate: a new release shows at once
    res.content_length(length);
    return res;
}

// The join token of a request to /api/ice-servers: "Authorization: Bearer <JWT>", else the
// `token` query parameter (a JWT is base64url and dots: nothing in it needs decoding).
std::string_view token_of(const net::http_request& req) {
    const std::string_view auth = sv(req[http::field::authorization]);
    constexpr std::string_view prefix = "Bearer ";
    if (auth.starts_with(prefix)) {
        return auth.substr(prefix.size());
    }
    const std::string_view target = sv(req.target());
    const auto q = target.find('?');
    std::string_view query =
        q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    query = query.substr(0, query.find('#'));
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        if (pair.starts_with("token=")) {
            return pair.substr(6);
        }
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
    return {};
}

// http.ice_servers_api: off is 404 (the endpoint does not exist); token needs a valid join
// token, and the credentials are minted for the token's subject (room and name), so every
// token of one subject shares one limits.user_quota.
net::http_response ice_servers(const net::http_request& req, const web_context& ctx,
                               std::int64_t now) {
    if (!ctx.ice_servers_api) {
        return text(req, http::status::not_found, "not found\n");
    }
    if (req.method() != http::verb::get) {
        auto res = text(req, http::status::method_not_allowed, "method not allowed\n");
        res.set(http::field::allow, "GET");
        return res;
    }
    const std::string_view token = token_of(req);
    const auto claims = ctx.join_secret.empty() || token.empty()
                            ? result<signal::join_claims>(signal::errc::unauthorized)
                            : signal::verify_join_token(token, ctx.join_secret, now);
    if (!claims) {
        auto res = text(req, http::status::unauthorized, "a join token is required\n");
        res.set(http::field::www_authenticate, "Bearer");
        return res;
    }
    const std::string user = signal::subject_credential_user(claims->room, claims->name);
    nlohmann::json servers = nlohmann::json::array();
    std::int64_t ttl = 0;
    if (ctx.ice) {
        const std::string host = host_of_header(sv(req[http::field::host]));
        for (const auto& s : ctx.ice->mint(host, user, now)) {
            nlohmann::json j{{"urls", s.urls}};
            if (s.username) {
                j["username"] = *s.username;
                j["credential"] = *s.credential;
            }
            servers.push_back(std::move(j));
        }
        ttl = ctx.ice->ttl().count();
    }
    const nlohmann::json body{{"iceServers", servers}, {"ttl", ttl}};
    auto res = make_response(req, http::status::ok, "application/json", body.dump());
    res.set(http::field::cache_control, "no-store");
    res.prepare_payload();
    return res;
}

} // namespace

void add_security_headers(net::http_response& res) {
    res.set("Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
            "connect-src 'self' wss:; style-src 'self'; script-src 'self'; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
    res.set("X-Frame-Options", "DENY");
    res.set("Cross-Origin-Opener-Policy", "same-origin");
    res.set("Permissions-Policy",
            "camera=(self), microphone=(self), display-capture=(self), geolocation=()");
}

std::string_view content_type_for(const fs::path& file) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 14> types{{
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".webmanifest", "application/manifest+json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"},
        {".wasm", "application/wasm"},
        {".webp", "image/webp"},
    }};
    const std::string ext = file.extension().string();
    for (const auto& [e, t] : types) {
        if (e == ext) {
            return t;
        }
    }
    return "application/octet-stream";
}

net::http_response handle_metrics_request(const net::http_request& req, const web_context& ctx,
                                          const boost::asio::ip::address& remote) {
    if (!ctx.metrics) {
        return text(req, http::status::not_found, "not found\n");
    }
    if (!metrics_allowed(ctx.metrics_allow, remote)) {
        return text(req, http::status::forbidden, "metrics.allow does not list this address\n");
    }
    if (req.method() != http::verb::get) {
        auto res = text(req, http::status::method_not_allowed, "method not allowed\n");
        res.set(http::field::allow, "GET");
        return res;
    }
    auto res = make_response(req, http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                             ctx.metrics->render());
    res.set(http::field::cache_control, "no-store");
    res.prepare_payload();
    return res;
}

net::http_response handle_web_request(const net::http_request& req, const web_context& ctx,
                                      std::int64_t now_unix) {
    const std::string_view target = sv(req.target());
    const std::string_view path = target.substr(0, target.find('?'));
    if (path == "/healthz") {
        if (ctx.draining != nullptr && ctx.draining->load(std::memory_order_relaxed)) {
            return text(req, http::status::service_unavailable, "draining\n");
        }
        return text(req, http::status::ok, "ok\n");
    }
    if (path == "/api/ice-servers") {
        return ice_servers(req, ctx, now_unix);
    }
    return static_file(req, ctx);
}

std::filesystem::path resolve_web_root(const std::filesystem::path& configured) {
    std::error_code ec;
    auto root =
        configured.empty() ? std::filesystem::path() : std::filesystem::canonical(configured, ec);
    if (configured.empty() || ec || !std::filesystem::is_directory(root, ec)) {
        if (auto log = spdlog::get("app")) {
            log->warn("http.web_root '{}' is not a folder: the web client is not served (/ws, "
                      "/api/ice-servers and /healthz are)",
                      configured.string());
        }
        return {};
    }
    return root;
}

} // namespace icegate::app
