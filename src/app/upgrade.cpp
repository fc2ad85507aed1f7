// The upgrade handshake (upgrade.hpp) over a socketpair: the successor writes "loaded", the
// predecessor hands over and writes "go", the successor binds and writes "ready".
#include "upgrade.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "drain.hpp"

extern char** environ;

namespace icegate::app {

namespace {

constexpr const char* channel_variable = "ICEGATE_UPGRADE_FD";
constexpr int channel_fd = 3; // where the successor finds its end
// Loading a config takes milliseconds and binding as long; a successor this slow is stuck.
constexpr std::chrono::seconds step_timeout{30};
// After the predecessor's channel closed: its process may still be ending.
constexpr std::chrono::seconds predecessor_settle{2};

// Reads one line from `fd` within `timeout`; true when it is `want`.
bool read_line(int fd, std::string_view want, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    while (line.size() <= want.size()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return false;
        }
        pollfd p{fd, POLLIN, 0};
        const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        if (rc <= 0) {
            return false;
        }
        char c = 0;
        if (::read(fd, &c, 1) != 1) {
            return false; // closed: the other side exited
        }
        if (c == '\n') {
            return line == want;
        }
        line.push_back(c);
    }
    return false;
}

bool write_line(int fd, std::string_view line) {
    const std::string s = std::string(line) + "\n";
    return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
}

struct successor {
    pid_t pid = -1;
    int fd = -1; // our end of the channel
};

// Starts `self` again with the channel's other end as descriptor 3 and nothing else of ours
// inherited (no listener, no connection), signals at their defaults.
successor spawn(const launch& self) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        throw std::runtime_error(std::string("socketpair: ") + std::strerror(errno));
    }
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_adddup2(&files, sv[1], channel_fd);
    posix_spawn_file_actions_addclosefrom_np(&files, channel_fd + 1);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigset_t ours;
    sigemptyset(&none);
    sigemptyset(&ours);
    for (const int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR2, SIGPIPE}) {
        sigaddset(&ours, s);
    }
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &ours);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        if (std::strncmp(*e, channel_variable, std::strlen(channel_variable)) != 0) {
            env.emplace_back(*e);
        }
    }
    env.push_back(std::string(channel_variable) + "=" + std::to_string(channel_fd));
    std::vector<char*> envp;
    for (auto& e : env) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> args = self.args;
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);

    successor s;
    const int rc = ::posix_spawn(&s.pid, self.exe.c_str(), &files, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&files);
    posix_spawnattr_destroy(&attr);
    ::close(sv[1]);
    if (rc != 0) {
        ::close(sv[0]);
        throw std::runtime_error("cannot start " + self.exe.string() + ": " + std::strerror(rc));
    }
    s.fd = sv[0];
    return s;
}

// A successor that did not come up: ends it if it still runs (we started it) and reaps it.
void give_up(const successor& s) {
    ::kill(s.pid, SIGKILL);
    int status = 0;
    ::waitpid(s.pid, &status, 0);
    ::close(s.fd);
}

} // namespace

launch launch::of(std::span<char*> args) {
    launch l;
    std::error_code ec;
    // Resolved now: after a package upgrade /proc/self/exe names the replaced, deleted file.
    l.exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec && !args.empty()) {
        l.exe = args[0];
    }
    for (char* a : args) {
        l.args.emplace_back(a);
    }
    return l;
}

bool on_upgrade_signal(server& srv, boost::asio::io_context& main_io, const launch& self) {
    auto log = spdlog::get("app");
    if (srv.draining()) {
        log->warn("upgrade ignored: this process is already draining");
        return false;
    }
    if (srv.grace().count() == 0) {
        log->warn("upgrade ignored: it needs shutdown.grace above 0s (the time the calls "
                  "this process relays have to move to its successor)");
        return false;
    }
    successor s;
    try {
        s = spawn(self);
    } catch (const std::exception& e) {
        log->error("upgrade failed, this process goes on serving: {}", e.what());
        return false;
    }
    log->info("upgrade: started {} as pid {}", self.exe.string(), s.pid);
    if (!read_line(s.fd, "loaded", step_timeout)) {
        log->error("upgrade failed, this process goes on serving: pid {} did not load its "
                   "config (see its lines above)",
                   s.pid);
        give_up(s);
        return false;
    }
    std::size_t pinned = 0;
    const auto grace = srv.begin_drain(end_of_drain(main_io), true, &pinned);
    if (!write_line(s.fd, "go") || !read_line(s.fd, "ready", step_timeout)) {
        log->error("upgrade: pid {} did not start listening: this process keeps relaying its "
                   "live allocations for up to {} s but takes nothing new; start icegate again",
                   s.pid, grace.count());
        ::close(s.fd);
        return true;
    }
    // s.fd stays open until this process ends: the successor watches it to learn when our
    // sockets have left the SO_REUSEPORT group.
    sd_notify(0, ("MAINPID=" + std::to_string(s.pid)).c_str());
    log->info("upgrade: successor pid {} serves; {} UDP clients stay here on sockets of their "
              "own; draining for up to {} s",
              s.pid, pinned, grace.count());
    return true;
}

std::optional<upgrade_channel> upgrade_channel::from_environment() {
    const char* v = std::getenv(channel_variable);
    if (v == nullptr) {
        return std::nullopt;
    }
    const int fd = std::atoi(v);
    ::unsetenv(channel_variable);
    if (fd < 3 || ::fcntl(fd, F_GETFD) < 0) {
        return std::nullopt;
    }
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    return upgrade_channel(fd);
}

void upgrade_channel::loaded() const {
    if (!write_line(fd_, "loaded") || !read_line(fd_, "go", step_timeout)) {
        throw std::runtime_error("upgrade: the running icegate did not hand over");
    }
}

void upgrade_channel::ready() const {
    write_line(fd_, "ready");
}

void upgrade_channel::watch(boost::asio::io_context& io, std::function<void()> gone) {
    watched_ = std::make_shared<boost::asio::posix::stream_descriptor>(io, fd_);
    after_ = std::make_shared<boost::asio::steady_timer>(io);
    watched_->async_wait(
        boost::asio::posix::stream_descriptor::wait_read,
        [w = watched_, t = after_, gone = std::move(gone)](const boost::system::error_code& ec) {
            if (ec) {
                return; // cancelled: this process stops
            }
            // Nothing more is ever written: readable means closed. A grace period for the
            // sockets that leave as the process ends.
            t->expires_after(predecessor_settle);
            t->async_wait([gone](const boost::system::error_code& e) {
                if (!e) {
                    gone();
                }
            });
        });
}

} // namespace icegate::app
