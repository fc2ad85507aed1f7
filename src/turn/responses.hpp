// Success and error responses of the TURN engine, written into its scratch buffer and sent to
// the requesting client: signed once the request is authenticated, small before that.
#pragma once

#include <cstdint>
#include <span>

#include "engine_impl.hpp"
#include "icegate/stun/message_builder.hpp"

namespace icegate::turn {

// A response to ctx's request under construction. Add attributes through builder(), then
// send(): SOFTWARE (authenticated requests only), MESSAGE-INTEGRITY(-SHA256) with ctx.cred,
// FINGERPRINT when the request had one. A message that did not fit is dropped.
class response {
public:
    response(engine::impl& e, const request_context& ctx, stun::message_class cls) noexcept;
    stun::message_builder& builder() noexcept { return b_; }
    void send() noexcept;

private:
    engine::impl& e_;
    const request_context& ctx_;
    stun::message_builder b_;
};

// A success with no attributes of its own (CreatePermission, ChannelBind).
void send_success(engine::impl& e, const request_context& ctx) noexcept;
// ERROR-CODE with the RFC's reason phrase.
void send_error(engine::impl& e, const request_context& ctx, std::uint16_t code) noexcept;
// 401 or 438 with REALM, NONCE and PASSWORD-ALGORITHMS: nothing else, it is unauthenticated.
void send_challenge(engine::impl& e, const request_context& ctx, std::uint16_t code) noexcept;
// 420 listing the unknown comprehension-required attributes.
void send_unknown_attributes(engine::impl& e, const request_context& ctx,
                             std::span<const stun::attribute_type> unknown) noexcept;

} // namespace icegate::turn
