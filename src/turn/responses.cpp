// Response building for the TURN handlers: shared trailer (SOFTWARE, integrity, FINGERPRINT)
// and the error shapes.
#include "responses.hpp"

#include "icegate/stun/error_code_attribute.hpp"
#include "icegate/stun/list_attributes.hpp"
#include "icegate/stun/simple_attributes.hpp"

namespace icegate::turn {

response::response(engine::impl& e, const request_context& ctx, stun::message_class cls) noexcept
    : e_(e), ctx_(ctx),
      b_(e.scratch(), stun::message_type{ctx.msg.method(), cls}, ctx.msg.transaction_id()) {}

void response::send() noexcept {
    const std::string_view sw = e_.settings.software;
    if (ctx_.cred != nullptr) {
        if (!sw.empty() && sw.size() <= stun::software::max_bytes) {
            (void)stun::software{sw}.encode(b_);
        }
        (void)authenticator::sign(b_, *ctx_.cred);
    }
    if (ctx_.fingerprint) {
        (void)b_.add_fingerprint();
    }
    const auto bytes = b_.finish();
    if (bytes) {
        e_.io.send_to_client(ctx_.from, *bytes);
    }
}

void send_success(engine::impl& e, const request_context& ctx) noexcept {
    response r(e, ctx, stun::message_class::success_response);
    r.send();
}

void send_error(engine::impl& e, const request_context& ctx, std::uint16_t code) noexcept {
    response r(e, ctx, stun::message_class::error_response);
    (void)stun::error_code_attribute{code, stun::default_reason_phrase(code)}.encode(r.builder());
    r.send();
}

void send_challenge(engine::impl& e, const request_context& ctx, std::uint16_t code) noexcept {
    response r(e, ctx, stun::message_class::error_response);
    (void)stun::error_code_attribute{code, stun::default_reason_phrase(code)}.encode(r.builder());
    (void)e.auth->add_challenge(r.builder(), ctx.from.client, ctx.now.unix_seconds);
    r.send();
}

void send_unknown_attributes(engine::impl& e, const request_context& ctx,
                             std::span<const stun::attribute_type> unknown) noexcept {
    response r(e, ctx, stun::message_class::error_response);
    const std::uint16_t code = stun::status::unknown_attribute;
    (void)stun::error_code_attribute{code, stun::default_reason_phrase(code)}.encode(r.builder());
    (void)stun::unknown_attributes::encode(r.builder(), unknown);
    r.send();
}

} // namespace icegate::turn
