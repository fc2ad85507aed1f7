// Resume tokens sealed with libsodium's XChaCha20-Poly1305 (a random 24-byte nonce per token
// is safe at any rate a server issues them).
#include "resume_token.hpp"

#include <sodium.h>

#include <array>
#include <span>
#include <tuple>
#include <vector>

namespace icegate::signal {
namespace {

constexpr std::uint8_t token_version = 1;
constexpr std::size_t nonce_bytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t tag_bytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
// Longer than any token we make (about 700 characters at most: a 256-byte name and a
// 128-byte hash); the parser bounds `resume` to 1024 bytes anyway.
constexpr std::size_t max_token_chars = 1024;

static_assert(std::tuple_size_v<resume_key> == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

void put_u64(std::vector<std::uint8_t>& out, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) {
        out.push_back(static_cast<std::uint8_t>(v >> shift));
    }
}

void put_text(std::vector<std::uint8_t>& out, std::string_view s) {
    out.push_back(static_cast<std::uint8_t>(s.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
}

// Reads the plaintext back; every read is bounds-checked, a short buffer fails the whole parse.
class reader {
public:
    explicit reader(const std::vector<std::uint8_t>& in) : in_(in) {}

    bool u64(std::uint64_t& v) {
        if (in_.size() - pos_ < 8) {
            return false;
        }
        v = 0;
        for (int i = 0; i < 8; ++i) {
            v = (v << 8) | in_[pos_++];
        }
        return true;
    }
    bool text(std::string& s) {
        if (in_.size() - pos_ < 2) {
            return false;
        }
        const std::size_t n = (std::size_t{in_[pos_]} << 8) | in_[pos_ + 1];
        pos_ += 2;
        if (in_.size() - pos_ < n) {
            return false;
        }
        s.assign(in_.begin() + static_cast<std::ptrdiff_t>(pos_),
                 in_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
        pos_ += n;
        return true;
    }
    bool at_end() const noexcept { return pos_ == in_.size(); }

private:
    const std::vector<std::uint8_t>& in_;
    std::size_t pos_ = 0;
};

// The associated data: the version and the room, so neither can be swapped.
std::vector<std::uint8_t> associated(std::string_view room) {
    std::vector<std::uint8_t> ad{token_version};
    ad.insert(ad.end(), room.begin(), room.end());
    return ad;
}

std::string to_base64url(const std::vector<std::uint8_t>& raw) {
    std::string text(sodium_base64_ENCODED_LEN(raw.size(), variant), '\0');
    sodium_bin2base64(text.data(), text.size(), raw.data(), raw.size(), variant);
    text.resize(text.size() - 1); // the terminating NUL
    return text;
}

} // namespace

std::string seal_resume_token(const resume_key& key, std::string_view room, const resume_claims& c,
                              const random_source& random) {
    std::vector<std::uint8_t> plain;
    plain.reserve(8 + 8 + 6 + c.session.size() + c.name.size() + c.password_hash.size());
    put_u64(plain, c.instance);
    put_u64(plain, static_cast<std::uint64_t>(c.expires_ms));
    put_text(plain, c.session);
    put_text(plain, c.name);
    put_text(plain, c.password_hash);

    std::vector<std::uint8_t> raw(1 + nonce_bytes + plain.size() + tag_bytes);
    raw[0] = token_version;
    std::uint8_t* nonce = raw.data() + 1;
    random(std::span<std::uint8_t>(nonce, nonce_bytes));
    const auto ad = associated(room);
    unsigned long long sealed = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + nonce_bytes, &sealed, plain.data(),
                                               plain.size(), ad.data(), ad.size(), nullptr, nonce,
                                               key.data());
    return to_base64url(raw);
}

std::optional<resume_claims> open_resume_token(const resume_key& key, std::string_view room,
                                               std::string_view token) {
    if (token.empty() || token.size() > max_token_chars) {
        return std::nullopt;
    }
    std::array<std::uint8_t, max_token_chars> raw{};
    std::size_t len = 0;
    const char* end = nullptr;
    if (sodium_base642bin(raw.data(), raw.size(), token.data(), token.size(), nullptr, &len, &end,
                          variant) != 0 ||
        end != token.data() + token.size() || len < 1 + nonce_bytes + tag_bytes ||
        raw[0] != token_version) {
        return std::nullopt;
    }
    const std::uint8_t* nonce = raw.data() + 1;
    const std::uint8_t* sealed = nonce + nonce_bytes;
    const std::size_t sealed_len = len - 1 - nonce_bytes;
    std::vector<std::uint8_t> plain(sealed_len - tag_bytes);
    unsigned long long plain_len = 0;
    const auto ad = associated(room);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain.data(), &plain_len, nullptr, sealed,
                                                   sealed_len, ad.data(), ad.size(), nonce,
                                                   key.data()) != 0) {
        return std::nullopt;
    }
    resume_claims c;
    std::uint64_t expires = 0;
    reader r(plain);
    if (!r.u64(c.instance) || !r.u64(expires) || !r.text(c.session) || !r.text(c.name) ||
        !r.text(c.password_hash) || !r.at_end() || c.session.empty()) {
        return std::nullopt; // cannot happen for a token we sealed: a bug, or a reused key
    }
    c.expires_ms = static_cast<std::int64_t>(expires);
    return c;
}

} // namespace icegate::signal
