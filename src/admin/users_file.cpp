// Loading, editing and atomically rewriting a users file; validation is the config reader's, so
// whatever `icegate user` writes loads as auth.users_file.
#include "users_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "icegate/admin/admin_commands.hpp"
#include "icegate/config/config_auth.hpp"
#include "icegate/config/config_yaml.hpp"

namespace icegate::app {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_users_file_bytes = 16UL * 1024 * 1024; // as the config reader's
constexpr std::string_view header =
    "# icegate users (auth.users_file), managed by `icegate user add|remove`.\n"
    "# key = MD5(name:realm:password), key_sha256 = SHA-256 of the same; no passwords here.\n";

[[noreturn]] void fail_io(std::string_view what, const fs::path& p) {
    const int err = errno;
    throw std::runtime_error(std::string(what) + " \"" + p.string() + "\": " + std::strerror(err));
}

// The file a save replaces: through a symlink, the file it names.
fs::path replaced_file(const fs::path& p) {
    std::error_code ec;
    return fs::is_symlink(p, ec) ? fs::canonical(p) : p;
}

// Opens (creating it 0600 when missing) the lock file. A new one gets the users file's owner
// where permitted, so that owner can still lock it after root ran the first command.
int open_lock_file(const fs::path& lock, const fs::path& users) {
    constexpr int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY; // flock needs no write
    int fd = ::open(lock.c_str(), flags | O_CREAT | O_EXCL, S_IRUSR | S_IWUSR);
    if (fd >= 0) {
        struct stat st {};
        if (::stat(users.c_str(), &st) == 0) {
            // Best effort: without the right (not root) the file stays ours, as will the users
            // file this command writes.
            [[maybe_unused]] const int rc = ::fchown(fd, st.st_uid, st.st_gid);
        }
        return fd;
    }
    if (errno == EEXIST) {
        fd = ::open(lock.c_str(), flags);
    }
    if (fd < 0) {
        fail_io("cannot open the lock file", lock);
    }
    return fd;
}

// A mkstemp file that is closed, and removed unless committed, when it goes out of scope.
class temp_file {
public:
    explicit temp_file(const fs::path& target) {
        const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
        path_ = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
        fd_ = ::mkstemp(path_.data());
        if (fd_ < 0) {
            fail_io("cannot create a temporary file in", dir);
        }
    }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    ~temp_file() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        if (!committed_) {
            ::unlink(path_.c_str());
        }
    }

    int fd() const { return fd_; }

    void write_all(std::string_view text) {
        while (!text.empty()) {
            const ssize_t n = ::write(fd_, text.data(), text.size());
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                fail_io("cannot write", path_);
            }
            text.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    // fsync, close, rename over `target`, fsync the folder: the file is old or new, never half.
    void commit(const fs::path& target) {
        if (::fsync(fd_) != 0) {
            fail_io("cannot write", path_);
        }
        const int fd = std::exchange(fd_, -1);
        if (::close(fd) != 0) {
            fail_io("cannot write", path_);
        }
        if (::rename(path_.c_str(), target.c_str()) != 0) {
            fail_io("cannot replace", target);
        }
        committed_ = true;
        const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
        const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd >= 0) {
            ::fsync(dir_fd);
            ::close(dir_fd);
        }
    }

private:
    std::string path_;
    int fd_ = -1;
    bool committed_ = false;
};

// Gives the temporary file the old file's owner and mode (0600 for a new file).
std::optional<std::string> copy_attributes(int fd, const fs::path& target) {
    struct stat st {};
    if (::stat(target.c_str(), &st) != 0) {
        ::fchmod(fd, S_IRUSR | S_IWUSR);
        return std::nullopt;
    }
    std::optional<std::string> warning;
    if (::fchown(fd, st.st_uid, st.st_gid) != 0) {
        warning = "could not keep the owner of \"" + target.string() + "\" (uid " +
                  std::to_string(st.st_uid) + ", gid " + std::to_string(st.st_gid) +
                  "): " + std::strerror(errno) + "; check that icegate can still read it";
    }
    ::fchmod(fd, st.st_mode & 07777);
    return warning;
}

void emit_entry(YAML::Emitter& out, const YAML::Node& entry) {
    out << YAML::BeginMap;
    for (const auto& kv : entry) {
        if (kv.second.IsNull()) {
            continue; // unset, as the config reader sees it
        }
        out << YAML::Key << kv.first.Scalar() << YAML::Value << YAML::DoubleQuoted
            << kv.second.Scalar();
    }
    out << YAML::EndMap;
}

} // namespace

users_file users_file::load(const fs::path& path) {
    users_file f(path);
    std::error_code ec;
    const auto st = fs::status(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
        throw config_error("cannot read \"" + path.string() + "\": " + ec.message());
    }
    if (!fs::exists(st)) {
        return f;
    }
    f.existed_ = true;
    std::vector<std::string> warnings; // placeholder keys, plaintext passwords: kept as they are
    detail::yaml_source arg{"--file", fs::current_path(), &warnings};
    const detail::yaml_value key(YAML::Node(path.string()), "", arg, 0);
    const std::string text = detail::read_small_file(key, path, max_users_file_bytes);

    // The same steps as the config reader's user_reader::read_file, keeping the nodes.
    detail::yaml_source src{path.filename().string(), path.parent_path(), &warnings};
    const detail::yaml_value root(detail::load_yaml(text, src), "", src, 1);
    const detail::yaml_map m(root, {"users"});
    if (auto users = m.get("users")) {
        std::vector<user_entry> checked;
        detail::user_reader reader("", checked);
        reader.read_list(*users, true);
        for (const auto& item : users->items("a list of users")) {
            f.entries_.push_back(YAML::Clone(item.node()));
        }
    }
    return f;
}

std::vector<YAML::Node>::iterator users_file::find(std::string_view name) {
    return std::find_if(entries_.begin(), entries_.end(), [&](const YAML::Node& e) {
        const YAML::Node& entry = e; // const: operator[] must not insert
        return entry["name"].Scalar() == name;
    });
}

std::vector<std::string> users_file::names() const {
    std::vector<std::string> out;
    for (const YAML::Node& e : entries_) {
        out.push_back(e["name"].Scalar());
    }
    return out;
}

bool users_file::contains(std::string_view name) const {
    return std::ranges::any_of(entries_,
                               [&](const YAML::Node& e) { return e["name"].Scalar() == name; });
}

bool users_file::put(const std::string& name, const long_term_keys& keys) {
    YAML::Node entry(YAML::NodeType::Map);
    entry["name"] = name;
    entry["key"] = keys.md5_hex;
    entry["key_sha256"] = keys.sha256_hex;
    auto it = find(name);
    if (it != entries_.end()) {
        *it = entry; // the whole entry: an old `password:` goes too
        return true;
    }
    entries_.push_back(entry);
    return false;
}

bool users_file::remove(std::string_view name) {
    // Not entries_.erase(): it shifts the later entries down by assignment, and assigning a
    // YAML::Node also rewires the node it referred to, which the previous slot now shares: the
    // next user vanished and the last appeared twice (a file the config reader refuses).
    std::vector<YAML::Node> kept;
    kept.reserve(entries_.size());
    for (const YAML::Node& e : entries_) {
        if (e["name"].Scalar() != name) {
            kept.push_back(e); // copy construction: shares the node, changes nothing
        }
    }
    if (kept.size() == entries_.size()) {
        return false;
    }
    entries_ = std::move(kept); // moves the buffer, no element is assigned
    return true;
}

std::string users_file::to_yaml() const {
    YAML::Emitter out;
    out << YAML::BeginMap << YAML::Key << "users" << YAML::Value;
    if (entries_.empty()) {
        out << YAML::Flow;
    }
    out << YAML::BeginSeq;
    for (const YAML::Node& e : entries_) {
        emit_entry(out, e);
    }
    out << YAML::EndSeq << YAML::EndMap;
    if (!out.good()) {
        throw std::runtime_error("cannot write the users file: " + out.GetLastError());
    }
    return std::string(header) + out.c_str() + "\n";
}

std::optional<std::string> users_file::save() const {
    const fs::path target = replaced_file(path_); // the file a symlink names, not the link
    const std::string text = to_yaml();
    temp_file tmp(target);
    auto warning = copy_attributes(tmp.fd(), target);
    tmp.write_all(text);
    tmp.commit(target);
    return warning;
}

fs::path users_file_lock::lock_path_for(const fs::path& users_path) {
    const fs::path target = replaced_file(users_path);
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    return dir / ("." + target.filename().string() + ".lock");
}

users_file_lock users_file_lock::acquire(const fs::path& users_path,
                                         std::chrono::milliseconds timeout) {
    const fs::path lock = lock_path_for(users_path);
    users_file_lock held(open_lock_file(lock, replaced_file(users_path)));
    // Polled rather than blocking so the wait is bounded without signals or threads; each
    // holder keeps it for one load-edit-fsync, a few milliseconds.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (::flock(held.fd_, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR) {
            continue;
        }
        if (errno != EWOULDBLOCK) {
            fail_io("cannot lock", lock);
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            const auto ms = static_cast<long long>(timeout.count());
            throw std::runtime_error(
                "another `icegate user add|remove` has held the lock \"" + lock.string() +
                "\" for over " +
                (ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms") +
                "; nothing was changed, try again when it has finished");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return held;
}

users_file_lock::~users_file_lock() {
    if (fd_ >= 0) {
        ::close(fd_); // releases the flock
    }
}

} // namespace icegate::app
