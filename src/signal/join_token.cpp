// Join token verification with libjwt: HS256 only, no `crit` header, then the room, name and
// exp claims.
#include "icegate/signal/join_token.hpp"

#include <jwt.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "icegate/signal/error.hpp"
#include "icegate/signal/protocol.hpp"
#include "text.hpp"

namespace icegate::signal {
namespace {

struct jwt_deleter {
    void operator()(jwt_t* j) const noexcept { jwt_free(j); }
};
using jwt_handle = std::unique_ptr<jwt_t, jwt_deleter>;

struct free_deleter {
    void operator()(char* p) const noexcept { std::free(p); }
};

result<join_claims> refuse(std::string* why, const char* reason) {
    if (why != nullptr) {
        *why = reason;
    }
    return errc::unauthorized;
}

// A claim that is a room or a name must also be a valid one on the wire.
std::optional<std::string> text_claim(const nlohmann::json& claims, const char* key,
                                      std::size_t max_chars) {
    const auto it = claims.find(key);
    if (it == claims.end() || !it->is_string()) {
        return std::nullopt;
    }
    auto s = it->get<std::string>();
    const auto n = count_chars(s, control_policy::forbid);
    if (!n || *n == 0 || *n > max_chars) {
        return std::nullopt;
    }
    return s;
}

// `exp` is a NumericDate: an integer or a fractional number of seconds.
std::optional<std::int64_t> exp_claim(const nlohmann::json& claims) {
    const auto it = claims.find("exp");
    if (it == claims.end()) {
        return std::nullopt;
    }
    if (it->is_number_integer()) {
        return it->get<std::int64_t>();
    }
    if (it->is_number_unsigned()) {
        const auto v = it->get<std::uint64_t>();
        return static_cast<std::int64_t>(
            std::min<std::uint64_t>(v, std::numeric_limits<std::int64_t>::max()));
    }
    if (it->is_number_float()) {
        const double v = it->get<double>();
        if (v >= 9.2e18) {
            return std::numeric_limits<std::int64_t>::max();
        }
        return v <= -9.2e18 ? std::numeric_limits<std::int64_t>::min()
                            : static_cast<std::int64_t>(v);
    }
    return std::nullopt;
}

// The claims set as libjwt parsed it (it has checked that it is a JSON object).
std::optional<nlohmann::json> claims_of(jwt_t* jwt) {
    std::unique_ptr<char, free_deleter> text(jwt_get_grants_json(jwt, nullptr));
    if (!text) {
        return std::nullopt;
    }
    auto j = nlohmann::json::parse(text.get(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return std::nullopt;
    }
    return j;
}

// RFC 7515 section 4.1.11: a recipient must reject a JWS whose `crit` names an extension it
// does not understand, and `crit` must not be empty or anything but a list of names. We
// understand no extensions, so any `crit` at all is refused. libjwt 1.x ignores it.
bool has_crit_header(jwt_t* jwt) {
    std::unique_ptr<char, free_deleter> text(jwt_get_headers_json(jwt, nullptr));
    if (!text) {
        return true; // the header cannot be inspected: do not guess it is safe
    }
    const auto j = nlohmann::json::parse(text.get(), nullptr, false);
    return j.is_discarded() || !j.is_object() || j.contains("crit");
}

} // namespace

result<join_claims> verify_join_token(std::string_view token, std::string_view secret,
                                      std::int64_t now_unix, std::string* why) {
    constexpr const char* bad = "bad signature or malformed token";
    // An empty key would make libjwt skip the signature check.
    if (token.empty() || token.size() > max_token_bytes || secret.empty() ||
        secret.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        return refuse(why, bad);
    }
    const std::string text(token); // libjwt wants a C string
    jwt_t* raw = nullptr;
    const int rc =
        jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char*>(secret.data()),
                   static_cast<int>(secret.size()));
    jwt_handle jwt(raw);
    // libjwt 1.x accepts "alg":"none" tokens in some versions whatever the key: check the
    // algorithm it actually verified with, and refuse everything but HS256.
    if (rc != 0 || !jwt || jwt_get_alg(jwt.get()) != JWT_ALG_HS256) {
        return refuse(why, bad);
    }
    if (has_crit_header(jwt.get())) {
        return refuse(why, "unsupported crit header");
    }
    const auto claims = claims_of(jwt.get());
    if (!claims) {
        return refuse(why, bad);
    }
    auto room = text_claim(*claims, "room", max_room_chars);
    auto name = text_claim(*claims, "name", max_name_chars);
    const auto exp = exp_claim(*claims);
    if (!room || !name || !exp) {
        return refuse(why, "token lacks room/name/exp");
    }
    if (*exp <= now_unix) {
        return refuse(why, "token expired");
    }
    return join_claims{std::move(*room), std::move(*name), *exp};
}

} // namespace icegate::signal
