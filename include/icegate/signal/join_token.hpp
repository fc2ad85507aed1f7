// Join tokens: HS256 JWTs with `room`, `name` and `exp` claims, required on `join` when
// signal.join_secret is set. Verified with libjwt; nothing here parses JWTs by hand.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "icegate/util/result.hpp"

namespace icegate::signal {

struct join_claims {
    std::string room;
    std::string name;
    std::int64_t exp = 0; // Unix seconds
};

// Checks the signature (HS256 only; "none" and every other algorithm are refused), that the
// header has no `crit` (RFC 7515 section 4.1.11: we understand no extensions), that
// `room` and `name` are strings and `exp` a number later than `now_unix`. Every failure is
// errc::unauthorized; `why` (when given) receives a short reason for the log and error frame.
result<join_claims> verify_join_token(std::string_view token, std::string_view secret,
                                      std::int64_t now_unix, std::string* why = nullptr);

} // namespace icegate::signal
