// Error codes of the signaling protocol codec, their std::error_category, and the wire `code`
// string each one is sent as in an `error` frame (design.md section 3).
#pragma once

#include <string_view>
#include <system_error>

namespace icegate::signal {

enum class errc {
    bad_request = 1, // bad JSON, not an object, missing or wrong-typed or out-of-range field
    unauthorized,    // wrong room password or JWT
    room_full,       // room at capacity
    no_such_peer,    // `to` names no member of the sender's room
    rate_limited,    // the session sends faster than its budget
    too_large,       // frame over limits::max_frame
    resume_failed,   // resume token unknown or expired
    // Kept apart from bad_request so the server can count and log it separately, but sent on
    // the wire as "bad_request" (message "unknown type '...'"): the contract's code list is
    // open ("..."), yet a new code would break clients that switch on the listed ones, and an
    // unknown type is a bad request in every client's eyes.
    unknown_type,
};

const std::error_category& signal_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), signal_category()};
}

// The `code` member of an `error` frame for `e` ("bad_request" for unknown_type).
std::string_view wire_code(errc e) noexcept;

} // namespace icegate::signal

template <>
struct std::is_error_code_enum<icegate::signal::errc> : std::true_type {};
