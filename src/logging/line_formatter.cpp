// One formatter class writes both the text and the JSON-lines form, escaping what a remote
// peer could smuggle into a message (quotes, newlines, control bytes, bad UTF-8).
#include "icegate/logging/line_formatter.hpp"

#include <array>
#include <chrono>
#include <ctime>
#include <memory>
#include <string_view>

#include "icegate/util/utf8.hpp"

namespace icegate::logging {
namespace {

using spdlog::memory_buf_t;
namespace level = spdlog::level;

// The config's spelling, so a level in a log line can be pasted back into log.level.
std::string_view level_name(level::level_enum l) {
    constexpr std::array<std::string_view, 7> names{"trace", "debug",    "info", "warn",
                                                    "error", "critical", "off"};
    const auto i = static_cast<std::size_t>(l);
    return i < names.size() ? names[i] : "info";
}

void append(memory_buf_t& out, std::string_view s) {
    out.append(s.data(), s.data() + s.size());
}

void append_hex_escape(memory_buf_t& out, std::string_view prefix, unsigned char c, int width) {
    constexpr std::string_view digits = "0123456789abcdef";
    append(out, prefix);
    for (int shift = 4 * (width - 1); shift >= 0; shift -= 4) {
        out.push_back(digits[(c >> shift) & 0xf]);
    }
}

// A JSON string body (RFC 8259); ill-formed UTF-8 becomes U+FFFD so every line parses.
void append_json_escaped(memory_buf_t& out, std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            const std::size_t start = i;
            if (utf8::next_code_point(s, i)) {
                append(out, s.substr(start, i - start));
            } else {
                append(out, "\\ufffd");
                ++i;
            }
            continue;
        }
        switch (c) {
        case '"':
            append(out, "\\\"");
            break;
        case '\\':
            append(out, "\\\\");
            break;
        case '\n':
            append(out, "\\n");
            break;
        case '\r':
            append(out, "\\r");
            break;
        case '\t':
            append(out, "\\t");
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                append_hex_escape(out, "\\u", c, 4);
            } else {
                out.push_back(static_cast<char>(c));
            }
        }
        ++i;
    }
}

// Text lines stay one line each: a newline in a message cannot forge a second log entry.
void append_text_escaped(memory_buf_t& out, std::string_view s) {
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\n') {
            append(out, "\\n");
        } else if (c == '\r') {
            append(out, "\\r");
        } else if (c == '\t') {
            append(out, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            append_hex_escape(out, "\\x", c, 2);
        } else {
            out.push_back(ch);
        }
    }
}

class line_formatter final : public spdlog::formatter {
public:
    explicit line_formatter(line_style s) : style_(s) {}

    void format(const spdlog::details::log_msg& msg, memory_buf_t& dest) override {
        const std::string_view logger(msg.logger_name.data(), msg.logger_name.size());
        const std::string_view text(msg.payload.data(), msg.payload.size());
        const std::string_view lvl = level_name(msg.level);
        if (style_ == line_style::json) {
            append(dest, "{\"ts\":\"");
            append_time(msg.time, dest);
            append(dest, "\",\"level\":\"");
            append(dest, lvl);
            append(dest, "\",\"logger\":\"");
            append_json_escaped(dest, logger);
            append(dest, "\",\"msg\":\"");
            append_json_escaped(dest, text);
            append(dest, "\"}\n");
            return;
        }
        append_time(msg.time, dest);
        dest.push_back(' ');
        append(dest, lvl);
        for (std::size_t pad = lvl.size(); pad < 5; ++pad) {
            dest.push_back(' ');
        }
        dest.push_back(' ');
        append_text_escaped(dest, logger);
        append(dest, ": ");
        append_text_escaped(dest, text);
        dest.push_back('\n');
    }

    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<line_formatter>(style_);
    }

private:
    // "2026-11-21T12:00:00.123Z"; the seconds part is cached (sinks call us under their lock).
    void append_time(spdlog::log_clock::time_point t, memory_buf_t& dest) {
        const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
        const auto millis =
            std::chrono::duration_cast<std::chrono::milliseconds>(t - seconds).count();
        const std::time_t now = spdlog::log_clock::to_time_t(seconds);
        if (now != cached_second_) {
            std::tm tm{};
            ::gmtime_r(&now, &tm);
            cached_length_ =
                std::strftime(cached_.data(), cached_.size(), "%Y-%m-%dT%H:%M:%S", &tm);
            cached_second_ = now;
        }
        dest.append(cached_.data(), cached_.data() + cached_length_);
        const std::array<char, 6> tail{'.',
                                       static_cast<char>('0' + millis / 100),
                                       static_cast<char>('0' + millis / 10 % 10),
                                       static_cast<char>('0' + millis % 10),
                                       'Z',
                                       '\0'};
        dest.append(tail.data(), tail.data() + 5);
    }

    line_style style_;
    std::time_t cached_second_ = -1;
    std::array<char, 32> cached_{};
    std::size_t cached_length_ = 0;
};

} // namespace

std::unique_ptr<spdlog::formatter> make_line_formatter(line_style style) {
    return std::make_unique<line_formatter>(style);
}

} // namespace icegate::logging
