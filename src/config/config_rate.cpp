// Bit rates in the config (limits.*_bandwidth): "2mbit", "500kbit", "1gbit" or plain bits per
// second. Strict on purpose: "2mb", "2MB" or "2mbps" could mean bytes or bits, and a cap off by
// a factor of eight is worse than a config that does not load.
#include <array>
#include <charconv>
#include <string>
#include <string_view>
#include <utility>

#include "icegate/config/config_values.hpp"

namespace icegate::app::detail {

namespace {

constexpr std::array<std::pair<std::string_view, std::uint64_t>, 3> units{{
    {"gbit", 1'000'000'000},
    {"mbit", 1'000'000},
    {"kbit", 1'000},
}};

constexpr std::string_view rate_what =
    "a rate in bits per second: a whole number with kbit, mbit or gbit (500kbit, 2mbit, 1gbit) "
    "or a plain number of bits per second; 0: no cap";

bool ascii_iequal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

// Why a unit was refused, for the forms people are likely to write.
std::string unit_hint(std::string_view unit) {
    if (unit.starts_with(' ') || unit.starts_with('\t')) {
        return " (no space before the unit: 2mbit)";
    }
    if (unit.starts_with('.') || unit.starts_with(',')) {
        return " (whole numbers only: 1500kbit, not 1.5mbit)";
    }
    for (const auto& [name, factor] : units) {
        if (ascii_iequal(unit, name)) {
            return " (units are lowercase: " + std::string(name) + ")";
        }
    }
    for (std::string_view bytes : {"k", "m", "g", "kb", "mb", "gb", "kbps", "mbps", "gbps", "b",
                                   "bps", "bit", "kib", "mib", "gib"}) {
        if (ascii_iequal(unit, bytes)) {
            return " (bits or bytes? write kbit, mbit or gbit)";
        }
    }
    return {};
}

} // namespace

std::uint64_t read_rate(const yaml_value& v) {
    const std::string& s = v.scalar(rate_what);
    std::size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') {
        ++digits;
    }
    const std::string_view unit = std::string_view(s).substr(digits);
    if (digits == 0 || digits > 13) {
        v.fail_expected(rate_what);
    }
    std::uint64_t n = 0;
    std::from_chars(s.data(), s.data() + digits, n);
    std::uint64_t factor = unit.empty() ? 1 : 0;
    for (const auto& [name, f] : units) {
        factor = unit == name ? f : factor;
    }
    if (factor == 0) {
        v.fail("expected " + std::string(rate_what) + ", got " + v.describe() + unit_hint(unit));
    }
    if (n > max_rate / factor) {
        v.fail_expected("a rate of at most " + format_rate(max_rate));
    }
    return n * factor;
}

std::string format_rate(std::uint64_t bits_per_second) {
    for (const auto& [name, factor] : units) {
        if (bits_per_second != 0 && bits_per_second % factor == 0) {
            return std::to_string(bits_per_second / factor) + std::string(name);
        }
    }
    return std::to_string(bits_per_second);
}

} // namespace icegate::app::detail
