// The client side of STUN Binding and TURN (RFC 8489, RFC 8656) the probe runs over one link:
// Allocate with the 401 challenge and long-term credentials, ChannelBind, Refresh, ChannelData.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "icegate/probe/probe_target.hpp"
#include "icegate/stun/message_builder.hpp"
#include "icegate/stun/message_view.hpp"
#include "icegate/stun/transport_address.hpp"
#include "wire.hpp"

namespace icegate::probe::detail {

class turn_client {
public:
    turn_client(link& l, turn_credentials credentials);

    // Binding request; returns XOR-MAPPED-ADDRESS. Throws step_failure.
    stun::transport_address binding();
    // Allocate (UDP relay, IPv4, else IPv6 on 440), answering the 401 challenge; returns the
    // relayed address. Throws step_failure ("401 Unauthorized ..." for wrong credentials).
    stun::transport_address allocate();
    // ChannelBind `channel` to `peer` (which also installs the permission).
    void channel_bind(std::uint16_t channel, const stun::transport_address& peer);
    // Refresh with LIFETIME 0: ends the allocation.
    void release();

    void send_channel_data(std::uint16_t channel, std::span<const std::uint8_t> data);
    // The data of the next ChannelData on `channel` that arrives by `until`; other messages are
    // skipped. nullopt when none came.
    std::optional<std::vector<std::uint8_t>> receive_channel_data(std::uint16_t channel,
                                                                  clock::time_point until);

    const std::string& realm() const { return realm_; }

private:
    using attributes = std::function<void(stun::message_builder&)>;

    // Sends the request (retransmitted over UDP: 500 ms, doubling) until its response arrives;
    // returns the response's bytes. Throws step_failure at the deadline.
    std::vector<std::uint8_t> transact(stun::method method, const attributes& add, bool sign);
    // transact() signed with the long-term key, taking a fresh nonce on 438 once; throws on an
    // error response, naming `what`.
    std::vector<std::uint8_t> authenticated(stun::method method, const attributes& add,
                                            const char* what);
    void learn_challenge(const stun::message_view& m);

    link& link_;
    turn_credentials credentials_;
    std::string realm_;
    std::string nonce_;
    std::array<std::uint8_t, 16> key_{};
};

// "401 Unauthorized", "438 Stale Nonce": an error response's code and reason.
std::string error_text(const stun::message_view& m);

} // namespace icegate::probe::detail
