// Serializers for server -> client signaling frames: compact JSON, "re" echoed when set.
// Shapes and examples are in include/icegate/signal/protocol.hpp.
#include "icegate/signal/protocol.hpp"

namespace icegate::signal {
namespace {

using json = nlohmann::json;

json frame(const char* type) {
    json j = json::object();
    j["type"] = type;
    return j;
}

// Compact, and never throws: strings that are not valid UTF-8 get U+FFFD replacements.
std::string finish(json& j, const std::optional<message_id>& re) {
    if (re) {
        std::visit([&](const auto& v) { j["re"] = v; }, *re);
    }
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json to_json(const media_state& s) {
    return json{{"audio", s.audio}, {"video", s.video}, {"screen", s.screen}};
}

json to_json(const peer_info& p) {
    return json{{"session", p.session}, {"name", p.name}, {"state", to_json(p.state)}};
}

json to_json(const ice_server& s) {
    json j = json::object();
    j["urls"] = s.urls;
    if (s.username) {
        j["username"] = *s.username;
    }
    if (s.credential) {
        j["credential"] = *s.credential;
    }
    return j;
}

json to_json(const chat_entry& e) {
    return json{{"from", e.from}, {"name", e.name}, {"text", e.text}, {"ts", e.ts}};
}

template <class T>
json array_of(const std::vector<T>& items) {
    json a = json::array();
    for (const auto& item : items) {
        a.push_back(to_json(item));
    }
    return a;
}

const char* kind_name(peer_kind k) {
    switch (k) {
    case peer_kind::join:
        return "join";
    case peer_kind::update:
        return "update";
    case peer_kind::leave:
        return "leave";
    }
    return "update";
}

} // namespace

std::string serialize(const joined_frame& f, const std::optional<message_id>& re) {
    json j = frame("joined");
    j["session"] = f.session;
    j["room"] = f.room;
    j["peers"] = array_of(f.peers);
    j["iceServers"] = array_of(f.ice_servers);
    j["resume"] = f.resume;
    j["history"] = array_of(f.history);
    if (f.resumed) {
        j["resumed"] = true;
    }
    return finish(j, re);
}

std::string serialize(const peer_frame& f, const std::optional<message_id>& re) {
    json j = frame("peer");
    j["kind"] = kind_name(f.kind);
    j["session"] = f.peer.session;
    j["name"] = f.peer.name;
    j["state"] = to_json(f.peer.state);
    return finish(j, re);
}

std::string serialize(const signal_frame& f, const std::optional<message_id>& re) {
    json j = frame("signal");
    j["from"] = f.from;
    j["data"] = f.data;
    return finish(j, re);
}

std::string serialize(const chat_frame& f, const std::optional<message_id>& re) {
    json j = frame("chat");
    j.update(to_json(f.entry));
    if (f.to) {
        j["to"] = *f.to;
        j["private"] = true;
    }
    return finish(j, re);
}

std::string serialize(const app_frame& f, const std::optional<message_id>& re) {
    json j = frame("app");
    j["from"] = f.from;
    j["topic"] = f.topic;
    j["data"] = f.data;
    return finish(j, re);
}

std::string serialize(const ice_frame& f, const std::optional<message_id>& re) {
    json j = frame("ice");
    j["iceServers"] = array_of(f.ice_servers);
    return finish(j, re);
}

std::string serialize(const ping_frame&, const std::optional<message_id>& re) {
    json j = frame("ping");
    return finish(j, re);
}

std::string serialize(const pong_frame&, const std::optional<message_id>& re) {
    json j = frame("pong");
    return finish(j, re);
}

std::string serialize(const error_frame& f, const std::optional<message_id>& re) {
    json j = frame("error");
    j["code"] = wire_code(f.code);
    j["message"] = f.message;
    return finish(j, re);
}

std::string serialize(const goaway_frame& f, const std::optional<message_id>& re) {
    json j = frame("goaway");
    j["reconnect_ms"] = f.reconnect_ms;
    return finish(j, re);
}

std::string serialize(const resume_frame& f, const std::optional<message_id>& re) {
    json j = frame("resume");
    j["resume"] = f.resume;
    return finish(j, re);
}

std::string serialize(const parse_error& e) {
    return serialize(error_frame{e.code, e.message}, e.re);
}

} // namespace icegate::signal
