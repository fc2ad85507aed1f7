// A temporary folder for a test, removed with everything in it when the test ends.
#pragma once

#include <stdlib.h>

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

} // namespace icegate::test
