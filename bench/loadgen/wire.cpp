// wire: request encoding with MESSAGE-INTEGRITY, response decoding.
#include "wire.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>

namespace icegate::bench {

namespace {

constexpr std::uint32_t magic = 0x2112A442;
constexpr std::uint16_t attr_username = 0x0006;
constexpr std::uint16_t attr_integrity = 0x0008;
constexpr std::uint16_t attr_error = 0x0009;
constexpr std::uint16_t attr_realm = 0x0014;
constexpr std::uint16_t attr_nonce = 0x0015;
constexpr std::uint16_t attr_relayed = 0x0016;

} // namespace

request_builder::request_builder(std::uint16_t method, const txid& id) {
    put_u16(buf_.data(), method); // class bits 0: request
    buf_[4] = 0x21;
    buf_[5] = 0x12;
    buf_[6] = 0xA4;
    buf_[7] = 0x42;
    std::memcpy(buf_.data() + 8, id.data(), id.size());
}

void request_builder::set_length(std::size_t body) noexcept {
    put_u16(buf_.data() + 2, static_cast<std::uint16_t>(body));
}

void request_builder::add(std::uint16_t type, const void* value, std::size_t size) {
    const std::size_t padded = (size + 3) & ~std::size_t{3};
    if (len_ + 4 + padded > buf_.size()) {
        return; // never happens with the attributes we send
    }
    put_u16(buf_.data() + len_, type);
    put_u16(buf_.data() + len_ + 2, static_cast<std::uint16_t>(size));
    std::memcpy(buf_.data() + len_ + 4, value, size);
    std::memset(buf_.data() + len_ + 4 + size, 0, padded - size);
    len_ += 4 + padded;
    set_length(len_ - 20);
}

void request_builder::add_u32(std::uint16_t type, std::uint32_t value) {
    const std::uint32_t be = htonl(value);
    add(type, &be, 4);
}

void request_builder::add_xor_address(std::uint16_t type, const sockaddr_in& addr) {
    std::uint8_t v[8] = {0, 0x01};
    put_u16(v + 2, static_cast<std::uint16_t>(ntohs(addr.sin_port) ^ (magic >> 16)));
    const std::uint32_t ip = ntohl(addr.sin_addr.s_addr) ^ magic;
    const std::uint32_t be = htonl(ip);
    std::memcpy(v + 4, &be, 4);
    add(type, v, sizeof v);
}

void request_builder::sign(std::string_view user, std::string_view realm, std::string_view nonce,
                           const md5_key& key) {
    add(attr_username, user.data(), user.size());
    add(attr_realm, realm.data(), realm.size());
    add(attr_nonce, nonce.data(), nonce.size());
    // The length covers MESSAGE-INTEGRITY itself while the MAC is computed (RFC 8489 14.5).
    set_length(len_ - 20 + 24);
    std::uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), buf_.data(), len_, mac, &mac_len);
    add(attr_integrity, mac, 20);
}

std::optional<response> parse_response(std::span<const std::uint8_t> b) {
    if (b.size() < 20 || (b[0] & 0xC0) != 0 || get_u16(b.data() + 4) != (magic >> 16)) {
        return std::nullopt;
    }
    const std::size_t length = get_u16(b.data() + 2);
    if (20 + length > b.size()) {
        return std::nullopt;
    }
    response r;
    r.type = get_u16(b.data());
    std::memcpy(r.id.data(), b.data() + 8, r.id.size());
    std::size_t pos = 20;
    while (pos + 4 <= 20 + length) {
        const std::uint16_t type = get_u16(b.data() + pos);
        const std::size_t size = get_u16(b.data() + pos + 2);
        const std::uint8_t* v = b.data() + pos + 4;
        if (pos + 4 + size > 20 + length) {
            break;
        }
        if (type == attr_error && size >= 4) {
            r.error = static_cast<std::uint16_t>((v[2] & 0x07) * 100 + v[3]);
        } else if (type == attr_nonce) {
            r.nonce.assign(reinterpret_cast<const char*>(v), size);
        } else if (type == attr_realm) {
            r.realm.assign(reinterpret_cast<const char*>(v), size);
        } else if (type == attr_relayed && size == 8 && v[1] == 0x01) {
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(static_cast<std::uint16_t>(get_u16(v + 2) ^ (magic >> 16)));
            std::uint32_t ip = 0;
            std::memcpy(&ip, v + 4, 4);
            a.sin_addr.s_addr = htonl(ntohl(ip) ^ magic);
            r.relayed = a;
        }
        pos += 4 + ((size + 3) & ~std::size_t{3});
    }
    return r;
}

md5_key long_term_key(std::string_view user, std::string_view realm, std::string_view password) {
    std::string s;
    s.append(user).append(":").append(realm).append(":").append(password);
    md5_key k{};
    unsigned len = 0;
    EVP_Digest(s.data(), s.size(), k.data(), &len, EVP_md5(), nullptr);
    return k;
}

} // namespace icegate::bench
