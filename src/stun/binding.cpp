// The STUN Binding server (RFC 8489 section 6.3, RFC 3489 compatible): a pure function from a
// request to a response.
#include "icegate/stun/binding.hpp"

#include <algorithm>
#include <array>

#include "bytes.hpp"
#include "icegate/stun/address_attributes.hpp"
#include "icegate/stun/channel_data.hpp"
#include "icegate/stun/error_code_attribute.hpp"
#include "icegate/stun/list_attributes.hpp"
#include "icegate/stun/message_builder.hpp"
#include "icegate/stun/message_view.hpp"
#include "icegate/stun/simple_attributes.hpp"

namespace icegate::stun {
namespace {

// What every response to one request shares.
struct reply {
    std::span<const std::uint8_t> request;
    const binding_options& options;
    std::span<std::uint8_t> out;
    bool fingerprint; // the request carried one: so does the response
};

message_builder start_response(const reply& r, message_class cls) noexcept {
    const message_type type{method::binding, cls};
    if (detail::load_u32(&r.request[4]) == magic_cookie) {
        stun::transaction_id id;
        std::copy_n(r.request.begin() + 8, id.size(), id.begin());
        return message_builder(r.out, type, id);
    }
    rfc3489_transaction_id id;
    std::copy_n(r.request.begin() + 4, id.size(), id.begin());
    return message_builder(r.out, type, id);
}

// Adds SOFTWARE (if configured and within the growth bound), then FINGERPRINT (if the request
// had one), and returns the response size or 0 when the message did not fit.
std::size_t finish_response(const reply& r, message_builder& b) noexcept {
    const std::string_view sw = r.options.software;
    const std::size_t fp_size = r.fingerprint ? 8 : 0;
    // Optional content must neither amplify nor crowd out the mandatory part of the answer.
    const std::size_t limit = std::min(r.request.size() + max_binding_growth, r.out.size());
    const std::size_t sw_size = attribute_header_size + detail::pad4(sw.size());
    if (!sw.empty() && sw.size() <= software::max_bytes && b.size() + sw_size + fp_size <= limit) {
        (void)software{sw}.encode(b);
    }
    if (r.fingerprint) {
        (void)b.add_fingerprint();
    }
    return b.finish() ? b.size() : 0;
}

std::size_t error_response(const reply& r, std::uint16_t code,
                           std::span<const attribute_type> unknown) noexcept {
    message_builder b = start_response(r, message_class::error_response);
    (void)error_code_attribute{code, default_reason_phrase(code)}.encode(b);
    if (!unknown.empty()) {
        (void)unknown_attributes::encode(b, unknown);
    }
    return finish_response(r, b);
}

std::size_t success_response(const reply& r, const transport_address& source) noexcept {
    message_builder b = start_response(r, message_class::success_response);
    const std::error_code ec = b.has_magic_cookie() ? xor_mapped_address{source}.encode(b)
                                                    : mapped_address{source}.encode(b);
    return ec ? 0 : finish_response(r, b);
}

// RFC 8489 section 6.3: a message whose header fails these checks is discarded silently.
bool is_binding_request_header(std::span<const std::uint8_t> m) noexcept {
    if (m.size() < header_size || classify(m) != packet_kind::stun) {
        return false;
    }
    const std::size_t length = detail::load_u16(&m[2]);
    const message_type type = decode_message_type(detail::load_u16(m.data()));
    return length % 4 == 0 && header_size + length == m.size() &&
           type == message_type{method::binding, message_class::request};
}

} // namespace

std::size_t handle_binding(std::span<const std::uint8_t> request, const transport_address& source,
                           const binding_options& options, std::span<std::uint8_t> out) noexcept {
    if (!is_binding_request_header(request)) {
        return 0;
    }
    reply r{request, options, out.first(std::min(out.size(), max_binding_response)), false};
    const auto view = message_view::parse(request);
    if (!view) {
        return error_response(r, status::bad_request, {});
    }
    if (view->contains(attribute_type::fingerprint)) {
        if (!view->check_fingerprint()) {
            return 0;
        }
        r.fingerprint = true;
    }
    std::array<attribute_type, message_view::max_attributes> unknown;
    const std::size_t n = unknown_comprehension_required(*view, unknown);
    if (n > 0) {
        return error_response(r, status::unknown_attribute, std::span(unknown).first(n));
    }
    return success_response(r, source);
}

} // namespace icegate::stun
