// libFuzzer target for the config parser: any input either loads or throws config_error; a
// config that loads and holds no masked values reads back from to_yaml unchanged.
#include <cstddef>
#include <cstdint>
#include <string>

#include "icegate/config/config.hpp"

namespace {

bool has_masked_values(const icegate::app::config& c) {
    return !c.auth.users.empty() || !c.auth.secrets.empty() || !c.signal.join_secret.empty();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace icegate::app;
    std::string text(reinterpret_cast<const char*>(data), size);
    try {
        auto c = parse_config(text, "/nonexistent/icegate-fuzz/icegate.yaml");
        std::string out = to_yaml(*c);
        if (!has_masked_values(*c) && c->auth.users_file.empty()) {
            auto again = parse_config(out, "/nonexistent/icegate-fuzz/icegate.yaml");
            if (to_yaml(*again) != out) {
                __builtin_trap();
            }
        }
    } catch (const config_error&) {
        // Expected for bad input; anything else escaping is a bug.
    }
    return 0;
}
