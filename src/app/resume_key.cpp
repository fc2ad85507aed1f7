// resume.key in state_dir: read at every start, made on the first.
#include "resume_key.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <tuple>

#include <sodium.h>

namespace icegate::app {
namespace fs = std::filesystem;

namespace {

constexpr const char* key_name = "resume.key";

[[noreturn]] void fail(const std::string& what, const fs::path& file, int err) {
    throw std::runtime_error("resume key: cannot " + what + " " + file.string() + ": " +
                             std::strerror(err));
}

// The key in `file`; false when there is no such file.
bool read_key(const fs::path& file, signal::resume_key& key) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) {
            return false;
        }
        fail("open", file, errno);
    }
    // One byte more than a key, to tell a longer file from a key.
    std::array<std::uint8_t, std::tuple_size_v<signal::resume_key> + 1> buf{};
    std::size_t got = 0;
    while (got < buf.size()) {
        const ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            const int err = errno;
            if (n < 0) {
                ::close(fd);
                fail("read", file, err);
            }
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (got != key.size()) {
        throw std::runtime_error("resume key: " + file.string() + " must hold exactly " +
                                 std::to_string(key.size()) +
                                 " bytes (remove it to make a new key)");
    }
    std::memcpy(key.data(), buf.data(), key.size());
    sodium_memzero(buf.data(), buf.size());
    return true;
}

// Writes a new key beside `file` and links it into place: if another process made one
// meanwhile, the link fails and both use that one.
void create_key(const fs::path& file) {
    signal::resume_key key{};
    randombytes_buf(key.data(), key.size());
    const fs::path tmp = file.string() + ".tmp." + std::to_string(::getpid());
    ::unlink(tmp.c_str());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        fail("create", tmp, errno);
    }
    const bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
                    ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    sodium_memzero(key.data(), key.size());
    if (!ok) {
        ::unlink(tmp.c_str());
        fail("write", tmp, err);
    }
    const int linked = ::link(tmp.c_str(), file.c_str());
    const int link_err = errno;
    ::unlink(tmp.c_str());
    if (linked != 0 && link_err != EEXIST) {
        fail("create", file, link_err);
    }
}

} // namespace

signal::resume_key load_resume_key(const fs::path& state_dir) {
    signal::resume_key key{};
    if (state_dir.empty()) {
        randombytes_buf(key.data(), key.size());
        return key;
    }
    std::error_code ec;
    if (!fs::is_directory(state_dir, ec)) {
        fs::create_directories(state_dir, ec);
        if (ec) {
            throw std::runtime_error("resume key: cannot create state_dir " + state_dir.string() +
                                     ": " + ec.message());
        }
        fs::permissions(state_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    }
    const fs::path file = state_dir / key_name;
    if (!read_key(file, key)) {
        create_key(file);
        if (!read_key(file, key)) {
            fail("read", file, ENOENT);
        }
    }
    return key;
}

} // namespace icegate::app
