// authenticator: the RFC 8489 section 9.2.4 checks for long-term credentials, static users
// (stored as keys) and TURN REST usernames (draft-uberti-behave-turn-rest).
#include "icegate/turn/auth.hpp"

#include <algorithm>
#include <stdexcept>

#include <openssl/crypto.h>

#include "icegate/stun/attributes.hpp"
#include "icegate/stun/error_code_attribute.hpp"
#include "nonce.hpp"

namespace icegate::turn {
namespace {

using stun::attribute_type;
using stun::password_algorithm_id;
namespace status = stun::status;

// What every challenge offers as PASSWORD-ALGORITHMS: SHA-256 first, then MD5, no parameters.
// A request's list must equal it byte for byte (RFC 8489 section 9.2.4: no bid-down).
constexpr std::array<std::uint8_t, 8> offered_algorithms = {0x00, 0x02, 0x00, 0x00,
                                                            0x00, 0x01, 0x00, 0x00};

// base64(HMAC-SHA1) is 28 characters.
using rest_password_text = std::array<char, 28>;

verdict refuse(std::uint16_t code, auth_failure why) noexcept {
    return verdict{code, std::nullopt, why};
}

bool rest_password_into(std::string_view secret, std::string_view username,
                        rest_password_text& out) noexcept {
    std::array<std::uint8_t, 20> mac{};
    return detail::hmac_sha1(detail::bytes_of(secret), detail::bytes_of(username), mac) &&
           detail::base64_encode(mac, out) == out.size();
}

// The password algorithm of RFC 8489 section 9.2.4 (our nonces always carry the "password
// algorithms" feature bit): MD5 when the request names none, nullopt (400) when it names one
// without the other, a list that is not ours, or an algorithm not in it.
std::optional<password_algorithm_id> negotiate(const stun::message_view& m) noexcept {
    const auto list = m.find(attribute_type::password_algorithms);
    const auto chosen = m.find(attribute_type::password_algorithm);
    if (!list && !chosen) {
        return password_algorithm_id::md5;
    }
    if (!list || !chosen || !std::ranges::equal(list->value, offered_algorithms)) {
        return std::nullopt;
    }
    const auto alg = stun::password_algorithm::decode(chosen->value);
    if (!alg || !alg->parameters.empty()) {
        return std::nullopt;
    }
    if (alg->algorithm != password_algorithm_id::md5 &&
        alg->algorithm != password_algorithm_id::sha256) {
        return std::nullopt;
    }
    return alg->algorithm;
}

// MESSAGE-INTEGRITY-SHA256 when present (RFC 8489 section 9.2.4), else MESSAGE-INTEGRITY.
bool check_mac(const stun::message_view& m, std::span<const std::uint8_t> key) noexcept {
    if (m.contains(attribute_type::message_integrity_sha256)) {
        return m.check_message_integrity_sha256(key);
    }
    return m.check_message_integrity(key);
}

verdict accept(const stun::message_view& m, std::string_view name, password_algorithm_id alg,
               std::span<const std::uint8_t> key, std::optional<std::int64_t> expires) {
    credential c;
    c.username.assign(name);
    c.expires = expires;
    c.algorithm = alg;
    c.sha256_integrity = m.contains(attribute_type::message_integrity_sha256);
    std::copy(key.begin(), key.end(), c.key.begin());
    c.key_size = static_cast<std::uint8_t>(key.size());
    return verdict{0, std::move(c)};
}

// A present attribute that does not decode is as bad as a missing one (400).
template <class T>
bool malformed(const stun::message_view& m) noexcept {
    return m.contains(T::type) && !stun::get<T>(m);
}

} // namespace

authenticator::authenticator(std::shared_ptr<const auth_settings> settings)
    : settings_(std::move(settings)) {
    if (!settings_) {
        throw std::invalid_argument("authenticator: no settings");
    }
    const auto& users = settings_->users;
    by_name_.resize(users.size());
    for (std::uint32_t i = 0; i < users.size(); ++i) {
        by_name_[i] = i;
        auto hash = stun::compute_userhash(users[i].name, settings_->realm);
        if (hash) {
            by_hash_.emplace_back(*hash, i);
        }
    }
    // Stable: with duplicate names, the first configured entry wins.
    std::ranges::stable_sort(by_name_, [&users](std::uint32_t a, std::uint32_t b) {
        return users[a].name < users[b].name;
    });
    std::ranges::stable_sort(by_hash_,
                             [](const auto& a, const auto& b) { return a.first < b.first; });
}

verdict authenticator::verify(const stun::message_view& request,
                              const stun::transport_address& client,
                              std::int64_t unix_now) const noexcept {
    if (!request.contains(attribute_type::message_integrity) &&
        !request.contains(attribute_type::message_integrity_sha256)) {
        return refuse(status::unauthorized, auth_failure::no_integrity);
    }
    const bool has_user =
        request.contains(attribute_type::username) || request.contains(attribute_type::userhash);
    if (!has_user || !request.contains(attribute_type::realm) ||
        !request.contains(attribute_type::nonce) || malformed<stun::username>(request) ||
        malformed<stun::userhash>(request) || malformed<stun::realm>(request) ||
        malformed<stun::nonce>(request)) {
        return refuse(status::bad_request, auth_failure::malformed);
    }
    const auto nonce = stun::get<stun::nonce>(request);
    const auto state = detail::check_nonce(settings_->nonce_key, nonce->value, client, unix_now,
                                           settings_->nonce_lifetime);
    if (state != detail::nonce_status::valid) {
        // RFC 8489 section 9.2.4: an invalid nonce is treated like a stale one, so the client
        // takes the fresh nonce from the 438 and retries.
        return refuse(status::stale_nonce, auth_failure::stale_nonce);
    }
    const auto alg = negotiate(request);
    if (!alg) {
        return refuse(status::bad_request, auth_failure::malformed);
    }
    return authenticate(request, *alg, unix_now);
}

verdict authenticator::authenticate(const stun::message_view& request,
                                    stun::password_algorithm_id alg,
                                    std::int64_t unix_now) const noexcept {
    // A REALM other than ours gets 401 with our challenge rather than 400: a client that
    // cached another server's realm recovers by retrying with the one we send.
    const auto realm = stun::get<stun::realm>(request);
    if (!realm || realm->value != settings_->realm) {
        return refuse(status::unauthorized, auth_failure::wrong_realm);
    }
    const user_key* user = nullptr;
    if (request.contains(attribute_type::username)) {
        const auto name = stun::get<stun::username>(request);
        if (!name) {
            return refuse(status::bad_request, auth_failure::malformed);
        }
        user = find_user(name->value);
        if (user == nullptr) {
            return authenticate_rest(request, name->value, alg, unix_now);
        }
    } else {
        const auto hash = stun::get<stun::userhash>(request);
        user = hash ? find_userhash(hash->value) : nullptr;
    }
    if (user == nullptr) {
        return refuse(status::unauthorized, auth_failure::unknown_user);
    }
    // A user configured with only the MD5 key cannot answer a SHA-256 PASSWORD-ALGORITHM: 401.
    // We offer SHA-256 regardless (the offer is per server, before the user is known), so such
    // users need clients that pick MD5, as every browser does; configure the SHA-256 twin.
    std::span<const std::uint8_t> key = user->md5;
    if (alg == password_algorithm_id::sha256) {
        if (!user->sha256) {
            return refuse(status::unauthorized, auth_failure::no_sha256_key);
        }
        key = *user->sha256;
    }
    if (!check_mac(request, key)) {
        return refuse(status::unauthorized, auth_failure::bad_integrity);
    }
    return accept(request, user->name, alg, key, std::nullopt);
}

verdict authenticator::authenticate_rest(const stun::message_view& request, std::string_view name,
                                         stun::password_algorithm_id alg,
                                         std::int64_t unix_now) const noexcept {
    const auto expiry = rest_expiry(name);
    if (settings_->secrets.empty() || !expiry) {
        return refuse(status::unauthorized, auth_failure::unknown_user);
    }
    if (*expiry < unix_now) {
        return refuse(status::unauthorized, auth_failure::expired);
    }
    // Every secret is tried, so a rotation accepts credentials minted with the old one too.
    for (const auto& secret : settings_->secrets) {
        rest_password_text password{};
        if (!rest_password_into(secret, name, password)) {
            continue;
        }
        const std::string_view pw(password.data(), password.size());
        if (alg == password_algorithm_id::sha256) {
            const auto key = stun::long_term_key_sha256(name, settings_->realm, pw);
            if (key && check_mac(request, *key)) {
                return accept(request, name, alg, *key, expiry);
            }
        } else {
            const auto key = stun::long_term_key_md5(name, settings_->realm, pw);
            if (key && check_mac(request, *key)) {
                return accept(request, name, alg, *key, expiry);
            }
        }
    }
    return refuse(status::unauthorized, auth_failure::bad_integrity);
}

bool authenticator::still_accepts(std::string_view username,
                                  std::span<const std::uint8_t> key) const noexcept {
    const auto same = [&key](std::span<const std::uint8_t> k) {
        return k.size() == key.size() && CRYPTO_memcmp(k.data(), key.data(), k.size()) == 0;
    };
    if (const user_key* u = find_user(username)) {
        return same(u->md5) || (u->sha256 && same(*u->sha256));
    }
    if (!rest_expiry(username)) {
        return false;
    }
    for (const auto& secret : settings_->secrets) {
        rest_password_text password{};
        if (!rest_password_into(secret, username, password)) {
            continue;
        }
        const std::string_view pw(password.data(), password.size());
        const auto md5 = stun::long_term_key_md5(username, settings_->realm, pw);
        const auto sha = stun::long_term_key_sha256(username, settings_->realm, pw);
        if ((md5 && same(*md5)) || (sha && same(*sha))) {
            return true;
        }
    }
    return false;
}

const user_key* authenticator::find_user(std::string_view name) const noexcept {
    const auto& users = settings_->users;
    const auto it = std::ranges::lower_bound(
        by_name_, name, {}, [&users](std::uint32_t i) { return std::string_view(users[i].name); });
    if (it == by_name_.end() || users[*it].name != name) {
        return nullptr;
    }
    return &users[*it];
}

const user_key* authenticator::find_userhash(std::span<const std::uint8_t> hash) const noexcept {
    if (hash.size() != std::tuple_size_v<stun::userhash_value>) {
        return nullptr;
    }
    stun::userhash_value wanted{};
    std::copy(hash.begin(), hash.end(), wanted.begin());
    const auto it = std::ranges::lower_bound(by_hash_, wanted, {},
                                             [](const auto& entry) { return entry.first; });
    if (it == by_hash_.end() ||
        CRYPTO_memcmp(it->first.data(), wanted.data(), wanted.size()) != 0) {
        return nullptr;
    }
    return &settings_->users[it->second];
}

std::error_code authenticator::add_challenge(stun::message_builder& b,
                                             const stun::transport_address& client,
                                             std::int64_t unix_now) const noexcept {
    const detail::nonce_text nonce = detail::make_nonce(settings_->nonce_key, client, unix_now);
    stun::realm{settings_->realm}.encode(b);
    stun::nonce{std::string_view(nonce.data(), nonce.size())}.encode(b);
    b.add(attribute_type::password_algorithms, offered_algorithms);
    return b.error();
}

std::error_code authenticator::sign(stun::message_builder& b, const credential& c) noexcept {
    if (c.sha256_integrity) {
        return b.add_message_integrity_sha256(c.key_bytes());
    }
    return b.add_message_integrity(c.key_bytes());
}

std::string authenticator::rest_password(std::string_view secret, std::string_view username) {
    rest_password_text text{};
    if (!rest_password_into(secret, username, text)) {
        throw std::runtime_error("rest_password: HMAC-SHA1 failed");
    }
    return std::string(text.data(), text.size());
}

std::optional<std::int64_t> authenticator::rest_expiry(std::string_view username) noexcept {
    const std::size_t colon = username.find(':');
    const std::string_view digits = username.substr(0, colon);
    // 18 digits cannot overflow int64 and reach far past any real expiry.
    if (digits.empty() || digits.size() > 18) {
        return std::nullopt;
    }
    std::int64_t value = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    return value;
}

} // namespace icegate::turn
