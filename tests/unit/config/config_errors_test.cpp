// Config errors: every class of mistake fails with "file:line: key.path: message", exactly.
#include "icegate/config/config.hpp"

#include <gtest/gtest.h>

namespace icegate::app {
namespace {

struct error_case {
    const char* yaml;
    const char* error;
};

std::string error_of(const std::string& yaml) {
    try {
        parse_config(yaml, "/etc/icegate/icegate.yaml");
    } catch (const config_error& e) {
        return e.what();
    }
    return "no error";
}

void expect_errors(const std::vector<error_case>& cases) {
    for (const auto& c : cases) {
        EXPECT_EQ(error_of(c.yaml), c.error) << "config:\n" << c.yaml;
    }
}

TEST(ConfigErrors, Syntax) {
    expect_errors({
        {"realm: a\nlisten: [udp://1.2.3.4:1\nlog: {}\n",
         "icegate.yaml:3: YAML syntax error: end of sequence flow not found"},
        {"realm: a\n  workers: 2\n", "icegate.yaml:2: YAML syntax error: illegal map value"},
        {"- a\n- b\n", "icegate.yaml:1: expected a map, got a list"},
        {"just text\n", "icegate.yaml:1: expected a map, got \"just text\""},
    });
}

TEST(ConfigErrors, UnknownAndDuplicateKeys) {
    expect_errors({
        {"realm: a\nbogus: 1\n", "icegate.yaml:2: bogus: unknown key"},
        {"limits:\n  max_lifetme: 1h\n", "icegate.yaml:2: limits.max_lifetme: unknown key"},
        {"auth:\n  users:\n    - name: a\n      pasword: x\n",
         "icegate.yaml:4: auth.users[0].pasword: unknown key"},
        {"http: {listen: 0.0.0.0:1, root: /x}\n", "icegate.yaml:1: http.root: unknown key"},
        {"realm: a\nlog:\n  level: info\nrealm: b\n",
         "icegate.yaml:4: realm: duplicate key (first at line 1)"},
        {"[a]: 1\n", "icegate.yaml:1: expected a key name, got a list"},
    });
}

TEST(ConfigErrors, WrongTypes) {
    expect_errors({
        {"listen: udp://1.2.3.4:3478\n",
         "icegate.yaml:1: listen: expected a list of listen URLs, got \"udp://1.2.3.4:3478\""},
        {"tls: [a]\n", "icegate.yaml:1: tls: expected a map, got a list"},
        {"realm: {a: 1}\n", "icegate.yaml:1: realm: expected a non-empty string, got a map"},
        {"peers:\n  allow: 10.0.0.0/8\n",
         "icegate.yaml:2: peers.allow: expected a list of CIDRs, got \"10.0.0.0/8\""},
        {"auth:\n  users:\n    - alice\n",
         "icegate.yaml:3: auth.users[0]: expected a user (a map with name and key or password), "
         "got \"alice\""},
    });
}

TEST(ConfigErrors, Integers) {
    expect_errors({
        {"realm: x\nlimits:\n  user_quota: ten\n",
         "icegate.yaml:3: limits.user_quota: expected a positive integer, got \"ten\""},
        {"limits:\n  user_quota: 0\n",
         "icegate.yaml:2: limits.user_quota: expected a positive integer, got \"0\""},
        {"limits:\n  total_quota: -5\n",
         "icegate.yaml:2: limits.total_quota: expected a positive integer, got \"-5\""},
        {"limits:\n  total_quota: 4294967296\n",
         "icegate.yaml:2: limits.total_quota: expected a positive integer, got \"4294967296\""},
        {"workers: 300\n", "icegate.yaml:1: workers: expected 0 (one per core) or a number of "
                           "threads up to 256, got \"300\""},
        {"workers: 2.5\n", "icegate.yaml:1: workers: expected 0 (one per core) or a number of "
                           "threads up to 256, got \"2.5\""},
        {"limits: {max_channels: 5000}\n",
         "icegate.yaml:1: limits.max_channels: expected an integer from 1 to 4096, got \"5000\""},
        {"limits: {tcp_buffer: 1000}\n", "icegate.yaml:1: limits.tcp_buffer: expected an integer "
                                         "from 1024 to 16777216, got \"1000\""},
        {"signal: {room_capacity: 0}\n",
         "icegate.yaml:1: signal.room_capacity: expected an integer from 1 to 1000, got \"0\""},
    });
}

TEST(ConfigErrors, Durations) {
    expect_errors({
        {"auth:\n  credential_ttl: 600\n",
         "icegate.yaml:2: auth.credential_ttl: expected a duration with a unit (s, m, h or d, "
         "e.g. 600s, 10m, 1h30m), got \"600\""},
        {"limits: {max_lifetime: 10x}\n",
         "icegate.yaml:1: limits.max_lifetime: expected a duration with a unit (s, m, h or d, "
         "e.g. 600s, 10m, 1h30m), got \"10x\""},
        {"limits: {max_lifetime: 30m1h}\n",
         "icegate.yaml:1: limits.max_lifetime: expected a duration with a unit (s, m, h or d, "
         "e.g. 600s, 10m, 1h30m), got \"30m1h\""},
        {"limits: {max_lifetime: 0s}\n",
         "icegate.yaml:1: limits.max_lifetime: expected a positive duration, got \"0s\""},
        {"limits: {tcp_idle_timeout: 400d}\n",
         "icegate.yaml:1: limits.tcp_idle_timeout: expected a duration of at most 366d, got "
         "\"400d\""},
    });
}

TEST(ConfigErrors, ListenAddresses) {
    expect_errors({
        {"listen:\n  - udp://1.2.3.4:3478\n  - udp://1.2.3.4:70000\n",
         "icegate.yaml:3: listen[1]: bad listen address \"udp://1.2.3.4:70000\": port must be a "
         "number from 0 to 65535 (0: pick a free port)"},
        {"listen: [http://1.2.3.4:80]\n", "icegate.yaml:1: listen[0]: bad listen address "
                                          "\"http://1.2.3.4:80\": scheme must be udp, tcp or tls"},
        {"listen: [1.2.3.4:3478]\n",
         "icegate.yaml:1: listen[0]: bad listen address \"1.2.3.4:3478\": expected "
         "udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT"},
        {"listen: [udp://localhost:3478]\n",
         "icegate.yaml:1: listen[0]: bad listen address \"udp://localhost:3478\": host must be an "
         "IP literal (names are not resolved), IPv6 in brackets"},
        {"listen: [udp://::1:3478]\n",
         "icegate.yaml:1: listen[0]: bad listen address \"udp://::1:3478\": IPv6 addresses go in "
         "brackets, e.g. [::1]:3478"},
        {"listen: [tcp://1.2.3.4]\n", "icegate.yaml:1: listen[0]: bad listen address "
                                      "\"tcp://1.2.3.4\": expected :PORT after the address"},
        {"listen: [\"tls://[1.2.3.4]:1\"]\n",
         "icegate.yaml:1: listen[0]: bad listen address \"tls://[1.2.3.4]:1\": only IPv6 "
         "addresses go in brackets"},
        {"listen:\n  - udp://0.0.0.0:3478\n  - tcp://0.0.0.0:3478\n  - udp://0.0.0.0:3478\n",
         "icegate.yaml:4: listen[2]: duplicate of listen[0]"},
        {"http:\n  listen: https://0.0.0.0:8443\n",
         "icegate.yaml:2: http.listen: bad address \"https://0.0.0.0:8443\": expected HOST:PORT "
         "without a scheme"},
        {"http:\n  listen: 0.0.0.0\n", "icegate.yaml:2: http.listen: bad address \"0.0.0.0\": "
                                       "expected :PORT after the address"},
    });
}

TEST(ConfigErrors, Cidrs) {
    expect_errors({
        {"peers:\n  allow: [10.0.0.0/33]\n", "icegate.yaml:2: peers.allow[0]: bad CIDR "
                                             "\"10.0.0.0/33\": prefix length must be 0 to 32 for "
                                             "IPv4"},
        {"peers:\n  deny:\n    - foo/8\n",
         "icegate.yaml:3: peers.deny[0]: bad CIDR \"foo/8\": \"foo\" is not an IP address"},
        {"metrics:\n  allow: [10.1.2.3/8]\n", "icegate.yaml:2: metrics.allow[0]: bad CIDR "
                                              "\"10.1.2.3/8\": host bits set; did you mean "
                                              "10.0.0.0/8?"},
        {"peers:\n  allow: ['fe80::1/129']\n", "icegate.yaml:2: peers.allow[0]: bad CIDR "
                                               "\"fe80::1/129\": prefix length must be 0 to 128 "
                                               "for IPv6"},
        {"peers:\n  allow: [10.0.0.0/]\n", "icegate.yaml:2: peers.allow[0]: bad CIDR "
                                           "\"10.0.0.0/\": prefix length must be 0 to 32 for "
                                           "IPv4"},
    });
}

TEST(ConfigErrors, RelayAndTls) {
    expect_errors({
        {"relay:\n  ports: 60000-50000\n",
         "icegate.yaml:2: relay.ports: expected a port range FIRST-LAST within 1-65535 with FIRST "
         "<= LAST, e.g. 49152-65535, got \"60000-50000\""},
        {"relay:\n  ports: 0-100\n",
         "icegate.yaml:2: relay.ports: expected a port range FIRST-LAST within 1-65535 with FIRST "
         "<= LAST, e.g. 49152-65535, got \"0-100\""},
        {"relay:\n  address: \"::1\"\n",
         "icegate.yaml:2: relay.address: expected an IPv4 address or auto, got \"::1\""},
        {"relay:\n  address_v6: 127.0.0.1\n",
         "icegate.yaml:2: relay.address_v6: expected an IPv6 address or auto, got \"127.0.0.1\""},
        {"relay:\n  external_address: my.host\n",
         "icegate.yaml:2: relay.external_address: expected an IP address, got \"my.host\""},
        {"tls:\n  certificate: cert.pem\n",
         "icegate.yaml:2: tls.certificate: tls.certificate and tls.private_key go together: set "
         "both or neither"},
    });
}

TEST(ConfigErrors, EnumsAndStrings) {
    expect_errors({
        {"log:\n  level: verbose\n", "icegate.yaml:2: log.level: expected one of trace, debug, "
                                     "info, warn, error, critical, off, got \"verbose\""},
        {"log:\n  format: xml\n", "icegate.yaml:2: log.format: expected text or json, got \"xml\""},
        {"realm: \"\"\n", "icegate.yaml:1: realm: expected a non-empty string, got \"\""},
        {"realm:\n", "icegate.yaml:1: realm: expected a non-empty string, got nothing"},
        {"http: {allowed_origins: [example.com]}\n",
         "icegate.yaml:1: http.allowed_origins[0]: expected an origin such as "
         "https://example.com:8443 (no path), got \"example.com\""},
        {"http: {public_host: \"https://x\"}\n",
         "icegate.yaml:1: http.public_host: expected a host name or IP address (no scheme, no "
         "port), got \"https://x\""},
        {"http:\n  ice_servers_api: on\n",
         "icegate.yaml:2: http.ice_servers_api: expected off or token, got \"on\""},
        // A token mode with nothing to check tokens against.
        {"http:\n  ice_servers_api: token\n",
         "icegate.yaml:2: http.ice_servers_api: token needs signal.join_secret (the secret join "
         "tokens are signed with)"},
    });
    std::string long_realm = "realm: " + std::string(763, 'r') + "\n";
    EXPECT_EQ(error_of(long_realm),
              "icegate.yaml:1: realm: must be shorter than 763 bytes (RFC 8489 limit)");
}

TEST(ConfigErrors, Users) {
    expect_errors({
        {"auth:\n  users:\n    - name: alice\n      key: 598667fe3d6c8de496a51c683b75a316\n"
         "    - name: alice\n      password: x\n",
         "icegate.yaml:5: auth.users[1].name: duplicate user \"alice\" (first at "
         "icegate.yaml:3)"},
        {"auth:\n  users:\n    - name: bob\n      key: nothex\n",
         "icegate.yaml:4: auth.users[0].key: expected 32 hex digits (MD5 of name:realm:password), "
         "optionally prefixed with 0x, got 6 characters"},
        {"auth:\n  users:\n    - name: bob\n      key: 0x598667fe3d6c8de496a51c683b75a31g\n",
         "icegate.yaml:4: auth.users[0].key: expected 32 hex digits (MD5 of name:realm:password), "
         "optionally prefixed with 0x, got 34 characters"},
        {"auth:\n  users:\n    - name: bob\n      key: \"***\"\n",
         "icegate.yaml:4: auth.users[0].key: \"***\" is a masked value from check-config output, "
         "not a real one"},
        {"auth:\n  users:\n    - name: bob\n      key: 598667fe3d6c8de496a51c683b75a316\n"
         "      password: x\n",
         "icegate.yaml:5: auth.users[0].password: give either key or password, not both"},
        {"auth:\n  users:\n    - name: bob\n",
         "icegate.yaml:3: auth.users[0]: user \"bob\" needs a key or a password"},
        {"auth:\n  users:\n    - key: 598667fe3d6c8de496a51c683b75a316\n",
         "icegate.yaml:3: auth.users[0]: user without a name"},
        {"auth:\n  users:\n    - name: bob\n      password: x\n      key_sha256: ab\n",
         "icegate.yaml:5: auth.users[0].key_sha256: key_sha256 is derived from password; give key "
         "and key_sha256 instead"},
        {"auth:\n  users:\n    - name: bob\n      key: 598667fe3d6c8de496a51c683b75a316\n"
         "      key_sha256: abc\n",
         "icegate.yaml:5: auth.users[0].key_sha256: expected 64 hex digits (SHA-256 of "
         "name:realm:password), optionally prefixed with 0x, got 3 characters"},
        {"auth:\n  users:\n    - name: bob\n      password: \"\"\n",
         "icegate.yaml:4: auth.users[0].password: expected a non-empty password"},
    });
}

// The same rule as `icegate user add` (user_name.hpp): a name it refuses never loads.
TEST(ConfigErrors, UserNames) {
    const std::string key = "\n      key: 598667fe3d6c8de496a51c683b75a316\n";
    expect_errors({
        {"auth:\n  users:\n    - name: \"a\\tb\"\n      key: 598667fe3d6c8de496a51c683b75a316\n",
         "icegate.yaml:3: auth.users[0].name: a user name must not contain control characters"},
        {"auth:\n  users:\n    - name: \"a\xc3(\"\n      key: 598667fe3d6c8de496a51c683b75a316\n",
         "icegate.yaml:3: auth.users[0].name: a user name must be UTF-8"},
    });
    EXPECT_EQ(error_of("auth:\n  users:\n    - name: " + std::string(513, 'x') + key),
              "icegate.yaml:3: auth.users[0].name: a user name must be shorter than 513 bytes");
    EXPECT_EQ(error_of("auth:\n  users:\n    - name: " + std::string(512, 'x') + key), "no error");
}

TEST(ConfigErrors, Secrets) {
    expect_errors({
        {"auth:\n  secrets: [ok, \"\"]\n", "icegate.yaml:2: auth.secrets[1]: expected a non-empty "
                                           "secret (a string or {file: PATH}), got \"\""},
        {"auth:\n  secrets: [\"***\"]\n", "icegate.yaml:2: auth.secrets[0]: \"***\" is a masked "
                                          "value from check-config output, not a real one"},
        {"signal:\n  join_secret: \"***\"\n", "icegate.yaml:2: signal.join_secret: \"***\" is a "
                                              "masked value from check-config output, not a real "
                                              "one"},
        {"auth:\n  secrets: [[a]]\n", "icegate.yaml:2: auth.secrets[0]: expected a secret (a "
                                      "string or {file: PATH}), got a list"},
    });
}

TEST(ConfigErrors, NonYamlExceptionsNeverEscape) {
    // Deep nesting makes yaml-cpp throw its own exceptions; they arrive as config_error.
    std::string deep(20000, '[');
    EXPECT_THROW(parse_config(deep, "/x/icegate.yaml"), config_error);
    EXPECT_THROW(parse_config("a: *unknown\n", "/x/icegate.yaml"), config_error);
    EXPECT_THROW(
        parse_config(std::string("realm: \"a\\0b\"\nstate_dir: \"a\\0b\"\n"), "/x/icegate.yaml"),
        config_error);
}

} // namespace
} // namespace icegate::app
