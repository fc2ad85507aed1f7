// The packet_handler of issue 2's service: every message goes to the STUN Binding server.
#pragma once

#include <string>

#include "icegate/net/packet_handler.hpp"
#include "icegate/stun/binding.hpp"

namespace icegate::app {

class binding_responder final : public net::packet_handler {
public:
    explicit binding_responder(std::string software) : software_(std::move(software)) {
        options_.software = software_;
    }

    std::size_t on_message(std::span<const std::uint8_t> in, const net::packet_context& ctx,
                           std::span<std::uint8_t> out) noexcept override {
        return stun::handle_binding(in, ctx.source, options_, out);
    }

private:
    std::string software_;
    stun::binding_options options_;
};

} // namespace icegate::app
