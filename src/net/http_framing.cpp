// Request limits and RFC 9112 section 6.1 Transfer-Encoding rules (see http_framing.hpp).
#include "icegate/net/http_framing.hpp"

#include <algorithm>
#include <cctype>

#include <boost/beast/http/error.hpp>

namespace icegate::net {

namespace http = boost::beast::http;

namespace {

constexpr std::size_t max_chunk_extension_bytes = 1024;

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

struct coding_summary {
    std::size_t codings = 0;
    std::size_t chunked = 0;
    bool chunked_last = false;
    bool unknown = false;
    bool empty_element = false;
};

// Walks one Transfer-Encoding field value: comma-separated codings, each maybe with
// parameters after ';' (none of which we take).
void scan_codings(std::string_view value, coding_summary& s) noexcept {
    while (true) {
        const auto comma = value.find(',');
        std::string_view item = trim(value.substr(0, comma));
        const auto semi = item.find(';');
        std::string_view name = trim(item.substr(0, semi));
        if (name.empty()) {
            s.empty_element = true;
        } else {
            ++s.codings;
            const bool chunked = iequals(name, "chunked") && semi == std::string_view::npos;
            s.chunked += chunked ? 1 : 0;
            s.unknown = s.unknown || !chunked;
            s.chunked_last = chunked;
        }
        if (comma == std::string_view::npos) {
            return;
        }
        value.remove_prefix(comma + 1);
    }
}

} // namespace

std::size_t request_buffer_limit(const http_limits& limits) noexcept {
    return static_cast<std::size_t>(limits.header_limit) + 8 * 1024;
}

void chunk_extension_limit::operator()(std::uint64_t, boost::beast::string_view extensions,
                                       boost::beast::error_code& ec) noexcept {
    used_ += extensions.size();
    if (used_ > limit_) {
        ec = http::error::bad_chunk_extension;
    }
}

void configure_request_parser(request_parser& parser, const http_limits& limits,
                              chunk_extension_limit& ext) {
    parser.header_limit(limits.header_limit);
    parser.body_limit(limits.body_limit);
    ext = chunk_extension_limit(max_chunk_extension_bytes);
    parser.on_chunk_header(ext);
}

std::optional<http::status> check_framing(const http::request_header<>& header) {
    coding_summary s;
    bool present = false;
    for (const auto& field : header) {
        if (field.name() == http::field::transfer_encoding) {
            present = true;
            const auto v = field.value();
            scan_codings(std::string_view(v.data(), v.size()), s);
        }
    }
    if (!present) {
        return std::nullopt;
    }
    if (s.codings == 0 || header.version() < 11 ||
        header.find(http::field::content_length) != header.end()) {
        return http::status::bad_request;
    }
    if (s.chunked > 1 || (s.chunked == 1 && !s.chunked_last)) {
        return http::status::bad_request;
    }
    if (s.unknown) {
        return http::status::not_implemented;
    }
    if (s.empty_element) {
        return http::status::bad_request;
    }
    return std::nullopt;
}

ws_message_bound::action ws_message_bound::step(std::size_t buffered, bool message_done) noexcept {
    action a;
    if (discarding_) {
        a.drop = true;
    } else if (buffered > limit_ || message_done) {
        a.deliver = std::min(buffered, limit_ + 1);
        a.drop = true;
        discarding_ = !message_done;
    }
    if (message_done) {
        discarding_ = false;
    }
    return a;
}

http::status read_error_status(const boost::beast::error_code& ec, bool header_done) noexcept {
    if (ec == http::error::header_limit || (ec == http::error::buffer_overflow && !header_done)) {
        return http::status::request_header_fields_too_large;
    }
    if (ec == http::error::body_limit) {
        return http::status::payload_too_large;
    }
    return http::status::bad_request;
}

} // namespace icegate::net
