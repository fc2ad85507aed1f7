// Helpers for the STUN unit tests: hex decoding and loading tests/vectors/*.hex files.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "icegate/stun/transport_address.hpp"

namespace icegate::stun::test {

using bytes = std::vector<std::uint8_t>;

// Hex digits with any whitespace; '#' starts a comment running to the end of the line.
inline bytes from_hex(std::string_view text) {
    bytes out;
    int high = -1;
    bool comment = false;
    for (char c : text) {
        if (c == '\n') {
            comment = false;
        }
        if (comment || c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            continue;
        }
        if (c == '#') {
            comment = true;
            continue;
        }
        int v = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (v < 0) {
            throw std::invalid_argument("bad hex digit");
        }
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<std::uint8_t>(high * 16 + v));
            high = -1;
        }
    }
    if (high >= 0) {
        throw std::invalid_argument("odd number of hex digits");
    }
    return out;
}

inline bytes load_vector(const std::string& name) {
    std::ifstream in(std::string(ICEGATE_TEST_DATA_DIR) + "/vectors/" + name);
    if (!in) {
        throw std::runtime_error("cannot open vector " + name);
    }
    std::stringstream text;
    text << in.rdbuf();
    return from_hex(text.str());
}

inline std::span<const std::uint8_t> as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline transport_address v6(std::string_view hex, std::uint16_t port) {
    const bytes b = from_hex(hex);
    std::array<std::uint8_t, 16> ip{};
    std::copy(b.begin(), b.end(), ip.begin());
    return transport_address::v6(ip, port);
}

// A header (type, length of `body`, magic cookie unless `cookie` is false, id 1..12) + `body`
// exactly as given: lets tests write malformed TLVs.
inline bytes raw_message(std::uint16_t type, const bytes& body, bool cookie = true) {
    bytes m = {static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type),
               static_cast<std::uint8_t>(body.size() >> 8), static_cast<std::uint8_t>(body.size())};
    const bytes magic = cookie ? bytes{0x21, 0x12, 0xa4, 0x42} : bytes{0xde, 0xad, 0xbe, 0xef};
    m.insert(m.end(), magic.begin(), magic.end());
    for (std::uint8_t i = 1; i <= 12; ++i) {
        m.push_back(i);
    }
    m.insert(m.end(), body.begin(), body.end());
    return m;
}

// One TLV with zero padding.
inline bytes tlv(std::uint16_t type, const bytes& value) {
    bytes t = {static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type),
               static_cast<std::uint8_t>(value.size() >> 8),
               static_cast<std::uint8_t>(value.size())};
    t.insert(t.end(), value.begin(), value.end());
    while (t.size() % 4 != 0) {
        t.push_back(0);
    }
    return t;
}

inline bytes concat(std::initializer_list<bytes> parts) {
    bytes out;
    for (const auto& p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

// The RFC 5769 username for 2.4 and RFC 8489 B.1, U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9.
inline constexpr std::string_view matrix_username =
    "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";

} // namespace icegate::stun::test
