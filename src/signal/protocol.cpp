// Parsing of client -> server signaling frames into typed messages. Pure and exception-free:
// nlohmann's non-throwing parse, and every field access type-checked first.
#include "icegate/signal/protocol.hpp"

#include <array>
#include <limits>
#include <utility>

#include "text.hpp"

namespace icegate::signal {
namespace {

using json = nlohmann::json;

// Typed, bounded access to the members of a frame object. The first failure is kept (naming
// its field); later accessors still run but return empty values.
class fields {
public:
    explicit fields(const json& obj) : obj_(obj) {}

    bool ok() const noexcept { return error_.empty(); }
    std::string& error() noexcept { return error_; }

    // Required free text: 1-max code points of valid UTF-8 under `policy`.
    std::string text(const char* key, std::size_t max, control_policy policy) {
        const json* v = string_member(key, true);
        if (v == nullptr) {
            return {};
        }
        const auto& s = v->get_ref<const std::string&>();
        const auto n = count_chars(s, policy);
        if (!n) {
            fail(key, policy == control_policy::forbid
                          ? "must be valid UTF-8 without control characters"
                          : "must be valid UTF-8 without control characters other than "
                            "tab, LF and CR");
        } else if (*n == 0 || *n > max) {
            fail(key, "must be 1-" + std::to_string(max) + " characters");
        }
        return s;
    }

    // Optional opaque string of at most `max` bytes.
    std::optional<std::string> bytes(const char* key, std::size_t max) {
        const json* v = string_member(key, false);
        if (v == nullptr) {
            return std::nullopt;
        }
        const auto& s = v->get_ref<const std::string&>();
        if (s.size() > max) {
            fail(key, "must be at most " + std::to_string(max) + " bytes");
        }
        return s;
    }

    // A session id: 1-64 bytes of printable ASCII; required unless `required` is false.
    std::optional<std::string> session(const char* key, bool required) {
        const json* v = string_member(key, required);
        if (v == nullptr) {
            return std::nullopt;
        }
        const auto& s = v->get_ref<const std::string&>();
        if (!is_token(s, max_session_bytes)) {
            fail(key, "must be a session id (1-64 printable ASCII characters)");
        }
        return s;
    }

    bool boolean(const char* key) {
        const json* v = member(key);
        if (v == nullptr) {
            fail(key, "is missing");
            return false;
        }
        if (!v->is_boolean()) {
            fail(key, "must be a boolean");
            return false;
        }
        return v->get<bool>();
    }

    // Required, any JSON value (null included).
    json any(const char* key) {
        const json* v = member(key);
        if (v == nullptr) {
            fail(key, "is missing");
            return {};
        }
        return *v;
    }

private:
    const json* member(const char* key) const {
        const auto it = obj_.find(key);
        return it == obj_.end() ? nullptr : &*it;
    }

    // The member if it is a string; null or absent is a failure only when required.
    const json* string_member(const char* key, bool required) {
        const json* v = member(key);
        if (v == nullptr || v->is_null()) {
            if (required) {
                fail(key, "is missing");
            }
            return nullptr;
        }
        if (!v->is_string()) {
            fail(key, "must be a string");
            return nullptr;
        }
        return v;
    }

    void fail(const char* key, const std::string& what) {
        if (error_.empty()) {
            error_ = std::string("field '") + key + "' " + what;
        }
    }

    const json& obj_;
    std::string error_;
};

using id_type = std::optional<message_id>;

client_message make_join(fields& f, id_type id) {
    join_message m{std::move(id), {}, {}, {}, {}, {}};
    m.room = f.text("room", max_room_chars, control_policy::forbid);
    m.name = f.text("name", max_name_chars, control_policy::forbid);
    m.password = f.bytes("password", max_password_bytes);
    m.token = f.bytes("token", max_token_bytes);
    m.resume = f.bytes("resume", max_resume_bytes);
    return m;
}

client_message make_signal(fields& f, id_type id) {
    signal_message m{std::move(id), {}, {}};
    m.to = f.session("to", true).value_or("");
    m.data = f.any("data");
    return m;
}

client_message make_chat(fields& f, id_type id) {
    chat_message m{std::move(id), {}, {}};
    m.text = f.text("text", max_chat_chars, control_policy::allow_whitespace);
    m.to = f.session("to", false);
    return m;
}

client_message make_state(fields& f, id_type id) {
    state_message m{std::move(id), {}};
    m.state.audio = f.boolean("audio");
    m.state.video = f.boolean("video");
    m.state.screen = f.boolean("screen");
    return m;
}

client_message make_app(fields& f, id_type id) {
    app_message m{std::move(id), {}, {}, {}};
    m.topic = f.text("topic", max_topic_chars, control_policy::forbid);
    m.data = f.any("data");
    m.to = f.session("to", false);
    return m;
}

client_message make_ping(fields&, id_type id) {
    return ping_message{std::move(id)};
}
client_message make_pong(fields&, id_type id) {
    return pong_message{std::move(id)};
}
client_message make_leave(fields&, id_type id) {
    return leave_message{std::move(id)};
}

struct handler {
    std::string_view type;
    client_message (*make)(fields&, id_type);
};

constexpr std::array<handler, 8> handlers{{
    {"join", make_join},
    {"signal", make_signal},
    {"chat", make_chat},
    {"state", make_state},
    {"app", make_app},
    {"ping", make_ping},
    {"pong", make_pong},
    {"leave", make_leave},
}};

// Reads `id`: absent or null -> nullopt; a string of <= 64 bytes or an int64 integer -> the id;
// anything else -> false.
bool read_id(const json& doc, id_type& id) {
    const auto it = doc.find("id");
    if (it == doc.end() || it->is_null()) {
        return true;
    }
    if (it->is_string()) {
        const auto& s = it->get_ref<const std::string&>();
        if (s.size() > max_id_bytes) {
            return false;
        }
        id = s;
        return true;
    }
    if (it->is_number_unsigned()) {
        const auto u = it->get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return false;
        }
        id = static_cast<std::int64_t>(u);
        return true;
    }
    if (it->is_number_integer()) {
        id = it->get<std::int64_t>();
        return true;
    }
    return false;
}

// The type name quoted in an unknown-type message, cut short so a reply stays small.
std::string quoted_type(const std::string& type) {
    constexpr std::size_t max_shown = 32;
    return type.size() <= max_shown ? type : type.substr(0, max_shown) + "...";
}

} // namespace

const std::optional<message_id>& id_of(const client_message& m) noexcept {
    return std::visit([](const auto& msg) -> const std::optional<message_id>& { return msg.id; },
                      m);
}

result<client_message> parse_client_frame(std::string_view text, const limits& lim,
                                          parse_error* detail) {
    id_type id;
    const auto refuse = [&](errc code, std::string message) -> result<client_message> {
        if (detail != nullptr) {
            *detail = parse_error{code, std::move(message), id};
        }
        return code;
    };
    if (text.size() > lim.max_frame) {
        return refuse(errc::too_large, "frame of " + std::to_string(text.size()) +
                                           " bytes exceeds the limit of " +
                                           std::to_string(lim.max_frame));
    }
    if (nests_deeper_than(text, lim.max_depth)) {
        return refuse(errc::bad_request,
                      "JSON nests deeper than " + std::to_string(lim.max_depth) + " levels");
    }
    const json doc = json::parse(text.begin(), text.end(), nullptr, false);
    if (doc.is_discarded()) {
        return refuse(errc::bad_request, "frame is not valid JSON");
    }
    if (!doc.is_object()) {
        return refuse(errc::bad_request, "frame must be a JSON object");
    }
    if (!read_id(doc, id)) {
        return refuse(errc::bad_request,
                      "field 'id' must be a string of at most 64 bytes or an integer");
    }
    const auto type = doc.find("type");
    if (type == doc.end()) {
        return refuse(errc::bad_request, "field 'type' is missing");
    }
    if (!type->is_string()) {
        return refuse(errc::bad_request, "field 'type' must be a string");
    }
    const auto& name = type->get_ref<const std::string&>();
    for (const auto& h : handlers) {
        if (h.type == name) {
            fields f(doc);
            client_message m = h.make(f, id);
            if (!f.ok()) {
                return refuse(errc::bad_request, std::move(f.error()));
            }
            return m;
        }
    }
    return refuse(errc::unknown_type, "unknown type '" + quoted_type(name) + "'");
}

} // namespace icegate::signal
