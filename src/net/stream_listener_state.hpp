// What a stream_listener shares with its sessions: the state they register in (so they can
// unregister after the listener closed) and the interface through which it closes them.
#pragma once

#include <memory>
#include <unordered_set>

#include <boost/asio/ssl/context.hpp>

#include "icegate/net/client_links.hpp"
#include "icegate/net/packet_handler.hpp"
#include "icegate/net/stream_limits.hpp"

namespace icegate::net {

class session_base : public stream_link {
public:
    virtual ~session_base() = default;
    virtual void close() = 0;
};

struct stream_listener_state {
    packet_handler& handler;
    client_links& links;
    std::shared_ptr<boost::asio::ssl::context> tls;
    stream_limits limits;
    stun::transport_address local;
    std::unordered_set<session_base*> sessions;
    bool closed = false;
};

} // namespace icegate::net
