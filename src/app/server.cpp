// server: opens the listeners of the config on every worker and runs them.
#include "server.hpp"

#include <chrono>
#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>

#include "binding_responder.hpp"
#include "tls.hpp"

namespace icegate::app {

namespace {

std::string with_port(const listen_address& la, std::uint16_t port) {
    listen_address copy = la;
    copy.port = port;
    return copy.to_string();
}

net::stream_limits limits_of(const config& c) {
    net::stream_limits l;
    l.idle_timeout = c.limits.tcp_idle_timeout;
    l.read_buffer = c.limits.tcp_buffer;
    return l;
}

} // namespace

server::server(std::shared_ptr<const config> cfg) : cfg_(std::move(cfg)) {
    for (unsigned i = 0; i < cfg_->workers; ++i) {
        worker_slot slot;
        slot.w = std::make_unique<net::worker>(i);
        slot.handler = std::make_unique<binding_responder>(cfg_->software);
        slots_.push_back(std::move(slot));
    }
}

server::~server() {
    stop();
}

std::vector<std::string> server::open() {
    std::vector<std::string> bound;
    for (const auto& la : cfg_->listen) {
        try {
            bound.push_back(la.proto == transport::udp ? open_udp(la) : open_stream(la));
        } catch (const boost::system::system_error& e) {
            throw std::runtime_error("cannot listen on " + la.to_string() + ": " +
                                     e.code().message());
        }
    }
    return bound;
}

// Every worker binds its own socket to the address (SO_REUSEPORT); with port 0 the first one
// picks the port and the others follow it.
std::string server::open_udp(const listen_address& la) {
    boost::asio::ip::udp::endpoint ep(la.address, la.port);
    for (auto& slot : slots_) {
        auto sock = net::open_udp_socket(slot.w->io(), ep);
        ep.port(sock.local_endpoint().port());
        slot.udp.push_back(std::make_unique<net::udp_listener>(std::move(sock), *slot.handler));
    }
    return with_port(la, ep.port());
}

std::string server::open_stream(const listen_address& la) {
    auto tls = la.proto == transport::tls ? tls_context() : nullptr;
    boost::asio::ip::tcp::endpoint ep(la.address, la.port);
    for (auto& slot : slots_) {
        auto acceptor = net::open_tcp_acceptor(slot.w->io(), ep);
        ep.port(acceptor.local_endpoint().port());
        slot.streams.push_back(std::make_unique<net::stream_listener>(
            std::move(acceptor), *slot.handler, tls, limits_of(*cfg_)));
    }
    return with_port(la, ep.port());
}

std::shared_ptr<boost::asio::ssl::context> server::tls_context() {
    if (tls_) {
        return tls_;
    }
    std::vector<boost::asio::ip::address> ips;
    for (const auto& la : cfg_->listen) {
        ips.push_back(la.address);
    }
    for (const auto& a :
         {cfg_->relay.address, cfg_->relay.address_v6, cfg_->relay.external_address}) {
        if (a) {
            ips.push_back(*a);
        }
    }
    if (cfg_->http.listen) {
        ips.push_back(cfg_->http.listen->address);
    }
    const auto material = ensure_tls_material(cfg_->tls, cfg_->state_dir, ips);
    auto log = spdlog::get("app");
    if (material.generated && !cfg_->tls.certificate.empty()) {
        log->warn("tls.certificate {} not found: using a self-signed certificate instead: {}",
                  cfg_->tls.certificate.string(), material.certificate.string());
    } else if (material.generated) {
        log->info("using a self-signed certificate: {}", material.certificate.string());
    }
    log->info("certificate SPKI sha256 (for --ignore-certificate-errors-spki-list): {}",
              spki_sha256_base64(material.certificate));
    tls_ = make_server_tls_context(material);
    return tls_;
}

void server::start() {
    for (auto& slot : slots_) {
        for (auto& u : slot.udp) {
            u->start();
        }
        for (auto& s : slot.streams) {
            s->start();
        }
        slot.w->start();
    }
    started_ = true;
}

void server::stop() {
    if (!started_) {
        return;
    }
    started_ = false;
    for (auto& slot : slots_) {
        slot.w->post([&slot] {
            for (auto& u : slot.udp) {
                u->close();
            }
            for (auto& s : slot.streams) {
                s->close();
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
}

} // namespace icegate::app
