// The option parser of the admin subcommands and their error-to-exit-code wrapper.
#include "admin_args.hpp"

#include <algorithm>
#include <iostream>

#include "icegate/admin/admin_commands.hpp"
#include "icegate/util/exit_code.hpp"

namespace icegate::app::detail {

admin_args::admin_args(std::span<char* const> words, std::span<const option_spec> specs) {
    for (std::size_t i = 0; i < words.size(); ++i) {
        const std::string_view w = words[i];
        if (w == "--") {
            positional_.insert(positional_.end(), words.begin() + static_cast<long>(i) + 1,
                               words.end());
            break;
        }
        if (w.size() < 2 || w[0] != '-') {
            positional_.emplace_back(w);
            continue;
        }
        if (w == "-h" || w == "--help") {
            help_ = true;
            continue;
        }
        std::string_view name = w;
        std::optional<std::string> inline_value;
        if (const auto eq = w.find('='); w.starts_with("--") && eq != std::string_view::npos) {
            name = w.substr(0, eq);
            inline_value = std::string(w.substr(eq + 1));
        }
        const auto spec = std::ranges::find_if(
            specs, [&](const option_spec& s) { return s.name == name || s.alias == name; });
        if (spec == specs.end()) {
            throw usage_error("unknown option '" + std::string(w) + "'");
        }
        if (seen(spec->name)) {
            throw usage_error("option " + std::string(spec->name) + " given twice");
        }
        if (!spec->takes_value) {
            if (inline_value) {
                throw usage_error("option " + std::string(spec->name) + " takes no value");
            }
            flags_.emplace_back(spec->name);
            continue;
        }
        if (!inline_value) {
            if (i + 1 >= words.size()) {
                throw usage_error("option " + std::string(name) + " needs a value");
            }
            inline_value = words[++i];
        }
        values_.emplace_back(spec->name, std::move(*inline_value));
    }
}

bool admin_args::seen(std::string_view name) const {
    return value(name).has_value() || flag(name);
}

std::optional<std::string> admin_args::value(std::string_view name) const {
    for (const auto& [n, v] : values_) {
        if (n == name) {
            return v;
        }
    }
    return std::nullopt;
}

bool admin_args::flag(std::string_view name) const {
    return std::ranges::find(flags_, name) != flags_.end();
}

void admin_args::expect_positional(std::size_t count, std::string_view names) const {
    if (positional_.size() < count) {
        throw usage_error("missing " + std::string(names));
    }
    if (positional_.size() > count) {
        throw usage_error("unexpected argument '" + positional_[count] + "'");
    }
}

int guarded(std::string_view usage, const std::function<int()>& body) {
    try {
        return body();
    } catch (const usage_error& e) {
        std::cerr << "icegate: " << e.what() << "\n" << usage;
        return exit_usage;
    } catch (const std::exception& e) {
        std::cerr << "icegate: " << e.what() << "\n";
        return exit_failure;
    }
}

} // namespace icegate::app::detail
