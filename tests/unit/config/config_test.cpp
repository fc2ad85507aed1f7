// Config loading: the design's contract example, conf/icegate.yaml, defaults, relative paths,
// users files, plaintext passwords, secrets from files, and to_yaml masking and round trip.
#include "icegate/config/config.hpp"

#include <algorithm>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "../test_util.hpp"
#include <stdlib.h>

namespace icegate::app {
namespace {

namespace fs = std::filesystem;
using boost::asio::ip::make_address;

// Verbatim from the design's "Config contract"; it must load as it is.
constexpr const char* contract_yaml = R"yaml(realm: icegate.test
workers: 2                        # default: one per core
listen:                           # STUN/TURN listeners
  - udp://127.0.0.1:3478
  - tcp://127.0.0.1:3478
  - tls://127.0.0.1:5349
  - udp://[::1]:3478
tls:
  certificate: cert.pem           # PEM; generated self-signed into state_dir when missing
  private_key: key.pem
state_dir: ./state
relay:
  address: 127.0.0.1              # where relay sockets bind
  address_v6: "::1"
  external_address: 203.0.113.5   # optional: advertised instead, for 1:1 NAT (cloud VMs)
  ports: 49152-65535
auth:
  users:                          # long-term credentials; key = MD5(name:realm:password) hex
    - name: alice
      key: 0x3a6b...              # or `password:` (accepted, warned about)
  users_file: users.yaml          # optional, same shape, managed by `icegate user`
  secrets: [change-me]            # TURN REST API shared secrets, several for rotation
  credential_ttl: 10m             # lifetime of credentials handed to web clients
limits:
  max_lifetime: 1h
  user_quota: 10                  # allocations per username
  total_quota: 10000
peers:
  allow: [127.0.0.0/8]            # beats the default deny list; empty by default
  deny: []                        # added to the default deny list
http:
  listen: 127.0.0.1:8443          # HTTPS: web client, /ws, /api/ice-servers, /healthz, /metrics
  web_root: ../web
  allowed_origins: []             # empty: same origin only
signal:
  room_capacity: 6
  join_secret: ""                 # set: joins need an HS256 JWT signed with it
metrics:
  allow: [127.0.0.0/8]
log:
  level: info
  format: text                    # or json
)yaml";

// MD5 / SHA-256 of "bob:icegate.test:hunter2", computed with Python's hashlib.
constexpr const char* bob_md5 = "598667fe3d6c8de496a51c683b75a316";

using test::temp_dir;

using test::hex;

std::string error_of(const std::string& yaml, const fs::path& file) {
    try {
        parse_config(yaml, file);
    } catch (const config_error& e) {
        return e.what();
    }
    return "no error";
}

unsigned cores() {
    return std::clamp(std::thread::hardware_concurrency(), 1u, 256u);
}

TEST(Config, ContractExampleLoadsAsWritten) {
    temp_dir dir;
    dir.write("users.yaml", std::string("users:\n  - name: bob\n    key: ") + bob_md5 + "\n");
    fs::path file = dir.write("icegate.yaml", contract_yaml);
    auto c = load_config(file);
    EXPECT_EQ(c->source, file);
    EXPECT_EQ(c->realm, "icegate.test");
    EXPECT_EQ(c->workers, 2u);
    ASSERT_EQ(c->listen.size(), 4u);
    EXPECT_EQ(c->listen[0].to_string(), "udp://127.0.0.1:3478");
    EXPECT_EQ(c->listen[1].to_string(), "tcp://127.0.0.1:3478");
    EXPECT_EQ(c->listen[2].proto, turn::client_transport::tls);
    EXPECT_EQ(c->listen[2].port, 5349);
    EXPECT_EQ(c->listen[3].to_string(), "udp://[::1]:3478");
    EXPECT_EQ(c->tls.certificate, dir.path() / "cert.pem");
    EXPECT_EQ(c->tls.private_key, dir.path() / "key.pem");
    EXPECT_EQ(c->state_dir, dir.path() / "state");
    EXPECT_EQ(c->relay.address, make_address("127.0.0.1"));
    EXPECT_EQ(c->relay.address_v6, make_address("::1"));
    EXPECT_EQ(c->relay.external_address, make_address("203.0.113.5"));
    EXPECT_EQ(c->relay.ports.first, 49152);
    EXPECT_EQ(c->relay.ports.last, 65535);
    ASSERT_EQ(c->auth.users.size(), 1u); // alice's placeholder key disables her
    EXPECT_EQ(c->auth.users[0].name, "bob");
    EXPECT_TRUE(c->auth.users[0].from_users_file);
    EXPECT_EQ(c->auth.users_file, dir.path() / "users.yaml");
    EXPECT_EQ(c->auth.secrets, std::vector<std::string>{"change-me"});
    EXPECT_EQ(c->auth.credential_ttl, std::chrono::minutes(10));
    EXPECT_EQ(c->limits.max_lifetime, std::chrono::hours(1));
    EXPECT_EQ(c->limits.user_quota, 10u);
    EXPECT_EQ(c->limits.total_quota, 10000u);
    ASSERT_EQ(c->peers.allow.size(), 1u);
    EXPECT_EQ(c->peers.allow[0].to_string(), "127.0.0.0/8");
    EXPECT_TRUE(c->peers.deny.empty());
    ASSERT_TRUE(c->http.listen);
    EXPECT_EQ(c->http.listen->to_string(), "tls://127.0.0.1:8443");
    EXPECT_EQ(c->http.web_root, dir.path().parent_path() / "web");
    EXPECT_TRUE(c->http.allowed_origins.empty());
    EXPECT_EQ(c->signal.room_capacity, 6u);
    EXPECT_EQ(c->signal.join_secret, "");
    ASSERT_EQ(c->metrics.allow.size(), 1u);
    EXPECT_EQ(c->log.level, "info");
    EXPECT_EQ(c->log.format, log_format::text);
    EXPECT_EQ(c->warnings, std::vector<std::string>{"icegate.yaml:20: auth.users[0].key: "
                                                    "placeholder key, user \"alice\" disabled"});
}

TEST(Config, ContractExampleLoadsWithoutItsUsersFile) {
    // `icegate user add --file users.yaml` creates the file; before that it holds no users.
    temp_dir dir;
    auto c = parse_config(contract_yaml, dir.path() / "icegate.yaml");
    EXPECT_EQ(c->auth.users.size(), 0u); // alice's key is a placeholder
    ASSERT_EQ(c->warnings.size(), 2u);
    EXPECT_EQ(c->warnings[1], "icegate.yaml:21: auth.users_file: \"" +
                                  (dir.path() / "users.yaml").string() +
                                  "\" does not exist yet: no users from it");
}

TEST(Config, ReferenceConfigLoads) {
    fs::path file = fs::path(ICEGATE_TEST_DATA_DIR "/../conf/icegate.yaml").lexically_normal();
    auto c = load_config(file);
    fs::path root = file.parent_path().parent_path();
    EXPECT_TRUE(c->warnings.empty());
    EXPECT_EQ(c->realm, "icegate");
    EXPECT_EQ(c->workers, cores());
    std::vector<std::string> listen;
    for (const auto& l : c->listen) {
        listen.push_back(l.to_string());
    }
    EXPECT_EQ(listen, (std::vector<std::string>{"udp://0.0.0.0:3478", "tcp://0.0.0.0:3478",
                                                "udp://[::]:3478", "tcp://[::]:3478",
                                                "tls://0.0.0.0:5349", "tls://[::]:5349"}));
    ASSERT_TRUE(c->http.listen);
    EXPECT_EQ(c->http.listen->to_string(), "tls://0.0.0.0:8443");
    EXPECT_EQ(c->http.web_root, root / "web");
    EXPECT_TRUE(c->tls.certificate.empty());
    EXPECT_TRUE(c->tls.private_key.empty());
    EXPECT_EQ(c->state_dir, root / "state");
    EXPECT_FALSE(c->relay.address);
    EXPECT_FALSE(c->relay.address_v6);
    EXPECT_FALSE(c->relay.external_address);
    EXPECT_TRUE(c->peers.allow.empty());
    EXPECT_TRUE(c->auth.secrets.empty());
    EXPECT_TRUE(c->auth.users.empty());
    EXPECT_TRUE(c->auth.users_file.empty());
    ASSERT_EQ(c->metrics.allow.size(), 2u);
    EXPECT_EQ(c->metrics.allow[1].to_string(), "::1/128");
    EXPECT_EQ(c->log.level, "info");
    EXPECT_EQ(c->log.format, log_format::text);
}

TEST(Config, EmptyDocumentGivesDefaults) {
    auto c = parse_config("", "/etc/icegate/icegate.yaml");
    const config d;
    EXPECT_EQ(c->source, "/etc/icegate/icegate.yaml");
    EXPECT_EQ(c->realm, "icegate");
    EXPECT_EQ(c->workers, cores());
    EXPECT_EQ(c->software, "");
    EXPECT_TRUE(c->listen.empty());
    EXPECT_FALSE(c->http.listen);
    EXPECT_TRUE(c->state_dir.empty());
    EXPECT_EQ(c->relay.ports.first, 16384); // below Linux's ephemeral range 32768-60999
    EXPECT_EQ(c->relay.ports.last, 32767);
    EXPECT_EQ(c->auth.credential_ttl, d.auth.credential_ttl);
    EXPECT_EQ(c->limits.max_lifetime, d.limits.max_lifetime);
    EXPECT_EQ(c->limits.user_quota, d.limits.user_quota);
    EXPECT_EQ(c->limits.total_quota, d.limits.total_quota);
    EXPECT_EQ(c->limits.max_permissions, d.limits.max_permissions);
    EXPECT_EQ(c->limits.max_channels, d.limits.max_channels);
    EXPECT_EQ(c->limits.tcp_idle_timeout, d.limits.tcp_idle_timeout);
    EXPECT_EQ(c->limits.tcp_buffer, d.limits.tcp_buffer);
    EXPECT_EQ(c->signal.room_capacity, 6u);
    EXPECT_EQ(c->http.ice_servers_api, ice_servers_api::off); // /api/ice-servers is 404
    EXPECT_EQ(c->log.level, "info");
    EXPECT_EQ(c->warnings, std::vector<std::string>{"icegate.yaml: no listeners configured "
                                                    "(listen and http.listen are empty)"});
}

TEST(Config, NullValuesMeanDefaultsAndNoFileMeansEmbedded) {
    auto c = parse_config("workers:\nlimits:\n  user_quota: ~\npeers:\n", "");
    EXPECT_EQ(c->source, "<embedded>");
    EXPECT_EQ(c->workers, cores());
    EXPECT_EQ(c->limits.user_quota, 10u);
    EXPECT_EQ(error_of("realm: [x\n", ""), "<embedded>:2: YAML syntax error: end of sequence "
                                           "flow not found");
}

TEST(Config, ExtraKeysParse) {
    auto c = parse_config(R"(software: icegate 0.1
workers: 256
relay: {address: auto, address_v6: auto, ports: "50000"}
limits:
  max_permissions: 10
  max_channels: 4096
  tcp_idle_timeout: 1h30m
  tcp_buffer: 131072
http:
  listen: "[::1]:0"
  public_host: turn.example.com
  allowed_origins: [https://meet.example.com, "http://localhost:8080"]
  ice_servers_api: token
signal:
  join_secret: jwt-key
log: {level: debug, format: json}
listen: [tcp://0.0.0.0:0, tcp://0.0.0.0:0, "tls://[2001:db8::1]:443"]
)",
                          "/x/icegate.yaml");
    EXPECT_EQ(c->software, "icegate 0.1");
    EXPECT_EQ(c->workers, 256u);
    EXPECT_FALSE(c->relay.address);
    EXPECT_EQ(c->relay.ports.first, 50000);
    EXPECT_EQ(c->relay.ports.last, 50000);
    EXPECT_EQ(c->limits.max_permissions, 10u);
    EXPECT_EQ(c->limits.max_channels, 4096u);
    EXPECT_EQ(c->limits.tcp_idle_timeout, std::chrono::seconds(5400));
    EXPECT_EQ(c->limits.tcp_buffer, 131072u);
    EXPECT_EQ(c->http.listen->to_string(), "tls://[::1]:0");
    EXPECT_EQ(c->http.public_host, "turn.example.com");
    EXPECT_EQ(c->http.allowed_origins.size(), 2u);
    EXPECT_EQ(c->signal.join_secret, "jwt-key");
    EXPECT_EQ(c->http.ice_servers_api, ice_servers_api::token);
    EXPECT_NE(to_yaml(*c).find("  ice_servers_api: token\n"), std::string::npos);
    EXPECT_EQ(c->log.level, "debug");
    EXPECT_EQ(c->log.format, log_format::json);
    EXPECT_EQ(c->listen.size(), 3u); // port 0 twice is not a duplicate
    EXPECT_EQ(c->listen[2].to_string(), "tls://[2001:db8::1]:443");
}

TEST(Config, DurationsAndKeysAcceptTheirForms) {
    auto c = parse_config(R"(auth:
  credential_ttl: 1d
  users:
    - {name: a, key: 0X598667FE3D6C8DE496A51C683B75A316}
    - {name: b, key: 598667fe3d6c8de496a51c683b75a316}
limits: {max_lifetime: 600s}
)",
                          "/x/icegate.yaml");
    EXPECT_EQ(c->auth.credential_ttl, std::chrono::hours(24));
    EXPECT_EQ(c->limits.max_lifetime, std::chrono::minutes(10));
    ASSERT_EQ(c->auth.users.size(), 2u);
    EXPECT_EQ(hex(c->auth.users[0].key_md5.data(), 16), bob_md5);
    EXPECT_EQ(c->auth.users[0].key_md5, c->auth.users[1].key_md5);
    EXPECT_FALSE(c->auth.users[0].key_sha256);
}

TEST(Config, RelativePathsResolveAgainstTheConfigFolder) {
    auto c = parse_config(R"(tls:
  certificate: cert.pem
  private_key: ../keys/key.pem
state_dir: ./state/
http:
  web_root: /srv/www
)",
                          "/srv/ice/conf/icegate.yaml");
    EXPECT_EQ(c->tls.certificate, "/srv/ice/conf/cert.pem");
    EXPECT_EQ(c->tls.private_key, "/srv/ice/keys/key.pem");
    EXPECT_EQ(c->state_dir, "/srv/ice/conf/state/");
    EXPECT_EQ(c->http.web_root, "/srv/www");

    auto rel = parse_config("state_dir: s\n", "icegate.yaml");
    EXPECT_EQ(rel->source, fs::current_path() / "icegate.yaml");
    EXPECT_EQ(rel->state_dir, fs::current_path() / "s");
}

TEST(Config, PlaintextPasswordDerivesKeys) {
    auto c = parse_config("realm: realm\nauth:\n  users:\n    - name: user\n      password: pass\n",
                          "/x/icegate.yaml");
    ASSERT_EQ(c->auth.users.size(), 1u);
    const user_entry& u = c->auth.users[0];
    // Python: hashlib.md5(b"user:realm:pass"), hashlib.sha256(b"user:realm:pass").
    EXPECT_EQ(hex(u.key_md5.data(), 16), "8493fbc53ba582fb4c044c456bdc40eb");
    ASSERT_TRUE(u.key_sha256);
    EXPECT_EQ(hex(u.key_sha256->data(), 32),
              "07e934117abd40836e7c6329b54731b2b2d2a5f9a71f544922d75e0730d8251b");
    EXPECT_TRUE(u.from_plaintext);
    EXPECT_EQ(c->warnings.front(),
              "icegate.yaml:5: auth.users[0].password: plaintext password for user \"user\"; "
              "store its key instead (icegate user key NAME REALM)");
}

TEST(Config, UsersFileIsAppendedAndItsErrorsNameIt) {
    temp_dir dir;
    dir.write("conf/users.yaml", "users:\n  - name: bob\n    password: hunter2\n");
    auto c =
        parse_config("realm: icegate.test\nauth:\n  users:\n    - {name: carol, password: s3cret}\n"
                     "  users_file: users.yaml\n",
                     dir.path() / "conf/icegate.yaml");
    ASSERT_EQ(c->auth.users.size(), 2u);
    EXPECT_EQ(c->auth.users[0].name, "carol");
    EXPECT_EQ(hex(c->auth.users[0].key_md5.data(), 16), "6e17bb6d99a4a70a6136ace557c69758");
    EXPECT_FALSE(c->auth.users[0].from_users_file);
    EXPECT_EQ(c->auth.users[1].name, "bob");
    EXPECT_EQ(hex(c->auth.users[1].key_md5.data(), 16), bob_md5);
    EXPECT_TRUE(c->auth.users[1].from_users_file);
    ASSERT_EQ(c->warnings.size(), 3u); // carol, bob, and no listeners
    EXPECT_EQ(c->warnings[0].substr(0, 44), "icegate.yaml:4: auth.users[0].password: plai");
    EXPECT_EQ(c->warnings[1].substr(0, 40), "users.yaml:3: users[0].password: plainte");

    dir.write("conf/users.yaml", "users:\n  - name: bob\n    key: 1234\n");
    EXPECT_EQ(error_of("auth:\n  users_file: users.yaml\n", dir.path() / "conf/icegate.yaml"),
              "users.yaml:3: users[0].key: expected 32 hex digits (MD5 of name:realm:password), "
              "optionally prefixed with 0x, got 4 characters");
    dir.write("conf/users.yaml", "users:\n  - name: carol\n    key: " + std::string(bob_md5));
    EXPECT_EQ(error_of("auth:\n  users: [{name: carol, password: x}]\n  users_file: users.yaml\n",
                       dir.path() / "conf/icegate.yaml"),
              "users.yaml:2: users[0].name: duplicate user \"carol\" (first at icegate.yaml:2)");
    dir.write("conf/users.yaml", "user:\n  - name: carol\n");
    EXPECT_EQ(error_of("auth:\n  users_file: users.yaml\n", dir.path() / "conf/icegate.yaml"),
              "users.yaml:1: user: unknown key");
    dir.write("conf/users.yaml", "users: [\n");
    EXPECT_EQ(error_of("auth:\n  users_file: users.yaml\n", dir.path() / "conf/icegate.yaml"),
              "users.yaml:2: YAML syntax error: end of sequence flow not found");
    EXPECT_EQ(error_of("auth:\n  users_file: /dev/null\n", dir.path() / "conf/icegate.yaml"),
              "icegate.yaml:2: auth.users_file: cannot read \"/dev/null\": not a regular file");
}

TEST(Config, SecretsFromFilesAreTrimmed) {
    temp_dir dir;
    dir.write("secret.txt", "  s3cr3t-from-file \n");
    dir.write("jwt.txt", "jwt-secret\n");
    dir.write("empty.txt", " \n");
    auto c = parse_config("auth:\n  secrets: [inline, {file: secret.txt}]\n"
                          "signal: {join_secret: {file: jwt.txt}}\n",
                          dir.path() / "icegate.yaml");
    EXPECT_EQ(c->auth.secrets, (std::vector<std::string>{"inline", "s3cr3t-from-file"}));
    EXPECT_EQ(c->signal.join_secret, "jwt-secret");
    EXPECT_EQ(error_of("auth:\n  secrets:\n    - file: nope.txt\n", dir.path() / "icegate.yaml"),
              "icegate.yaml:3: auth.secrets[0].file: cannot read \"" +
                  (dir.path() / "nope.txt").string() + "\": No such file or directory");
    EXPECT_EQ(error_of("auth:\n  secrets:\n    - file: empty.txt\n", dir.path() / "icegate.yaml"),
              "icegate.yaml:3: auth.secrets[0].file: secret file \"empty.txt\" is empty");
    EXPECT_EQ(error_of("auth:\n  secrets:\n    - {path: x}\n", dir.path() / "icegate.yaml"),
              "icegate.yaml:3: auth.secrets[0].path: unknown key");
}

TEST(Config, CidrContainsAndPrints) {
    auto c = parse_config("peers:\n  allow: [10.0.0.0/8, 192.0.2.7, 'fc00::/7', 0.0.0.0/0]\n",
                          "/x/icegate.yaml");
    const auto& a = c->peers.allow;
    ASSERT_EQ(a.size(), 4u);
    EXPECT_TRUE(a[0].contains(make_address("10.255.1.2")));
    EXPECT_FALSE(a[0].contains(make_address("11.0.0.1")));
    EXPECT_FALSE(a[0].contains(make_address("::ffff:10.0.0.1"))); // families never mix
    EXPECT_EQ(a[1].to_string(), "192.0.2.7/32");
    EXPECT_TRUE(a[1].contains(make_address("192.0.2.7")));
    EXPECT_FALSE(a[1].contains(make_address("192.0.2.8")));
    EXPECT_EQ(a[2].to_string(), "fc00::/7");
    EXPECT_TRUE(a[2].contains(make_address("fd12:3456::1")));
    EXPECT_FALSE(a[2].contains(make_address("fe80::1")));
    EXPECT_TRUE(a[3].contains(make_address("203.0.113.9")));
}

// Replaces masked values by stand-ins, so to_yaml output can be loaded again.
std::string unmask(const std::string& yaml) {
    std::string out;
    std::size_t start = 0;
    while (start < yaml.size()) {
        std::size_t end = yaml.find('\n', start);
        std::string line = yaml.substr(start, end - start + 1);
        start = end == std::string::npos ? yaml.size() : end + 1;
        std::string stand_in = line.find("key_sha256") != std::string::npos ? std::string(64, 'a')
                                                                            : std::string(32, 'b');
        for (auto p = line.find("\"***\""); p != std::string::npos; p = line.find("\"***\"")) {
            line.replace(p, 5, stand_in);
        }
        out += line;
    }
    return out;
}

TEST(Config, ToYamlMasksSecretsAndRoundTrips) {
    temp_dir dir;
    dir.write("users.yaml", std::string("users:\n  - name: bob\n    key: ") + bob_md5 + "\n");
    fs::path file = dir.path() / "icegate.yaml";
    // The contract with real credentials in place of its auth section and join_secret.
    std::string text = contract_yaml;
    text = text.substr(0, text.find("auth:")) + R"(auth:
  users:
    - {name: carol, password: s3cret}
    - {name: dave, key: 6e17bb6d99a4a70a6136ace557c69758, key_sha256: 0x)" +
           std::string(64, 'c') + R"(}
  users_file: users.yaml
  secrets: [first-secret-value, second-secret-value]
)" + text.substr(text.find("limits:"));
    text.replace(text.find("join_secret: \"\""), 15, "join_secret: the-jwt-secret");
    auto c = parse_config(text, file);
    std::string out = to_yaml(*c);
    for (const char* secret :
         {"s3cret", "first-secret-value", "second-secret-value", "the-jwt-secret", bob_md5,
          "6e17bb6d99a4a70a6136ace557c69758", "cccccccc"}) {
        EXPECT_EQ(out.find(secret), std::string::npos) << secret << " leaked:\n" << out;
    }
    EXPECT_NE(out.find("  - name: \"carol\"\n      key: \"***\"\n"), std::string::npos) << out;
    EXPECT_NE(out.find("credential_ttl: 10m"), std::string::npos) << out;
    EXPECT_NE(out.find("workers: 2"), std::string::npos) << out;
    EXPECT_NE(out.find(dir.path().string() + "/cert.pem"), std::string::npos) << out;

    // Masked values never load as real ones.
    EXPECT_NE(error_of(out, file).find("\"***\" is a masked value"), std::string::npos);

    auto again = parse_config(unmask(out), dir.path() / "elsewhere/icegate.yaml");
    EXPECT_EQ(to_yaml(*again), out);
    EXPECT_EQ(again->auth.users.size(), 3u); // carol, dave, and bob from users.yaml
    EXPECT_EQ(again->auth.secrets.size(), 2u);
    EXPECT_EQ(again->tls.certificate, c->tls.certificate);
    EXPECT_EQ(again->http.web_root, c->http.web_root);
}

TEST(Config, ToYamlOfDefaultsAndReferenceRoundTrips) {
    for (const auto& c : {parse_config("", "/x/icegate.yaml"),
                          load_config(ICEGATE_TEST_DATA_DIR "/../conf/icegate.yaml")}) {
        std::string out = to_yaml(*c);
        auto again = parse_config(out, "/elsewhere/icegate.yaml");
        EXPECT_EQ(to_yaml(*again), out);
        EXPECT_EQ(again->warnings, c->warnings);
    }
}

} // namespace
} // namespace icegate::app
