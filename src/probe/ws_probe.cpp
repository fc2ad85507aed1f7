// The wss:// probe: TLS, the WebSocket upgrade (Host and Origin), join a random room, expect
// `joined`, leave, and check the session still answers (ping -> pong) before closing.
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <nlohmann/json.hpp>

#include "probe_run.hpp"

namespace icegate::probe::detail {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using ws_stream = websocket::stream<tls_stream>;

constexpr std::size_t max_frame = 1024 * 1024;

class ws_flow {
public:
    ws_flow(const probe_job& job, clock::time_point deadline, std::vector<step>& out)
        : job_(job), deadline_(deadline), steps_(out, job.target.label()) {}

    void run() {
        if (steps_.run("connect", [&] { return connect(); }) &&
            steps_.run("join", [&] { return join(); })) {
            steps_.run("leave", [&] { return leave(); });
        }
    }

private:
    template <class Start>
    void op(Start&& start, const char* what) {
        const auto [ec, n] = run_until(io_, deadline_, std::forward<Start>(start),
                                       [&] { close_quietly(beast::get_lowest_layer(*ws_)); });
        if (ec) {
            throw step_failure(std::string(what) + ": " + describe(ec));
        }
    }

    std::string connect() {
        ctx_.emplace(make_client_context(job_.trust));
        ws_.emplace(io_, *ctx_);
        std::string detail =
            connect_tls(io_, ws_->next_layer(), job_.target, job_.trust, deadline_);
        const std::string origin =
            job_.ws.origin.empty() ? "https://" + job_.target.authority() : job_.ws.origin;
        ws_->set_option(websocket::stream_base::decorator([origin](websocket::request_type& req) {
            req.set(beast::http::field::origin, origin);
            req.set(beast::http::field::user_agent, "icegate-probe");
        }));
        ws_->read_message_max(max_frame);
        websocket::response_type response;
        const auto [ec, n] = run_until(
            io_, deadline_,
            [&](auto handler) {
                ws_->async_handshake(response, job_.target.authority(), job_.target.path, handler);
            },
            [&] { close_quietly(beast::get_lowest_layer(*ws_)); });
        if (ec == websocket::error::upgrade_declined) {
            throw step_failure(
                "WebSocket upgrade refused: HTTP " + std::to_string(response.result_int()) + " " +
                std::string(response.reason()) +
                (response.result_int() == 403 ? " (Origin " + origin + " not allowed? see --origin)"
                                              : ""));
        }
        if (ec) {
            throw step_failure("WebSocket upgrade: " + describe(ec));
        }
        return detail + ", WebSocket upgraded (Origin " + origin + ")";
    }

    void send(const nlohmann::json& frame) {
        const std::string text = frame.dump();
        ws_->text(true);
        op([&](auto handler) { ws_->async_write(asio::buffer(text), handler); }, "send");
    }

    // The next frame whose type is one of `wanted` or "error" (others, such as `ice`, skipped).
    nlohmann::json expect(std::initializer_list<std::string_view> wanted) {
        for (;;) {
            beast::flat_buffer buffer;
            op([&](auto handler) { ws_->async_read(buffer, handler); }, "receive");
            const auto frame =
                nlohmann::json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
            if (!frame.is_object() || !frame.contains("type") || !frame["type"].is_string()) {
                throw step_failure("the server sent a frame that is not a signaling message");
            }
            const auto type = frame["type"].get<std::string>();
            if (type == "error") {
                throw step_failure("error " + frame.value("code", std::string("?")) + ": " +
                                   frame.value("message", std::string()));
            }
            for (const auto w : wanted) {
                if (type == w) {
                    return frame;
                }
            }
        }
    }

    std::string join() {
        room_ = job_.ws.room.empty() ? "icegate-probe-" + random_hex(8) : job_.ws.room;
        nlohmann::json frame = {
            {"type", "join"}, {"id", "probe-join"}, {"room", room_}, {"name", "icegate probe"}};
        if (!job_.ws.join_token.empty()) {
            frame["token"] = job_.ws.join_token;
        }
        send(frame);
        const auto joined = expect({"joined"});
        if (joined.value("room", std::string()) != room_) {
            throw step_failure("joined names another room");
        }
        return "joined room " + room_;
    }

    std::string leave() {
        send({{"type", "leave"}});
        // No reply to leave: a pong after it shows the session took it and lives on.
        send({{"type", "ping"}, {"id", "probe-leave"}});
        expect({"pong"});
        const auto [ec, n] = run_until(
            io_, deadline_,
            [&](auto handler) { ws_->async_close(websocket::close_code::normal, handler); },
            [&] { close_quietly(beast::get_lowest_layer(*ws_)); });
        return ec ? "left room, pong (close: " + describe(ec) + ")" : "left room, pong, closed";
    }

    const probe_job& job_;
    clock::time_point deadline_;
    step_recorder steps_;
    asio::io_context io_{1};
    std::optional<asio::ssl::context> ctx_;
    std::optional<ws_stream> ws_;
    std::string room_;
};

} // namespace

void probe_wss(const probe_job& job, clock::time_point deadline, std::vector<step>& out) {
    ws_flow(job, deadline, out).run();
}

} // namespace icegate::probe::detail
