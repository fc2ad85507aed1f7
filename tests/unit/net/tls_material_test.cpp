// Tests for src/net/tls_material: self-signed generation and reuse, SANs, the configured pair, the
// server context's protocol floor (real in-memory handshakes) and the SPKI pin.
#include "icegate/net/tls_material.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

namespace icegate::net {
namespace {

namespace fs = std::filesystem;
using boost::asio::ip::make_address;

struct x509_free {
    void operator()(X509* p) const { X509_free(p); }
};
struct pkey_free {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct ssl_ctx_free {
    void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct ssl_free {
    void operator()(SSL* p) const { SSL_free(p); }
};
struct names_free {
    void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
using x509_ptr = std::unique_ptr<X509, x509_free>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, ssl_ctx_free>;
using ssl_ptr = std::unique_ptr<SSL, ssl_free>;

std::string read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

x509_ptr load_cert(const fs::path& p) {
    FILE* f = std::fopen(p.c_str(), "r");
    if (f == nullptr) {
        return nullptr;
    }
    x509_ptr cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    return cert;
}

pkey_ptr load_key(const fs::path& p) {
    FILE* f = std::fopen(p.c_str(), "r");
    if (f == nullptr) {
        return nullptr;
    }
    pkey_ptr key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    return key;
}

// DNS names as written, IP addresses in their usual text form.
std::vector<std::string> sans(X509* cert) {
    std::vector<std::string> out;
    std::unique_ptr<GENERAL_NAMES, names_free> names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
        const unsigned char* d = ASN1_STRING_get0_data(n->d.ia5);
        const int len = ASN1_STRING_length(n->d.ia5);
        if (n->type == GEN_DNS) {
            out.emplace_back("DNS:" + std::string(reinterpret_cast<const char*>(d), len));
        } else if (n->type == GEN_IPADD && len == 4) {
            boost::asio::ip::address_v4::bytes_type b;
            std::copy_n(d, 4, b.begin());
            out.emplace_back("IP:" + boost::asio::ip::address_v4(b).to_string());
        } else if (n->type == GEN_IPADD && len == 16) {
            boost::asio::ip::address_v6::bytes_type b;
            std::copy_n(d, 16, b.begin());
            out.emplace_back("IP:" + boost::asio::ip::address_v6(b).to_string());
        }
    }
    return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

std::string base64(const unsigned char* data, std::size_t size) {
    constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < size; i += 3) {
        const unsigned v = (data[i] << 16) | (i + 1 < size ? data[i + 1] << 8 : 0) |
                           (i + 2 < size ? data[i + 2] : 0);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += i + 1 < size ? alphabet[(v >> 6) & 63] : '=';
        out += i + 2 < size ? alphabet[v & 63] : '=';
    }
    return out;
}

struct handshake_result {
    bool ok = false;
    int version = 0;
    int server_reason = 0; // ERR_GET_REASON of the server's failure
};

// A full handshake over an in-memory BIO pair. The client accepts anything from TLS 1.0 up to
// `client_max` at security level 0, so a refusal comes from the server, and verifies the
// server certificate against `trust` for `host` (a DNS name or an IP address).
handshake_result handshake(SSL_CTX* server_ctx, int client_max, const fs::path& trust,
                           const std::string& host) {
    ssl_ctx_ptr client_ctx(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_security_level(client_ctx.get(), 0);
    SSL_CTX_set_cipher_list(client_ctx.get(), "ALL:@SECLEVEL=0");
    SSL_CTX_set_min_proto_version(client_ctx.get(), TLS1_VERSION);
    SSL_CTX_set_max_proto_version(client_ctx.get(), client_max);
    SSL_CTX_load_verify_locations(client_ctx.get(), trust.c_str(), nullptr);
    SSL_CTX_set_verify(client_ctx.get(), SSL_VERIFY_PEER, nullptr);
    ssl_ptr client(SSL_new(client_ctx.get()));
    ssl_ptr server(SSL_new(server_ctx));
    boost::system::error_code ec;
    const auto ip = make_address(host, ec);
    if (ec) {
        SSL_set1_host(client.get(), host.c_str());
    } else {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(client.get()), ip.to_string().c_str());
    }
    BIO* client_bio = nullptr;
    BIO* server_bio = nullptr;
    BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
    SSL_set_bio(client.get(), client_bio, client_bio);
    SSL_set_bio(server.get(), server_bio, server_bio);
    SSL_set_connect_state(client.get());
    SSL_set_accept_state(server.get());
    const auto stuck = [](SSL* s, int rc) {
        const int e = SSL_get_error(s, rc);
        return rc != 1 && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
    };
    handshake_result r;
    for (int round = 0; round < 20; ++round) {
        const int c = SSL_do_handshake(client.get());
        if (stuck(client.get(), c)) {
            break;
        }
        const int s = SSL_do_handshake(server.get());
        if (stuck(server.get(), s)) {
            r.server_reason = ERR_GET_REASON(ERR_peek_last_error());
            break;
        }
        if (c == 1 && s == 1) {
            r.ok = true;
            r.version = SSL_version(client.get());
            break;
        }
    }
    ERR_clear_error();
    return r;
}

class TlsTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "icegate-tls-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        root_ = pattern;
        state_ = root_ / "state";
    }
    void TearDown() override { fs::remove_all(root_); }

    fs::path root_;
    fs::path state_;
};

TEST_F(TlsTest, GeneratesSelfSignedPairWithPrivateModes) {
    const tls_material m = ensure_tls_material({{}, {}, state_, {}});
    EXPECT_TRUE(m.generated);
    EXPECT_TRUE(m.created);
    EXPECT_EQ(m.certificate, state_ / "cert.pem");
    EXPECT_EQ(m.private_key, state_ / "key.pem");
    ASSERT_TRUE(fs::is_regular_file(m.certificate));
    ASSERT_TRUE(fs::is_regular_file(m.private_key));
    const auto mode = [](const fs::path& p) {
        return fs::status(p).permissions() & fs::perms::all;
    };
    EXPECT_EQ(mode(m.private_key), fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_EQ(mode(state_), fs::perms::owner_all);
    EXPECT_EQ(mode(m.certificate) & (fs::perms::group_write | fs::perms::others_write),
              fs::perms::none);
    EXPECT_FALSE(fs::exists(state_ / "cert.pem.tmp"));
    EXPECT_FALSE(fs::exists(state_ / "key.pem.tmp"));
}

TEST_F(TlsTest, ReusesGeneratedPair) {
    const std::vector extra{make_address("192.0.2.10")};
    const tls_material first = ensure_tls_material({{}, {}, state_, extra});
    const std::string cert = read_bytes(first.certificate);
    const std::string key = read_bytes(first.private_key);
    const tls_material second = ensure_tls_material({{}, {}, state_, extra});
    EXPECT_TRUE(second.generated);
    EXPECT_FALSE(second.created);
    EXPECT_EQ(read_bytes(second.certificate), cert);
    EXPECT_EQ(read_bytes(second.private_key), key);
}

TEST_F(TlsTest, CertificateNamesLocalAndExtraAddresses) {
    const std::vector extra{make_address("203.0.113.5"), make_address("0.0.0.0"),
                            make_address("::"), make_address("2001:db8::7")};
    const auto cert = load_cert(ensure_tls_material({{}, {}, state_, extra}).certificate);
    ASSERT_TRUE(cert);
    const auto names = sans(cert.get());
    EXPECT_TRUE(contains(names, "DNS:localhost"));
    EXPECT_TRUE(contains(names, "IP:127.0.0.1"));
    EXPECT_TRUE(contains(names, "IP:::1"));
    EXPECT_TRUE(contains(names, "IP:203.0.113.5"));
    EXPECT_TRUE(contains(names, "IP:2001:db8::7"));
    EXPECT_FALSE(contains(names, "IP:0.0.0.0"));
    EXPECT_FALSE(contains(names, "IP:::"));
    std::array<char, 256> host{};
    ASSERT_EQ(::gethostname(host.data(), host.size() - 1), 0);
    std::string hostname(host.data());
    std::transform(hostname.begin(), hostname.end(), hostname.begin(), ::tolower);
    if (hostname != "localhost" && hostname.find_first_of(" ,") == std::string::npos) {
        EXPECT_TRUE(contains(names, "DNS:" + hostname)) << hostname;
    }
    // A leaf for servers: not a CA, serverAuth, 128-bit serial, signed with SHA-256.
    EXPECT_EQ(X509_check_ca(cert.get()), 0);
    EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
    EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);
    EXPECT_EQ(ASN1_STRING_length(X509_get0_serialNumber(cert.get())), 16);
    int days = 0;
    int seconds = 0;
    ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert.get()),
                             X509_get0_notAfter(cert.get())),
              1);
    EXPECT_EQ(days, 825);
}

TEST_F(TlsTest, KeyIsEcP256) {
    const auto key = load_key(ensure_tls_material({{}, {}, state_, {}}).private_key);
    ASSERT_TRUE(key);
    EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_EC);
    std::array<char, 64> group{};
    ASSERT_EQ(EVP_PKEY_get_group_name(key.get(), group.data(), group.size(), nullptr), 1);
    EXPECT_STREQ(group.data(), "prime256v1");
}

TEST_F(TlsTest, NewAddressReissuesCertificateWithSameKey) {
    const tls_material first = ensure_tls_material({{}, {}, state_, {}});
    const std::string pin = spki_sha256_base64(first.certificate);
    const std::string cert = read_bytes(first.certificate);
    const tls_material second =
        ensure_tls_material({{}, {}, state_, {make_address("198.51.100.7")}});
    EXPECT_TRUE(second.created);
    EXPECT_NE(read_bytes(second.certificate), cert);
    EXPECT_EQ(spki_sha256_base64(second.certificate), pin);
    EXPECT_TRUE(contains(sans(load_cert(second.certificate).get()), "IP:198.51.100.7"));
}

TEST_F(TlsTest, ExpiredCertificateIsRenewed) {
    const tls_material m = ensure_tls_material({{}, {}, state_, {}});
    const auto key = load_key(m.private_key);
    const auto cert = load_cert(m.certificate);
    ASSERT_TRUE(key && cert);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -10L * 86400);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), -86400);
    ASSERT_GT(X509_sign(cert.get(), key.get(), EVP_sha256()), 0);
    FILE* f = std::fopen(m.certificate.c_str(), "w");
    ASSERT_NE(f, nullptr);
    PEM_write_X509(f, cert.get());
    std::fclose(f);

    const tls_material renewed = ensure_tls_material({{}, {}, state_, {}});
    EXPECT_TRUE(renewed.created);
    const auto fresh = load_cert(renewed.certificate);
    ASSERT_TRUE(fresh);
    EXPECT_GT(X509_cmp_current_time(X509_get0_notAfter(fresh.get())), 0);
}

TEST_F(TlsTest, UsesConfiguredPairWhenPresent) {
    const tls_material made = ensure_tls_material({{}, {}, root_ / "elsewhere", {}});
    const tls_settings configured{made.certificate, made.private_key, state_, {}};
    const tls_material m = ensure_tls_material(configured);
    EXPECT_FALSE(m.generated);
    EXPECT_FALSE(m.created);
    EXPECT_EQ(m.certificate, made.certificate);
    EXPECT_EQ(m.private_key, made.private_key);
    EXPECT_FALSE(fs::exists(state_));
    EXPECT_NO_THROW(make_server_tls_context(m));
}

TEST_F(TlsTest, MissingConfiguredPairFallsBackToStateDir) {
    const tls_settings configured{root_ / "missing.pem", root_ / "missing.key", state_, {}};
    const tls_material m = ensure_tls_material(configured);
    EXPECT_TRUE(m.generated);
    EXPECT_EQ(m.certificate, state_ / "cert.pem");
    EXPECT_FALSE(fs::exists(configured.certificate));
}

TEST_F(TlsTest, HalfConfiguredPairIsAnError) {
    EXPECT_THROW(ensure_tls_material({root_ / "cert.pem", {}, state_, {}}), std::runtime_error);
    EXPECT_THROW(ensure_tls_material({{}, root_ / "key.pem", state_, {}}), std::runtime_error);
    const tls_material made = ensure_tls_material({{}, {}, root_ / "elsewhere", {}});
    try {
        ensure_tls_material({made.certificate, root_ / "gone.key", state_, {}});
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("gone.key"), std::string::npos) << e.what();
    }
}

TEST_F(TlsTest, MismatchedKeyIsRejected) {
    const tls_material a = ensure_tls_material({{}, {}, root_ / "a", {}});
    const tls_material b = ensure_tls_material({{}, {}, root_ / "b", {}});
    try {
        make_server_tls_context({a.certificate, b.private_key});
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("does not match"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(b.private_key.string()), std::string::npos);
    }
}

TEST_F(TlsTest, UnreadableFilesAreNamed) {
    const fs::path missing = root_ / "nothing.pem";
    try {
        make_server_tls_context({missing, missing});
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
    }
    EXPECT_THROW(spki_sha256_base64(missing), std::runtime_error);
}

TEST_F(TlsTest, ContextRefusesTls11AndAcceptsTls12And13) {
    const tls_material m = ensure_tls_material({{}, {}, state_, {}});
    const auto ctx = make_server_tls_context(m);
    SSL_CTX* server = ctx->native_handle();
    EXPECT_EQ(SSL_CTX_get_min_proto_version(server), TLS1_2_VERSION);
    EXPECT_NE(SSL_CTX_get_options(server) & SSL_OP_NO_COMPRESSION, 0U);
    EXPECT_NE(SSL_CTX_get_options(server) & SSL_OP_NO_RENEGOTIATION, 0U);
    EXPECT_NE(SSL_CTX_get_options(server) & SSL_OP_CIPHER_SERVER_PREFERENCE, 0U);

    const handshake_result old = handshake(server, TLS1_1_VERSION, m.certificate, "localhost");
    EXPECT_FALSE(old.ok);
    EXPECT_EQ(old.server_reason, SSL_R_UNSUPPORTED_PROTOCOL);

    const handshake_result v12 = handshake(server, TLS1_2_VERSION, m.certificate, "localhost");
    EXPECT_TRUE(v12.ok);
    EXPECT_EQ(v12.version, TLS1_2_VERSION);
    const handshake_result v13 = handshake(server, TLS1_3_VERSION, m.certificate, "127.0.0.1");
    EXPECT_TRUE(v13.ok);
    EXPECT_EQ(v13.version, TLS1_3_VERSION);
    EXPECT_TRUE(handshake(server, TLS1_3_VERSION, m.certificate, "::1").ok);
    // The client really verifies: a name the certificate does not carry fails.
    EXPECT_FALSE(handshake(server, TLS1_3_VERSION, m.certificate, "example.com").ok);
}

TEST_F(TlsTest, SpkiPinMatchesIndependentComputation) {
    const tls_material m = ensure_tls_material({{}, {}, state_, {}});
    const std::string pin = spki_sha256_base64(m.certificate);
    EXPECT_EQ(pin.size(), 44U);

    const auto cert = load_cert(m.certificate);
    ASSERT_TRUE(cert);
    unsigned char* der = nullptr;
    const int size = i2d_PUBKEY(X509_get0_pubkey(cert.get()), &der);
    ASSERT_GT(size, 0);
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    SHA256(der, static_cast<std::size_t>(size), digest.data());
    OPENSSL_free(der);
    EXPECT_EQ(pin, base64(digest.data(), digest.size()));
    // In memory (the probe pins a peer's certificate after the handshake): the same value.
    EXPECT_EQ(spki_sha256_base64(*cert), pin);

    // The recipe from Chromium's documentation, when the tools are around.
    if (std::system("command -v openssl >/dev/null && command -v base64 >/dev/null") == 0) {
        const std::string cmd = "openssl x509 -in '" + m.certificate.string() +
                                "' -pubkey -noout | openssl pkey -pubin -outform der | "
                                "openssl dgst -sha256 -binary | base64";
        FILE* p = ::popen(cmd.c_str(), "r");
        ASSERT_NE(p, nullptr);
        std::array<char, 128> line{};
        const bool got = std::fgets(line.data(), line.size(), p) != nullptr;
        ::pclose(p);
        ASSERT_TRUE(got);
        EXPECT_EQ(pin + "\n", std::string(line.data()));
    }
}

// A key others can read lets them impersonate the server: warned with the path and the fix.
TEST_F(TlsTest, KeyModeWarningNamesAnOpenKeyAndTheFix) {
    const tls_material m = ensure_tls_material({{}, {}, state_, {}});
    EXPECT_EQ(private_key_mode_warning(m.private_key), std::nullopt); // 0600 as generated
    const auto warn_for = [&](fs::perms p) {
        fs::permissions(m.private_key, p, fs::perm_options::replace);
        return private_key_mode_warning(m.private_key).value_or("");
    };
    using fs::perms;
    const std::string group = warn_for(perms::owner_read | perms::owner_write | perms::group_read);
    EXPECT_NE(group.find(m.private_key.string()), std::string::npos) << group;
    EXPECT_NE(group.find("(mode 0640)"), std::string::npos) << group;
    EXPECT_NE(group.find("its group"), std::string::npos) << group;
    EXPECT_NE(group.find("chmod 600 " + m.private_key.string()), std::string::npos) << group;
    const std::string world = warn_for(perms::owner_read | perms::others_read);
    EXPECT_NE(world.find("(mode 0404)"), std::string::npos) << world;
    EXPECT_NE(world.find("accessible to others"), std::string::npos) << world;
    const std::string both = warn_for(perms::owner_read | perms::group_read | perms::others_read);
    EXPECT_NE(both.find("its group and others"), std::string::npos) << both;
    // Writable by the group is as bad: it can swap the key.
    EXPECT_NE(warn_for(perms::owner_read | perms::group_write), "");
    EXPECT_EQ(warn_for(perms::owner_read), "");
    EXPECT_EQ(private_key_mode_warning(root_ / "missing.key"), std::nullopt);
    EXPECT_EQ(private_key_mode_warning({}), std::nullopt);
}

TEST_F(TlsTest, GeneratedKeyIsPrivateWhateverTheUmask) {
    const mode_t old = ::umask(0);
    const tls_material m = ensure_tls_material({{}, {}, state_, {}});
    ::umask(old);
    EXPECT_EQ(fs::status(m.private_key).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_EQ(private_key_mode_warning(m.private_key), std::nullopt);
}

TEST_F(TlsTest, KeyInUseIsTheConfiguredOneElseTheGeneratedOne) {
    EXPECT_EQ(private_key_in_use({{}, {}, state_, {}}), fs::path()); // nothing generated yet
    const tls_material gen = ensure_tls_material({{}, {}, state_, {}});
    EXPECT_EQ(private_key_in_use({{}, {}, state_, {}}), gen.private_key);
    const tls_material other = ensure_tls_material({{}, {}, root_ / "other", {}});
    EXPECT_EQ(private_key_in_use({other.certificate, other.private_key, state_, {}}),
              other.private_key);
    EXPECT_EQ(private_key_in_use({}), fs::path());
}

} // namespace
} // namespace icegate::net
