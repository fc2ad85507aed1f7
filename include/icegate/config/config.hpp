// The validated, immutable configuration (the "config contract" of docs/configuration.md).
// Loaded once from YAML; workers hold a std::shared_ptr<const config> and never see YAML.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "icegate/turn/client_transport.hpp"
#include "icegate/turn/quota_table.hpp"

namespace icegate::app {

// Thrown by load_config(); what() is "icegate.yaml:14: limits.user_quota: expected ...".
class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct listen_address {
    turn::client_transport proto = turn::client_transport::udp;
    boost::asio::ip::address address;
    std::uint16_t port = 0;        // 0: pick a free port at start (tests)
    std::string to_string() const; // "udp://127.0.0.1:3478", "udp://[::1]:3478"
};

struct cidr {
    boost::asio::ip::address network; // already masked to prefix
    unsigned prefix = 0;
    std::string to_string() const;
    bool contains(const boost::asio::ip::address& a) const;
};

// Default: below Linux's ephemeral range (32768-60999), so relays and the kernel's outgoing
// sockets never compete for a port; 16384 ports (FreeSWITCH's RTP range).
struct port_range {
    std::uint16_t first = 16384;
    std::uint16_t last = 32767;
};

struct user_entry {
    std::string name;
    std::array<std::uint8_t, 16> key_md5{};                 // MD5(name:realm:password)
    std::optional<std::array<std::uint8_t, 32>> key_sha256; // SHA-256(name:realm:password)
    bool from_plaintext = false;  // configured with `password:` (warned about at load)
    bool from_users_file = false; // loaded from auth.users_file rather than auth.users
};

struct tls_config {
    std::filesystem::path certificate; // empty: generated into state_dir
    std::filesystem::path private_key;
};

struct relay_config {
    std::optional<boost::asio::ip::address> address; // empty: auto-detected
    std::optional<boost::asio::ip::address> address_v6;
    std::optional<boost::asio::ip::address> external_address;
    port_range ports;
};

struct auth_config {
    std::vector<user_entry> users; // auth.users followed by auth.users_file's
    std::filesystem::path users_file;
    std::vector<std::string> secrets;
    std::chrono::seconds credential_ttl{600};
};

struct limits_config {
    std::chrono::seconds max_lifetime{3600};
    std::uint32_t user_quota = turn::default_user_quota;
    std::uint32_t total_quota = 10000;
    std::uint32_t max_permissions = 64;         // per allocation
    std::uint32_t max_channels = 64;            // per allocation
    std::chrono::seconds tcp_idle_timeout{300}; // STUN/TURN over TCP/TLS, no traffic
    // Bytes buffered per TCP/TLS connection: the default holds the largest STUN message
    // (20 + 65532) with room to spare; smaller values refuse larger frames.
    std::uint32_t tcp_buffer = 65556;
    // STUN/TURN over TCP/TLS: closed unless a STUN message arrives this soon after accept.
    std::chrono::seconds tcp_preauth_timeout{10};
    // TCP connections (STUN/TURN over TCP/TLS and HTTPS) one IPv4 address or IPv6 /64 may
    // hold at once; 0: no limit.
    std::uint32_t connections_per_address = 200;
    // UDP error answers to requests that did not authenticate, per source (IPv4 address or
    // IPv6 /64) and worker: rate a second, burst banked; past it no answer. 0: no limit.
    std::uint32_t unauthenticated_answer_rate = 10;
    std::uint32_t unauthenticated_answer_burst = 20;
    // New allocations per second (burst the same) per source and worker; past it 486. 0: none.
    std::uint32_t allocation_rate = 20;
    // Relayed payload in bits per second, both directions together; 0: no cap. Per
    // allocation, per user (over all the user's allocations) and for the whole server (split
    // evenly over the workers).
    std::uint64_t allocation_bandwidth = 0;
    std::uint64_t user_bandwidth = 0;
    std::uint64_t total_bandwidth = 0;
};

struct peers_config {
    std::vector<cidr> allow;
    std::vector<cidr> deny;
};

// http.ice_servers_api: off answers 404; token needs a join token (signal.join_secret).
enum class ice_servers_api { off, token };

struct http_config {
    std::optional<listen_address> listen; // proto is tls; empty: no HTTPS server
    std::filesystem::path web_root;
    std::vector<std::string> allowed_origins;
    std::string public_host; // host name for ICE URIs handed to clients; empty: derived
    enum ice_servers_api ice_servers_api = ice_servers_api::off;
};

struct signal_config {
    std::uint32_t room_capacity = 6;
    std::string join_secret;
    std::uint32_t message_rate = 50; // frames per second per session (burst: 4x)
    std::uint32_t join_rate = 5;     // joins per second per client IP (burst: 2x)
    // Bytes of public chat history kept over all rooms, split evenly among the workers.
    std::uint32_t history_bytes = 8 * 1024 * 1024;
};

struct metrics_config {
    std::vector<cidr> allow;
};

// SIGTERM drains (docs/operations.md): new work is refused while what is live may go on.
struct shutdown_config {
    std::chrono::seconds grace{30}; // the drain's length at most; 0: exit at once
    // While draining, a new Allocate gets 300 Try Alternate naming this address (UDP/TCP port
    // as clients dial it); unset: 508 Insufficient Capacity.
    std::optional<listen_address> alternate_server;
};

enum class log_format { text, json };

struct log_config {
    std::string level = "info"; // trace, debug, info, warn, error, critical, off
    log_format format = log_format::text;
};

struct config {
    std::filesystem::path source; // file it was loaded from ("<embedded>" when none)
    std::string realm = "icegate";
    unsigned workers = 0; // resolved: never 0 after load (0 in YAML or missing: one per core)
    std::string software; // SOFTWARE attribute; empty: not sent
    std::vector<listen_address> listen;
    tls_config tls;
    std::filesystem::path state_dir;
    relay_config relay;
    auth_config auth;
    limits_config limits;
    peers_config peers;
    http_config http;
    signal_config signal;
    metrics_config metrics;
    log_config log;
    shutdown_config shutdown;
    // Things accepted but worth an admin's attention (plaintext passwords, placeholder keys).
    std::vector<std::string> warnings;
};

// Parses and validates YAML text. `file` names it in errors and anchors relative paths (its
// parent folder). Throws config_error naming file, line and key path.
std::shared_ptr<const config> parse_config(const std::string& yaml_text,
                                           const std::filesystem::path& file);

// Reads `file` and parses it (users_file too). Throws config_error.
std::shared_ptr<const config> load_config(const std::filesystem::path& file);

// The effective config as YAML, every key present; secrets, keys and passwords masked.
std::string to_yaml(const config& c);

} // namespace icegate::app
