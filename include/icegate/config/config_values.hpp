// Typed readers for config scalars (integers, durations, addresses, CIDRs, listen URLs, paths):
// each takes a yaml_value and either returns the value or fails naming file, line and key.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <boost/asio/ip/address.hpp>

#include "icegate/config/config.hpp"
#include "icegate/config/config_yaml.hpp"

namespace icegate::app::detail {

// Longest accepted duration; keeps every time_point arithmetic far from overflow.
inline constexpr std::chrono::seconds max_duration{366L * 24 * 3600};

std::string read_string(const yaml_value& v);
std::string read_nonempty_string(const yaml_value& v);
// An integer in [min, max]; fails with "expected <what>, got ..." where `what` defaults to
// "a positive integer" or "an integer from MIN to MAX".
std::uint32_t read_uint(const yaml_value& v, std::uint32_t min, std::uint32_t max,
                        std::string_view what = {});
// "10m", "600s", "1h30m", "1d": positive, at most max_duration.
// `allow_zero`: "0s" is accepted (a key where 0 means "off").
std::chrono::seconds read_duration(const yaml_value& v, bool allow_zero = false);
// A rate in bits per second: "500kbit", "2mbit", "1gbit" (SI: 1000, lowercase units, whole
// numbers) or a plain number of bits per second; 0: no cap. At most max_rate.
std::uint64_t read_rate(const yaml_value& v);
inline constexpr std::uint64_t max_rate = 1'000'000'000'000; // 1000gbit
// The shortest exact form read_rate() takes back ("2mbit" for 2000000, "0").
std::string format_rate(std::uint64_t bits_per_second);
boost::asio::ip::address read_ip(const yaml_value& v);
// An IP literal, or "auto" (nullopt); `v6` selects the required family.
std::optional<boost::asio::ip::address> read_ip_or_auto(const yaml_value& v, bool v6);
cidr read_cidr(const yaml_value& v);
std::vector<cidr> read_cidr_list(const yaml_value& v);
// "udp://127.0.0.1:3478", "tls://[::1]:5349"; port 0 picks a free port.
listen_address read_listen_url(const yaml_value& v);
// "127.0.0.1:8443", "[::1]:8443" (no scheme); port 0 picks a free port.
listen_address read_host_port(const yaml_value& v, turn::client_transport proto);
// "49152-65535" or a single port.
port_range read_port_range(const yaml_value& v);
// A path, made absolute against the file's folder; empty string: unset (empty path).
std::filesystem::path read_path(const yaml_value& v);

// Decodes exactly 2 * size hex digits (after an optional 0x) into out; false when malformed.
bool decode_hex(std::string_view text, std::uint8_t* out, std::size_t size);

// "1h30m", "600s" -> the shortest exact form ("10m" for 600 s).
std::string format_duration(std::chrono::seconds d);

} // namespace icegate::app::detail
