// HMAC and digests through OpenSSL 3's EVP_MAC/EVP_MD, CRC-32 through zlib.
#include "icegate/stun/crypto.hpp"

#include <array>
#include <climits>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <zlib.h>

namespace icegate::stun::detail {
namespace {

// Algorithm objects are fetched once and never change: immutable after thread-safe static
// initialization, so sharing them between workers needs no lock (OpenSSL 3 guarantees it).
const EVP_MD* fetch_md(digest_kind kind) noexcept {
    static EVP_MD* const md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
    static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    switch (kind) {
    case digest_kind::md5:
        return md5;
    case digest_kind::sha1:
        return sha1;
    case digest_kind::sha256:
        return sha256;
    }
    return nullptr;
}

const char* md_name(digest_kind kind) noexcept {
    return kind == digest_kind::sha256 ? "SHA256" : kind == digest_kind::sha1 ? "SHA1" : "MD5";
}

EVP_MAC* fetch_hmac() noexcept {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    return mac;
}

// One HMAC context per digest and thread, its digest set once: EVP_MAC_init with a key and no
// params then only re-keys it. Passing the digest name on every init, as a fresh context needs,
// re-fetched the digest from the library context each time, which showed in the CPU cost of
// every TURN allocation. A context is mutable, hence one per thread rather than shared.
class thread_mac_contexts {
public:
    thread_mac_contexts() = default;
    thread_mac_contexts(const thread_mac_contexts&) = delete;
    thread_mac_contexts& operator=(const thread_mac_contexts&) = delete;
    ~thread_mac_contexts() {
        for (EVP_MAC_CTX* ctx : contexts_) {
            EVP_MAC_CTX_free(ctx);
        }
    }

    // Null on an OpenSSL failure; the next call tries again.
    EVP_MAC_CTX* get(digest_kind kind) noexcept {
        EVP_MAC_CTX*& ctx = contexts_[static_cast<std::size_t>(kind)];
        if (ctx == nullptr) {
            ctx = make(kind);
        }
        return ctx;
    }

private:
    static EVP_MAC_CTX* make(digest_kind kind) noexcept {
        EVP_MAC* mac = fetch_hmac();
        EVP_MAC_CTX* ctx = mac == nullptr ? nullptr : EVP_MAC_CTX_new(mac);
        const OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                             const_cast<char*>(md_name(kind)), 0),
            OSSL_PARAM_construct_end(),
        };
        if (ctx != nullptr && EVP_MAC_CTX_set_params(ctx, params) != 1) {
            EVP_MAC_CTX_free(ctx);
            ctx = nullptr;
        }
        return ctx;
    }

    std::array<EVP_MAC_CTX*, 3> contexts_{}; // indexed by digest_kind
};

} // namespace

bool digest(digest_kind kind, parts input, std::span<std::uint8_t> out) noexcept {
    const EVP_MD* md = fetch_md(kind);
    if (md == nullptr || out.size() != static_cast<std::size_t>(EVP_MD_get_size(md))) {
        return false;
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    bool ok = ctx != nullptr && EVP_DigestInit_ex2(ctx, md, nullptr) == 1;
    for (auto part : input) {
        ok = ok && EVP_DigestUpdate(ctx, part.data(), part.size()) == 1;
    }
    unsigned int written = 0;
    ok = ok && EVP_DigestFinal_ex(ctx, out.data(), &written) == 1 && written == out.size();
    EVP_MD_CTX_free(ctx);
    return ok;
}

bool hmac(digest_kind kind, std::span<const std::uint8_t> key, parts input,
          std::span<std::uint8_t> out) noexcept {
    thread_local thread_mac_contexts contexts;
    EVP_MAC_CTX* ctx = contexts.get(kind);
    if (ctx == nullptr) {
        return false;
    }
    // A null key pointer means "keep the previous key" to OpenSSL; an empty key is still a key.
    // Always passing one re-keys the reused context, so no earlier call's key carries over.
    static const std::uint8_t empty_key = 0;
    const std::uint8_t* key_data = key.empty() ? &empty_key : key.data();
    bool ok = EVP_MAC_init(ctx, key_data, key.size(), nullptr) == 1;
    for (auto part : input) {
        ok = ok && EVP_MAC_update(ctx, part.data(), part.size()) == 1;
    }
    std::size_t written = 0;
    ok = ok && EVP_MAC_final(ctx, out.data(), &written, out.size()) == 1 && written == out.size();
    return ok;
}

std::uint32_t crc32(parts input) noexcept {
    uLong crc = ::crc32(0L, Z_NULL, 0);
    for (auto part : input) {
        // STUN messages are < 64 KiB, far below zlib's uInt limit.
        crc = ::crc32(crc, part.data(), static_cast<uInt>(part.size()));
    }
    return static_cast<std::uint32_t>(crc);
}

bool constant_time_equal(std::span<const std::uint8_t> a,
                         std::span<const std::uint8_t> b) noexcept {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace icegate::stun::detail
