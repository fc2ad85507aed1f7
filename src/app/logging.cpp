// Logging setup: one formatter class writes both the text and the JSON-lines form, escaping
// what a remote peer could smuggle into a message (quotes, newlines, control bytes, bad UTF-8).
#include "logging.hpp"

#include <array>
#include <chrono>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/formatter.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "icegate/util/utf8.hpp"

namespace icegate::app {
namespace {

using spdlog::memory_buf_t;
namespace level = spdlog::level;

// Registered in this order; the last one is also spdlog's default logger.
constexpr std::array<const char*, 5> logger_names{"stun", "turn", "signal", "net", "app"};

level::level_enum parse_level(std::string_view s) {
    constexpr std::array<std::pair<std::string_view, level::level_enum>, 8> table{{
        {"trace", level::trace},
        {"debug", level::debug},
        {"info", level::info},
        {"warn", level::warn},
        {"warning", level::warn},
        {"error", level::err},
        {"critical", level::critical},
        {"off", level::off},
    }};
    for (const auto& [name, value] : table) {
        if (name == s) {
            return value;
        }
    }
    return level::info; // validated by the config loader; be lenient if that ever slips
}

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
    explicit line_formatter(log_format f) : format_(f) {}

    void format(const spdlog::details::log_msg& msg, memory_buf_t& dest) override {
        const std::string_view logger(msg.logger_name.data(), msg.logger_name.size());
        const std::string_view text(msg.payload.data(), msg.payload.size());
        const std::string_view lvl = level_name(msg.level);
        if (format_ == log_format::json) {
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
        return std::make_unique<line_formatter>(format_);
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

    log_format format_;
    std::time_t cached_second_ = -1;
    std::array<char, 32> cached_{};
    std::size_t cached_length_ = 0;
};

// The stdout sink the registered loggers share, if setup_logging(c) ran before.
spdlog::sink_ptr registered_stdout_sink() {
    const auto app = spdlog::get("app");
    if (!app || app->sinks().size() != 1 ||
        !std::dynamic_pointer_cast<spdlog::sinks::stdout_sink_mt>(app->sinks().front())) {
        return nullptr;
    }
    auto sink = app->sinks().front();
    for (const char* name : logger_names) {
        const auto l = spdlog::get(name);
        if (!l || l->sinks().size() != 1 || l->sinks().front() != sink) {
            return nullptr;
        }
    }
    return sink;
}

void install(const log_config& c, const spdlog::sink_ptr& sink, bool already_registered) {
    sink->set_formatter(std::make_unique<line_formatter>(c.format));
    const auto lvl = parse_level(c.level);
    if (already_registered) {
        // Updated in place: no window in which spdlog::get() finds nothing.
        for (const char* name : logger_names) {
            spdlog::get(name)->set_level(lvl);
        }
        return;
    }
    spdlog::drop_all();
    std::shared_ptr<spdlog::logger> last;
    for (const char* name : logger_names) {
        last = std::make_shared<spdlog::logger>(name, sink);
        last->set_level(lvl);
        spdlog::register_logger(last);
    }
    spdlog::set_default_logger(last);
}

} // namespace

void setup_logging(const log_config& c) {
    spdlog::sink_ptr sink = registered_stdout_sink();
    const bool reuse = sink != nullptr;
    if (!reuse) {
        sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    }
    install(c, sink, reuse);
}

void setup_logging(const log_config& c, std::ostream& out) {
    install(c, std::make_shared<spdlog::sinks::ostream_sink_mt>(out), false);
}

} // namespace icegate::app
