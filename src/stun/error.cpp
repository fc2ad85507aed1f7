// The STUN error category: names for icegate::stun::errc.
#include "icegate/stun/error.hpp"

#include <string>

namespace icegate::stun {
namespace {

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "stun"; }

    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
        case errc::truncated:
            return "truncated STUN message";
        case errc::not_stun:
            return "not a STUN message";
        case errc::bad_length:
            return "bad STUN message length";
        case errc::bad_attribute:
            return "malformed STUN attribute";
        case errc::too_many_attributes:
            return "too many STUN attributes";
        case errc::attribute_missing:
            return "STUN attribute missing";
        case errc::bad_attribute_value:
            return "malformed STUN attribute value";
        case errc::value_too_long:
            return "STUN attribute value too long";
        case errc::bad_address_family:
            return "bad STUN address family";
        case errc::bad_error_code:
            return "STUN error code out of range";
        case errc::buffer_too_small:
            return "STUN output buffer too small";
        case errc::attribute_order:
            return "STUN attribute after MESSAGE-INTEGRITY or FINGERPRINT";
        case errc::crypto_failure:
            return "STUN digest or HMAC failed";
        case errc::not_channel_data:
            return "not a ChannelData message";
        }
        return "unknown STUN error";
    }
};

} // namespace

const std::error_category& stun_category() noexcept {
    static const category instance;
    return instance;
}

} // namespace icegate::stun
