// server: opens the listeners of the config on every worker and runs them.
#include "server.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>

#include <sodium.h>

#include "icegate/net/endpoint.hpp"
#include "icegate/net/tls_material.hpp"
#include "icegate/web/origin.hpp"
#include "resume_key.hpp"
#include "session_credentials.hpp"
#include "turn_setup.hpp"

namespace icegate::app {

namespace {

turn::clock_reading read_clock() noexcept {
    return {std::chrono::steady_clock::now(), static_cast<std::int64_t>(std::time(nullptr))};
}

// The packet_handler of a worker: hands client messages and closed connections to the
// worker's TURN engine (which also answers Binding requests), with the clock read once each.
// Here, in the wiring, so that net knows only its packet_handler seam and not the engine.
class engine_handler final : public net::packet_handler {
public:
    engine_handler(turn::engine& engine, net::worker_io& io) : engine_(engine), io_(io) {}

    void on_message(std::span<const std::uint8_t> in,
                    const net::packet_context& ctx) noexcept override {
        if (!pin_new_ || ctx.transport != turn::client_transport::udp) {
            engine_.on_client_message(in, client_of(ctx), read_clock());
            return;
        }
        // While the port's SO_REUSEPORT group also holds a predecessor's sockets, its flows
        // move between our workers when those leave: each new UDP allocation gets a socket of
        // its own before its success answer goes out (server::pin_new_udp_clients).
        const std::size_t before = engine_.allocation_count();
        engine_.on_client_message(in, client_of(ctx), read_clock());
        if (engine_.allocation_count() > before) {
            io_.pin_client(ctx.conn, ctx.source);
        }
    }
    void set_pin_new(bool on) noexcept { pin_new_ = on; }
    void on_closed(const net::packet_context& ctx) noexcept override {
        engine_.on_client_closed(client_of(ctx));
    }

private:
    static turn::client_ref client_of(const net::packet_context& ctx) noexcept {
        return {ctx.source, ctx.local, ctx.transport, ctx.conn};
    }

    turn::engine& engine_;
    net::worker_io& io_;
    bool pin_new_ = false;
};

std::string with_port(const listen_address& la, std::uint16_t port) {
    listen_address copy = la;
    copy.port = port;
    return copy.to_string();
}

} // namespace

// The web client's TURN credentials need a REST secret: without a configured one, a random one
// made at start serves this run (nobody else knows it, so it opens nothing), reloads included.
std::shared_ptr<const config> server::with_rest_secret(std::shared_ptr<const config> cfg) {
    if (!cfg->http.listen || !cfg->auth.secrets.empty()) {
        return cfg;
    }
    if (generated_secret_.empty()) {
        std::array<std::uint8_t, 32> raw{};
        randombytes_buf(raw.data(), raw.size());
        std::array<char, raw.size() * 2 + 1> hex{};
        sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
        generated_secret_ = hex.data();
        spdlog::get("app")->info("auth.secrets is empty: TURN credentials for the web client "
                                 "come from a random secret made for this run");
    }
    auto copy = std::make_shared<config>(*cfg);
    copy->auth.secrets.push_back(generated_secret_);
    return copy;
}

namespace {

// One info line per room lifecycle event (design.md section 6).
void log_room_event(const signal::table_event& e) {
    static constexpr std::array<const char*, 7> what{"room created",
                                                     "room removed",
                                                     "member joined",
                                                     "member resumed",
                                                     "member left",
                                                     "member expired",
                                                     "member evicted (too many missed frames)"};
    const auto i = static_cast<std::size_t>(e.kind);
    auto log = spdlog::get("signal");
    if (e.session.empty()) {
        log->info("{}: '{}'", what.at(i), e.room);
    } else {
        log->info("{}: session {} name '{}' in '{}'", what.at(i), e.session, e.name, e.room);
    }
}

// A member that is gone for good: its session's TURN credentials go with it.
bool member_gone(signal::table_event_kind k) noexcept {
    using enum signal::table_event_kind;
    return k == member_left || k == member_expired || k == member_evicted;
}

net::stream_limits limits_of(const config& c, std::shared_ptr<net::source_limiter> per_source) {
    net::stream_limits l;
    l.idle_timeout = c.limits.tcp_idle_timeout;
    l.preauth_timeout = c.limits.tcp_preauth_timeout;
    l.read_buffer = c.limits.tcp_buffer;
    l.per_source = std::move(per_source);
    return l;
}

} // namespace

server::server(std::shared_ptr<const config> cfg)
    : cfg_(with_rest_secret(std::move(cfg))), policy_cfg_(cfg_),
      quotas_(std::make_shared<turn::quota_table>()),
      reservations_(std::make_shared<turn::reservation_table>()), metrics_(cfg_->workers),
      per_source_(std::make_shared<net::source_limiter>(cfg_->limits.connections_per_address)) {
    check_listeners_outside_relay_ports(*cfg_);
    relays_ = resolve_relay_addresses(*cfg_);
    const auto& relays = relays_;
    check_relay_addresses(relays);
    auth_settings_ = make_auth_settings(*cfg_);
    const auto auth = std::make_shared<const turn::authenticator>(auth_settings_);
    auto interfaces = net::interface_addresses();
    if (!interfaces) {
        throw std::runtime_error("cannot read the addresses of the local interfaces (getifaddrs)");
    }
    const auto policy = make_peer_policy(*cfg_, relays, live_, *interfaces);
    const auto settings = make_engine_settings(*cfg_, relays);
    auto log = spdlog::get("app");
    if (const auto ephemeral = ephemeral_port_range()) {
        if (const auto w = ephemeral_overlap_warning(*cfg_, *ephemeral); !w.empty()) {
            log->warn("{}", w);
        }
    }
    log->info("relay addresses: {} {}", relays.v4 ? relays.v4->to_string() : "-",
              relays.v6 ? relays.v6->to_string() : "-");
    credential_ttl_ = cfg_->auth.credential_ttl.count();
    warn_if_open_signaling(*cfg_);
    // Read once: state_dir is restart-only, and a restart is what the key is kept for.
    const signal::resume_key resume_key = load_resume_key(cfg_->state_dir);
    if (cfg_->state_dir.empty()) {
        log->info("no state_dir: resume tokens use a key made for this run, so members cannot "
                  "resume into their rooms after a restart");
    }
    for (unsigned i = 0; i < cfg_->workers; ++i) {
        worker_slot slot;
        slot.w = std::make_unique<net::worker>(i);
        slot.io = std::make_unique<net::worker_io>(
            slot.w->io(), relay_slice(*cfg_, relays, i, cfg_->workers), reservations_);
        slot.engine = std::make_unique<turn::engine>(
            settings, auth, policy, quotas_, reservations_, *slot.io,
            [](std::span<std::uint8_t> out) { randombytes_buf(out.data(), out.size()); }, live_);
        slot.io->on_peer_datagram([e = slot.engine.get()](turn::relay_id id,
                                                          const stun::transport_address& peer,
                                                          std::span<const std::uint8_t> bytes) {
            e->on_peer_datagram(id, peer, bytes, read_clock());
        });
        slot.handler = std::make_unique<engine_handler>(*slot.engine, *slot.io);
        slot.rooms = std::make_unique<signal::room_table>(
            room_settings_of(*cfg_),
            [](std::span<std::uint8_t> out) { randombytes_buf(out.data(), out.size()); },
            resume_key);
        slot.rooms->on_event([this](const signal::table_event& e) { on_room_event(e); });
        slot.tick = std::make_unique<boost::asio::steady_timer>(slot.w->io());
        slots_.push_back(std::move(slot));
    }
    interfaces_ = *interfaces;
    watcher_ = std::make_unique<net::interface_watcher>(
        slots_.front().w->io(), std::move(*interfaces),
        [this](const std::vector<stun::transport_address>& a) { on_interfaces_changed(a); });
}

// On the room's home worker. While draining (a restart or an upgrade) every member was
// closed with goaway and is likely back on the successor with the same session: its window
// running out here says nothing, and its allocations here end with the drain.
void server::on_room_event(const signal::table_event& e) {
    log_room_event(e);
    const bool moved_on = e.kind == signal::table_event_kind::member_expired &&
                          draining_.load(std::memory_order_relaxed);
    if (member_gone(e.kind) && !moved_on) {
        revoke_session_credentials(e.session);
    }
}

void server::pin_new_udp_clients(bool on) {
    for (auto& slot : slots_) {
        slot.w->post(
            [h = static_cast<engine_handler*>(slot.handler.get()), on] { h->set_pin_new(on); });
    }
}

// On worker 0: one new immutable policy for all, swapped in by each worker on its own thread.
void server::on_interfaces_changed(const std::vector<stun::transport_address>& interfaces) {
    interfaces_ = interfaces;
    const auto policy = make_peer_policy(*policy_cfg_, relays_, live_, interfaces_);
    for (auto& slot : slots_) {
        slot.w->post([e = slot.engine.get(), policy] { e->set_peer_policy(policy); });
    }
}

server::~server() {
    stop();
}

// A relay address the host does not have would make every Allocate of its family scan the
// whole port range and fail: refuse to start instead, naming the key.
void server::check_relay_addresses(const relay_addresses& relays) {
    for (const auto& [addr, key] :
         {std::pair{relays.v4, "relay.address"}, std::pair{relays.v6, "relay.address_v6"}}) {
        if (!addr) {
            continue;
        }
        boost::asio::io_context io;
        boost::asio::ip::udp::socket probe(io);
        boost::system::error_code ec;
        probe.open(addr->is_v4() ? boost::asio::ip::udp::v4() : boost::asio::ip::udp::v6(), ec);
        if (!ec) {
            probe.bind({*addr, 0}, ec);
        }
        if (ec) {
            throw std::runtime_error(std::string(key) + " " + addr->to_string() +
                                     ": cannot bind a relay socket there: " + ec.message());
        }
    }
}

std::vector<std::string> server::open() {
    std::vector<std::string> bound;
    for (const auto& la : cfg_->listen) {
        try {
            bound.push_back(la.proto == turn::client_transport::udp ? open_udp(la)
                                                                    : open_stream(la));
        } catch (const boost::system::system_error& e) {
            throw std::runtime_error("cannot listen on " + la.to_string() + ": " +
                                     e.code().message());
        }
    }
    if (const auto& la = cfg_->http.listen) {
        try {
            bound.push_back(open_https(*la));
        } catch (const boost::system::system_error& e) {
            throw std::runtime_error("cannot listen on http.listen " + la->to_string() + ": " +
                                     e.code().message());
        }
    }
    return bound;
}

// Every worker binds its own socket to the address (SO_REUSEPORT); port 0 becomes a port no
// socket holds (net::unused_port), which all of them bind.
std::string server::open_udp(const listen_address& la) {
    boost::asio::ip::udp::endpoint ep(la.address, la.port);
    if (ep.port() == 0) {
        ep.port(unused_port_outside_relay_ports(*cfg_, ep.address(), SOCK_DGRAM));
    }
    for (auto& slot : slots_) {
        auto sock = net::open_udp_socket(slot.w->io(), ep);
        ep.port(sock.local_endpoint().port());
        slot.udp.push_back(
            std::make_unique<net::udp_listener>(std::move(sock), *slot.handler, *slot.io));
    }
    bound_.push_back(la);
    bound_.back().port = ep.port();
    return with_port(la, ep.port());
}

std::string server::open_stream(const listen_address& la) {
    auto tls = la.proto == turn::client_transport::tls ? tls_context() : nullptr;
    boost::asio::ip::tcp::endpoint ep(la.address, la.port);
    if (ep.port() == 0) {
        ep.port(unused_port_outside_relay_ports(*cfg_, ep.address(), SOCK_STREAM));
    }
    for (auto& slot : slots_) {
        auto acceptor = net::open_tcp_acceptor(slot.w->io(), ep);
        ep.port(acceptor.local_endpoint().port());
        slot.streams.push_back(std::make_unique<net::stream_listener>(
            std::move(acceptor), *slot.handler, *slot.io, tls, limits_of(*cfg_, per_source_)));
    }
    bound_.push_back(la);
    bound_.back().port = ep.port();
    return with_port(la, ep.port());
}

// The room router over every worker's room table, then one HTTPS acceptor per worker.
std::string server::open_https(const listen_address& la) {
    std::vector<net::worker*> workers;
    std::vector<signal::room_table*> tables;
    for (auto& slot : slots_) {
        workers.push_back(slot.w.get());
        tables.push_back(slot.rooms.get());
    }
    room_router::settings rs;
    rs.join_rate = cfg_->signal.join_rate;
    router_ = std::make_unique<room_router>(rs, std::move(workers), std::move(tables));
    web_root_ = resolve_web_root(cfg_->http.web_root);
    front_ = make_front_settings(*cfg_);
    auto tls = tls_context();
    boost::asio::ip::tcp::endpoint ep(la.address, la.port);
    if (ep.port() == 0) {
        ep.port(unused_port_outside_relay_ports(*cfg_, ep.address(), SOCK_STREAM));
    }
    for (auto& slot : slots_) {
        auto acceptor = net::open_tcp_acceptor(slot.w->io(), ep);
        ep.port(acceptor.local_endpoint().port());
        slot.web = std::make_unique<https_front>(front_, *router_);
        net::http_limits limits;
        limits.per_source = per_source_;
        slot.https =
            std::make_unique<net::https_listener>(std::move(acceptor), tls, *slot.web, limits);
    }
    const std::string host =
        la.address.is_v6() ? "[" + la.address.to_string() + "]" : la.address.to_string();
    return "https://" + host + ":" + std::to_string(ep.port());
}

net::tls_settings make_tls_settings(const config& c) {
    net::tls_settings s{c.tls.certificate, c.tls.private_key, c.state_dir, {}};
    for (const auto& la : c.listen) {
        s.extra_ips.push_back(la.address);
    }
    for (const auto& a : {c.relay.address, c.relay.address_v6, c.relay.external_address}) {
        if (a) {
            s.extra_ips.push_back(*a);
        }
    }
    if (c.http.listen) {
        s.extra_ips.push_back(c.http.listen->address);
    }
    return s;
}

std::shared_ptr<boost::asio::ssl::context> server::tls_context() {
    if (!tls_) {
        tls_ = build_tls_context(*cfg_);
        tls_stamp_ = tls_stamp(net::ensure_tls_material(make_tls_settings(*cfg_)));
    }
    return tls_;
}

// The certificate and key as the config names them now (read again: a reload after a renewal
// picks up the new files), else the self-signed pair in state_dir. Throws when they do not load.
std::shared_ptr<boost::asio::ssl::context> server::build_tls_context(const config& c) {
    const auto material = net::ensure_tls_material(make_tls_settings(c));
    auto log = spdlog::get("app");
    if (material.generated && !c.tls.certificate.empty()) {
        log->warn("tls.certificate {} not found: using a self-signed certificate instead: {}",
                  c.tls.certificate.string(), material.certificate.string());
    } else if (material.generated) {
        log->info("using a self-signed certificate: {}", material.certificate.string());
    }
    if (auto w = net::private_key_mode_warning(material.private_key)) {
        log->warn("{}", *w);
    }
    log->info("certificate SPKI sha256 (for --ignore-certificate-errors-spki-list): {}",
              net::spki_sha256_base64(material.certificate));
    return net::make_server_tls_context(material);
}

void server::start() {
    slots_.front().w->post([this] { watcher_->start(); });
    for (auto& slot : slots_) {
        for (auto& u : slot.udp) {
            u->start();
        }
        for (auto& s : slot.streams) {
            s->start();
        }
        if (slot.https) {
            slot.https->start();
        }
        start_tick(slot);
        slot.w->start();
    }
    started_ = true;
}

// One coarse timer per worker drives every expiry of its engine.
void server::start_tick(worker_slot& slot) {
    slot.tick->expires_after(std::chrono::seconds(1));
    slot.tick->async_wait([this, &slot](const boost::system::error_code& ec) {
        if (ec) {
            return;
        }
        slot.engine->on_tick(read_clock());
        slot.io->flush();
        slot.rooms->on_tick(signal_clock());
        if (router_) {
            router_->refused_joins().tick(std::chrono::steady_clock::now());
        }
        publish_metrics(slot.w->index());
        start_tick(slot);
    });
}

// Once a second, on worker `w`: its counters into its metrics slot.
void server::publish_metrics(std::size_t w) {
    auto& slot = slots_[w];
    const auto& c = slot.engine->counters();
    metrics_.publish(w, metric::allocations, slot.engine->allocation_count());
    metrics_.publish(w, metric::allocations_created, c.allocations_created);
    metrics_.publish(w, metric::allocations_ended, c.allocations_ended);
    metrics_.publish(w, metric::peer_dropped_no_permission, c.peer_dropped_no_permission);
    metrics_.publish(w, metric::peer_dropped_policy, c.peer_dropped_policy);
    metrics_.publish(w, metric::client_dropped, c.client_dropped);
    metrics_.publish(w, metric::bandwidth_dropped_allocation, c.bandwidth_dropped_allocation);
    metrics_.publish(w, metric::bandwidth_dropped_user, c.bandwidth_dropped_user);
    metrics_.publish(w, metric::bandwidth_dropped_total, c.bandwidth_dropped_total);
    metrics_.publish(w, metric::answers_suppressed, c.answers_suppressed);
    metrics_.publish(w, metric::allocations_rate_limited, c.allocations_rate_limited);
    metrics_.publish(w, metric::rooms, slot.rooms->rooms());
    metrics_.publish(w, metric::room_members, slot.rooms->members());
    metrics_.publish(w, metric::https_connections, slot.https ? slot.https->connections() : 0);
    std::uint64_t pauses = slot.https ? slot.https->accept_pauses() : 0;
    for (const auto& s : slot.streams) {
        pauses += s->accept_pauses();
    }
    metrics_.publish(w, metric::accept_pauses, pauses);
    metrics_.publish(w, metric::connections_refused_per_address,
                     w == 0 ? per_source_->refused() : 0); // one shared count, in one slot
    metrics_.publish(w, metric::config_reloads, w == 0 ? reloads_ok_.load() : 0);
    metrics_.publish(w, metric::config_reload_failures, w == 0 ? reloads_failed_.load() : 0);
}

void server::stop() {
    if (router_) {
        router_->shutdown(); // the password pool posts to the workers: it stops before they do
    }
    if (!started_) {
        return;
    }
    started_ = false;
    slots_.front().w->post([this] { watcher_->close(); });
    if (drain_timer_) {
        slots_.front().w->post([this] { drain_timer_->cancel(); }); // a drain cut short
    }
    for (auto& slot : slots_) {
        slot.w->post([&slot] {
            slot.tick->cancel();
            for (auto& s : slot.streams) {
                s->close();
            }
            if (slot.https) {
                slot.https->close(); // WebSockets hear 1001 "going away"
            }
            slot.engine->close_all();
            slot.io->flush();
            slot.io->close_all();
            for (auto& u : slot.udp) {
                u->close();
            }
        });
        slot.w->release();
    }
    // Closed sockets complete their handlers at once; give them a moment, then stop hard.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (auto& slot : slots_) {
        while (!slot.w->io().stopped() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        slot.w->stop();
        slot.w->join();
    }
    // Reserved ports no one claimed: their held sockets go with the workers.
    for (const auto handle : reservations_->drain()) {
        slots_.front().io->release_port(handle);
    }
}

} // namespace icegate::app
