"""Relaying through a TURN allocation against the real binary over UDP: CreatePermission,
Send and Data indications, ChannelBind and ChannelData both ways (IPv4 and IPv6), the
permission and channel caps, the peer policy (default deny list, peers.allow and peers.deny,
the server's own addresses) and relay.external_address. Peers are local UDP sockets on
loopback, which the lab server (conftest's turn_server) allows explicitly."""
import stun_client as sc
import turn_client as tc
from turn_tools import allocated, client, expect_error, in_range


# ---- permissions, Send and Data indications ------------------------------------------------

def test_send_and_data_indications(turn_server):
    with client(turn_server) as c, tc.udp_peer() as peer:
        _, relay = allocated(c)
        msg = c.create_permission(peer.getsockname())
        assert tc.is_success(msg, tc.CREATE_PERMISSION) and tc.integrity_ok(msg["raw"], c.key)
        payload = bytes(range(256)) * 3 + b"odd"
        c.send_indication(peer.getsockname(), payload)
        assert peer.recvfrom(65535) == (payload, relay)
        peer.sendto(b"from the peer", relay)
        got = c.receive(2.0)
        assert got is not None and got[0] == "data"
        assert got[1] == peer.getsockname() and got[2] == b"from the peer"
        # The permission is per IP address: another port of the same host gets through too.
        with tc.udp_peer() as other:
            other.sendto(b"same host", relay)
            got = c.receive(2.0)
            assert got is not None and got[1:3] == (other.getsockname(), b"same host")


def test_no_permission_no_relaying(turn_server):
    with client(turn_server) as c, tc.udp_peer() as peer:
        _, relay = allocated(c)
        c.send_indication(peer.getsockname(), b"dropped")
        assert tc.nothing_arrives(peer)
        peer.sendto(b"dropped too", relay)
        assert c.receive(0.3) is None
        # A permission for another IP does not help.
        assert tc.is_success(c.create_permission(("127.0.0.2", 9)), tc.CREATE_PERMISSION)
        c.send_indication(peer.getsockname(), b"still dropped")
        assert tc.nothing_arrives(peer)
        # With its permission the same traffic flows: the drops above were the permission.
        assert tc.is_success(c.create_permission(peer.getsockname()), tc.CREATE_PERMISSION)
        peer.settimeout(2.0)
        c.send_indication(peer.getsockname(), b"now")
        assert peer.recvfrom(100) == (b"now", relay)


def test_create_permission_errors(turn_server):
    with client(turn_server) as c:
        expect_error(c.create_permission(("127.0.0.1", 9)), tc.CREATE_PERMISSION, 437)
        allocated(c)
        expect_error(c.request(tc.CREATE_PERMISSION), tc.CREATE_PERMISSION, 400)
        expect_error(c.create_permission(("::1", 9)), tc.CREATE_PERMISSION, 443)


def test_permission_cap_is_508(turn_server):
    """limits.max_permissions: 4 in the turn_server."""
    with client(turn_server) as c:
        allocated(c)
        peers = [(f"127.0.0.{i}", 9) for i in range(2, 6)]
        assert tc.is_success(c.create_permission(*peers), tc.CREATE_PERMISSION)
        assert tc.is_success(c.create_permission(peers[0]), tc.CREATE_PERMISSION)  # refresh
        expect_error(c.create_permission(("127.0.0.9", 9)), tc.CREATE_PERMISSION, 508)


# ---- channels ------------------------------------------------------------------------------

def test_channel_bind_and_channel_data_both_ways(turn_server):
    with client(turn_server) as c, tc.udp_peer() as peer:
        _, relay = allocated(c)
        msg = c.channel_bind(0x4001, peer.getsockname())
        assert tc.is_success(msg, tc.CHANNEL_BIND) and tc.integrity_ok(msg["raw"], c.key)
        c.send_channel(0x4001, b"12345")  # 9 bytes, unpadded over UDP
        assert peer.recvfrom(100) == (b"12345", relay)
        c.send_raw(tc.channel_data(0x4001, b"abc", pad=True))  # padded UDP is accepted too
        assert peer.recvfrom(100) == (b"abc", relay)
        peer.sendto(b"hello", relay)
        got = c.receive(2.0)
        assert got is not None and got[:3] == ("channel", 0x4001, b"hello")
        assert len(got[3]) == 4 + 5  # over UDP: no padding
        # The binding installed the permission: Send indications go out too.
        c.send_indication(peer.getsockname(), b"ind")
        assert peer.recvfrom(100) == (b"ind", relay)


def test_channel_data_without_binding_is_dropped(turn_server):
    with client(turn_server) as c, tc.udp_peer() as peer:
        _, relay = allocated(c)
        assert tc.is_success(c.create_permission(peer.getsockname()), tc.CREATE_PERMISSION)
        c.send_channel(0x4002, b"unbound")
        assert tc.nothing_arrives(peer)
        # A peer with a permission but no channel comes as a Data indication.
        peer.sendto(b"x", relay)
        got = c.receive(2.0)
        assert got is not None and got[0] == "data"


def test_channel_rebinding_rules(turn_server):
    with client(turn_server) as c, tc.udp_peer() as a, tc.udp_peer() as b:
        allocated(c)
        pa, pb = a.getsockname(), b.getsockname()
        assert tc.is_success(c.channel_bind(0x4001, pa), tc.CHANNEL_BIND)
        assert tc.is_success(c.channel_bind(0x4001, pa), tc.CHANNEL_BIND)  # refresh
        expect_error(c.channel_bind(0x4001, pb), tc.CHANNEL_BIND, 400)  # number taken
        expect_error(c.channel_bind(0x4002, pa), tc.CHANNEL_BIND, 400)  # peer taken
        assert tc.is_success(c.channel_bind(0x4002, pb), tc.CHANNEL_BIND)


def test_channel_numbers(turn_server):
    with client(turn_server) as c, tc.udp_peer() as peer:
        _, relay = allocated(c)
        expect_error(c.channel_bind(0x3FFF, peer.getsockname()), tc.CHANNEL_BIND, 400)
        expect_error(c.channel_bind(0x8000, peer.getsockname()), tc.CHANNEL_BIND, 400)
        expect_error(c.channel_bind(0x4000, ("::1", 9)), tc.CHANNEL_BIND, 443)
        # RFC 5766's wider range (to 0x7FFF, which coturn's uclient picks too) is accepted.
        assert tc.is_success(c.channel_bind(0x7FFF, peer.getsockname()), tc.CHANNEL_BIND)
        c.send_channel(0x7FFF, b"old range")
        assert peer.recvfrom(100) == (b"old range", relay)


def test_channel_cap_is_508(turn_server):
    """limits.max_channels: 3 in the turn_server."""
    with client(turn_server) as c:
        allocated(c)
        for i in range(3):
            assert tc.is_success(c.channel_bind(0x4000 + i, ("127.0.0.2", 1000 + i)),
                                 tc.CHANNEL_BIND)
        expect_error(c.channel_bind(0x4003, ("127.0.0.2", 1003)), tc.CHANNEL_BIND, 508)


def test_ipv6_relay_data_path(turn_server):
    with client(turn_server, "udp6") as c, tc.udp_peer("::1") as peer:
        _, relay = allocated(c, tc.requested_family(tc.FAMILY_V6))
        pa = peer.getsockname()[:2]
        assert tc.is_success(c.channel_bind(0x4abc, pa), tc.CHANNEL_BIND)
        c.send_channel(0x4abc, b"v6 out")
        data, src = peer.recvfrom(100)
        assert data == b"v6 out" and src[:2] == relay
        peer.sendto(b"v6 in", relay)
        got = c.receive(2.0)
        assert got is not None and got[:3] == ("channel", 0x4abc, b"v6 in")


# ---- peer policy ---------------------------------------------------------------------------

def test_default_deny_list(start_turn_server):
    with start_turn_server(peers="") as s:
        with client(s) as c:
            allocated(c)
            for ip in ("127.0.0.1", "10.0.0.1", "169.254.1.1", "224.0.0.1", "0.0.0.0",
                       "192.168.1.1", "172.16.0.1", "100.64.0.1", "240.0.0.1",
                       "255.255.255.255"):
                expect_error(c.create_permission((ip, 5000)), tc.CREATE_PERMISSION, 403)
            expect_error(c.channel_bind(0x4000, ("127.0.0.1", 5000)), tc.CHANNEL_BIND, 403)
            # One bad peer refuses the whole request; public addresses are fine.
            expect_error(c.create_permission(("198.51.100.7", 1), ("10.0.0.1", 1)),
                         tc.CREATE_PERMISSION, 403)
            assert tc.is_success(c.create_permission(("198.51.100.7", 1)), tc.CREATE_PERMISSION)
            assert tc.is_success(c.channel_bind(0x4000, ("198.51.100.7", 1)), tc.CHANNEL_BIND)
        with client(s) as c:
            allocated(c, tc.requested_family(tc.FAMILY_V6))
            for ip in ("::1", "::", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1",
                       "2002:7f00:1::1", "fe80::1", "fc00::1", "ff02::1", "::127.0.0.1"):
                msg = c.create_permission((ip, 5000))
                expect_error(msg, tc.CREATE_PERMISSION, 403)
            assert tc.is_success(c.create_permission(("2001:db8::1", 1)), tc.CREATE_PERMISSION)


def test_peers_allow_and_deny_and_own_addresses(start_turn_server):
    peers = "peers:\n  allow: [10.0.0.0/8]\n  deny: [198.51.100.0/24, \"2001:db8:bad::/48\"]\n"
    with start_turn_server(peers=peers, relay_extra="  external_address: 203.0.113.5\n") as s:
        ports = s.ports
        with client(s) as c:
            _, relay = allocated(c)
            idle = ports[0] if relay[1] != ports[0] else ports[1]  # nobody's relay
            ok = (("10.0.0.1", 1), ("10.200.3.4", 1), ("203.0.113.9", 1),
                  ("203.0.113.5", relay[1]))  # own address, a live relay port: an allocation
            for peer in ok:
                assert tc.is_success(c.create_permission(peer), tc.CREATE_PERMISSION), peer
            for peer in (("198.51.100.7", 1), ("127.0.0.1", 1), ("192.168.0.1", 1),
                         ("203.0.113.5", 3478), ("203.0.113.5", ports[1] + 1),
                         ("203.0.113.5", idle)):
                expect_error(c.create_permission(peer), tc.CREATE_PERMISSION, 403)
        with client(s) as c:
            allocated(c, tc.requested_family(tc.FAMILY_V6))
            # allow 10/8 covers its IPv4-mapped form too.
            assert tc.is_success(c.create_permission(("::ffff:10.1.2.3", 1)),
                                 tc.CREATE_PERMISSION)
            expect_error(c.create_permission(("2001:db8:bad::1", 1)), tc.CREATE_PERMISSION, 403)
            assert tc.is_success(c.create_permission(("2001:db8:900d::1", 1)),
                                 tc.CREATE_PERMISSION)


# ---- relay.external_address ----------------------------------------------------------------

def test_external_address_is_advertised(start_turn_server):
    with start_turn_server(relay_extra="  external_address: 203.0.113.5\n") as s:
        ports = s.ports
        with client(s) as c, tc.udp_peer() as peer:
            msg, relay = allocated(c)
            assert relay[0] == "203.0.113.5" and in_range(relay[1], ports)
            assert tc.decode_xor_addr(sc.get(msg, tc.XOR_MAPPED_ADDRESS), msg["tid"]) == c.local()
            # The advertised port is the real one: the bound socket on 127.0.0.1 relays.
            assert tc.is_success(c.create_permission(peer.getsockname()), tc.CREATE_PERMISSION)
            peer.sendto(b"via the real port", ("127.0.0.1", relay[1]))
            got = c.receive(2.0)
            assert got is not None and got[2] == b"via the real port"
        assert s.log_lines("allocation created", "relay=203.0.113.5:%d " % relay[1])
