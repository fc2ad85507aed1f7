// The sans-I/O signaling codec: typed client -> server messages parsed from JSON text frames,
// and compact-JSON serializers for every server -> client frame (design.md section 3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "icegate/signal/error.hpp"
#include "icegate/util/result.hpp"

namespace icegate::signal {

// Bounds fixed by the wire contract. "chars" are Unicode code points of valid UTF-8.
inline constexpr std::size_t max_id_bytes = 64;
inline constexpr std::size_t max_room_chars = 64;
inline constexpr std::size_t max_name_chars = 64;
inline constexpr std::size_t max_password_bytes = 256;
inline constexpr std::size_t max_token_bytes = 4096;
inline constexpr std::size_t max_resume_bytes = 1024;
inline constexpr std::size_t max_session_bytes = 64;
inline constexpr std::size_t max_chat_chars = 4096;
inline constexpr std::size_t max_topic_chars = 64;

struct limits {
    std::size_t max_frame = 64 * 1024; // bytes of frame text; larger -> too_large
    std::size_t max_depth = 32;        // JSON nesting; deeper -> bad_request (bounds recursion)
};

// A client's `id`: a string of at most 64 bytes or an integer in int64 range. Echoed as `re`.
using message_id = std::variant<std::string, std::int64_t>;

struct media_state {
    bool audio = false;
    bool video = false;
    bool screen = false;
    friend bool operator==(const media_state&, const media_state&) = default;
};

// ---- client -> server ------------------------------------------------------------------------
// Every message keeps the frame's optional `id`. Unknown extra fields are ignored, and an
// optional field set to null counts as absent.

// {"type":"join","room":"Book club","name":"Ann","password":"pw","token":"eyJ..","resume":"r"}
struct join_message {
    std::optional<message_id> id;
    std::string room;                    // 1-64 chars, valid UTF-8, no control characters
    std::string name;                    // same rules as room
    std::optional<std::string> password; // <= 256 bytes
    std::optional<std::string> token;    // <= 4096 bytes
    std::optional<std::string> resume;   // <= 1024 bytes
};

// {"type":"signal","to":"k3Jd..","data":{"sdp":"v=0..","type":"offer"}}
struct signal_message {
    std::optional<message_id> id;
    std::string to;      // a session id: 1-64 bytes of printable ASCII
    nlohmann::json data; // any JSON value (opaque), bounded by the frame limit
};

// {"type":"chat","text":"hello","to":"k3Jd.."}
struct chat_message {
    std::optional<message_id> id;
    std::string text; // 1-4096 chars, valid UTF-8; tab, LF and CR the only controls allowed
    std::optional<std::string> to;
};

// {"type":"state","audio":true,"video":false,"screen":false} -- all three required.
struct state_message {
    std::optional<message_id> id;
    media_state state;
};

// {"type":"app","topic":"whiteboard","data":{"x":1},"to":"k3Jd.."}
struct app_message {
    std::optional<message_id> id;
    std::string topic; // 1-64 chars, valid UTF-8, no control characters
    nlohmann::json data;
    std::optional<std::string> to;
};

// {"type":"ping"}, {"type":"pong"}, {"type":"leave"}
struct ping_message {
    std::optional<message_id> id;
};
struct pong_message {
    std::optional<message_id> id;
};
struct leave_message {
    std::optional<message_id> id;
};

using client_message = std::variant<join_message, signal_message, chat_message, state_message,
                                    app_message, ping_message, pong_message, leave_message>;

// The `id` of any client message.
const std::optional<message_id>& id_of(const client_message& m) noexcept;

// Why a frame was refused: the code, a message naming the offending field, and the frame's `id`
// when it could be read (so the `error` reply can carry `re`).
struct parse_error {
    errc code = errc::bad_request;
    std::string message;
    std::optional<message_id> re;
};

// Parses one text frame. Pure, never throws. Errors: too_large (over limits.max_frame),
// bad_request (bad JSON, not an object, too deep, missing/wrong-typed/out-of-range field),
// unknown_type. When `detail` is given it receives the message and `re` for the error frame.
result<client_message> parse_client_frame(std::string_view text, const limits& lim,
                                          parse_error* detail = nullptr);

// ---- server -> client ------------------------------------------------------------------------
// Every serializer returns compact JSON and adds "re" when `re` is set (the triggering client
// frame had an `id`). Strings that are not valid UTF-8 are written with U+FFFD replacements.

struct peer_info {
    std::string session;
    std::string name;
    media_state state;
};

// RTCIceServer; `urls` is always written as an array.
struct ice_server {
    std::vector<std::string> urls;
    std::optional<std::string> username;
    std::optional<std::string> credential;
};

struct chat_entry {
    std::string from; // session id
    std::string name;
    std::string text;
    std::int64_t ts = 0; // milliseconds since the Unix epoch (JS Date)
};

// {"type":"joined","session":"k3Jd..","room":"Book club",
//  "peers":[{"session":"x9..","name":"Bo","state":{"audio":true,"video":false,"screen":false}}],
//  "iceServers":[{"urls":["turn:h:3478?transport=udp"],"username":"17..:k3","credential":"c"}],
//  "resume":"opaque","history":[{"from":"x9..","name":"Bo","text":"hi","ts":1700000000000}],
//  "re":1}
struct joined_frame {
    std::string session;
    std::string room;
    std::vector<peer_info> peers;
    std::vector<ice_server> ice_servers;
    std::string resume;
    std::vector<chat_entry> history;
    bool resumed = false; // written as "resumed":true only when set (an extension)
};

enum class peer_kind { join, update, leave };

// {"type":"peer","kind":"update","session":"x9..","name":"Bo",
//  "state":{"audio":true,"video":true,"screen":false}}
struct peer_frame {
    peer_kind kind = peer_kind::join;
    peer_info peer;
};

// {"type":"signal","from":"x9..","data":{"candidate":"..."}}
struct signal_frame {
    std::string from;
    nlohmann::json data;
};

// {"type":"chat","from":"x9..","name":"Bo","text":"hi","ts":1700000000000}
// private: {"type":"chat","from":"x9..","name":"Bo","text":"psst","ts":1700000000000,
//           "to":"k3Jd..","private":true}
struct chat_frame {
    chat_entry entry;
    std::optional<std::string> to; // set for a private message
};

// {"type":"app","from":"x9..","topic":"whiteboard","data":{"x":1}}
struct app_frame {
    std::string from;
    std::string topic;
    nlohmann::json data;
};

// {"type":"ice","iceServers":[{"urls":["stun:h:3478"]}]}
struct ice_frame {
    std::vector<ice_server> ice_servers;
};

// {"type":"resume","resume":"opaque"}: a fresh resume token for a member, sent well before the
// one it holds would stop working after a server restart.
struct resume_frame {
    std::string resume;
};

// {"type":"ping"} / {"type":"pong","re":7}
struct ping_frame {};
struct pong_frame {};

// {"type":"goaway","reconnect_ms":1000}: the server is draining (shutdown) and closes the
// socket with 1001 next; the client reconnects with resume after about reconnect_ms.
struct goaway_frame {
    std::uint32_t reconnect_ms = 0;
};

// {"type":"error","code":"bad_request","message":"field 'room' is missing","re":"a1"}
struct error_frame {
    errc code = errc::bad_request;
    std::string message;
};

std::string serialize(const joined_frame& f, const std::optional<message_id>& re = {});
std::string serialize(const peer_frame& f, const std::optional<message_id>& re = {});
std::string serialize(const signal_frame& f, const std::optional<message_id>& re = {});
std::string serialize(const chat_frame& f, const std::optional<message_id>& re = {});
std::string serialize(const app_frame& f, const std::optional<message_id>& re = {});
std::string serialize(const ice_frame& f, const std::optional<message_id>& re = {});
std::string serialize(const ping_frame& f, const std::optional<message_id>& re = {});
std::string serialize(const pong_frame& f, const std::optional<message_id>& re = {});
std::string serialize(const error_frame& f, const std::optional<message_id>& re = {});
std::string serialize(const goaway_frame& f, const std::optional<message_id>& re = {});
std::string serialize(const resume_frame& f, const std::optional<message_id>& re = {});

// The error frame for a refused client frame.
std::string serialize(const parse_error& e);

} // namespace icegate::signal
