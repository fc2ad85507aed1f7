// The signaling error category: names for icegate::signal::errc and their wire codes.
#include "icegate/signal/error.hpp"

#include <string>

namespace icegate::signal {
namespace {

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "signal"; }

    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
        case errc::bad_request:
            return "bad signaling request";
        case errc::unauthorized:
            return "unauthorized";
        case errc::room_full:
            return "room full";
        case errc::no_such_peer:
            return "no such peer";
        case errc::rate_limited:
            return "rate limited";
        case errc::too_large:
            return "signaling frame too large";
        case errc::resume_failed:
            return "resume failed";
        case errc::unknown_type:
            return "unknown signaling message type";
        }
        return "unknown signaling error";
    }
};

} // namespace

const std::error_category& signal_category() noexcept {
    static const category instance;
    return instance;
}

std::string_view wire_code(errc e) noexcept {
    switch (e) {
    case errc::bad_request:
    case errc::unknown_type:
        return "bad_request";
    case errc::unauthorized:
        return "unauthorized";
    case errc::room_full:
        return "room_full";
    case errc::no_such_peer:
        return "no_such_peer";
    case errc::rate_limited:
        return "rate_limited";
    case errc::too_large:
        return "too_large";
    case errc::resume_failed:
        return "resume_failed";
    }
    return "bad_request";
}

} // namespace icegate::signal
