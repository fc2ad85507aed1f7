// libFuzzer target for the HTTPS request path: bytes a client sends, read as http_session reads
// them (Beast's request parser configured by http_framing, a read buffer capped at
// request_buffer_limit, the Transfer-Encoding check after the header), in reads of a size the
// input picks, requests pipelined on one connection; each complete request goes through the
// routing (/metrics, /healthz, /api/ice-servers, static files of a web root made at start).
// Nothing may crash; every answer has a status; no file outside the web root or hidden in it
// is ever served; the buffer never passes its cap.
//
// Input: byte 0 picks the reads (bits 0-2: their size), whether a join secret is set (bit 3)
// and whether the client may read /metrics (bit 4); the rest is the byte stream.
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "icegate/config/config.hpp"
#include "icegate/net/http_framing.hpp"
#include "icegate/net/https_listener.hpp"
#include "icegate/web/ice_servers.hpp"
#include "icegate/web/metrics.hpp"
#include "icegate/web/web_routes.hpp"

namespace {

namespace fs = std::filesystem;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using namespace icegate;

// Markers of files that must never be served: one outside the root (reached through a symlink
// inside it) and one hidden inside it.
constexpr std::string_view outside_marker = "OUTSIDE-WEB-ROOT-7f3a";
constexpr std::string_view hidden_marker = "HIDDEN-IN-WEB-ROOT-9c1e";
constexpr std::size_t max_requests = 64; // per input: pipelining, bounded

struct fixture {
    fs::path dir;
    std::shared_ptr<const app::config> cfg;
    std::unique_ptr<app::ice_minter> ice;
    app::metrics_registry metrics{1};
    app::web_context open;    // no join secret
    app::web_context secured; // join secret set: /api/ice-servers needs a token
};

void write_file(const fs::path& p, std::string_view text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

fixture* make_fixture() {
    auto* f = new fixture;
    std::string tmpl = (fs::temp_directory_path() / "icegate-http-fuzz-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
        std::abort();
    }
    f->dir = tmpl;
    const fs::path root = f->dir / "web";
    write_file(root / "index.html", "<!doctype html><title>icegate</title>\n");
    write_file(root / "app.js", "console.log('icegate');\n");
    write_file(root / "sub" / "style.css", "body{}\n");
    write_file(root / ".git" / "config", hidden_marker);
    write_file(f->dir / "outside" / "secret.txt", outside_marker);
    fs::create_symlink(f->dir / "outside" / "secret.txt", root / "escape.txt");
    fs::create_directory_symlink(f->dir / "outside", root / "escape-dir");
    f->cfg = app::parse_config("realm: fuzz.test\nlisten: [udp://127.0.0.1:3478]\n"
                               "auth:\n  secrets: [fuzz-secret]\n",
                               f->dir / "icegate.yaml");
    f->ice = std::make_unique<app::ice_minter>(*f->cfg, f->cfg->listen, "fuzz-secret");
    f->open.web_root = fs::canonical(root);
    f->open.ice = f->ice.get();
    f->open.metrics = &f->metrics;
    f->open.metrics_allow = {app::cidr{boost::asio::ip::make_address("127.0.0.1"), 32}};
    f->secured = f->open;
    f->secured.join_secret = "join-secret-for-the-fuzzer";
    f->secured.ice_servers_api = true; // http.ice_servers_api: token
    return f;
}

fixture& the_fixture() {
    static fixture* f = make_fixture();
    return *f;
}

void remove_fixture() {
    std::error_code ec;
    fs::remove_all(the_fixture().dir, ec);
}

void require(bool ok) {
    if (!ok) {
        __builtin_trap();
    }
}

std::string_view sv(beast::string_view v) {
    return {v.data(), v.size()};
}

// https_front::handle's dispatch (src/app/https_front.cpp).
net::http_response route(const net::http_request& req, const app::web_context& ctx,
                         const boost::asio::ip::address& remote) {
    const std::string_view target = sv(req.target());
    if (target.substr(0, target.find('?')) == "/metrics") {
        return app::handle_metrics_request(req, ctx, remote);
    }
    return app::handle_web_request(req, ctx, 1'700'000'000);
}

void check_response(const net::http_request& req, const net::http_response& res) {
    const unsigned status = res.result_int();
    require(status >= 100 && status <= 599);
    require(res.version() == req.version());
    require(res["X-Content-Type-Options"] == "nosniff");
    const std::string_view body = res.body();
    require(body.find(outside_marker) == std::string_view::npos);
    require(body.find(hidden_marker) == std::string_view::npos);
    // A Content-Length is the body's length (a HEAD answer's, of the body it leaves out).
    const auto length = res.find(http::field::content_length);
    if (length != res.end() && req.method() != http::verb::head) {
        require(sv(length->value()) == std::to_string(body.size()));
    }
}

// One request on the connection, read and answered as http_session does; false when the
// connection ends (end of input, a refused or malformed request, no keep-alive, an upgrade).
bool serve_one(beast::test::stream& client, beast::flat_buffer& buffer,
               const net::http_limits& limits, const app::web_context& ctx,
               const boost::asio::ip::address& remote) {
    net::chunk_extension_limit ext{0}; // outlives the parser that calls it
    net::request_parser parser;
    net::configure_request_parser(parser, limits, ext);
    beast::error_code ec;
    http::read_header(client, buffer, parser, ec);
    require(buffer.size() <= buffer.max_size());
    if (!ec) {
        if (const auto status = net::check_framing(parser.get().base())) {
            require(*status == http::status::bad_request ||
                    *status == http::status::not_implemented);
            return false; // answered, then the connection closes
        }
        if (!parser.is_done()) {
            http::read(client, buffer, parser, ec);
            require(buffer.size() <= buffer.max_size());
        }
    }
    if (ec == http::error::end_of_stream) {
        return false;
    }
    if (ec) {
        const auto status = net::read_error_status(ec, parser.is_header_done());
        require(status == http::status::bad_request || status == http::status::payload_too_large ||
                status == http::status::request_header_fields_too_large);
        return false;
    }
    const net::http_request& req = parser.get();
    require(req.body().size() <= limits.body_limit);
    if (beast::websocket::is_upgrade(req)) {
        return false; // handed to a ws_session: ws_frame_fuzz's part
    }
    const net::http_response res = route(req, ctx, remote);
    check_response(req, res);
    return res.keep_alive() && req.keep_alive();
}

constexpr std::array<std::size_t, 8> read_sizes{1, 2, 3, 7, 64, 512, 4096, 1 << 20};

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    the_fixture();
    std::atexit(remove_fixture);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    fixture& f = the_fixture();
    const std::uint8_t options = data[0];
    const app::web_context& ctx = (options & 8) != 0 ? f.secured : f.open;
    const auto remote =
        boost::asio::ip::make_address((options & 16) != 0 ? "127.0.0.1" : "192.0.2.7");
    const net::http_limits limits{}; // as the server runs them

    boost::asio::io_context ioc;
    beast::test::stream client(ioc);
    client.read_size(read_sizes[options & 7]);
    client.append({reinterpret_cast<const char*>(data + 1), size - 1});
    client.close_remote(); // end of input: then eof, as when the peer closes

    beast::flat_buffer buffer(net::request_buffer_limit(limits));
    for (std::size_t n = 0; n < max_requests; ++n) {
        if (!serve_one(client, buffer, limits, ctx, remote)) {
            break;
        }
    }
    return 0;
}
