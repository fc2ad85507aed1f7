// Subcommand dispatch, config discovery, and `serve` (signals, sd_notify, clean shutdown).
#include "cli.hpp"

#include <sys/resource.h>
#include <systemd/sd-daemon.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "drain.hpp"
#include "icegate/admin/admin_commands.hpp"
#include "icegate/config/config.hpp"
#include "icegate/config/config_discovery.hpp"
#include "icegate/logging/setup.hpp"
#include "icegate/net/file_watcher.hpp"
#include "icegate/net/tls_material.hpp"
#include "icegate/probe/probe_command.hpp"
#include "server.hpp"
#include "upgrade.hpp"

namespace icegate::app {

extern const std::string_view embedded_config;

namespace {

constexpr std::string_view usage_text = R"(usage: icegate [COMMAND] [OPTIONS]

Commands:
  serve [-c FILE]          run the service (the default command)
  check-config [-c FILE]   validate the config and print it, secrets masked
  user key NAME REALM      print the long-term key for a password read from stdin
  user add|remove|list     manage a users file (auth.users_file): icegate user --help
  credential               mint a TURN REST credential as JSON: icegate credential --help
  probe TARGET|-c FILE     check a running server end to end (STUN, TURN, WebSocket):
                           icegate probe --help
  version                  print the version
  help                     print this text

Options:
  -c, --config FILE        the YAML config; without it icegate uses
                           /etc/icegate/icegate.yaml (run from its build tree: the source
                           tree's conf/icegate.yaml first), then the default config built
                           into the binary

Exit codes: 0 success, 1 bad config or runtime failure, 2 usage error.
)";

struct options {
    std::string command = "serve";
    std::optional<std::filesystem::path> config;
};

std::optional<options> parse_args(std::span<char*> args) {
    options o;
    std::size_t i = 1;
    if (i < args.size() && args[i][0] != '-') {
        o.command = args[i++];
    }
    for (; i < args.size(); ++i) {
        const std::string_view a = args[i];
        if ((a == "-c" || a == "--config") && i + 1 < args.size()) {
            o.config = args[++i];
        } else if (a == "-h" || a == "--help") {
            o.command = "help";
        } else if (a == "--version") {
            o.command = "version";
        } else {
            std::cerr << "icegate: unknown argument '" << a << "'\n" << usage_text;
            return std::nullopt;
        }
    }
    return o;
}

std::shared_ptr<const config> find_config(const std::optional<std::filesystem::path>& path) {
    if (path) {
        return load_config(*path);
    }
    if (const auto found = find_default_config()) {
        return load_config(*found);
    }
    // Relative paths of the built-in config resolve against the working directory.
    return parse_config(std::string(embedded_config),
                        std::filesystem::current_path() / "icegate.yaml");
}

int check_config(const options& o) {
    const auto cfg = find_config(o.config);
    for (const auto& w : cfg->warnings) {
        std::cerr << "warning: " << w << "\n";
    }
    const auto key = net::private_key_in_use(make_tls_settings(*cfg));
    if (auto w = net::private_key_mode_warning(key)) {
        std::cerr << "warning: " << *w << "\n";
    }
    std::cout << "# " << cfg->source.string() << ": OK\n" << to_yaml(*cfg);
    return exit_ok;
}

// "udp://0.0.0.0:3478" -> "stun:127.0.0.1:3478": what a browser's iceServers should name.
std::string stun_uri(const std::string& bound) {
    std::string rest = bound.substr(bound.find("://") + 3);
    for (const auto& [any, local] :
         {std::pair<std::string, std::string>{"0.0.0.0:", "127.0.0.1:"}, {"[::]:", "[::1]:"}}) {
        if (rest.starts_with(any)) {
            rest = local + rest.substr(any.size());
        }
    }
    return (bound.starts_with("tls") ? "stuns:" : "stun:") + rest;
}

void announce(const config& cfg, const std::vector<std::string>& bound) {
    auto log = spdlog::get("app");
    log->info("icegate {} started: {} workers, realm \"{}\", config {}", ICEGATE_VERSION,
              cfg.workers, cfg.realm, cfg.source.string());
    for (const auto& b : bound) {
        log->info("listening on {}", b);
    }
    for (const auto& w : cfg.warnings) {
        log->warn("{}", w);
    }
    for (const auto& b : bound) {
        if (b.starts_with("udp://")) {
            log->info("ICE server for browsers: {{urls: '{}'}}; check it with "
                      "`turnutils_stunclient -p {} {}`",
                      stun_uri(b), b.substr(b.rfind(':') + 1),
                      stun_uri(b).substr(5, stun_uri(b).rfind(':') - 5));
            break;
        }
    }
    for (const auto& b : bound) {
        if (b.starts_with("https://")) {
            std::string url = b;
            for (const auto& any : {"https://0.0.0.0:", "https://[::]:"}) {
                if (url.starts_with(any)) {
                    url = "https://localhost:" + url.substr(std::string_view(any).size());
                }
            }
            log->info("web client: open {}/ in two browser tabs and join one room (add ?relay=1 "
                      "to relay the call through TURN)",
                      url);
        }
    }
    log->info("ready");
}

// Every WebSocket, TCP/TLS client and relay costs a descriptor: use all the hard limit allows
// (the systemd unit sets LimitNOFILE; a shell's soft limit is often 1024).
void raise_descriptor_limit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536) {
        spdlog::get("app")->info("open file limit is {}: at most about that many connections "
                                 "and relays at once",
                                 static_cast<unsigned long long>(rl.rlim_cur));
    }
}

// SIGHUP: the config and its users file read again and swapped in. A config that does not load
// changes nothing: the error names file, line and key, and the running config keeps serving.
// Returns the config now in force, or null when the reload failed.
std::shared_ptr<const config> reload(server& srv, const options& o) {
    std::shared_ptr<const config> loaded;
    if (srv.draining()) {
        // Nothing to gain, and its READY=1 would tell systemd the stop is over.
        spdlog::get("app")->warn("reload ignored: the server is draining");
        return loaded;
    }
    auto log = spdlog::get("app");
    const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    sd_notify(0, ("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(now_us)).c_str());
    try {
        const auto next = find_config(o.config);
        const auto restart_keys = srv.reload(next);
        for (const auto& w : next->warnings) {
            log->warn("{}", w);
        }
        for (const auto& key : restart_keys) {
            log->warn("reload: {} changed, which needs a restart: it keeps its running value", key);
        }
        log->info("reloaded {}", next->source.string());
        logging::setup_logging(next->log); // last: the lines above still show at the old level
        loaded = next;
    } catch (const std::exception& e) {
        srv.count_failed_reload();
        log->error("reload failed, the running config keeps serving: {}", e.what());
    }
    sd_notify(0, "READY=1");
    return loaded;
}

// auth.users_file is watched, so `icegate user add|remove` takes effect within a second without
// a signal: a change reloads as SIGHUP does. Follows the path a reload names.
class users_file_watch {
public:
    users_file_watch(boost::asio::io_context& io, server& srv, const options& o)
        : io_(io), srv_(srv), o_(o) {}

    void follow(const config& c) {
        if (c.auth.users_file.empty()) {
            watcher_.reset();
            return;
        }
        if (watcher_ && watcher_->file() == c.auth.users_file) {
            return;
        }
        try {
            watcher_ = std::make_unique<net::file_watcher>(io_, c.auth.users_file, [this] {
                spdlog::get("app")->info("{} changed: reloading", watcher_->file().string());
                if (auto now = reload(srv_, o_)) {
                    // Not from inside the watcher's own callback: follow may replace it.
                    boost::asio::post(io_, [this, now = std::move(now)] { follow(*now); });
                }
            });
        } catch (const std::exception& e) {
            watcher_.reset();
            spdlog::get("app")->warn("cannot watch auth.users_file ({}): send SIGHUP after "
                                     "changing it",
                                     e.what());
        }
    }

private:
    boost::asio::io_context& io_;
    server& srv_;
    const options& o_;
    std::unique_ptr<net::file_watcher> watcher_;
};

// Binds and starts `srv`; an upgrade's successor first waits for its predecessor to hand over
// (upgrade.hpp). Then tells systemd it is ready.
void open_and_start(server& srv, const config& cfg, std::optional<upgrade_channel>& predecessor,
                    boost::asio::io_context& main_io) {
    if (predecessor) {
        predecessor->loaded(); // it hands over now: its listeners close, ours open
        srv.pin_new_udp_clients(true);
    }
    const auto bound = srv.open();
    srv.start();
    announce(cfg, bound);
    if (predecessor) {
        predecessor->ready();
        predecessor->watch(main_io, [&srv] {
            spdlog::get("app")->info("upgrade: the predecessor has exited");
            srv.pin_new_udp_clients(false);
        });
    }
    sd_notify(0, "READY=1");
}

int serve(const options& o, const launch& self) {
    const auto cfg = find_config(o.config);
    // Lines reach journald or a test's pipe as they are written, not when a buffer fills.
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    logging::setup_logging(cfg->log);
    raise_descriptor_limit();

    // Signals are caught from here on, before anyone is told we are ready.
    boost::asio::io_context main_io(1);
    boost::asio::signal_set signals(main_io, SIGINT, SIGTERM, SIGHUP);
    signals.add(SIGUSR2);
    // After main_io: its watch is a descriptor on main_io.
    auto predecessor = upgrade_channel::from_environment();
    server srv(cfg);
    open_and_start(srv, *cfg, predecessor, main_io);

    users_file_watch users_watch(main_io, srv, o);
    users_watch.follow(*cfg);

    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int sig) {
            if (ec) {
                return;
            }
            if (sig == SIGHUP) {
                if (const auto now = reload(srv, o)) {
                    users_watch.follow(*now);
                }
                signals.async_wait(on_signal);
                return;
            }
            if (sig == SIGUSR2) {
                on_upgrade_signal(srv, main_io, self); // either way, signals still count
                signals.async_wait(on_signal);
                return;
            }
            if (on_stop_signal(srv, main_io, sig)) {
                signals.async_wait(on_signal); // a second SIGTERM or SIGINT cuts the drain short
            }
        };
    signals.async_wait(on_signal);
    main_io.run();
    srv.stop();
    spdlog::get("app")->info("stopped");
    spdlog::shutdown();
    return exit_ok;
}

} // namespace

int run_cli(std::span<char*> args) {
    if (args.size() > 1 && is_admin_command(args[1])) {
        return run_admin_command(args); // own options and error handling
    }
    if (args.size() > 1 && std::string_view(args[1]) == "probe") {
        return probe::run_probe_command(args); // likewise
    }
    const auto o = parse_args(args);
    if (!o) {
        return exit_usage;
    }
    try {
        if (o->command == "help") {
            std::cout << usage_text;
            return exit_ok;
        }
        if (o->command == "version") {
            std::cout << "icegate " << ICEGATE_VERSION << "\n";
            return exit_ok;
        }
        if (o->command == "check-config") {
            return check_config(*o);
        }
        if (o->command == "serve") {
            return serve(*o, launch::of(args));
        }
        std::cerr << "icegate: unknown command '" << o->command << "'\n" << usage_text;
        return exit_usage;
    } catch (const std::exception& e) {
        std::cerr << "icegate: " << e.what() << "\n";
        return exit_failure;
    }
}

} // namespace icegate::app
