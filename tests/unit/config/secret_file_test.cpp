// Tests for src/config/secret_file: the `--secret-file` reader of `icegate credential` and
// `icegate probe` (first line, trimmed; empty, missing, odd and oversized files refused).
#include "icegate/config/secret_file.hpp"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "../test_util.hpp"
#include "icegate/config/config.hpp"

namespace icegate::app {
namespace {

using test::temp_dir;

// The message of the exception read_secret_file throws, or "" when it returns.
template <typename Error>
std::string error_of(const std::filesystem::path& file) {
    try {
        read_secret_file(file);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

TEST(SecretFile, FirstLineWithoutItsNewline) {
    temp_dir dir;
    EXPECT_EQ(read_secret_file(dir.write("lf", "s3cret\n")), "s3cret");
    EXPECT_EQ(read_secret_file(dir.write("crlf", "s3cret\r\n")), "s3cret");
    EXPECT_EQ(read_secret_file(dir.write("bare", "s3cret")), "s3cret");
}

TEST(SecretFile, SpacesAroundTheFirstLineAreTrimmedAndTheRestIgnored) {
    temp_dir dir;
    EXPECT_EQ(read_secret_file(dir.write("s", " \t s3cret value \t\nsecond line\n")),
              "s3cret value");
}

TEST(SecretFile, EmptyFileOrFirstLineIsRefused) {
    temp_dir dir;
    const auto empty = dir.write("empty", "");
    EXPECT_EQ(error_of<std::runtime_error>(empty),
              "secret file \"" + empty.string() + "\" has an empty first line");
    const auto blank = dir.write("blank", " \t\r\nsecret on the second line\n");
    EXPECT_EQ(error_of<std::runtime_error>(blank),
              "secret file \"" + blank.string() + "\" has an empty first line");
}

TEST(SecretFile, MissingFileIsNamed) {
    temp_dir dir;
    const auto missing = dir.path() / "no-such-secret";
    EXPECT_EQ(error_of<config_error>(missing),
              "--secret-file: cannot read \"" + missing.string() + "\": No such file or directory");
}

TEST(SecretFile, FolderAndOversizedFileAreRefused) {
    temp_dir dir;
    EXPECT_EQ(error_of<config_error>(dir.path()),
              "--secret-file: cannot read \"" + dir.path().string() + "\": not a regular file");
    const auto large = dir.write("large", "s3cret\n" + std::string(64 * 1024, 'x'));
    EXPECT_EQ(error_of<config_error>(large),
              "--secret-file: cannot read \"" + large.string() + "\": larger than 65536 bytes");
    EXPECT_EQ(read_secret_file(dir.write("at-limit", "s3cret\n" + std::string(64 * 1024 - 7, 'x'))),
              "s3cret");
}

} // namespace
} // namespace icegate::app
