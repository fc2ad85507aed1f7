// How an HTTPS request is read, bounded and framed, shared by http_session and the fuzzer:
// the parser's limits, the read buffer's cap (which bounds what Beast's parser cannot:
// chunk-size lines with their extensions, and trailers) and RFC 9112 section 6.1's rules for
// Transfer-Encoding. Pure: no sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include "icegate/net/http_limits.hpp"

namespace icegate::net {

using request_parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// The most a connection's read buffer may hold: a request's header fits (header_limit), and so
// does any single chunk-size line or trailer section, each of which Beast needs whole.
std::size_t request_buffer_limit(const http_limits& limits) noexcept;

// Counts chunk extensions across one request and fails the parse (bad_chunk_extension) past
// `limit` bytes in total: we use none, and each costs a parse.
class chunk_extension_limit {
public:
    explicit chunk_extension_limit(std::size_t limit) noexcept : limit_(limit) {}
    void operator()(std::uint64_t size, boost::beast::string_view extensions,
                    boost::beast::error_code& ec) noexcept;
    void reset() noexcept { used_ = 0; }

private:
    std::size_t limit_;
    std::size_t used_ = 0;
};

// Sets the parser's header and body limits and hooks `ext` (which must outlive the parser).
void configure_request_parser(request_parser& parser, const http_limits& limits,
                              chunk_extension_limit& ext);

// RFC 9112 section 6.1 on a parsed request header: nullopt when its framing is one we read
// (no Transfer-Encoding, or exactly `chunked`); otherwise the status to answer before closing:
// 501 for a coding we do not implement (gzip, xchunked, ...), 400 when `chunked` is not the
// final coding or appears twice, when Transfer-Encoding comes with Content-Length or in an
// HTTP/1.0 request, or is empty.
std::optional<boost::beast::http::status>
check_framing(const boost::beast::http::request_header<>& header);

// How a WebSocket message is read without buffering it past `limit` bytes. After every
// partial read, with the bytes of the current message buffered so far and whether it is
// complete, step() says how many of them to hand to the application now (0: none yet) and
// whether to drop the buffer. A message over the limit is handed over once, cut to limit + 1
// bytes (so the application can say too_large without parsing), and the rest of it is
// dropped as it arrives.
class ws_message_bound {
public:
    struct action {
        std::size_t deliver = 0;
        bool drop = false;
    };
    explicit ws_message_bound(std::size_t limit) noexcept : limit_(limit) {}
    action step(std::size_t buffered, bool message_done) noexcept;

private:
    std::size_t limit_;
    bool discarding_ = false;
};

// The status for a failed read: 431 header too large, 413 body too large, 400 otherwise
// (including a chunk line or trailer past request_buffer_limit). `header_done` tells whether
// the header had been parsed when the read failed.
boost::beast::http::status read_error_status(const boost::beast::error_code& ec,
                                             bool header_done) noexcept;

} // namespace icegate::net
