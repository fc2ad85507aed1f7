#include "icegate/net/file_watcher.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace icegate::net {

namespace {

constexpr std::uint32_t watched =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB;

int open_inotify(const std::filesystem::path& folder) {
    const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
        throw std::system_error(errno, std::generic_category(), "inotify_init1");
    }
    if (::inotify_add_watch(fd, folder.c_str(), watched) < 0) {
        const int err = errno;
        ::close(fd);
        throw std::system_error(err, std::generic_category(), "cannot watch " + folder.string());
    }
    return fd;
}

std::filesystem::path folder_of(const std::filesystem::path& file) {
    const auto parent = file.parent_path();
    return parent.empty() ? std::filesystem::path(".") : parent;
}

} // namespace

file_watcher::file_watcher(boost::asio::io_context& io, const std::filesystem::path& file,
                           std::function<void()> on_change, std::chrono::milliseconds settle)
    : file_(file), name_(file.filename().string()), on_change_(std::move(on_change)),
      settle_(settle), fd_(io, open_inotify(folder_of(file))), timer_(io) {
    wait();
}

file_watcher::~file_watcher() {
    boost::system::error_code ec;
    timer_.cancel();
    fd_.close(ec);
}

void file_watcher::wait() {
    fd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                   [this](const boost::system::error_code& ec) {
                       if (!ec) {
                           on_readable();
                           wait();
                       }
                   });
}

// Reads every queued event; one about our file arms the settle timer (once per burst).
void file_watcher::on_readable() {
    alignas(inotify_event) std::array<char, 4096> buf{};
    bool ours = false;
    for (;;) {
        const auto n = ::read(fd_.native_handle(), buf.data(), buf.size());
        if (n <= 0) {
            break;
        }
        for (ssize_t off = 0; off < n;) {
            inotify_event ev{};
            std::memcpy(&ev, buf.data() + off, sizeof ev);
            const char* name = buf.data() + off + sizeof(inotify_event);
            if (ev.len > 0 && name_ == std::string_view(name, ::strnlen(name, ev.len))) {
                ours = true;
            }
            off += static_cast<ssize_t>(sizeof(inotify_event) + ev.len);
        }
    }
    if (!ours || pending_) {
        return;
    }
    pending_ = true;
    timer_.expires_after(settle_);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) {
            return; // cancelled: this watcher may be gone
        }
        pending_ = false;
        on_change_();
    });
}

} // namespace icegate::net
