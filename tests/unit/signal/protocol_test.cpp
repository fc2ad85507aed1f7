// Tests for the signaling codec: every client type, every field error, id rules, limits, and
// round trips of every server frame through nlohmann.
#include "icegate/signal/protocol.hpp"

#include <gtest/gtest.h>

#include <string>

namespace icegate::signal {
namespace {

using json = nlohmann::json;

result<client_message> parse(const std::string& text, parse_error* detail = nullptr) {
    return parse_client_frame(text, limits{}, detail);
}

template <class T>
T parse_as(const std::string& text) {
    parse_error e;
    auto r = parse(text, &e);
    EXPECT_TRUE(r) << text << " -> " << e.message;
    if (!r || !std::holds_alternative<T>(*r)) {
        ADD_FAILURE() << "wrong type for " << text;
        return T{};
    }
    return std::get<T>(*r);
}

// Parses `text`, expects `code` and a message containing `needle`.
void expect_error(const std::string& text, errc code, const std::string& needle) {
    parse_error e;
    auto r = parse(text, &e);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error(), make_error_code(code)) << text;
    EXPECT_EQ(e.code, code) << text;
    EXPECT_NE(e.message.find(needle), std::string::npos) << text << " -> " << e.message;
}

std::string frame_with(const std::string& type, const std::string& members) {
    return R"({"type":")" + type + "\"" + (members.empty() ? "" : "," + members) + "}";
}

// ---- every type parses ----

TEST(SignalParse, Join) {
    const auto m = parse_as<join_message>(
        R"({"type":"join","room":"Book club","name":"Ann","password":"pw","token":"t",)"
        R"("resume":"r","id":"a1"})");
    EXPECT_EQ(m.room, "Book club");
    EXPECT_EQ(m.name, "Ann");
    EXPECT_EQ(m.password, "pw");
    EXPECT_EQ(m.token, "t");
    EXPECT_EQ(m.resume, "r");
    EXPECT_EQ(m.id, message_id(std::string("a1")));
}

TEST(SignalParse, JoinMinimalAndNullOptionals) {
    const auto m =
        parse_as<join_message>(R"({"type":"join","room":"r","name":"n","password":null})");
    EXPECT_FALSE(m.password);
    EXPECT_FALSE(m.token);
    EXPECT_FALSE(m.resume);
    EXPECT_FALSE(m.id);
}

TEST(SignalParse, Signal) {
    const auto m = parse_as<signal_message>(
        R"({"type":"signal","to":"k3Jd","data":{"type":"offer","sdp":"v=0"}})");
    EXPECT_EQ(m.to, "k3Jd");
    EXPECT_EQ(m.data, json({{"type", "offer"}, {"sdp", "v=0"}}));
    EXPECT_EQ(parse_as<signal_message>(R"({"type":"signal","to":"p","data":null})").data,
              json(nullptr));
    EXPECT_EQ(parse_as<signal_message>(R"({"type":"signal","to":"p","data":[1,"x"]})").data,
              json::parse(R"([1,"x"])"));
}

TEST(SignalParse, Chat) {
    const auto m = parse_as<chat_message>(R"({"type":"chat","text":"hi\nthere\t!","to":"p"})");
    EXPECT_EQ(m.text, "hi\nthere\t!");
    EXPECT_EQ(m.to, "p");
    EXPECT_FALSE(parse_as<chat_message>(R"({"type":"chat","text":"x"})").to);
}

TEST(SignalParse, State) {
    const auto m =
        parse_as<state_message>(R"({"type":"state","audio":true,"video":false,"screen":true})");
    EXPECT_EQ(m.state, (media_state{true, false, true}));
}

TEST(SignalParse, App) {
    const auto m =
        parse_as<app_message>(R"({"type":"app","topic":"whiteboard","data":{"x":1},"to":"p"})");
    EXPECT_EQ(m.topic, "whiteboard");
    EXPECT_EQ(m.data, json({{"x", 1}}));
    EXPECT_EQ(m.to, "p");
    EXPECT_FALSE(parse_as<app_message>(R"({"type":"app","topic":"t","data":1})").to);
}

TEST(SignalParse, PingPongLeave) {
    EXPECT_EQ(parse_as<ping_message>(R"({"type":"ping","id":3})").id, message_id(3));
    EXPECT_FALSE(parse_as<pong_message>(R"({"type":"pong"})").id);
    EXPECT_FALSE(parse_as<leave_message>(R"({"type":"leave"})").id);
}

TEST(SignalParse, UnknownFieldsIgnored) {
    const auto m = parse_as<leave_message>(R"({"type":"leave","future":{"a":[1,2]},"x":null})");
    EXPECT_FALSE(m.id);
}

TEST(SignalParse, IdOfEveryType) {
    for (const char* t : {"ping", "pong", "leave"}) {
        auto r = parse(frame_with(t, R"("id":"q")"));
        ASSERT_TRUE(r);
        EXPECT_EQ(id_of(*r), message_id(std::string("q")));
    }
}

// ---- id rules ----

TEST(SignalId, StringAndIntegers) {
    EXPECT_EQ(parse_as<ping_message>(R"({"type":"ping","id":""})").id, message_id(std::string()));
    EXPECT_EQ(parse_as<ping_message>(R"({"type":"ping","id":-7})").id, message_id(-7));
    EXPECT_EQ(parse_as<ping_message>(R"({"type":"ping","id":9223372036854775807})").id,
              message_id(INT64_MAX));
    EXPECT_EQ(
        parse_as<ping_message>(frame_with("ping", "\"id\":\"" + std::string(64, 'a') + "\"")).id,
        message_id(std::string(64, 'a')));
    EXPECT_FALSE(parse_as<ping_message>(R"({"type":"ping","id":null})").id);
}

TEST(SignalId, OtherTypesRefused) {
    for (const char* id :
         {"1.5", "1e3", "true", "[1]", "{}", "9223372036854775808", "18446744073709551615"}) {
        expect_error(frame_with("ping", std::string("\"id\":") + id), errc::bad_request,
                     "field 'id'");
    }
    expect_error(frame_with("ping", "\"id\":\"" + std::string(65, 'a') + "\""), errc::bad_request,
                 "field 'id'");
}

TEST(SignalId, ErrorCarriesReWhenIdReadable) {
    parse_error e;
    ASSERT_FALSE(parse(R"({"type":"join","id":42})", &e));
    EXPECT_EQ(e.re, message_id(42));
    ASSERT_FALSE(parse(R"({"type":"warp","id":"w"})", &e));
    EXPECT_EQ(e.re, message_id(std::string("w")));
    ASSERT_FALSE(parse(R"({"type":"ping","id":true})", &e));
    EXPECT_FALSE(e.re);
}

// ---- frame-level errors ----

TEST(SignalFrame, BadJsonAndNonObjects) {
    for (const char* text : {"", "{", "{\"type\":\"ping\"", "nul", "{'type':'ping'}",
                             "{\"type\":\"ping\"} x", "\xff"}) {
        expect_error(text, errc::bad_request, "not valid JSON");
    }
    for (const char* text :
         {"[]", R"([{"type":"ping"}])", "42", "-1.5", "\"ping\"", "true", "null"}) {
        expect_error(text, errc::bad_request, "must be a JSON object");
    }
}

TEST(SignalFrame, TypeMissingOrWrong) {
    expect_error("{}", errc::bad_request, "field 'type' is missing");
    expect_error(R"({"type":1})", errc::bad_request, "field 'type' must be a string");
    expect_error(R"({"type":null})", errc::bad_request, "field 'type' must be a string");
}

TEST(SignalFrame, UnknownTypeIsSentAsBadRequest) {
    parse_error e;
    auto r = parse(R"({"type":"joined"})", &e);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(errc::unknown_type));
    EXPECT_NE(e.message.find("unknown type 'joined'"), std::string::npos);
    EXPECT_EQ(wire_code(errc::unknown_type), "bad_request");
    expect_error(frame_with(std::string(100, 'z'), ""), errc::unknown_type, "zzz...'");
    expect_error(R"({"type":"PING"})", errc::unknown_type, "PING");
}

TEST(SignalFrame, TooLarge) {
    const std::string pad(64 * 1024, 'x');
    expect_error(R"({"type":"chat","text":")" + pad + "\"}", errc::too_large, "exceeds");
    limits small;
    small.max_frame = 15;
    EXPECT_TRUE(parse_client_frame(R"({"type":"pong"})", small));
    EXPECT_EQ(parse_client_frame(R"({"type":"leave"})", small).error(),
              make_error_code(errc::too_large));
    // Exactly at the limit is accepted.
    const std::string exact = R"({"type":"ping"})";
    small.max_frame = exact.size();
    EXPECT_TRUE(parse_client_frame(exact, small));
}

TEST(SignalFrame, SignalDataBoundedByFrameLimit) {
    const std::string big(60 * 1024, 'a');
    EXPECT_EQ(parse_as<signal_message>(R"({"type":"signal","to":"p","data":")" + big + "\"}")
                  .data.get<std::string>()
                  .size(),
              big.size());
}

TEST(SignalFrame, DeepNestingRefused) {
    const std::string deep = std::string(33, '[') + std::string(33, ']');
    expect_error(R"({"type":"signal","to":"p","data":)" + deep + "}", errc::bad_request,
                 "nests deeper");
    const std::string ok = std::string(30, '[') + std::string(30, ']');
    EXPECT_TRUE(parse(R"({"type":"signal","to":"p","data":)" + ok + "}"));
    // Brackets inside strings do not count.
    EXPECT_TRUE(parse(R"({"type":"chat","text":")" + std::string(100, '[') + "\"}"));
    expect_error(std::string(100000, '['), errc::too_large, "exceeds");
}

// ---- field errors, each naming its field ----

struct field_case {
    const char* type;
    const char* members;
    const char* needle;
};

TEST(SignalFields, TypeAndSizeErrors) {
    const std::string s65(65, 'r');
    const field_case cases[] = {
        {"join", R"("name":"n")", "field 'room' is missing"},
        {"join", R"("room":null,"name":"n")", "field 'room' is missing"},
        {"join", R"("room":1,"name":"n")", "field 'room' must be a string"},
        {"join", R"("room":"","name":"n")", "field 'room' must be 1-64 characters"},
        {"join", R"("room":"a\u0001b","name":"n")", "field 'room' must be valid UTF-8"},
        {"join", R"("room":"a\u007fb","name":"n")", "field 'room' must be valid UTF-8"},
        {"join", R"("room":"a\u0085b","name":"n")", "field 'room' must be valid UTF-8"},
        {"join", R"("room":"a\nb","name":"n")", "field 'room' must be valid UTF-8"},
        {"join", R"("room":"r")", "field 'name' is missing"},
        {"join", R"("room":"r","name":[])", "field 'name' must be a string"},
        {"join", R"("room":"r","name":"")", "field 'name' must be 1-64"},
        {"join", R"("room":"r","name":"\t")", "field 'name' must be valid UTF-8"},
        {"join", R"("room":"r","name":"n","password":5)", "field 'password' must be a string"},
        {"join", R"("room":"r","name":"n","token":{})", "field 'token' must be a string"},
        {"join", R"("room":"r","name":"n","resume":false)", "field 'resume' must be a string"},
        {"signal", R"("data":1)", "field 'to' is missing"},
        {"signal", R"("to":7,"data":1)", "field 'to' must be a string"},
        {"signal", R"("to":"","data":1)", "field 'to' must be a session id"},
        {"signal", R"("to":"a b","data":1)", "field 'to' must be a session id"},
        {"signal", R"("to":"p")", "field 'data' is missing"},
        {"chat", R"("to":"p")", "field 'text' is missing"},
        {"chat", R"("text":3)", "field 'text' must be a string"},
        {"chat", R"("text":"")", "field 'text' must be 1-4096"},
        {"chat", R"("text":"a\u0000b")", "field 'text' must be valid UTF-8"},
        {"chat", R"("text":"x","to":1)", "field 'to' must be a string"},
        {"chat", R"("text":"x","to":"\u00e9")", "field 'to' must be a session id"},
        {"state", R"("video":true,"screen":true)", "field 'audio' is missing"},
        {"state", R"("audio":1,"video":true,"screen":true)", "field 'audio' must be a boolean"},
        {"state", R"("audio":true,"screen":true)", "field 'video' is missing"},
        {"state", R"("audio":true,"video":"no","screen":true)", "field 'video' must be a bool"},
        {"state", R"("audio":true,"video":true)", "field 'screen' is missing"},
        {"state", R"("audio":true,"video":true,"screen":null)", "field 'screen' must be a bool"},
        {"app", R"("data":1)", "field 'topic' is missing"},
        {"app", R"("topic":[],"data":1)", "field 'topic' must be a string"},
        {"app", R"("topic":"","data":1)", "field 'topic' must be 1-64"},
        {"app", R"("topic":"a\u001bb","data":1)", "field 'topic' must be valid UTF-8"},
        {"app", R"("topic":"t")", "field 'data' is missing"},
        {"app", R"("topic":"t","data":1,"to":false)", "field 'to' must be a string"},
    };
    for (const auto& c : cases) {
        expect_error(frame_with(c.type, c.members), errc::bad_request, c.needle);
    }
}

TEST(SignalFields, LengthBounds) {
    const auto join = [](const std::string& room, const std::string& name,
                         const std::string& extra = "") {
        return R"({"type":"join","room":")" + room + R"(","name":")" + name + "\"" + extra + "}";
    };
    EXPECT_TRUE(parse(join(std::string(64, 'r'), std::string(64, 'n'))));
    expect_error(join(std::string(65, 'r'), "n"), errc::bad_request, "field 'room' must be 1-64");
    expect_error(join("r", std::string(65, 'n')), errc::bad_request, "field 'name' must be 1-64");
    // Counted in code points: 64 three-byte characters (192 bytes) fit, 65 do not.
    std::string cjk;
    for (int i = 0; i < 64; ++i) {
        cjk += "\xe6\x97\xa5";
    }
    EXPECT_TRUE(parse(join(cjk, "\xf0\x9f\x98\x80")));
    expect_error(join(cjk + "\xe6\x97\xa5", "n"), errc::bad_request, "field 'room' must be 1-64");
    const auto opt = [&](const char* key, std::size_t n) {
        return join("r", "n", std::string(",\"") + key + "\":\"" + std::string(n, 'x') + "\"");
    };
    EXPECT_TRUE(parse(opt("password", 256)));
    expect_error(opt("password", 257), errc::bad_request, "field 'password' must be at most 256");
    EXPECT_TRUE(parse(opt("token", 4096)));
    expect_error(opt("token", 4097), errc::bad_request, "field 'token' must be at most 4096");
    EXPECT_TRUE(parse(opt("resume", 1024))); // a token carries a name and a password hash
    expect_error(opt("resume", 1025), errc::bad_request, "field 'resume' must be at most 1024");
    EXPECT_TRUE(parse(frame_with("chat", "\"text\":\"" + std::string(4096, 't') + "\"")));
    expect_error(frame_with("chat", "\"text\":\"" + std::string(4097, 't') + "\""),
                 errc::bad_request, "field 'text' must be 1-4096");
    EXPECT_TRUE(parse(frame_with("app", "\"topic\":\"" + std::string(64, 't') + "\",\"data\":0")));
    expect_error(frame_with("app", "\"topic\":\"" + std::string(65, 't') + "\",\"data\":0"),
                 errc::bad_request, "field 'topic' must be 1-64");
    EXPECT_TRUE(parse(frame_with("signal", "\"to\":\"" + std::string(64, 'p') + "\",\"data\":0")));
    expect_error(frame_with("signal", "\"to\":\"" + std::string(65, 'p') + "\",\"data\":0"),
                 errc::bad_request, "field 'to' must be a session id");
}

TEST(SignalFields, InvalidUtf8Refused) {
    // Raw ill-formed bytes and lone surrogate escapes never reach a message.
    for (const char* bad : {"\xc3\x28", "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf", "\xf5\x80\x80\x80",
                            "\\ud800", "\\udc00x"}) {
        const std::string room = std::string("a") + bad;
        expect_error(R"({"type":"join","room":")" + room + R"(","name":"n"})", errc::bad_request,
                     "not valid JSON");
        expect_error(R"({"type":"join","room":"r","name":")" + room + R"("})", errc::bad_request,
                     "not valid JSON");
    }
    // A valid surrogate pair is one character.
    EXPECT_TRUE(parse(R"({"type":"join","room":"\ud83d\ude00","name":"n"})"));
}

// ---- serializers ----

const std::optional<message_id> no_re;

json round_trip(const std::string& text) {
    EXPECT_EQ(text.find('\n'), std::string::npos) << "not compact: " << text;
    json j = json::parse(text, nullptr, false);
    EXPECT_TRUE(j.is_object()) << text;
    return j;
}

TEST(SignalSerialize, Joined) {
    joined_frame f;
    f.session = "s1";
    f.room = "Caf\xc3\xa9";
    f.peers = {{"s2", "Bo", {true, false, true}}};
    f.ice_servers = {{{"stun:h:3478"}, std::nullopt, std::nullopt},
                     {{"turn:h:3478?transport=udp", "turns:h:443?transport=tcp"}, "u", "c"}};
    f.resume = "tok";
    f.history = {{"s2", "Bo", "hi", 1700000000000}};
    const json j = round_trip(serialize(f, message_id(std::string("j1"))));
    const json want = json::parse(R"({"type":"joined","session":"s1","room":"Café",
        "peers":[{"session":"s2","name":"Bo","state":{"audio":true,"video":false,"screen":true}}],
        "iceServers":[{"urls":["stun:h:3478"]},
          {"urls":["turn:h:3478?transport=udp","turns:h:443?transport=tcp"],"username":"u",
           "credential":"c"}],
        "resume":"tok","history":[{"from":"s2","name":"Bo","text":"hi","ts":1700000000000}],
        "re":"j1"})");
    EXPECT_EQ(j, want);
    const json empty = round_trip(serialize(joined_frame{}));
    EXPECT_EQ(empty["peers"], json::array());
    EXPECT_EQ(empty["iceServers"], json::array());
    EXPECT_EQ(empty["history"], json::array());
    EXPECT_FALSE(empty.contains("re"));
    EXPECT_FALSE(empty.contains("resumed")); // only a resumed join says so
    f.resumed = true;
    EXPECT_EQ(round_trip(serialize(f))["resumed"], true);
}

TEST(SignalSerialize, ResumeTokenRefresh) {
    EXPECT_EQ(round_trip(serialize(resume_frame{"tok2"})),
              json::parse(R"({"type":"resume","resume":"tok2"})"));
}

TEST(SignalSerialize, Peer) {
    const json state = {{"audio", false}, {"video", true}, {"screen", false}};
    const std::pair<peer_kind, const char*> kinds[] = {
        {peer_kind::join, "join"}, {peer_kind::update, "update"}, {peer_kind::leave, "leave"}};
    for (const auto& [kind, name] : kinds) {
        const json j = round_trip(serialize(peer_frame{kind, {"s2", "Bo", {false, true, false}}}));
        EXPECT_EQ(j, json({{"type", "peer"},
                           {"kind", name},
                           {"session", "s2"},
                           {"name", "Bo"},
                           {"state", state}}));
    }
}

TEST(SignalSerialize, SignalChatApp) {
    const json data = {{"type", "answer"}, {"sdp", "v=0"}};
    EXPECT_EQ(round_trip(serialize(signal_frame{"s2", data}, message_id(5))),
              json({{"type", "signal"}, {"from", "s2"}, {"data", data}, {"re", 5}}));
    EXPECT_EQ(round_trip(serialize(chat_frame{{"s2", "Bo", "hi", 17}, std::nullopt})),
              json({{"type", "chat"}, {"from", "s2"}, {"name", "Bo"}, {"text", "hi"}, {"ts", 17}}));
    EXPECT_EQ(round_trip(serialize(chat_frame{{"s2", "Bo", "psst", 18}, "s1"}, message_id(-1))),
              json({{"type", "chat"},
                    {"from", "s2"},
                    {"name", "Bo"},
                    {"text", "psst"},
                    {"ts", 18},
                    {"to", "s1"},
                    {"private", true},
                    {"re", -1}}));
    EXPECT_EQ(round_trip(serialize(app_frame{"s2", "wb", json::array({1, 2})})),
              json({{"type", "app"}, {"from", "s2"}, {"topic", "wb"}, {"data", {1, 2}}}));
    EXPECT_EQ(round_trip(serialize(app_frame{"s2", "wb", nullptr}))["data"], json(nullptr));
}

TEST(SignalSerialize, IcePingPong) {
    EXPECT_EQ(round_trip(serialize(ice_frame{{{{"stun:h"}, "u", "c"}}})),
              json::parse(R"({"type":"ice","iceServers":[{"urls":["stun:h"],"username":"u",
                              "credential":"c"}]})"));
    EXPECT_EQ(serialize(ping_frame{}), R"({"type":"ping"})");
    EXPECT_EQ(serialize(pong_frame{}, message_id(7)), R"({"re":7,"type":"pong"})");
    EXPECT_EQ(serialize(pong_frame{}, message_id(std::string("p"))), R"({"re":"p","type":"pong"})");
}

TEST(SignalSerialize, ErrorCodes) {
    const std::pair<errc, const char*> codes[] = {
        {errc::bad_request, "bad_request"},     {errc::unauthorized, "unauthorized"},
        {errc::room_full, "room_full"},         {errc::no_such_peer, "no_such_peer"},
        {errc::rate_limited, "rate_limited"},   {errc::too_large, "too_large"},
        {errc::resume_failed, "resume_failed"}, {errc::unknown_type, "bad_request"}};
    for (const auto& [code, wire] : codes) {
        EXPECT_EQ(round_trip(serialize(error_frame{code, "m"}, message_id(1))),
                  json({{"type", "error"}, {"code", wire}, {"message", "m"}, {"re", 1}}));
        EXPECT_FALSE(make_error_code(code).message().empty());
        EXPECT_STREQ(make_error_code(code).category().name(), "signal");
    }
}

TEST(SignalSerialize, ParseErrorBecomesErrorFrame) {
    parse_error e;
    ASSERT_FALSE(parse(R"({"type":"state","audio":true,"id":"s9"})", &e));
    EXPECT_EQ(round_trip(serialize(e)), json({{"type", "error"},
                                              {"code", "bad_request"},
                                              {"message", "field 'video' is missing"},
                                              {"re", "s9"}}));
    ASSERT_FALSE(parse(std::string(70000, ' '), &e));
    EXPECT_EQ(round_trip(serialize(e))["code"], "too_large");
}

TEST(SignalSerialize, InvalidUtf8NeverThrows) {
    const json j = round_trip(serialize(error_frame{errc::bad_request, "bad \xff byte"}));
    EXPECT_EQ(j["message"], "bad \xef\xbf\xbd byte");
    // A long unknown type cut inside a code point still serializes.
    parse_error e;
    ASSERT_FALSE(parse(R"({"type":")" + std::string(31, 'a') + "\xc3\xa9\"}", &e));
    EXPECT_TRUE(round_trip(serialize(e)).is_object());
}

TEST(SignalSerialize, ParsedMessagesReserialize) {
    const auto m = parse_as<signal_message>(
        R"({"type":"signal","to":"s1","data":{"candidate":"c","sdpMLineIndex":0},"id":3})");
    const json j = round_trip(serialize(signal_frame{"s2", m.data}, m.id));
    EXPECT_EQ(j["data"], json::parse(R"({"candidate":"c","sdpMLineIndex":0})"));
    EXPECT_EQ(j["re"], 3);
}

} // namespace
} // namespace icegate::signal
