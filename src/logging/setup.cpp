// Logging setup: the named loggers on one sink, with the line formatter of src/logging.
#include "icegate/logging/setup.hpp"

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

#include "icegate/logging/line_formatter.hpp"

namespace icegate::logging {
namespace {

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

void install(const app::log_config& c, const spdlog::sink_ptr& sink, bool already_registered) {
    sink->set_formatter(make_line_formatter(c.format == app::log_format::json ? line_style::json
                                                                              : line_style::text));
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

void setup_logging(const app::log_config& c) {
    spdlog::sink_ptr sink = registered_stdout_sink();
    const bool reuse = sink != nullptr;
    if (!reuse) {
        sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    }
    install(c, sink, reuse);
}

void setup_logging(const app::log_config& c, std::ostream& out) {
    install(c, std::make_shared<spdlog::sinks::ostream_sink_mt>(out), false);
}

} // namespace icegate::logging
