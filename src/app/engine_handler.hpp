// The packet_handler of a worker: hands client messages and closed connections to the
// worker's TURN engine (which also answers Binding requests), with the clock read once each.
#pragma once

#include <chrono>
#include <ctime>

#include "icegate/net/packet_handler.hpp"
#include "icegate/turn/engine.hpp"

namespace icegate::app {

inline turn::clock_reading read_clock() noexcept {
    return {std::chrono::steady_clock::now(), static_cast<std::int64_t>(std::time(nullptr))};
}

inline turn::client_ref client_of(const net::packet_context& ctx) noexcept {
    return {ctx.source, ctx.local, ctx.transport, ctx.conn};
}

class engine_handler final : public net::packet_handler {
public:
    explicit engine_handler(turn::engine& engine) : engine_(engine) {}

    void on_message(std::span<const std::uint8_t> in,
                    const net::packet_context& ctx) noexcept override {
        engine_.on_client_message(in, client_of(ctx), read_clock());
    }
    void on_closed(const net::packet_context& ctx) noexcept override {
        engine_.on_client_closed(client_of(ctx));
    }

private:
    turn::engine& engine_;
};

} // namespace icegate::app
