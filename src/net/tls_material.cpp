// TLS material and server context: self-signed EC P-256 generation with OpenSSL 3 EVP/X509
// APIs, the hardened server SSL_CTX, and the SPKI SHA-256 pin.
#include "icegate/net/tls_material.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace icegate::net {
namespace {

namespace fs = std::filesystem;
using boost::asio::ip::address;

template <auto Free>
struct free_with {
    template <typename T>
    void operator()(T* p) const {
        Free(p);
    }
};
struct openssl_free {
    void operator()(void* p) const { OPENSSL_free(p); }
};

using bio_ptr = std::unique_ptr<BIO, free_with<BIO_free_all>>;
using bignum_ptr = std::unique_ptr<BIGNUM, free_with<BN_free>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, free_with<EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, free_with<X509_free>>;
using extension_ptr = std::unique_ptr<X509_EXTENSION, free_with<X509_EXTENSION_free>>;
using names_ptr = std::unique_ptr<GENERAL_NAMES, free_with<GENERAL_NAMES_free>>;
using name_ptr = std::unique_ptr<GENERAL_NAME, free_with<GENERAL_NAME_free>>;
using asn1_string_ptr = std::unique_ptr<ASN1_STRING, free_with<ASN1_STRING_free>>;

constexpr const char* generated_key_name = "key.pem"; // in state_dir
constexpr long validity_days = 825;
constexpr long renew_margin_seconds = 24L * 3600;
// TLS 1.2 suites: forward secret and AEAD only. TLS 1.3 keeps OpenSSL's defaults.
constexpr const char* tls12_ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// The most specific reason in OpenSSL's error queue, which is then cleared.
std::string openssl_reason() {
    const unsigned long e = ERR_peek_last_error();
    const char* reason = e != 0 ? ERR_reason_error_string(e) : nullptr;
    std::string text = reason != nullptr ? reason : "unknown OpenSSL error";
    ERR_clear_error();
    return text;
}

[[noreturn]] void fail(const std::string& what, const fs::path& file) {
    throw std::runtime_error("tls: " + what + " " + file.string() + ": " + openssl_reason());
}

// A daemon must never prompt on a terminal for a passphrase: encrypted keys fail to load.
int refuse_password(char*, int, int, void*) {
    return 0;
}

x509_ptr read_certificate(const fs::path& file) {
    bio_ptr bio(BIO_new_file(file.c_str(), "r"));
    if (!bio) {
        return nullptr;
    }
    return x509_ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

pkey_ptr read_private_key(const fs::path& file) {
    bio_ptr bio(BIO_new_file(file.c_str(), "r"));
    if (!bio) {
        return nullptr;
    }
    return pkey_ptr(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_password, nullptr));
}

bool is_p256(const EVP_PKEY* key) {
    std::array<char, 64> group{};
    return EVP_PKEY_is_a(key, "EC") == 1 &&
           EVP_PKEY_get_group_name(key, group.data(), group.size(), nullptr) == 1 &&
           std::string_view(group.data()) == "prime256v1";
}

// What the generated certificate must name.
struct san_set {
    std::vector<std::string> dns;
    std::vector<address> ips;
};

address normalized(const address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
    }
    return a;
}

bool is_dns_name(std::string_view s) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(std::string(s), ec);
    return !s.empty() && s.size() <= 253 && ec.failed() &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) {
               return std::isalnum(c) != 0 || c == '-' || c == '.';
           });
}

san_set wanted_sans(const std::vector<address>& extra_ips) {
    san_set s{{"localhost"},
              {boost::asio::ip::make_address("127.0.0.1"), boost::asio::ip::make_address("::1")}};
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) == 0) {
        std::string name(host.data());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (is_dns_name(name) && name != "localhost") {
            s.dns.push_back(name);
        }
    }
    for (const auto& raw : extra_ips) {
        const address a = normalized(raw);
        if (!a.is_unspecified() && std::find(s.ips.begin(), s.ips.end(), a) == s.ips.end()) {
            s.ips.push_back(a);
        }
    }
    return s;
}

san_set sans_of(const X509* cert) {
    san_set s;
    names_ptr names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
        if (n->type != GEN_DNS && n->type != GEN_IPADD) {
            continue; // other choices of the union are not ASN1_STRINGs
        }
        const auto* data = ASN1_STRING_get0_data(n->d.ia5);
        const auto size = static_cast<std::size_t>(ASN1_STRING_length(n->d.ia5));
        if (n->type == GEN_DNS) {
            s.dns.emplace_back(reinterpret_cast<const char*>(data), size);
        } else if (n->type == GEN_IPADD && size == 4) {
            boost::asio::ip::address_v4::bytes_type b;
            std::copy_n(data, 4, b.begin());
            s.ips.emplace_back(boost::asio::ip::address_v4(b));
        } else if (n->type == GEN_IPADD && size == 16) {
            boost::asio::ip::address_v6::bytes_type b;
            std::copy_n(data, 16, b.begin());
            s.ips.emplace_back(boost::asio::ip::address_v6(b));
        }
    }
    return s;
}

bool covers(const san_set& have, const san_set& want) {
    const auto in = [](const auto& v, const auto& x) {
        return std::find(v.begin(), v.end(), x) != v.end();
    };
    return std::all_of(want.dns.begin(), want.dns.end(),
                       [&](auto& d) { return in(have.dns, d); }) &&
           std::all_of(want.ips.begin(), want.ips.end(), [&](auto& a) { return in(have.ips, a); });
}

// Still good for at least a day, issued for this key, and naming everything we want.
bool still_usable(X509* cert, EVP_PKEY* key, const san_set& want) {
    std::time_t horizon = std::time(nullptr) + renew_margin_seconds;
    const bool ok = X509_cmp_time(X509_get0_notAfter(cert), &horizon) > 0 &&
                    X509_check_private_key(cert, key) == 1 && covers(sans_of(cert), want);
    ERR_clear_error();
    return ok;
}

void push_name(GENERAL_NAMES* names, int type, asn1_string_ptr value) {
    name_ptr name(GENERAL_NAME_new());
    if (!name || !value) {
        throw std::runtime_error("tls: out of memory building subjectAltName");
    }
    GENERAL_NAME_set0_value(name.get(), type, value.release());
    if (sk_GENERAL_NAME_push(names, name.get()) <= 0) {
        throw std::runtime_error("tls: out of memory building subjectAltName");
    }
    static_cast<void>(name.release()); // the stack owns it now
}

names_ptr make_san(const san_set& s) {
    names_ptr names(sk_GENERAL_NAME_new_null());
    for (const auto& dns : s.dns) {
        asn1_string_ptr v(ASN1_IA5STRING_new());
        if (v && ASN1_STRING_set(v.get(), dns.data(), static_cast<int>(dns.size())) != 1) {
            v.reset();
        }
        push_name(names.get(), GEN_DNS, std::move(v));
    }
    for (const auto& ip : s.ips) {
        asn1_string_ptr v(ASN1_OCTET_STRING_new());
        const auto set = [&](const auto& bytes) {
            return ASN1_OCTET_STRING_set(v.get(), bytes.data(), static_cast<int>(bytes.size()));
        };
        if (v && (ip.is_v4() ? set(ip.to_v4().to_bytes()) : set(ip.to_v6().to_bytes())) != 1) {
            v.reset();
        }
        push_name(names.get(), GEN_IPADD, std::move(v));
    }
    return names;
}

void add_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
    extension_ptr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
        throw std::runtime_error(std::string("tls: cannot add extension ") + OBJ_nid2sn(nid) +
                                 ": " + openssl_reason());
    }
}

void set_random_serial(X509* cert) {
    std::array<unsigned char, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        throw std::runtime_error("tls: RAND_bytes failed: " + openssl_reason());
    }
    bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x40); // positive, full 128 bits
    bignum_ptr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
    if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
        throw std::runtime_error("tls: cannot set serial number: " + openssl_reason());
    }
}

x509_ptr make_certificate(EVP_PKEY* key, const san_set& sans) {
    x509_ptr cert(X509_new());
    if (!cert) {
        throw std::runtime_error("tls: X509_new failed: " + openssl_reason());
    }
    X509_NAME* subject = X509_get_subject_name(cert.get());
    const auto* cn = reinterpret_cast<const unsigned char*>("icegate self-signed");
    const bool ok =
        X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
        X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr && // clock skew
        X509_gmtime_adj(X509_getm_notAfter(cert.get()), validity_days * 86400) != nullptr &&
        X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, cn, -1, -1, 0) == 1 &&
        X509_set_issuer_name(cert.get(), subject) == 1 && X509_set_pubkey(cert.get(), key) == 1;
    if (!ok) {
        throw std::runtime_error("tls: cannot build certificate: " + openssl_reason());
    }
    set_random_serial(cert.get());
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth");
    add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
    const names_ptr names = make_san(sans);
    if (X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) !=
            1 ||
        X509_sign(cert.get(), key, EVP_sha256()) <= 0) {
        throw std::runtime_error("tls: cannot sign certificate: " + openssl_reason());
    }
    return cert;
}

template <typename Write>
std::string to_pem(Write write) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!bio || write(bio.get()) != 1) {
        throw std::runtime_error("tls: cannot encode PEM: " + openssl_reason());
    }
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

[[noreturn]] void fail_errno(const std::string& what, const fs::path& file, int err) {
    throw std::runtime_error("tls: cannot " + what + " " + file.string() + ": " +
                             std::strerror(err));
}

// Writes beside the target and renames over it, so a crash never leaves a half-written file.
void write_file_atomic(const fs::path& file, const std::string& data, mode_t mode) {
    const fs::path tmp = file.string() + ".tmp";
    ::unlink(tmp.c_str());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) {
        fail_errno("create", tmp, errno);
    }
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno != EINTR) {
            const int err = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            fail_errno("write", tmp, err);
        }
        done += n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    const bool ok = ::fchmod(fd, mode) == 0 && ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
        const int rename_err = ok ? errno : err;
        ::unlink(tmp.c_str());
        fail_errno("write", file, rename_err);
    }
}

void ensure_state_dir(const fs::path& dir) {
    std::error_code ec;
    if (fs::is_directory(dir, ec)) {
        return;
    }
    if (fs::exists(dir, ec)) {
        throw std::runtime_error("tls: state_dir " + dir.string() + " is not a directory");
    }
    fs::create_directories(dir, ec);
    if (!ec) {
        fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    }
    if (ec) {
        throw std::runtime_error("tls: cannot create state_dir " + dir.string() + ": " +
                                 ec.message());
    }
}

// Missing is an answer; unreadable (a permission problem on the way) is an error, lest a
// deployed certificate be silently replaced by a self-signed one.
bool present(const fs::path& file) {
    std::error_code ec;
    const fs::file_status st = fs::status(file, ec);
    if (st.type() == fs::file_type::not_found) {
        return false;
    }
    if (ec) {
        throw std::runtime_error("tls: cannot access " + file.string() + ": " + ec.message());
    }
    return true;
}

// The self-signed pair in state_dir: reused while usable, the key kept across renewals.
tls_material ensure_generated(const fs::path& state_dir, const std::vector<address>& extra_ips) {
    if (state_dir.empty()) {
        throw std::runtime_error(
            "tls: no certificate configured and no state_dir to create one in");
    }
    ensure_state_dir(state_dir);
    tls_material m{state_dir / "cert.pem", state_dir / generated_key_name, true, false};
    const san_set want = wanted_sans(extra_ips);
    pkey_ptr key = read_private_key(m.private_key);
    if (key && !is_p256(key.get())) {
        key.reset();
    }
    ERR_clear_error();
    if (key) {
        const x509_ptr cert = read_certificate(m.certificate);
        ERR_clear_error();
        if (cert && still_usable(cert.get(), key.get(), want)) {
            return m;
        }
    } else {
        key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
        if (!key) {
            throw std::runtime_error("tls: EC P-256 key generation failed: " + openssl_reason());
        }
        write_file_atomic(m.private_key, to_pem([&](BIO* b) {
                              return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0,
                                                              nullptr, nullptr);
                          }),
                          0600);
    }
    const x509_ptr cert = make_certificate(key.get(), want);
    write_file_atomic(m.certificate,
                      to_pem([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); }), 0644);
    m.created = true;
    return m;
}

} // namespace

tls_material ensure_tls_material(const tls_settings& tls) {
    if (tls.certificate.empty() != tls.private_key.empty()) {
        throw std::runtime_error(tls.certificate.empty()
                                     ? "tls: private_key is set but certificate is not"
                                     : "tls: certificate is set but private_key is not");
    }
    if (!tls.certificate.empty()) {
        const bool have_cert = present(tls.certificate);
        const bool have_key = present(tls.private_key);
        if (have_cert && have_key) {
            return tls_material{tls.certificate, tls.private_key, false, false};
        }
        // Half a pair is a deployment mistake, not a first start: never paper over it.
        if (have_cert != have_key) {
            const auto& missing = have_cert ? tls.private_key : tls.certificate;
            throw std::runtime_error("tls: " + missing.string() + " is missing (its pair exists)");
        }
    }
    return ensure_generated(tls.state_dir, tls.extra_ips);
}

std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(const tls_material& m) {
    auto ctx = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    SSL_CTX* native = ctx->native_handle();
    ERR_clear_error();
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                    SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_clear_options(native, SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
    if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(native, tls12_ciphers) != 1) {
        throw std::runtime_error("tls: cannot configure protocol versions: " + openssl_reason());
    }
    SSL_CTX_set_default_passwd_cb(native, refuse_password);
    if (SSL_CTX_use_certificate_chain_file(native, m.certificate.c_str()) != 1) {
        fail("cannot load certificate chain", m.certificate);
    }
    const pkey_ptr key = read_private_key(m.private_key);
    if (!key) {
        fail("cannot load private key (PEM, unencrypted)", m.private_key);
    }
    if (X509_check_private_key(SSL_CTX_get0_certificate(native), key.get()) != 1) {
        ERR_clear_error();
        throw std::runtime_error("tls: private key " + m.private_key.string() +
                                 " does not match certificate " + m.certificate.string());
    }
    if (SSL_CTX_use_PrivateKey(native, key.get()) != 1 || SSL_CTX_check_private_key(native) != 1) {
        fail("cannot use private key", m.private_key);
    }
    return ctx;
}

std::optional<std::string> private_key_mode_warning(const std::filesystem::path& key) {
    struct stat st {};
    if (key.empty() || ::stat(key.c_str(), &st) != 0) {
        return std::nullopt;
    }
    const mode_t open_bits = st.st_mode & (S_IRWXG | S_IRWXO);
    if (open_bits == 0) {
        return std::nullopt;
    }
    const bool group = (open_bits & S_IRWXG) != 0;
    const bool others = (open_bits & S_IRWXO) != 0;
    std::array<char, 8> mode{};
    std::snprintf(mode.data(), mode.size(), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return "tls: private key " + key.string() + " is accessible to " +
           (group && others ? "its group and others"
            : group         ? "its group"
                            : "others") +
           " (mode " + mode.data() +
           "); anyone who can read it can impersonate this server: run `chmod 600 " + key.string() +
           "`";
}

std::filesystem::path private_key_in_use(const tls_settings& tls) {
    std::error_code ec;
    if (!tls.private_key.empty() && fs::exists(tls.private_key, ec)) {
        return tls.private_key;
    }
    const fs::path generated = tls.state_dir / generated_key_name;
    return !tls.state_dir.empty() && fs::exists(generated, ec) ? generated : fs::path();
}

std::string spki_sha256_base64(const std::filesystem::path& certificate) {
    const x509_ptr cert = read_certificate(certificate);
    if (!cert) {
        fail("cannot read certificate", certificate);
    }
    std::string pin = spki_sha256_base64(*cert);
    if (pin.empty()) {
        fail("cannot hash public key of", certificate);
    }
    return pin;
}

std::string spki_sha256_base64(const X509& certificate) {
    unsigned char* der = nullptr;
    const int size = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(&certificate), &der);
    const std::unique_ptr<unsigned char, openssl_free> owned(der);
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int digest_size = 0;
    if (size <= 0 || EVP_Digest(der, static_cast<std::size_t>(size), digest.data(), &digest_size,
                                EVP_sha256(), nullptr) != 1) {
        return {};
    }
    std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> text{};
    const int length = EVP_EncodeBlock(text.data(), digest.data(), static_cast<int>(digest_size));
    return std::string(reinterpret_cast<const char*>(text.data()),
                       static_cast<std::size_t>(length));
}

} // namespace icegate::net
