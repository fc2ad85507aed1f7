// The HTTPS routes as a pure function (handle_web_request): static files without path escapes,
// content types, ETag revalidation, HEAD, 405, /healthz, /api/ice-servers and its Bearer check;
// the ICE minter's URIs and REST credentials; host_of_header. The WebSocket Origin check is
// src/app's (tests/unit/app/signal_origin_test.cpp).
#include "icegate/signal/credential_user.hpp"
#include "icegate/web/ice_servers.hpp"
#include "icegate/web/web_routes.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../test_util.hpp"

namespace icegate::app {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
using boost::asio::ip::make_address;
using turn::client_transport;

constexpr std::int64_t now_unix = 1700000000;

std::string base64(const unsigned char* data, std::size_t n) {
    std::string out(4 * ((n + 2) / 3) + 1, '\0');
    const int len =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
    out.resize(static_cast<std::size_t>(len));
    return out;
}

std::string base64url(const std::string& s) {
    std::string b = base64(reinterpret_cast<const unsigned char*>(s.data()), s.size());
    std::ranges::replace(b, '+', '-');
    std::ranges::replace(b, '/', '_');
    b.erase(b.find_last_not_of('=') + 1);
    return b;
}

std::string hmac(const EVP_MD* md, const std::string& key, const std::string& msg) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int len = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out.data(), &len);
    return std::string(reinterpret_cast<const char*>(out.data()), len);
}

// TURN REST: base64(HMAC-SHA1(secret, username)).
std::string rest_password(const std::string& secret, const std::string& username) {
    const std::string mac = hmac(EVP_sha1(), secret, username);
    return base64(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
}

// An HS256 JWT minted by hand.
std::string jwt(const nlohmann::json& claims, const std::string& secret) {
    const std::string head = base64url(R"({"alg":"HS256","typ":"JWT"})");
    const std::string body = base64url(claims.dump());
    return head + "." + body + "." + base64url(hmac(EVP_sha256(), secret, head + "." + body));
}

net::http_request request(http::verb verb, std::string target, std::string host = "h:8443") {
    net::http_request req{verb, target, 11};
    req.set(http::field::host, host);
    return req;
}

std::string header(const net::http_response& res, std::string_view name) {
    const auto v = res[boost::beast::string_view(name.data(), name.size())];
    return std::string(v.data(), v.size());
}

void expect_security_headers(const net::http_response& res) {
    EXPECT_NE(header(res, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
    EXPECT_NE(header(res, "Content-Security-Policy").find("frame-ancestors 'none'"),
              std::string::npos);
    EXPECT_EQ(header(res, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(header(res, "Referrer-Policy"), "no-referrer");
}

listen_address la(client_transport proto, const char* ip, std::uint16_t port) {
    return listen_address{proto, make_address(ip), port};
}

config base_config(std::chrono::seconds ttl = std::chrono::seconds(600)) {
    config c;
    c.auth.credential_ttl = ttl;
    return c;
}

// Listeners on 127.0.0.1 and ::1, UDP/TCP 3478 and TLS 5349.
std::vector<listen_address> loopback_listeners() {
    return {
        la(client_transport::udp, "127.0.0.1", 3478), la(client_transport::tcp, "127.0.0.1", 3478),
        la(client_transport::tls, "127.0.0.1", 5349), la(client_transport::udp, "::1", 3478),
        la(client_transport::tcp, "::1", 3478),       la(client_transport::tls, "::1", 5349)};
}

std::vector<listen_address> wildcard_listeners() {
    return {la(client_transport::udp, "0.0.0.0", 3478), la(client_transport::tcp, "0.0.0.0", 3478),
            la(client_transport::tls, "0.0.0.0", 5349), la(client_transport::udp, "::", 3478),
            la(client_transport::tcp, "::", 3478),      la(client_transport::tls, "::", 5349)};
}

using uris_t = std::vector<std::string>;

// ---- static files ---------------------------------------------------------------------------

class WebRoutes : public ::testing::Test {
protected:
    void SetUp() override {
        // A file outside web_root that an escape would reach.
        dir.write("secret.txt", "outside the web root\n");
        dir.write("web/index.html", "<!doctype html><title>t</title>\n");
        dir.write("web/app.js", "export const x = 1;\n");
        dir.write("web/style.css", "body{}\n");
        dir.write("web/sub/page.html", "<p>sub</p>\n");
        dir.write("web/sub/index.html", "<p>sub index</p>\n");
        dir.write("web/.hidden", "hidden\n");
        dir.write("web/data.unknownext", "??\n");
        std::error_code ec;
        fs::create_symlink(dir.path() / "secret.txt", dir.path() / "web" / "link.txt", ec);
        symlink_ok = !ec;
        ctx.web_root = fs::canonical(dir.path() / "web");
    }

    net::http_response get(std::string target, http::verb verb = http::verb::get) {
        return handle_web_request(request(verb, std::move(target)), ctx, now_unix);
    }

    test::temp_dir dir;
    web_context ctx;
    bool symlink_ok = false;
};

TEST_F(WebRoutes, ServesFilesWithContentTypes) {
    struct file_case {
        const char* target;
        const char* type;
        const char* body;
    };
    for (const auto& c : std::initializer_list<file_case>{
             {"/", "text/html; charset=utf-8", "<!doctype html><title>t</title>\n"},
             {"/index.html", "text/html; charset=utf-8", "<!doctype html><title>t</title>\n"},
             {"/index.html?v=3", "text/html; charset=utf-8", "<!doctype html><title>t</title>\n"},
             {"/app.js", "text/javascript; charset=utf-8", "export const x = 1;\n"},
             {"/style.css", "text/css; charset=utf-8", "body{}\n"},
             {"/sub/page.html", "text/html; charset=utf-8", "<p>sub</p>\n"},
             {"/sub/", "text/html; charset=utf-8", "<p>sub index</p>\n"},
             {"/sub//page.html", "text/html; charset=utf-8", "<p>sub</p>\n"},
             {"/%61pp.js", "text/javascript; charset=utf-8", "export const x = 1;\n"},
             {"/data.unknownext", "application/octet-stream", "??\n"},
         }) {
        SCOPED_TRACE(c.target);
        const auto res = get(c.target);
        EXPECT_EQ(res.result(), http::status::ok);
        EXPECT_EQ(header(res, "Content-Type"), c.type);
        EXPECT_EQ(res.body(), c.body);
        EXPECT_FALSE(header(res, "ETag").empty());
        expect_security_headers(res);
    }
}

TEST_F(WebRoutes, NoPathEscapes) {
    for (const char* target : {
             "/../secret.txt",
             "/%2e%2e/secret.txt",
             "/%2E%2E/secret.txt",
             "/%2e%2e%2fsecret.txt",
             "/..%2fsecret.txt",
             "/sub/../../secret.txt",
             "/sub/%2e%2e/%2e%2e/secret.txt",
             "/.hidden",
             "/%2ehidden",
             "/sub/../.hidden",
             "/index.html%00",
             "/..%5csecret.txt",
             "/sub\\..\\..\\secret.txt",
             "/missing.html",
             "/sub",
             "/sub/missing/",
         }) {
        SCOPED_TRACE(target);
        const auto res = get(target);
        EXPECT_EQ(res.result(), http::status::not_found);
        EXPECT_EQ(res.body().find("outside"), std::string::npos);
        expect_security_headers(res);
    }
    if (symlink_ok) {
        EXPECT_EQ(get("/link.txt").result(), http::status::not_found);
    }
}

TEST_F(WebRoutes, MalformedTargets) {
    for (const char* target : {"/%zz", "/%4", "/a%", "index.html", "*"}) {
        SCOPED_TRACE(target);
        const auto res = get(target);
        EXPECT_EQ(res.result(), http::status::bad_request);
        expect_security_headers(res);
    }
}

TEST_F(WebRoutes, NoWebRootMeansNotFound) {
    ctx.web_root.clear();
    EXPECT_EQ(get("/").result(), http::status::not_found);
    EXPECT_EQ(get("/healthz").result(), http::status::ok);
}

TEST_F(WebRoutes, EtagRevalidation) {
    const auto first = get("/index.html");
    const std::string etag = header(first, "ETag");
    ASSERT_FALSE(etag.empty());
    EXPECT_EQ(etag.front(), '"');
    EXPECT_EQ(etag.back(), '"');
    EXPECT_EQ(header(first, "Cache-Control"), "no-cache");

    auto req = request(http::verb::get, "/index.html");
    req.set(http::field::if_none_match, etag);
    const auto again = handle_web_request(req, ctx, now_unix);
    EXPECT_EQ(again.result(), http::status::not_modified);
    EXPECT_TRUE(again.body().empty());
    EXPECT_EQ(header(again, "ETag"), etag);
    expect_security_headers(again);

    req.set(http::field::if_none_match, "\"something-else\"");
    EXPECT_EQ(handle_web_request(req, ctx, now_unix).result(), http::status::ok);

    // Another file has another tag; a changed file gets a new one.
    EXPECT_NE(header(get("/app.js"), "ETag"), etag);
    dir.write("web/index.html", "<!doctype html><title>changed, and longer</title>\n");
    EXPECT_NE(header(get("/index.html"), "ETag"), etag);
}

TEST_F(WebRoutes, HeadHasLengthButNoBody) {
    const auto res = get("/app.js", http::verb::head);
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_TRUE(res.body().empty());
    EXPECT_EQ(header(res, "Content-Length"), "20");
    EXPECT_EQ(header(res, "Content-Type"), "text/javascript; charset=utf-8");
}

TEST_F(WebRoutes, OtherMethodsAre405) {
    for (const auto verb : {http::verb::post, http::verb::put, http::verb::delete_,
                            http::verb::patch, http::verb::options}) {
        SCOPED_TRACE(std::string(http::to_string(verb)));
        const auto res = get("/index.html", verb);
        EXPECT_EQ(res.result(), http::status::method_not_allowed);
        EXPECT_EQ(header(res, "Allow"), "GET, HEAD");
        expect_security_headers(res);
    }
}

TEST_F(WebRoutes, Healthz) {
    for (const char* target : {"/healthz", "/healthz?probe=1"}) {
        const auto res = get(target);
        EXPECT_EQ(res.result(), http::status::ok);
        EXPECT_EQ(res.body(), "ok\n");
        EXPECT_EQ(header(res, "Content-Type"), "text/plain; charset=utf-8");
        expect_security_headers(res);
    }
}

// ---- /api/ice-servers -----------------------------------------------------------------------

class IceServersRoute : public ::testing::Test {
protected:
    IceServersRoute() : minter(base_config(), loopback_listeners(), "rest-secret") {
        ctx.ice = &minter;
        ctx.ice_servers_api = true;
        ctx.join_secret = "join-secret";
    }
    net::http_response call(const std::string& auth = {}, http::verb verb = http::verb::get,
                            const std::string& target = "/api/ice-servers") {
        auto req = request(verb, target);
        if (!auth.empty()) {
            req.set(http::field::authorization, auth);
        }
        return handle_web_request(req, ctx, now_unix);
    }
    std::string bearer(const std::string& room = "r", const std::string& name = "n") const {
        const nlohmann::json claims{{"room", room}, {"name", name}, {"exp", now_unix + 60}};
        return "Bearer " + jwt(claims, "join-secret");
    }
    ice_minter minter;
    web_context ctx;
};

// http.ice_servers_api: off (the default) has no endpoint at all, token or not.
TEST_F(IceServersRoute, OffIsNotFound) {
    ctx.ice_servers_api = false;
    for (const std::string& auth : {std::string(), bearer()}) {
        const auto res = call(auth);
        EXPECT_EQ(res.result(), http::status::not_found);
        EXPECT_EQ(res.body().find("iceServers"), std::string::npos);
        expect_security_headers(res);
    }
}

// The user part is the token subject's tag: two tokens of one subject share it (and so one
// limits.user_quota); another subject gets another.
TEST_F(IceServersRoute, CredentialsAreBoundToTheTokenSubject) {
    const auto user_of = [this](const std::string& auth) {
        const auto doc = nlohmann::json::parse(call(auth).body());
        const std::string u = doc["iceServers"][1]["username"];
        return u.substr(u.find(':') + 1);
    };
    const std::string ann = user_of(bearer("r", "Ann"));
    EXPECT_EQ(ann, signal::subject_credential_user("r", "Ann"));
    EXPECT_EQ(ann.rfind("t-", 0), 0U);
    EXPECT_EQ(user_of(bearer("r", "Ann")), ann);
    EXPECT_NE(user_of(bearer("r", "Bo")), ann);
    EXPECT_NE(user_of(bearer("q", "Ann")), ann);
}

TEST_F(IceServersRoute, TokenInTheQuery) {
    const nlohmann::json claims{{"room", "r"}, {"name", "n"}, {"exp", now_unix + 60}};
    const std::string good = jwt(claims, "join-secret");
    EXPECT_EQ(call({}, http::verb::get, "/api/ice-servers?token=" + good).result(),
              http::status::ok);
    EXPECT_EQ(call({}, http::verb::get, "/api/ice-servers?x=1&token=" + good).result(),
              http::status::ok);
    EXPECT_EQ(call({}, http::verb::get, "/api/ice-servers?token=x" + good).result(),
              http::status::unauthorized);
    EXPECT_EQ(call({}, http::verb::get, "/api/ice-servers?tokenx=" + good).result(),
              http::status::unauthorized);
}

// A token mode without a join secret (the config refuses it) lets nothing through.
TEST_F(IceServersRoute, NoSecretRefusesEveryToken) {
    ctx.join_secret.clear();
    EXPECT_EQ(call(bearer()).result(), http::status::unauthorized);
}

TEST_F(IceServersRoute, ListsServersAndTtl) {
    const auto res = call(bearer());
    ASSERT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(header(res, "Content-Type"), "application/json");
    EXPECT_EQ(header(res, "Cache-Control"), "no-store");
    expect_security_headers(res);
    const auto doc = nlohmann::json::parse(res.body());
    EXPECT_EQ(doc["ttl"], 600);
    ASSERT_EQ(doc["iceServers"].size(), 2U);
    const auto& stun = doc["iceServers"][0];
    EXPECT_EQ(stun["urls"], (uris_t{"stun:127.0.0.1:3478", "stun:[::1]:3478"}));
    EXPECT_FALSE(stun.contains("username"));
    const auto& turn = doc["iceServers"][1];
    EXPECT_EQ(turn["urls"].size(), 6U);
    const std::string user = "1700000600:" + signal::subject_credential_user("r", "n");
    EXPECT_EQ(turn["username"], user);
    EXPECT_EQ(turn["credential"], rest_password("rest-secret", user));
}

TEST_F(IceServersRoute, OnlyGet) {
    const auto res = call(bearer(), http::verb::post);
    EXPECT_EQ(res.result(), http::status::method_not_allowed);
    EXPECT_EQ(header(res, "Allow"), "GET");
}

TEST_F(IceServersRoute, BearerNeeded) {
    const nlohmann::json claims{{"room", "r"}, {"name", "n"}, {"exp", now_unix + 60}};
    {
        const auto res = call();
        EXPECT_EQ(res.result(), http::status::unauthorized);
        EXPECT_EQ(header(res, "WWW-Authenticate"), "Bearer");
        EXPECT_EQ(res.body().find("iceServers"), std::string::npos);
        expect_security_headers(res);
    }
    auto expired = claims;
    expired["exp"] = now_unix - 1;
    auto no_room = claims;
    no_room.erase("room");
    for (const std::string& auth : {
             std::string("Bearer"),
             std::string("Bearer "),
             std::string("Bearer garbage"),
             "Bearer " + jwt(claims, "other-secret"),
             "Bearer " + jwt(expired, "join-secret"),
             "Bearer " + jwt(no_room, "join-secret"),
             "Basic " + jwt(claims, "join-secret"),
             "bearer" + jwt(claims, "join-secret"),
         }) {
        SCOPED_TRACE(auth);
        EXPECT_EQ(call(auth).result(), http::status::unauthorized);
    }
    const auto ok = call("Bearer " + jwt(claims, "join-secret"));
    ASSERT_EQ(ok.result(), http::status::ok);
    EXPECT_EQ(nlohmann::json::parse(ok.body())["iceServers"].size(), 2U);
}

TEST_F(IceServersRoute, WildcardListenersNamedByHostHeader) {
    ice_minter wild(base_config(), wildcard_listeners(), "rest-secret");
    ctx.ice = &wild;
    auto req = request(http::verb::get, "/api/ice-servers", "turn.example.com:8443");
    req.set(http::field::authorization, bearer());
    auto doc = nlohmann::json::parse(handle_web_request(req, ctx, now_unix).body());
    EXPECT_EQ(doc["iceServers"][0]["urls"], (uris_t{"stun:turn.example.com:3478"}));
    // A Host header that is no host name leaves wildcard listeners out.
    req.set(http::field::host, "evil/x");
    doc = nlohmann::json::parse(handle_web_request(req, ctx, now_unix).body());
    EXPECT_TRUE(doc["iceServers"].empty());
}

// ---- ice_minter -----------------------------------------------------------------------------

uris_t sorted(uris_t v) {
    std::ranges::sort(v);
    return v;
}

TEST(IceMinter, SpecificListenersUseTheirOwnAddress) {
    const ice_minter m(base_config(), loopback_listeners(), "s");
    const uris_t want = sorted({
        "stun:127.0.0.1:3478",
        "stun:[::1]:3478",
        "turn:127.0.0.1:3478?transport=udp",
        "turn:[::1]:3478?transport=udp",
        "turn:127.0.0.1:3478?transport=tcp",
        "turn:[::1]:3478?transport=tcp",
        "turns:127.0.0.1:5349?transport=tcp",
        "turns:[::1]:5349?transport=tcp",
    });
    EXPECT_EQ(sorted(m.uris("whatever.example")), want);
    EXPECT_EQ(sorted(m.uris("")), want);
}

// ice_servers.cpp: "UDP first, then TCP, then TLS: browsers try them in about this order".
TEST(IceMinter, StunThenTurnUdpThenTcpThenTls) {
    const ice_minter m(base_config(), loopback_listeners(), "s");
    EXPECT_EQ(m.uris(""), (uris_t{
                              "stun:127.0.0.1:3478",
                              "stun:[::1]:3478",
                              "turn:127.0.0.1:3478?transport=udp",
                              "turn:[::1]:3478?transport=udp",
                              "turn:127.0.0.1:3478?transport=tcp",
                              "turn:[::1]:3478?transport=tcp",
                              "turns:127.0.0.1:5349?transport=tcp",
                              "turns:[::1]:5349?transport=tcp",
                          }));
}

TEST(IceMinter, WildcardV4LiteralSkipsV6Listeners) {
    const ice_minter m(base_config(), wildcard_listeners(), "s");
    EXPECT_EQ(m.uris("198.51.100.7"), (uris_t{
                                          "stun:198.51.100.7:3478",
                                          "turn:198.51.100.7:3478?transport=udp",
                                          "turn:198.51.100.7:3478?transport=tcp",
                                          "turns:198.51.100.7:5349?transport=tcp",
                                      }));
}

TEST(IceMinter, WildcardV6LiteralSkipsV4Listeners) {
    const ice_minter m(base_config(), wildcard_listeners(), "s");
    EXPECT_EQ(m.uris("2001:db8::7"), (uris_t{
                                         "stun:[2001:db8::7]:3478",
                                         "turn:[2001:db8::7]:3478?transport=udp",
                                         "turn:[2001:db8::7]:3478?transport=tcp",
                                         "turns:[2001:db8::7]:5349?transport=tcp",
                                     }));
}

TEST(IceMinter, WildcardNameUsedForBothFamiliesDeduplicated) {
    const ice_minter m(base_config(), wildcard_listeners(), "s");
    EXPECT_EQ(m.uris("turn.example.com"), (uris_t{
                                              "stun:turn.example.com:3478",
                                              "turn:turn.example.com:3478?transport=udp",
                                              "turn:turn.example.com:3478?transport=tcp",
                                              "turns:turn.example.com:5349?transport=tcp",
                                          }));
    // No request host: wildcard listeners cannot be named.
    EXPECT_TRUE(m.uris("").empty());
    EXPECT_TRUE(m.mint("", "u", now_unix).empty());
}

TEST(IceMinter, MixedWildcardAndSpecific) {
    const ice_minter m(base_config(),
                       {la(client_transport::udp, "0.0.0.0", 3478),
                        la(client_transport::udp, "::1", 3479),
                        la(client_transport::tls, "::", 443)},
                       "s");
    EXPECT_EQ(m.uris("192.0.2.1"),
              (uris_t{"stun:192.0.2.1:3478", "stun:[::1]:3479", "turn:192.0.2.1:3478?transport=udp",
                      "turn:[::1]:3479?transport=udp"}));
}

TEST(IceMinter, PublicHostBeatsExternalAddressBeatsListener) {
    auto c = base_config();
    c.relay.external_address = make_address("203.0.113.5");
    c.http.public_host = "turn.example.org";
    const ice_minter with_both(c, loopback_listeners(), "s");
    EXPECT_EQ(with_both.uris("other.example"), (uris_t{
                                                   "stun:turn.example.org:3478",
                                                   "turn:turn.example.org:3478?transport=udp",
                                                   "turn:turn.example.org:3478?transport=tcp",
                                                   "turns:turn.example.org:5349?transport=tcp",
                                               }));
    c.http.public_host.clear();
    const ice_minter external(c, loopback_listeners(), "s");
    EXPECT_EQ(external.uris("other.example"), (uris_t{
                                                  "stun:203.0.113.5:3478",
                                                  "turn:203.0.113.5:3478?transport=udp",
                                                  "turn:203.0.113.5:3478?transport=tcp",
                                                  "turns:203.0.113.5:5349?transport=tcp",
                                              }));
    c.relay.external_address = make_address("2001:db8::5");
    const ice_minter external6(c, wildcard_listeners(), "s");
    EXPECT_EQ(external6.uris(""), (uris_t{
                                      "stun:[2001:db8::5]:3478",
                                      "turn:[2001:db8::5]:3478?transport=udp",
                                      "turn:[2001:db8::5]:3478?transport=tcp",
                                      "turns:[2001:db8::5]:5349?transport=tcp",
                                  }));
    c.relay.external_address.reset();
    c.http.public_host = "2001:db8::9";
    const ice_minter public6(c, loopback_listeners(), "s");
    EXPECT_EQ(public6.uris("").front(), "stun:[2001:db8::9]:3478");
}

TEST(IceMinter, MintsVerifiableRestCredentials) {
    const ice_minter m(base_config(std::chrono::seconds(3600)), loopback_listeners(), "the-secret");
    EXPECT_EQ(m.ttl(), std::chrono::seconds(3600));
    const auto servers = m.mint("ignored", "k3Jd", now_unix);
    ASSERT_EQ(servers.size(), 2U);
    EXPECT_EQ(servers[0].urls, (uris_t{"stun:127.0.0.1:3478", "stun:[::1]:3478"}));
    EXPECT_FALSE(servers[0].username);
    EXPECT_FALSE(servers[0].credential);
    EXPECT_EQ(servers[1].urls.size(), 6U);
    for (const auto& u : servers[1].urls) {
        EXPECT_TRUE(u.starts_with("turn:") || u.starts_with("turns:")) << u;
    }
    ASSERT_TRUE(servers[1].username && servers[1].credential);
    EXPECT_EQ(*servers[1].username, "1700003600:k3Jd");
    EXPECT_EQ(*servers[1].credential, rest_password("the-secret", "1700003600:k3Jd"));
    // Another user, another time: another credential.
    const auto later = m.mint("ignored", "x9", now_unix + 10);
    EXPECT_EQ(*later[1].username, "1700003610:x9");
    EXPECT_NE(*later[1].credential, *servers[1].credential);
}

TEST(IceMinter, NoSecretMeansStunOnly) {
    const ice_minter m(base_config(), loopback_listeners(), "");
    const auto servers = m.mint("", "u", now_unix);
    ASSERT_EQ(servers.size(), 1U);
    EXPECT_TRUE(servers[0].urls.front().starts_with("stun:"));
}

// ---- host_of_header -------------------------------------------------------------------------

TEST(HostOfHeader, Cases) {
    struct host_case {
        const char* header;
        const char* host;
    };
    for (const auto& c : std::initializer_list<host_case>{
             {"example.com:8443", "example.com"},
             {"example.com", "example.com"},
             {"Example.COM:1", "Example.COM"},
             {"127.0.0.1:8443", "127.0.0.1"},
             {"127.0.0.1", "127.0.0.1"},
             {"[::1]:8443", "::1"},
             {"[::1]", "::1"},
             {"[2001:db8::1]:443", "2001:db8::1"},
             {"my-host.example:80", "my-host.example"},
             {"", ""},
             {":8443", ""},
             {"[]:8443", ""},
             {"[::1", ""},
             {"exa_mple.com", ""},
             {"evil.com/path", ""},
             {"a b:80", ""},
             {"[fe80::1%eth0]:1", ""},
             {"user@host:80", ""},
         }) {
        EXPECT_EQ(host_of_header(c.header), c.host) << "'" << c.header << "'";
    }
    EXPECT_EQ(host_of_header(std::string(254, 'a')), "");
    EXPECT_EQ(host_of_header(std::string(253, 'a')), std::string(253, 'a'));
}

} // namespace
} // namespace icegate::app
