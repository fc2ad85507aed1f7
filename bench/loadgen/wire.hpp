// The few STUN/TURN messages the load generator sends and the fields it reads back, written
// independently of src/stun so that the benchmark does not test the server with its own codec.
#pragma once

#include <netinet/in.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace icegate::bench {

using txid = std::array<std::uint8_t, 12>;
using md5_key = std::array<std::uint8_t, 16>;

inline constexpr std::uint16_t method_allocate = 0x003;
inline constexpr std::uint16_t method_refresh = 0x004;
inline constexpr std::uint16_t method_channel_bind = 0x009;

// A request under construction in a fixed buffer (the largest we send is well under 512 bytes).
class request_builder {
public:
    request_builder(std::uint16_t method, const txid& id);
    void add(std::uint16_t type, const void* value, std::size_t size);
    void add_u32(std::uint16_t type, std::uint32_t value);
    void add_xor_address(std::uint16_t type, const sockaddr_in& addr);
    // USERNAME, REALM, NONCE and MESSAGE-INTEGRITY (HMAC-SHA1 with the MD5 long-term key).
    void sign(std::string_view user, std::string_view realm, std::string_view nonce,
              const md5_key& key);
    std::span<const std::uint8_t> bytes() const noexcept { return {buf_.data(), len_}; }

private:
    void set_length(std::size_t body) noexcept;
    std::array<std::uint8_t, 512> buf_{};
    std::size_t len_ = 20;
};

// What the generator needs from a response.
struct response {
    std::uint16_t type = 0;
    txid id{};
    std::uint16_t error = 0; // 0: success response
    std::string nonce;
    std::string realm;
    std::optional<sockaddr_in> relayed;
    bool success() const noexcept { return (type & 0x0110) == 0x0100; }
};

std::optional<response> parse_response(std::span<const std::uint8_t> bytes);

md5_key long_term_key(std::string_view user, std::string_view realm, std::string_view password);

// The ChannelData header (RFC 8656 section 12.4), also used by the floor relay's raw frames.
inline void put_u16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
inline std::uint16_t get_u16(const std::uint8_t* p) noexcept {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

} // namespace icegate::bench
