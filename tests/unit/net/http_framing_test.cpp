// RFC 9112 section 6.1 framing rules and the request limits of http_framing.hpp, on requests
// parsed by Beast exactly as the server configures it.
#include "icegate/net/http_framing.hpp"

#include <cstring>
#include <optional>
#include <string>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <gtest/gtest.h>

namespace icegate::net {
namespace {

namespace http = boost::beast::http;

// Feeds `text` through a parser set up as http_session does, with the bounded buffer; returns
// the parse error (need_more when the request is incomplete) and whether the header is done.
struct parse_outcome {
    boost::beast::error_code ec;
    bool header_done = false;
    std::optional<http::status> framing;
};

parse_outcome parse(const std::string& text, const http_limits& limits = {}) {
    request_parser parser;
    chunk_extension_limit ext(0);
    configure_request_parser(parser, limits, ext);
    parser.eager(true); // as http::read does once the header is in: parse all that is there
    boost::beast::flat_buffer buffer(request_buffer_limit(limits));
    parse_outcome out;
    std::size_t fed = 0;
    while (true) {
        const std::size_t room = buffer.max_size() - buffer.size();
        const std::size_t n = std::min(room, text.size() - fed);
        if (n == 0 && fed < text.size()) {
            out.ec = http::error::buffer_overflow; // what Beast's read reports at the cap
            break;
        }
        auto dst = buffer.prepare(n);
        std::memcpy(dst.data(), text.data() + fed, n);
        buffer.commit(n);
        fed += n;
        const std::size_t used = parser.put(buffer.data(), out.ec);
        buffer.consume(used);
        if (out.ec == http::error::need_more && fed < text.size()) {
            out.ec = {};
            continue;
        }
        if (out.ec || parser.is_done()) {
            break;
        }
        if (fed == text.size()) {
            out.ec = http::error::need_more;
            break;
        }
    }
    out.header_done = parser.is_header_done();
    if (out.header_done) {
        out.framing = check_framing(parser.get().base());
    }
    return out;
}

std::string with_te(const std::string& te) {
    return "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te + "\r\n\r\n0\r\n\r\n";
}

TEST(HttpFraming, PlainRequestsAndChunkedPass) {
    EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n").framing, std::nullopt);
    EXPECT_EQ(parse(with_te("chunked")).framing, std::nullopt);
    EXPECT_EQ(parse(with_te("Chunked")).framing, std::nullopt);
    EXPECT_EQ(parse(with_te(" chunked ")).framing, std::nullopt);
}

TEST(HttpFraming, UnknownCodingsAre501) {
    for (const char* te : {"xchunked", "gzip, chunked", "gzip", "chunked;x=1", "identity"}) {
        EXPECT_EQ(parse(with_te(te)).framing, http::status::not_implemented) << te;
    }
}

TEST(HttpFraming, ChunkedNotLastOrTwiceIs400) {
    for (const char* te : {"chunked, gzip", "chunked, chunked", ",", "chunked,"}) {
        EXPECT_EQ(parse(with_te(te)).framing, http::status::bad_request) << te;
    }
}

TEST(HttpFraming, SecondTransferEncodingFieldCounts) {
    const auto o = parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                         "Transfer-Encoding: gzip\r\n\r\n");
    if (o.header_done) { // Beast may refuse the repeated field itself; it never passes
        EXPECT_EQ(o.framing, http::status::bad_request);
    } else {
        EXPECT_TRUE(o.ec && o.ec != http::error::need_more) << o.ec.message();
    }
}

TEST(HttpFraming, WithContentLengthOrHttp10Is400) {
    auto o = parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    if (o.header_done) { // Beast may refuse the pair itself; either way it never passes
        EXPECT_EQ(o.framing, http::status::bad_request);
    } else {
        EXPECT_TRUE(o.ec);
    }
    o = parse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    ASSERT_TRUE(o.header_done);
    EXPECT_EQ(o.framing, http::status::bad_request);
}

TEST(HttpFraming, LongChunkExtensionLineStopsAtTheBufferCap) {
    const std::string req = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;e=" +
                            std::string(1024 * 1024, 'a');
    const auto o = parse(req);
    EXPECT_EQ(o.ec, http::error::buffer_overflow);
    EXPECT_TRUE(o.header_done);
    EXPECT_EQ(read_error_status(o.ec, o.header_done), http::status::bad_request);
}

TEST(HttpFraming, ChunkExtensionsAreLimitedInTotal) {
    std::string req = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 4; ++i) {
        req += "1;e=" + std::string(400, 'x') + "\r\na\r\n";
    }
    req += "0\r\n\r\n";
    const auto o = parse(req);
    EXPECT_EQ(o.ec, http::error::bad_chunk_extension);
    EXPECT_EQ(read_error_status(o.ec, o.header_done), http::status::bad_request);
    // A few short extensions are fine.
    const auto ok = parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "1;a=b\r\nx\r\n0\r\n\r\n");
    EXPECT_FALSE(ok.ec) << ok.ec.message();
}

TEST(HttpFraming, LongTrailerStopsAtTheBufferCap) {
    const std::string req = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "0\r\nX-T: " +
                            std::string(1024 * 1024, 'a');
    const auto o = parse(req);
    EXPECT_TRUE(o.ec == http::error::buffer_overflow || o.ec == http::error::header_limit)
        << o.ec.message();
    EXPECT_NE(read_error_status(o.ec, o.header_done), http::status::ok);
}

TEST(HttpFraming, HeaderAndBodyLimitsMapToTheirStatuses) {
    auto o = parse("GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n");
    EXPECT_FALSE(o.header_done);
    EXPECT_EQ(read_error_status(o.ec, o.header_done),
              http::status::request_header_fields_too_large);
    o = parse("POST / HTTP/1.1\r\nContent-Length: 20000\r\n\r\n" + std::string(20000, 'b'));
    EXPECT_EQ(o.ec, http::error::body_limit);
    EXPECT_EQ(read_error_status(o.ec, o.header_done), http::status::payload_too_large);
}

} // namespace
} // namespace icegate::net

namespace icegate::net {
namespace {

TEST(WsMessageBound, SmallMessagesAreHandedOverWhole) {
    ws_message_bound b(100);
    auto a = b.step(40, false);
    EXPECT_EQ(a.deliver, 0U);
    EXPECT_FALSE(a.drop);
    a = b.step(90, true);
    EXPECT_EQ(a.deliver, 90U);
    EXPECT_TRUE(a.drop);
}

TEST(WsMessageBound, LargeMessageIsCutOnceAndTheRestDropped) {
    ws_message_bound b(100);
    auto a = b.step(150, false);
    EXPECT_EQ(a.deliver, 101U); // limit + 1: the application sees it is too large
    EXPECT_TRUE(a.drop);
    a = b.step(16, false); // more of the same message: dropped, never delivered
    EXPECT_EQ(a.deliver, 0U);
    EXPECT_TRUE(a.drop);
    a = b.step(7, true);
    EXPECT_EQ(a.deliver, 0U);
    EXPECT_TRUE(a.drop);
    a = b.step(5, true); // the next message is whole again
    EXPECT_EQ(a.deliver, 5U);
}

TEST(WsMessageBound, ExactlyTheLimitPasses) {
    ws_message_bound b(100);
    EXPECT_EQ(b.step(100, false).deliver, 0U);
    EXPECT_EQ(b.step(100, true).deliver, 100U);
}

} // namespace
} // namespace icegate::net
