// loadgen: a TURN load generator for bench/run_bench.py.
//   loadgen relay --server IP:PORT --user U --password P --pairs K --rates R1,R2 --seconds S
//       Allocates 2K clients, binds a channel between the two of each pair, then for each rate
//       pumps ChannelData both ways and prints one RESULT line. --raw: the server is
//       floor_relay (HELO registration, raw frames) instead of a TURN server.
//   loadgen alloc --server IP:PORT --user U --password P --steps 1000,10000
//       Allocations with the full 401 -> nonce -> signed exchange up to each step's live
//       count (one client socket each), a STEP line per step, then Refresh(0) for all.
// --wait: print READY/STEP and wait for a line on stdin before going on (the driver samples
// the server's CPU and memory meanwhile). Every phase is bounded in count and time.
#include <arpa/inet.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "pump.hpp"
#include "transactions.hpp"

namespace icegate::bench {

namespace {

struct options {
    std::string mode;
    sockaddr_in server{};
    credentials cred{"bench", "benchpw"};
    std::size_t pairs = 8;
    std::vector<double> rates{10000};
    std::vector<std::size_t> steps{1000};
    std::size_t window = 256;
    bool raw = false;
    bool wait = false;
    pump_settings pump;
};

[[noreturn]] void usage(const std::string& why) {
    std::fprintf(stderr, "loadgen: %s\nusage: loadgen relay|alloc --server IP:PORT [options]\n",
                 why.c_str());
    std::exit(2);
}

template <class T>
std::vector<T> parse_list(const std::string& s) {
    std::vector<T> out;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        const auto comma = s.find(',', pos);
        const auto item =
            s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        out.push_back(static_cast<T>(std::stod(item)));
        if (comma == std::string::npos) {
            break;
        }
        pos = comma + 1;
    }
    return out;
}

sockaddr_in parse_server(const std::string& s) {
    const auto colon = s.rfind(':');
    sockaddr_in a{};
    a.sin_family = AF_INET;
    if (colon == std::string::npos ||
        ::inet_pton(AF_INET, s.substr(0, colon).c_str(), &a.sin_addr) != 1) {
        usage("--server wants IPv4:PORT");
    }
    a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(s.substr(colon + 1))));
    return a;
}

options parse(int argc, char** argv) {
    if (argc < 2) {
        usage("no mode");
    }
    options o;
    o.mode = argv[1];
    bool have_server = false;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                usage(a + " needs a value");
            }
            return argv[++i];
        };
        if (a == "--server") {
            o.server = parse_server(value());
            have_server = true;
        } else if (a == "--user") {
            o.cred.user = value();
        } else if (a == "--password") {
            o.cred.password = value();
        } else if (a == "--pairs") {
            o.pairs = std::stoul(value());
        } else if (a == "--rates") {
            o.rates = parse_list<double>(value());
        } else if (a == "--seconds") {
            o.pump.seconds = std::stod(value());
        } else if (a == "--payload") {
            o.pump.payload = std::stoul(value());
        } else if (a == "--threads") {
            o.pump.threads = static_cast<unsigned>(std::stoul(value()));
        } else if (a == "--steps") {
            o.steps = parse_list<std::size_t>(value());
        } else if (a == "--window") {
            o.window = std::stoul(value());
        } else if (a == "--raw") {
            o.raw = true;
        } else if (a == "--wait") {
            o.wait = true;
        } else {
            usage("unknown option " + a);
        }
    }
    if (!have_server) {
        usage("--server is required");
    }
    return o;
}

// The driver answers each READY/STEP line with a line of its own (at most 10 minutes).
void wait_for_driver(bool wait) {
    std::fflush(stdout);
    if (!wait) {
        return;
    }
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (::poll(&p, 1, 600'000) <= 0) {
        usage("no answer from the driver");
    }
    std::string line;
    std::getline(std::cin, line);
}

void raise_fd_limit() {
    rlimit r{};
    ::getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
}

std::vector<client> open_clients(std::size_t n, const sockaddr_in& server) {
    std::vector<client> cs(n);
    for (auto& c : cs) {
        c.fd = open_client_socket(server);
        if (c.fd < 0) {
            usage("cannot open client socket (file descriptor limit?)");
        }
    }
    return cs;
}

void print_run(const char* what, const run_result& r) {
    std::printf("%s ok=%llu failed=%llu retransmits=%llu seconds=%.4f", what,
                static_cast<unsigned long long>(r.ok), static_cast<unsigned long long>(r.failed),
                static_cast<unsigned long long>(r.retransmits), r.seconds);
    for (const auto& [code, count] : r.errors) {
        std::printf(" error_%u=%llu", code, static_cast<unsigned long long>(count));
    }
    std::printf("\n");
}

std::vector<op> same_op(std::size_t n, op o) {
    return std::vector<op>(n, o);
}

// floor_relay registration: HELO -> RLAY + the client's relay port. Up to 5 tries each.
bool register_raw(std::vector<client>& cs) {
    for (auto& c : cs) {
        c.ok = false;
        for (int attempt = 0; attempt < 5 && !c.ok; ++attempt) {
            (void)::send(c.fd, "HELO", 4, MSG_DONTWAIT);
            pollfd p{c.fd, POLLIN, 0};
            std::uint8_t buf[16];
            if (::poll(&p, 1, 200) > 0 && ::recv(c.fd, buf, sizeof buf, 0) == 6 &&
                std::string(reinterpret_cast<char*>(buf), 4) == "RLAY") {
                c.relayed.sin_port = htons(get_u16(buf + 4));
                c.ok = true;
            }
        }
        if (!c.ok) {
            return false;
        }
    }
    return true;
}

int run_relay(const options& o) {
    auto cs = open_clients(2 * o.pairs, o.server);
    std::vector<pump_socket> sockets(cs.size());
    if (o.raw) {
        if (!register_raw(cs)) {
            std::printf("SETUP failed=floor-registration\n");
            return 1;
        }
        for (std::size_t i = 0; i < cs.size(); ++i) {
            sockets[i].fd = cs[i].fd;
            put_u16(sockets[i].header, ntohs(cs[i ^ 1].relayed.sin_port));
        }
    } else {
        const auto alloc =
            run_requests(cs, same_op(cs.size(), {op_kind::allocate, 3600}), o.cred, o.window);
        print_run("ALLOCATE", alloc);
        std::vector<op> binds(cs.size());
        for (std::size_t i = 0; i < cs.size(); ++i) {
            binds[i] = {op_kind::channel_bind, 0, cs[i ^ 1].relayed, 0x4000};
        }
        const auto bound = run_requests(cs, binds, o.cred, o.window);
        print_run("CHANNELBIND", bound);
        if (alloc.failed + bound.failed > 0) {
            std::printf("SETUP failed=turn\n");
            return 1;
        }
        for (std::size_t i = 0; i < cs.size(); ++i) {
            sockets[i].fd = cs[i].fd;
            put_u16(sockets[i].header, 0x4000);
        }
    }
    std::uint32_t run = 0;
    for (const double rate : o.rates) {
        std::printf("READY rate=%.0f\n", rate);
        wait_for_driver(o.wait);
        pump_settings ps = o.pump;
        ps.rate = rate;
        ps.run = ++run;
        const auto r = run_pump(sockets, ps);
        std::printf("RESULT rate=%.0f sent=%llu received=%llu send_errors=%llu stale=%llu "
                    "seconds=%.3f p50_us=%.1f p99_us=%.1f max_us=%.1f\n",
                    rate, static_cast<unsigned long long>(r.sent),
                    static_cast<unsigned long long>(r.received),
                    static_cast<unsigned long long>(r.send_errors),
                    static_cast<unsigned long long>(r.stale), r.send_seconds, r.p50_us, r.p99_us,
                    r.max_us);
        std::fflush(stdout);
    }
    if (!o.raw) {
        print_run("RELEASE",
                  run_requests(cs, same_op(cs.size(), {op_kind::refresh, 0}), o.cred, o.window));
    }
    for (auto& c : cs) {
        ::close(c.fd);
    }
    return 0;
}

int run_alloc(const options& o) {
    std::vector<client> all;
    for (const std::size_t target : o.steps) {
        if (target <= all.size()) {
            continue;
        }
        auto cs = open_clients(target - all.size(), o.server);
        std::printf("READY live=%zu next=%zu\n", all.size(), target);
        wait_for_driver(o.wait);
        const auto r =
            run_requests(cs, same_op(cs.size(), {op_kind::allocate, 3600}), o.cred, o.window);
        for (auto& c : cs) {
            if (c.ok) {
                all.push_back(c);
            } else {
                ::close(c.fd);
            }
        }
        std::printf("STEP live=%zu ", all.size());
        print_run("", r);
        wait_for_driver(o.wait);
    }
    const auto r = run_requests(all, same_op(all.size(), {op_kind::refresh, 0}), o.cred, o.window);
    std::printf("RELEASED live=0 ");
    print_run("", r);
    wait_for_driver(o.wait);
    for (auto& c : all) {
        ::close(c.fd);
    }
    return 0;
}

} // namespace

} // namespace icegate::bench

int main(int argc, char** argv) {
    using namespace icegate::bench;
    const options o = parse(argc, argv);
    raise_fd_limit();
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    if (o.mode == "relay") {
        return run_relay(o);
    }
    if (o.mode == "alloc") {
        return run_alloc(o);
    }
    usage("unknown mode " + o.mode);
}
