// Helpers of the config, admin, web and app tests: a temporary folder removed with everything
// in it when the test ends, and lowercase hex of bytes.
#pragma once

#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace icegate::test {

class temp_dir {
public:
    temp_dir() {
        namespace fs = std::filesystem;
        std::string tmpl = (fs::temp_directory_path() / "icegate-test-XXXXXX").string();
        path_ = ::mkdtemp(tmpl.data());
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // Writes `text` to `name` below the folder (creating sub-folders); returns its path.
    std::filesystem::path write(const std::filesystem::path& name, const std::string& text) const {
        std::filesystem::path p = path_ / name;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }

private:
    std::filesystem::path path_;
};

inline std::string hex(const std::uint8_t* data, std::size_t n) {
    static constexpr const char* digits = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 0xf];
    }
    return out;
}

} // namespace icegate::test
