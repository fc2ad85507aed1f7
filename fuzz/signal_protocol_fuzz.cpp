// libFuzzer target: parse arbitrary bytes as a client signaling frame; re-serialize what parses
// (and every refusal as an error frame). Nothing may crash or throw.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "icegate/signal/protocol.hpp"

namespace {

using namespace icegate::signal;

std::string reserialize(const client_message& m) {
    const auto& re = id_of(m);
    return std::visit(
        [&](const auto& msg) -> std::string {
            using T = std::decay_t<decltype(msg)>;
            if constexpr (std::is_same_v<T, join_message>) {
                return serialize(joined_frame{"s1", msg.room, {{"s2", msg.name, {}}}, {}, "r", {}},
                                 re);
            } else if constexpr (std::is_same_v<T, signal_message>) {
                return serialize(signal_frame{msg.to, msg.data}, re);
            } else if constexpr (std::is_same_v<T, chat_message>) {
                return serialize(chat_frame{{"s1", "n", msg.text, 1}, msg.to}, re);
            } else if constexpr (std::is_same_v<T, state_message>) {
                return serialize(peer_frame{peer_kind::update, {"s1", "n", msg.state}}, re);
            } else if constexpr (std::is_same_v<T, app_message>) {
                return serialize(app_frame{"s1", msg.topic, msg.data}, re);
            } else {
                return serialize(pong_frame{}, re);
            }
        },
        m);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(bytes), size);
    parse_error detail;
    const limits lim;
    auto m = parse_client_frame(text, lim, &detail);
    if (m) {
        // What we send must itself be a JSON object a client can parse.
        const std::string out = reserialize(*m);
        const auto back = nlohmann::json::parse(out, nullptr, false);
        if (back.is_discarded() || !back.is_object()) {
            __builtin_trap();
        }
    } else {
        (void)serialize(detail);
        if (m.error() != make_error_code(detail.code)) {
            __builtin_trap();
        }
    }
    return 0;
}
