// TLS setup for the TLS listeners and HTTPS: the certificate/key to use (the configured pair or a
// self-signed one generated into state_dir), the hardened server context, and the SPKI pin.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <openssl/x509.h>

namespace icegate::net {

// What TLS setup needs to know, filled by the caller from its config (tls section, state_dir,
// the addresses it listens and relays on).
struct tls_settings {
    std::filesystem::path certificate; // both empty: a self-signed pair in state_dir
    std::filesystem::path private_key;
    std::filesystem::path state_dir; // where the self-signed pair is created and kept
    // Addresses the self-signed certificate names, besides the ones it always names.
    std::vector<boost::asio::ip::address> extra_ips;
};

struct tls_material {
    std::filesystem::path certificate; // PEM, leaf first then any chain
    std::filesystem::path private_key; // PEM
    // The self-signed pair in state_dir is in use (none configured, or the configured files are
    // missing: the caller warns about the latter).
    bool generated = false;
    // This call wrote a new certificate (first start, expired, or SANs no longer cover the host).
    bool created = false;
};

// The configured certificate/key when both are set and exist; otherwise a self-signed EC P-256
// pair in state_dir (cert.pem / key.pem), created on first start (key 0600, state_dir 0700 when
// created) and reused after. A new certificate is issued (same key, so the SPKI pin holds) when
// the old one expires within a day or lacks one of the wanted SANs: DNS localhost, IP 127.0.0.1,
// IP ::1, DNS gethostname(), and every address in extra_ips that is not unspecified.
// Throws std::runtime_error naming the file on failure, or when only one of the pair is set.
tls_material ensure_tls_material(const tls_settings& tls);

// Server context: TLS 1.2 minimum, no compression, no renegotiation, server cipher preference,
// ECDHE+AEAD suites for TLS 1.2 (OpenSSL defaults for 1.3), chain and key loaded and checked to
// match. Encrypted keys are refused rather than prompting on a terminal. Throws
// std::runtime_error naming the file.
std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(const tls_material& m);

// A warning when the private key file is open to its group or to others (mode & 077): anyone
// who can read it can impersonate this server. Names the file and the fix (chmod 600);
// nullopt when the mode is private or cannot be read (loading the key reports that).
std::optional<std::string> private_key_mode_warning(const std::filesystem::path& key);

// The private key `serve` would load, for checks made without creating anything: the
// configured one, else the generated one in state_dir when it exists; empty when neither.
std::filesystem::path private_key_in_use(const tls_settings& tls);

// base64(SHA-256(DER SubjectPublicKeyInfo)) of a PEM certificate: the value Chromium's
// --ignore-certificate-errors-spki-list takes. Throws std::runtime_error naming the file.
std::string spki_sha256_base64(const std::filesystem::path& certificate);
// The same for a certificate in memory (a peer's after a handshake); empty when its public key
// cannot be encoded.
std::string spki_sha256_base64(const X509& certificate);

} // namespace icegate::net
