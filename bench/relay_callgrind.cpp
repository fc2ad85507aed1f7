// relay_callgrind: icegate's relay path on a fixed input, for instruction counts under
// valgrind --tool=callgrind. Two clients allocate (401, then signed), bind channel 0x4000 to
// each other's relay, then N times: client A's ChannelData goes through turn::engine to a fake
// io_port, which hands the peer datagram straight back to the engine as arriving on B's relay,
// which frames it to client B. Run with two N and divide the difference by the difference.
//   relay_callgrind N
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "icegate/stun/attributes.hpp"
#include "icegate/stun/channel_data.hpp"
#include "icegate/stun/credentials.hpp"
#include "icegate/turn/auth.hpp"
#include "icegate/turn/engine.hpp"
#include "icegate/turn/peer_policy.hpp"
#include "icegate/turn/quota_table.hpp"
#include "icegate/turn/reservation_table.hpp"

namespace {

using namespace icegate;
using stun::transport_address;

constexpr std::string_view realm = "bench";
const transport_address loopback_server = transport_address::v4({127, 0, 0, 1}, 3478);

// Keeps the last peer send (to loop it back) and counts client sends; allocates nothing per
// packet, like worker_io.
class fake_io : public turn::io_port {
public:
    result<turn::relay_binding> open_relay(const turn::relay_request&) noexcept override {
        const turn::relay_id id = next_id_++;
        return turn::relay_binding{
            id, transport_address::v4({127, 0, 0, 1}, static_cast<std::uint16_t>(50000 + id))};
    }
    void close_relay(turn::relay_id) noexcept override {}
    result<std::int64_t> hold_port(stun::address_family, std::uint16_t) noexcept override {
        return std::make_error_code(std::errc::address_in_use);
    }
    void release_port(std::int64_t) noexcept override {}
    void send_to_peer(turn::relay_id id, const transport_address& peer,
                      std::span<const std::uint8_t> bytes) noexcept override {
        peer_relay = id;
        peer_to = peer;
        peer_len = bytes.size();
        std::memcpy(peer_buf.data(), bytes.data(), std::min(bytes.size(), peer_buf.size()));
    }
    void send_to_client(const turn::client_ref&,
                        std::span<const std::uint8_t> bytes) noexcept override {
        ++client_sends;
        last_client_len = bytes.size();
        std::memcpy(last_client.data(), bytes.data(), std::min(bytes.size(), last_client.size()));
    }

    turn::relay_id peer_relay = 0;
    transport_address peer_to;
    std::size_t peer_len = 0;
    std::array<std::uint8_t, 2048> peer_buf{};
    std::uint64_t client_sends = 0;
    std::size_t last_client_len = 0;
    std::array<std::uint8_t, 2048> last_client{};

private:
    turn::relay_id next_id_ = 1;
};

struct harness {
    harness() {
        auto as = std::make_shared<turn::auth_settings>();
        as->realm = std::string(realm);
        as->users = {{"bench", *stun::long_term_key_md5("bench", realm, "benchpw"), {}}};
        as->nonce_key.fill(7);
        auto policy = std::make_shared<turn::peer_policy>(
            std::vector<turn::prefix>{turn::prefix::v4({127, 0, 0, 0}, 8)},
            std::vector<turn::prefix>{}, std::vector<transport_address>{loopback_server},
            std::vector<transport_address>{transport_address::v4({127, 0, 0, 1}, 0)});
        eng = std::make_unique<turn::engine>(
            turn::engine_settings{}, std::make_shared<turn::authenticator>(as), policy,
            std::make_shared<turn::quota_table>(), std::make_shared<turn::reservation_table>(), io,
            [this](std::span<std::uint8_t> out) {
                for (auto& b : out) {
                    b = static_cast<std::uint8_t>(++random_state);
                }
            });
    }

    turn::client_ref client(std::uint16_t port, std::uint64_t conn) const {
        return {transport_address::v4({127, 0, 0, 1}, port), loopback_server,
                turn::client_transport::udp, conn};
    }

    // Sends a request (unsigned without a nonce, then signed) and returns the reply view.
    stun::message_view request(stun::method m, const turn::client_ref& from,
                               const std::function<void(stun::message_builder&)>& attrs) {
        for (int attempt = 0; attempt < 2; ++attempt) {
            stun::transaction_id id{};
            id[0] = static_cast<std::uint8_t>(++txn);
            stun::message_builder b(req, {m, stun::message_class::request}, id);
            attrs(b);
            if (!nonce.empty()) {
                (void)stun::username{"bench"}.encode(b);
                (void)stun::realm{realm}.encode(b);
                (void)stun::nonce{nonce}.encode(b);
                (void)b.add_message_integrity(*stun::long_term_key_md5("bench", realm, "benchpw"));
            }
            const auto out = b.finish();
            eng->on_client_message(*out, from, now);
            const auto v = stun::message_view::parse({io.last_client.data(), io.last_client_len});
            if (!v) {
                break;
            }
            if (const auto n = stun::get<stun::nonce>(*v); n && nonce.empty()) {
                nonce = std::string(n->value);
                continue;
            }
            return *v;
        }
        std::fprintf(stderr, "relay_callgrind: setup request failed\n");
        std::exit(1);
    }

    fake_io io;
    std::unique_ptr<turn::engine> eng;
    turn::clock_reading now{std::chrono::steady_clock::time_point{} + std::chrono::hours(1),
                            1'700'000'000};
    std::string nonce;
    std::uint8_t random_state = 0;
    std::uint32_t txn = 0;
    std::array<std::uint8_t, 1024> req{};
};

} // namespace

int main(int argc, char** argv) {
    const long n = argc > 1 ? std::atol(argv[1]) : 1000;
    harness h;
    const auto a = h.client(40001, 0);
    const auto b = h.client(40002, 0);
    transport_address relay_of[2];
    for (int i = 0; i < 2; ++i) {
        const auto v = h.request(stun::method::allocate, i == 0 ? a : b,
                                 [](auto& mb) { (void)stun::requested_transport{}.encode(mb); });
        relay_of[i] = stun::get<stun::xor_relayed_address>(v)->address;
    }
    for (int i = 0; i < 2; ++i) {
        const auto v = h.request(stun::method::channel_bind, i == 0 ? a : b, [&](auto& mb) {
            (void)stun::channel_number{0x4000}.encode(mb);
            (void)stun::xor_peer_address{relay_of[1 - i]}.encode(mb);
        });
        if (v.message_class() != stun::message_class::success_response) {
            std::fprintf(stderr, "relay_callgrind: ChannelBind failed\n");
            return 1;
        }
    }
    std::array<std::uint8_t, 100> payload{};
    std::array<std::uint8_t, 128> frame{};
    const auto len =
        *stun::channel_data{0x4000, payload}.build(frame, stun::channel_framing::datagram);
    const std::uint64_t before = h.io.client_sends;
    for (long i = 0; i < n; ++i) {
        h.eng->on_client_message({frame.data(), len}, a, h.now);
        // The kernel carries it from A's relay socket to B's: B's relay receives it from A's.
        h.eng->on_peer_datagram(2, relay_of[0], {h.io.peer_buf.data(), h.io.peer_len}, h.now);
    }
    const std::uint64_t delivered = h.io.client_sends - before;
    std::printf("relayed=%llu\n", static_cast<unsigned long long>(delivered));
    return delivered == static_cast<std::uint64_t>(n) ? 0 : 1;
}
