// Config scalar readers (durations, integers, addresses, CIDRs, listen URLs, paths) and the
// text forms of listen_address and cidr.
#include "icegate/config/config_values.hpp"

#include <array>
#include <charconv>
#include <limits>

namespace icegate::app {

namespace {

using boost::asio::ip::address;

bool all_digits(std::string_view s) {
    if (s.empty()) {
        return false;
    }
    for (char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

// Decimal digits only (no sign, no 0x); nullopt when malformed or above `max`.
std::optional<std::uint64_t> parse_decimal(std::string_view s, std::uint64_t max) {
    if (!all_digits(s) || s.size() > 19) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    if (v > max) {
        return std::nullopt;
    }
    return v;
}

// An IP literal without zone id; nullopt otherwise.
std::optional<address> parse_ip(std::string_view s) {
    if (s.empty() || s.find('%') != std::string_view::npos) {
        return std::nullopt;
    }
    boost::system::error_code ec;
    address a = boost::asio::ip::make_address(std::string(s), ec);
    if (ec) {
        return std::nullopt;
    }
    return a;
}

std::string host_text(const address& a) {
    return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
}

// Zeroes every bit past `prefix`; returns true when any was set.
template <std::size_t N>
bool mask_bytes(std::array<unsigned char, N>& bytes, unsigned prefix) {
    bool changed = false;
    for (std::size_t i = 0; i < N; ++i) {
        unsigned keep = prefix >= (i + 1) * 8 ? 8 : (prefix > i * 8 ? prefix - i * 8 : 0);
        auto mask = static_cast<unsigned char>(keep == 0 ? 0 : 0xff << (8 - keep));
        if ((bytes[i] & ~mask & 0xff) != 0) {
            changed = true;
        }
        bytes[i] = static_cast<unsigned char>(bytes[i] & mask);
    }
    return changed;
}

// Masks `a` to `prefix` bits; `had_host_bits` reports whether that changed it.
address masked(const address& a, unsigned prefix, bool& had_host_bits) {
    if (a.is_v4()) {
        auto bytes = a.to_v4().to_bytes();
        had_host_bits = mask_bytes(bytes, prefix);
        return boost::asio::ip::address_v4(bytes);
    }
    auto bytes = a.to_v6().to_bytes();
    had_host_bits = mask_bytes(bytes, prefix);
    return boost::asio::ip::address_v6(bytes);
}

// Parses "HOST:PORT" with IPv6 in brackets. Returns an empty string or the reason it failed.
std::string parse_host_port(std::string_view text, address& host, std::uint16_t& port) {
    std::string_view h;
    std::string_view p;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos) {
            return "missing ] after the IPv6 address";
        }
        h = text.substr(1, close - 1);
        if (close + 1 >= text.size() || text[close + 1] != ':') {
            return "expected :PORT after the address";
        }
        p = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            return "expected :PORT after the address";
        }
        if (text.find(':') != colon) {
            return "IPv6 addresses go in brackets, e.g. [::1]:3478";
        }
        h = text.substr(0, colon);
        p = text.substr(colon + 1);
    }
    auto ip = parse_ip(h);
    if (!ip) {
        return "host must be an IP literal (names are not resolved), IPv6 in brackets";
    }
    if (ip->is_v4() && text.front() == '[') {
        return "only IPv6 addresses go in brackets";
    }
    auto n = parse_decimal(p, 65535);
    if (!n) {
        return "port must be a number from 0 to 65535 (0: pick a free port)";
    }
    host = *ip;
    port = static_cast<std::uint16_t>(*n);
    return {};
}

// Parses "1h30m"-style text; nullopt when malformed (units d, h, m, s, largest first).
std::optional<std::uint64_t> parse_duration_seconds(std::string_view s) {
    static constexpr std::string_view units = "dhms";
    static constexpr std::array<std::uint64_t, 4> factor = {86400, 3600, 60, 1};
    std::uint64_t total = 0;
    std::size_t next_unit = 0;
    std::size_t i = 0;
    if (s.empty()) {
        return std::nullopt;
    }
    while (i < s.size()) {
        std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            ++i;
        }
        if (i == start || i == s.size() || i - start > 9) {
            return std::nullopt;
        }
        auto u = units.find(s[i], next_unit);
        if (u == std::string_view::npos) {
            return std::nullopt;
        }
        std::uint64_t n = 0;
        std::from_chars(s.data() + start, s.data() + i, n);
        total += n * factor[u];
        next_unit = u + 1;
        ++i;
    }
    return total;
}

} // namespace

std::string listen_address::to_string() const {
    static constexpr std::array<std::string_view, 3> schemes = {"udp", "tcp", "tls"};
    return std::string(schemes[static_cast<std::size_t>(proto)]) + "://" + host_text(address) +
           ":" + std::to_string(port);
}

std::string cidr::to_string() const {
    return network.to_string() + "/" + std::to_string(prefix);
}

bool cidr::contains(const boost::asio::ip::address& a) const {
    if (a.is_v4() != network.is_v4()) {
        return false;
    }
    bool unused = false;
    return masked(a, prefix, unused) == network;
}

namespace detail {

std::string read_string(const yaml_value& v) {
    return v.scalar("a string");
}

std::string read_nonempty_string(const yaml_value& v) {
    const std::string& s = v.scalar("a non-empty string");
    if (s.empty()) {
        v.fail_expected("a non-empty string");
    }
    return s;
}

std::uint32_t read_uint(const yaml_value& v, std::uint32_t min, std::uint32_t max,
                        std::string_view what_text) {
    std::string what(what_text);
    if (what.empty()) {
        what = min == 1 && max == std::numeric_limits<std::uint32_t>::max()
                   ? "a positive integer"
                   : "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    }
    auto n = parse_decimal(v.scalar(what), max);
    if (!n || *n < min) {
        v.fail_expected(what);
    }
    return static_cast<std::uint32_t>(*n);
}

std::chrono::seconds read_duration(const yaml_value& v, bool allow_zero) {
    static constexpr std::string_view what =
        "a duration with a unit (s, m, h or d, e.g. 600s, 10m, 1h30m)";
    const std::string& s = v.scalar(what);
    auto secs = parse_duration_seconds(s);
    if (!secs) {
        v.fail_expected(what);
    }
    if (*secs == 0 && !allow_zero) {
        v.fail_expected("a positive duration");
    }
    if (*secs > static_cast<std::uint64_t>(max_duration.count())) {
        v.fail_expected("a duration of at most " + format_duration(max_duration));
    }
    return std::chrono::seconds(static_cast<std::int64_t>(*secs));
}

boost::asio::ip::address read_ip(const yaml_value& v) {
    auto ip = parse_ip(v.scalar("an IP address"));
    if (!ip) {
        v.fail_expected("an IP address");
    }
    return *ip;
}

std::optional<boost::asio::ip::address> read_ip_or_auto(const yaml_value& v, bool v6) {
    std::string what = v6 ? "an IPv6 address or auto" : "an IPv4 address or auto";
    const std::string& s = v.scalar(what);
    if (s == "auto") {
        return std::nullopt;
    }
    auto ip = parse_ip(s);
    if (!ip || ip->is_v6() != v6) {
        v.fail_expected(what);
    }
    return ip;
}

cidr read_cidr(const yaml_value& v) {
    const std::string& s = v.scalar("a CIDR such as 10.0.0.0/8");
    std::string_view text = s;
    auto slash = text.find('/');
    auto ip = parse_ip(text.substr(0, slash));
    if (!ip) {
        v.fail("bad CIDR " + quote_text(s) + ": " + quote_text(text.substr(0, slash)) +
               " is not an IP address");
    }
    unsigned max = ip->is_v4() ? 32 : 128;
    cidr c;
    c.prefix = max;
    if (slash != std::string_view::npos) {
        auto n = parse_decimal(text.substr(slash + 1), max);
        if (!n) {
            v.fail("bad CIDR " + quote_text(s) + ": prefix length must be 0 to " +
                   std::to_string(max) + (ip->is_v4() ? " for IPv4" : " for IPv6"));
        }
        c.prefix = static_cast<unsigned>(*n);
    }
    bool host_bits = false;
    c.network = masked(*ip, c.prefix, host_bits);
    if (host_bits) {
        v.fail("bad CIDR " + quote_text(s) + ": host bits set; did you mean " + c.to_string() +
               "?");
    }
    return c;
}

std::vector<cidr> read_cidr_list(const yaml_value& v) {
    std::vector<cidr> out;
    for (const auto& item : v.items("a list of CIDRs")) {
        out.push_back(read_cidr(item));
    }
    return out;
}

listen_address read_listen_url(const yaml_value& v) {
    static constexpr std::string_view what = "a listen URL such as udp://0.0.0.0:3478";
    const std::string& s = v.scalar(what);
    std::string_view text = s;
    auto sep = text.find("://");
    if (sep == std::string_view::npos) {
        v.fail("bad listen address " + quote_text(s) +
               ": expected udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT");
    }
    listen_address la;
    std::string_view scheme = text.substr(0, sep);
    if (scheme == "udp") {
        la.proto = turn::client_transport::udp;
    } else if (scheme == "tcp") {
        la.proto = turn::client_transport::tcp;
    } else if (scheme == "tls") {
        la.proto = turn::client_transport::tls;
    } else {
        v.fail("bad listen address " + quote_text(s) + ": scheme must be udp, tcp or tls");
    }
    std::string why = parse_host_port(text.substr(sep + 3), la.address, la.port);
    if (!why.empty()) {
        v.fail("bad listen address " + quote_text(s) + ": " + why);
    }
    return la;
}

listen_address read_host_port(const yaml_value& v, turn::client_transport proto) {
    const std::string& s = v.scalar("HOST:PORT such as 0.0.0.0:8443");
    if (s.find("://") != std::string::npos) {
        v.fail("bad address " + quote_text(s) + ": expected HOST:PORT without a scheme");
    }
    listen_address la;
    la.proto = proto;
    std::string why = parse_host_port(s, la.address, la.port);
    if (!why.empty()) {
        v.fail("bad address " + quote_text(s) + ": " + why);
    }
    return la;
}

port_range read_port_range(const yaml_value& v) {
    static constexpr std::string_view what =
        "a port range FIRST-LAST within 1-65535 with FIRST <= LAST, e.g. 49152-65535";
    std::string_view s = v.scalar(what);
    auto dash = s.find('-');
    auto first = parse_decimal(s.substr(0, dash), 65535);
    auto last = dash == std::string_view::npos ? first : parse_decimal(s.substr(dash + 1), 65535);
    if (!first || !last || *first == 0 || *first > *last) {
        v.fail_expected(what);
    }
    return {static_cast<std::uint16_t>(*first), static_cast<std::uint16_t>(*last)};
}

std::filesystem::path read_path(const yaml_value& v) {
    const std::string& s = v.scalar("a path");
    if (s.empty()) {
        return {};
    }
    if (s.find('\0') != std::string::npos) {
        v.fail("path contains a NUL character");
    }
    std::filesystem::path p(s);
    if (p.is_relative()) {
        p = v.source().folder / p;
    }
    return p.lexically_normal();
}

bool decode_hex(std::string_view text, std::uint8_t* out, std::size_t size) {
    if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text.remove_prefix(2);
    }
    if (text.size() != size * 2) {
        return false;
    }
    for (std::size_t i = 0; i < size; ++i) {
        auto [ptr, ec] = std::from_chars(text.data() + 2 * i, text.data() + 2 * i + 2, out[i], 16);
        if (ec != std::errc() || ptr != text.data() + 2 * i + 2) {
            return false;
        }
    }
    return true;
}

std::string format_duration(std::chrono::seconds d) {
    auto s = d.count();
    if (s <= 0) {
        return "0s";
    }
    std::string out;
    for (auto [unit, factor] : {std::pair{'d', 86400L}, {'h', 3600L}, {'m', 60L}, {'s', 1L}}) {
        if (s >= factor) {
            out += std::to_string(s / factor) + unit;
            s %= factor;
        }
    }
    return out;
}

} // namespace detail

} // namespace icegate::app
