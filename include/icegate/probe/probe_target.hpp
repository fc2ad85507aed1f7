// What `icegate probe` checks: a target parsed from a stun:/turn:/turns:/wss:// URI, or built
// from a config's listeners, with the credentials and TLS trust to use on it.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace icegate::probe {

enum class scheme : std::uint8_t { stun, turn, wss };
enum class transport : std::uint8_t { udp, tcp, tls };

struct target {
    probe::scheme scheme = probe::scheme::stun;
    probe::transport transport = probe::transport::udp; // wss: always tls
    std::string host;                                   // a name or an IP literal, without brackets
    std::uint16_t port = 3478;
    std::string path = "/ws"; // wss only

    // "turn udp 127.0.0.1:3478", "wss [::1]:8443/ws": the prefix of every step name.
    std::string label() const;
    // "127.0.0.1:3478", "[::1]:3478": what the Host header and the step names carry.
    std::string authority() const;
};

// Parses stun:HOST[:PORT][?transport=udp|tcp|tls], turn:... likewise, turns:HOST[:PORT]
// (TURN over TLS) and wss://HOST[:PORT][/PATH]. Default ports: 3478, 5349 for TLS, 443 for
// wss; IPv6 literals in brackets. nullopt with `why` set when the text is none of these.
std::optional<target> parse_target(std::string_view text, std::string* why);

// "5", "5s", "1500ms" -> milliseconds (1 ms to 1 hour); nullopt otherwise.
std::optional<std::chrono::milliseconds> parse_timeout(std::string_view text);

// Long-term credentials for TURN: a password (the key is derived with the realm of the 401
// challenge) or, from a config's users, the stored MD5 key itself.
struct turn_credentials {
    std::string username;
    std::optional<std::string> password;
    std::optional<std::array<std::uint8_t, 16>> key_md5;

    bool empty() const { return username.empty(); }
};

// How a TLS server is trusted: the system CAs (plus `ca_file`) with the host name checked,
// anything with `insecure`, or exactly the public key whose SPKI SHA-256 (base64) is `spki_pin`
// (what -c uses: the config's own certificate, self-signed or not).
struct tls_trust {
    bool insecure = false;
    std::string ca_file;
    std::string spki_pin;
    std::string pin_problem; // why -c could not pin the config's certificate, for the failure
};

// The WebSocket check's options: the Origin header (empty: https://<authority>), the room
// (empty: a random one) and a join token for it when the server needs one (signal.join_secret).
struct ws_options {
    std::string origin;
    std::string room;
    std::string join_token;
};

// One target with everything needed to probe it.
struct probe_job {
    probe::target target;
    turn_credentials credentials; // turn only; empty: the TURN steps are skipped
    std::string skip_reason;      // why, when credentials are empty
    std::string skip_target;      // set: nothing is probed (a listener on port 0), this is why
    tls_trust trust;
    ws_options ws;
};

} // namespace icegate::probe
