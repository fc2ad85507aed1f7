"""TURN (RFC 8656) against the real binary over UDP: allocate, refresh, permissions, channels,
data both ways, peer policy, quotas, capacity, credentials (static, REST, SHA-256, USERHASH),
expiry and the allocation log lines. Peers are local UDP sockets on loopback; the servers
that relay to them allow 127.0.0.0/8 and ::1 explicitly (the default deny list refuses them).
TCP and TLS clients are in test_turn_tcp.py."""
import contextlib
import hashlib
import os
import re
import socket
import struct
import textwrap
import time

import pytest

import stun_client as sc
import turn_client as tc
from icegate_proc import Icegate, free_port_range

REALM = "icegate.test"
ALICE_PW = "alice-Pl41ntext-pw"   # plaintext in the config: both keys derived
BOB_PW = "bob-pw-md5-only"        # configured as an MD5 key only
CAROL_PW = "carol-pw-both-keys"   # configured as key + key_sha256
SECRET1 = "rest-secret-one-7f3a9"
SECRET2 = "rest-secret-two-c41e2"

# Announced by every challenge: SHA-256 then MD5, no parameters (RFC 8489 section 14.11).
OFFERED_ALGORITHMS = struct.pack("!HHHH", tc.ALG_SHA256, 0, tc.ALG_MD5, 0)


@contextlib.contextmanager
def running(yaml, workers=2):
    """An icegate with `yaml`; afterwards it must still be alive, stop cleanly (exit 0) and
    have printed no sanitizer report."""
    s = Icegate(extra_yaml=yaml, workers=workers)
    s.start()
    try:
        yield s
        if s.proc is not None:  # not stopped by the test itself
            s.stop_cleanly()
    finally:
        s.close()


def users_yaml():
    bob = tc.md5_key("bob", REALM, BOB_PW).hex()
    carol = tc.md5_key("carol", REALM, CAROL_PW).hex()
    carol256 = tc.sha256_key("carol", REALM, CAROL_PW).hex()
    return f"""\
        auth:
          users:
            - name: alice
              password: {ALICE_PW}
            - name: bob
              key: 0x{bob}
            - name: carol
              key: {carol}
              key_sha256: {carol256}
          secrets: [{SECRET1}, {SECRET2}]
        """


def server_yaml(ports, peers="peers:\n  allow: [127.0.0.0/8, \"::1/128\"]\n", limits="",
                relay_extra="", auth=None):
    return (f"relay:\n  address: 127.0.0.1\n  address_v6: \"::1\"\n"
            f"  ports: {ports[0]}-{ports[1]}\n{relay_extra}"
            + (auth if auth is not None else textwrap.dedent(users_yaml()))
            + peers + limits)


@pytest.fixture(scope="module")
def lab():
    """Relays to loopback peers; max_lifetime 1h; small permission and channel caps."""
    ports = free_port_range(200)
    limits = ("limits:\n  max_lifetime: 1h\n  max_permissions: 4\n  max_channels: 3\n"
              "  user_quota: 1000\n")
    with running(server_yaml(ports, limits=limits)) as s:
        s.ports = ports
        yield s


def client(server, where="udp4", user="alice", password=ALICE_PW, **kw):
    return tc.TurnClient(server.listening[where], user=user, password=password, **kw)


def allocated(c, extra=b"", **kw):
    """Allocates and checks success; returns (response, first relayed address)."""
    msg = c.allocate(extra, **kw)
    assert tc.is_success(msg, tc.ALLOCATE), (hex(msg["type"]), tc.error_code(msg))
    return msg, tc.relayed_addresses(msg)[0]


def expect_error(msg, method, code):
    assert tc.is_error(msg, method), hex(msg["type"])
    assert tc.error_code(msg) == code, tc.error_code(msg)


def in_range(port, ports):
    return ports[0] <= port <= ports[1]


def log_lines(server, *needles, timeout=2.0):
    """The output lines holding all `needles`, waiting up to `timeout` for the first one."""
    deadline = time.monotonic() + timeout
    while True:
        found = [l for l in server.output().splitlines() if all(n in l for n in needles)]
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(0.05)


def relay_closed(relay, family=socket.AF_INET):
    """True when nothing listens on the relay address any more: a connected UDP socket gets
    ECONNREFUSED (ICMP port unreachable on loopback)."""
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        s.connect(relay)
        for _ in range(3):
            try:
                s.send(b"anyone there?")
                s.recv(100)
            except ConnectionRefusedError:
                return True
            except (socket.timeout, TimeoutError):
                pass
    return False


# ---- Allocate ------------------------------------------------------------------------------

def test_unauthenticated_allocate_is_challenged(lab):
    with client(lab) as c:
        msg = c.challenge()
        expect_error(msg, tc.ALLOCATE, 401)
        assert sc.get(msg, tc.REALM) == REALM.encode()
        nonce = sc.get(msg, tc.NONCE)
        assert nonce is not None and nonce.startswith(b"obMatJos2")
        assert sc.get(msg, tc.PASSWORD_ALGORITHMS) == OFFERED_ALGORITHMS
        assert sc.get(msg, tc.XOR_RELAYED_ADDRESS) is None
        assert sc.get(msg, tc.MESSAGE_INTEGRITY) is None
        # Nothing allocated: a signed Refresh finds no allocation.
        expect_error(c.refresh(600), tc.REFRESH, 437)


def test_allocate_succeeds_with_md5_key(lab):
    with client(lab) as c:
        msg, relay = allocated(c)
        assert relay[0] == "127.0.0.1" and in_range(relay[1], lab.ports)
        assert len(tc.relayed_addresses(msg)) == 1
        assert struct.unpack("!I", sc.get(msg, tc.LIFETIME))[0] == 600
        xm = tc.decode_xor_addr(sc.get(msg, tc.XOR_MAPPED_ADDRESS), msg["tid"])
        assert xm == c.local()
        assert tc.integrity_ok(msg["raw"], c.key)
        assert not tc.integrity_ok(msg["raw"], tc.md5_key("alice", REALM, "not-it"))
        assert sc.get(msg, tc.MESSAGE_INTEGRITY_SHA256) is None
        assert sc.get(msg, sc.FINGERPRINT) is None  # only when the request had one


def test_fingerprint_echoed_on_turn_responses(lab):
    with client(lab) as c:
        msg = c.allocate(fingerprint=True)
        assert tc.is_success(msg, tc.ALLOCATE)
        assert sc.fingerprint_ok(msg) and tc.integrity_ok(msg["raw"], c.key)


def test_allocate_retransmission_gets_same_success(lab):
    with client(lab) as c:
        c.challenge()
        data, tid = c.build(tc.ALLOCATE, tc.requested_transport())
        first = c.exchange(data, tid)
        again = c.exchange(data, tid)
        assert tc.is_success(first, tc.ALLOCATE) and tc.is_success(again, tc.ALLOCATE)
        assert tc.relayed_addresses(first) == tc.relayed_addresses(again)
        assert sc.get(first, tc.LIFETIME) == sc.get(again, tc.LIFETIME)
        assert tc.integrity_ok(again["raw"], c.key)
        local = "%s:%d" % c.local()
        created = log_lines(lab, "allocation created", f"client={local} ")
        assert len(created) == 1, created


def test_second_allocate_on_same_five_tuple_is_437(lab):
    with client(lab) as c:
        allocated(c)
        expect_error(c.allocate(), tc.ALLOCATE, 437)


def test_allocate_without_requested_transport_is_400(lab):
    with client(lab) as c:
        expect_error(c.allocate(transport_attr=False), tc.ALLOCATE, 400)
        allocated(c)  # nothing was allocated by the refused request


def test_allocate_tcp_transport_is_442(lab):
    with client(lab) as c:
        msg = c.allocate(transport_attr=False, extra=tc.requested_transport(tc.TCP_PROTO))
        expect_error(msg, tc.ALLOCATE, 442)
        assert tc.integrity_ok(msg["raw"], c.key)  # authenticated errors are signed


def test_wrong_password_is_401_with_fresh_challenge(lab):
    with client(lab, password="wrong") as c:
        msg = c.allocate()
        expect_error(msg, tc.ALLOCATE, 401)
        assert sc.get(msg, tc.REALM) == REALM.encode()
        assert sc.get(msg, tc.NONCE).startswith(b"obMatJos2")
        assert sc.get(msg, tc.MESSAGE_INTEGRITY) is None


def test_unknown_user_and_wrong_realm_are_401(lab):
    with client(lab, user="mallory", password="x") as c:
        expect_error(c.allocate(), tc.ALLOCATE, 401)
    with client(lab) as c:
        c.challenge()
        data, tid = c.build(tc.ALLOCATE, tc.requested_transport(), realm="other.realm",
                            key=tc.md5_key("alice", "other.realm", ALICE_PW))
        msg = c.exchange(data, tid)
        expect_error(msg, tc.ALLOCATE, 401)
        assert sc.get(msg, tc.REALM) == REALM.encode()


def test_missing_nonce_or_username_is_400(lab):
    with client(lab) as c:
        c.challenge()
        tid = os.urandom(12)
        body = tc.requested_transport() + sc.attr(tc.USERNAME, b"alice") + \
            sc.attr(tc.REALM, REALM.encode())
        data = tc.sign(tc.msg_type(tc.ALLOCATE, tc.REQUEST), tid, body, c.key)
        expect_error(c.exchange(data, tid), tc.ALLOCATE, 400)


def test_tampered_nonce_is_438(lab):
    with client(lab) as c:
        c.challenge()
        good = c.nonce
        bad = good[:-3] + ("A" if good[-3] != "A" else "B") + good[-2:]
        data, tid = c.build(tc.ALLOCATE, tc.requested_transport(), nonce=bad)
        msg = c.exchange(data, tid)
        expect_error(msg, tc.ALLOCATE, 438)
        fresh = sc.get(msg, tc.NONCE)
        assert fresh.startswith(b"obMatJos2") and sc.get(msg, tc.REALM) == REALM.encode()
        allocated(c)  # the untampered nonce works


def test_nonce_is_bound_to_the_client_address(lab):
    with client(lab) as v4:
        v4.challenge()
        with client(lab, "udp6") as v6:
            v6.nonce = v4.nonce  # issued to 127.0.0.1, replayed from ::1
            data, tid = v6.build(tc.ALLOCATE, tc.requested_transport())
            expect_error(v6.exchange(data, tid), tc.ALLOCATE, 438)


def test_other_user_on_same_five_tuple(lab):
    """Allocate on a 5-tuple in use is 437 whoever asks (RFC 8656 section 7.2); any other
    request with another user's credentials is 441 (section 5)."""
    with client(lab) as c:
        allocated(c)
        c.user, c.password = "bob", BOB_PW
        expect_error(c.allocate(), tc.ALLOCATE, 437)
        expect_error(c.refresh(600), tc.REFRESH, 441)
        expect_error(c.create_permission(("127.0.0.1", 9)), tc.CREATE_PERMISSION, 441)
        expect_error(c.channel_bind(0x4000, ("127.0.0.1", 9)), tc.CHANNEL_BIND, 441)
        c.user, c.password = "alice", ALICE_PW
        assert tc.is_success(c.refresh(600), tc.REFRESH)


def test_lifetime_is_capped_and_floored(lab):
    with client(lab) as c:
        msg, _ = allocated(c, tc.lifetime(100000))
        assert struct.unpack("!I", sc.get(msg, tc.LIFETIME))[0] == 3600  # limits.max_lifetime
    with client(lab) as c:
        msg, _ = allocated(c, tc.lifetime(30))
        assert struct.unpack("!I", sc.get(msg, tc.LIFETIME))[0] == 600  # never below default


def test_ipv6_client_gets_ipv4_relay_by_default(lab):
    with client(lab, "udp6") as c:
        msg, relay = allocated(c)
        assert relay[0] == "127.0.0.1"
        assert tc.decode_xor_addr(sc.get(msg, tc.XOR_MAPPED_ADDRESS), msg["tid"]) == c.local()


def test_requested_address_family_ipv6(lab):
    with client(lab) as c:
        msg, relay = allocated(c, tc.requested_family(tc.FAMILY_V6))
        assert relay[0] == "::1" and in_range(relay[1], lab.ports)
        assert len(tc.relayed_addresses(msg)) == 1
        # The allocation has no IPv4 side: an IPv4 peer is a family mismatch.
        expect_error(c.create_permission(("127.0.0.1", 9)), tc.CREATE_PERMISSION, 443)


def test_additional_address_family_gives_dual_stack(lab):
    with client(lab) as c:
        msg, _ = allocated(c, tc.additional_family(tc.FAMILY_V6))
        relays = tc.relayed_addresses(msg)
        assert [r[0] for r in relays] == ["127.0.0.1", "::1"]
        assert all(in_range(p, lab.ports) for _, p in relays)
        assert sc.get(msg, tc.ADDRESS_ERROR_CODE) is None
        # Both sides relay: one peer per family.
        with tc.udp_peer("127.0.0.1") as p4, tc.udp_peer("::1") as p6:
            ok = c.create_permission(p4.getsockname()[:2], p6.getsockname()[:2])
            assert tc.is_success(ok, tc.CREATE_PERMISSION)
            c.send_indication(p4.getsockname()[:2], b"four")
            c.send_indication(p6.getsockname()[:2], b"six")
            assert p4.recvfrom(100) == (b"four", relays[0])
            data, src = p6.recvfrom(100)
            assert data == b"six" and src[:2] == relays[1]


def test_bad_address_family_requests(lab):
    with client(lab) as c:
        # Family 0x03 does not exist: 440 (RFC 8656 section 7.2).
        expect_error(c.allocate(sc.attr(tc.REQUESTED_ADDRESS_FAMILY, b"\x03\0\0\0")),
                     tc.ALLOCATE, 440)
        # Both family attributes at once, or ADDITIONAL-ADDRESS-FAMILY IPv4: 400.
        expect_error(c.allocate(tc.requested_family(tc.FAMILY_V4) + tc.additional_family()),
                     tc.ALLOCATE, 400)
        expect_error(c.allocate(tc.additional_family(tc.FAMILY_V4)), tc.ALLOCATE, 400)
        allocated(c)


def test_dont_fragment_is_accepted_and_relays(lab):
    with client(lab) as c, tc.udp_peer() as peer:
        _, relay = allocated(c, tc.dont_fragment())
        assert tc.is_success(c.create_permission(peer.getsockname()), tc.CREATE_PERMISSION)
        c.send_indication(peer.getsockname(), b"df")
        assert peer.recvfrom(100) == (b"df", relay)


def test_even_port_without_reservation(lab):
    with client(lab) as c:
        msg, relay = allocated(c, tc.even_port(False))
        assert relay[1] % 2 == 0
        assert sc.get(msg, tc.RESERVATION_TOKEN) is None


def test_unknown_comprehension_required_attribute_is_420(lab):
    with client(lab) as c:
        msg = c.allocate(sc.attr(0x7F01, b"\0\0\0\0"))
        expect_error(msg, tc.ALLOCATE, 420)
        assert struct.unpack("!H", sc.get(msg, sc.UNKNOWN_ATTRIBUTES)[:2])[0] == 0x7F01


def test_unsupported_method_is_400(lab):
    """RFC 6062 Connect (0x000A) is not offered."""
    with client(lab) as c:
        allocated(c)
        msg = c.request(0x000A, sc.attr(tc.XOR_PEER_ADDRESS, b"\0\x01\0\0\0\0\0\0"))
        expect_error(msg, 0x000A, 400)


# ---- Refresh -------------------------------------------------------------------------------

def test_refresh_zero_deletes(lab):
    with client(lab) as c, tc.udp_peer() as peer:
        _, relay = allocated(c)
        assert tc.is_success(c.create_permission(peer.getsockname()), tc.CREATE_PERMISSION)
        msg = c.refresh(0)
        assert tc.is_success(msg, tc.REFRESH)
        assert struct.unpack("!I", sc.get(msg, tc.LIFETIME))[0] == 0
        assert tc.integrity_ok(msg["raw"], c.key)
        expect_error(c.create_permission(peer.getsockname()), tc.CREATE_PERMISSION, 437)
        assert relay_closed(relay)
        # The 5-tuple is free again.
        allocated(c)


def test_refresh_lifetime_is_capped(lab):
    with client(lab) as c:
        allocated(c)
        msg = c.refresh(1000000)
        assert tc.is_success(msg, tc.REFRESH)
        assert struct.unpack("!I", sc.get(msg, tc.LIFETIME))[0] == 3600
        msg = c.refresh()
        assert struct.unpack("!I", sc.get(msg, tc.LIFETIME))[0] == 600


def test_refresh_without_allocation_is_437(lab):
    with client(lab) as c:
        expect_error(c.refresh(600), tc.REFRESH, 437)


def test_refresh_of_missing_family_is_443(lab):
    with client(lab) as c:
        allocated(c)
        expect_error(c.refresh(600, tc.requested_family(tc.FAMILY_V6)), tc.REFRESH, 443)
        assert tc.is_success(c.refresh(600, tc.requested_family(tc.FAMILY_V4)), tc.REFRESH)


# ---- Permissions, Send/Data indications, channels ------------------------------------------

def test_send_and_data_indications(lab):
    with client(lab) as c, tc.udp_peer() as peer:
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


def test_no_permission_no_relaying(lab):
    with client(lab) as c, tc.udp_peer() as peer:
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


def test_create_permission_errors(lab):
    with client(lab) as c:
        expect_error(c.create_permission(("127.0.0.1", 9)), tc.CREATE_PERMISSION, 437)
        allocated(c)
        expect_error(c.request(tc.CREATE_PERMISSION), tc.CREATE_PERMISSION, 400)
        expect_error(c.create_permission(("::1", 9)), tc.CREATE_PERMISSION, 443)


def test_permission_cap_is_508(lab):
    """limits.max_permissions: 4 in the lab."""
    with client(lab) as c:
        allocated(c)
        peers = [(f"127.0.0.{i}", 9) for i in range(2, 6)]
        assert tc.is_success(c.create_permission(*peers), tc.CREATE_PERMISSION)
        assert tc.is_success(c.create_permission(peers[0]), tc.CREATE_PERMISSION)  # refresh
        expect_error(c.create_permission(("127.0.0.9", 9)), tc.CREATE_PERMISSION, 508)


def test_channel_bind_and_channel_data_both_ways(lab):
    with client(lab) as c, tc.udp_peer() as peer:
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


def test_channel_data_without_binding_is_dropped(lab):
    with client(lab) as c, tc.udp_peer() as peer:
        _, relay = allocated(c)
        assert tc.is_success(c.create_permission(peer.getsockname()), tc.CREATE_PERMISSION)
        c.send_channel(0x4002, b"unbound")
        assert tc.nothing_arrives(peer)
        # A peer with a permission but no channel comes as a Data indication.
        peer.sendto(b"x", relay)
        got = c.receive(2.0)
        assert got is not None and got[0] == "data"


def test_channel_rebinding_rules(lab):
    with client(lab) as c, tc.udp_peer() as a, tc.udp_peer() as b:
        allocated(c)
        pa, pb = a.getsockname(), b.getsockname()
        assert tc.is_success(c.channel_bind(0x4001, pa), tc.CHANNEL_BIND)
        assert tc.is_success(c.channel_bind(0x4001, pa), tc.CHANNEL_BIND)  # refresh
        expect_error(c.channel_bind(0x4001, pb), tc.CHANNEL_BIND, 400)  # number taken
        expect_error(c.channel_bind(0x4002, pa), tc.CHANNEL_BIND, 400)  # peer taken
        assert tc.is_success(c.channel_bind(0x4002, pb), tc.CHANNEL_BIND)


def test_channel_numbers(lab):
    with client(lab) as c, tc.udp_peer() as peer:
        _, relay = allocated(c)
        expect_error(c.channel_bind(0x3FFF, peer.getsockname()), tc.CHANNEL_BIND, 400)
        expect_error(c.channel_bind(0x8000, peer.getsockname()), tc.CHANNEL_BIND, 400)
        expect_error(c.channel_bind(0x4000, ("::1", 9)), tc.CHANNEL_BIND, 443)
        # RFC 5766's wider range (to 0x7FFF, which coturn's uclient picks too) is accepted.
        assert tc.is_success(c.channel_bind(0x7FFF, peer.getsockname()), tc.CHANNEL_BIND)
        c.send_channel(0x7FFF, b"old range")
        assert peer.recvfrom(100) == (b"old range", relay)


def test_channel_cap_is_508(lab):
    """limits.max_channels: 3 in the lab."""
    with client(lab) as c:
        allocated(c)
        for i in range(3):
            assert tc.is_success(c.channel_bind(0x4000 + i, ("127.0.0.2", 1000 + i)),
                                 tc.CHANNEL_BIND)
        expect_error(c.channel_bind(0x4003, ("127.0.0.2", 1003)), tc.CHANNEL_BIND, 508)


def test_ipv6_relay_data_path(lab):
    with client(lab, "udp6") as c, tc.udp_peer("::1") as peer:
        _, relay = allocated(c, tc.requested_family(tc.FAMILY_V6))
        pa = peer.getsockname()[:2]
        assert tc.is_success(c.channel_bind(0x4abc, pa), tc.CHANNEL_BIND)
        c.send_channel(0x4abc, b"v6 out")
        data, src = peer.recvfrom(100)
        assert data == b"v6 out" and src[:2] == relay
        peer.sendto(b"v6 in", relay)
        got = c.receive(2.0)
        assert got is not None and got[:3] == ("channel", 0x4abc, b"v6 in")


# ---- EVEN-PORT reservations (shared by all workers: with SO_REUSEPORT the claiming client
#      socket may land on another worker than the reserving one) -----------------------------

def test_even_port_reservation_token():
    ports = free_port_range(40)
    with running(server_yaml(ports), workers=1) as s:
        with client(s) as first:
            msg, relay = allocated(first, tc.even_port(True))
            assert relay[1] % 2 == 0 and in_range(relay[1], ports)
            token = sc.get(msg, tc.RESERVATION_TOKEN)
            assert token is not None and len(token) == 8
            with client(s) as second:
                # RESERVATION-TOKEN excludes EVEN-PORT: 400.
                expect_error(second.allocate(tc.reservation_token(token) + tc.even_port(False)),
                             tc.ALLOCATE, 400)
                msg2, relay2 = allocated(second, tc.reservation_token(token))
                assert relay2 == ("127.0.0.1", relay[1] + 1)
                assert sc.get(msg2, tc.RESERVATION_TOKEN) is None
            with client(s) as third:  # a token is claimed once
                expect_error(third.allocate(tc.reservation_token(token)), tc.ALLOCATE, 508)
            with client(s) as fourth:
                expect_error(fourth.allocate(tc.reservation_token(os.urandom(8))),
                             tc.ALLOCATE, 508)
            with client(s) as fifth:  # R with a second family cannot be served
                expect_error(fifth.allocate(tc.even_port(True) + tc.additional_family()),
                             tc.ALLOCATE, 400)


def test_reservation_token_claimed_across_workers():
    """Two workers: each round reserves from a fresh socket and claims from another fresh one,
    which the kernel hashes to either worker. Six rounds in a row must all succeed."""
    ports = free_port_range(40)
    with running(server_yaml(ports, limits="limits:\n  user_quota: 20\n"), workers=2) as s:
        for _ in range(6):
            with client(s) as first, client(s) as second:
                msg, relay = allocated(first, tc.even_port(True))
                assert relay[1] % 2 == 0 and in_range(relay[1] + 1, ports)
                token = sc.get(msg, tc.RESERVATION_TOKEN)
                assert token is not None
                _, relay2 = allocated(second, tc.reservation_token(token))
                assert relay2 == ("127.0.0.1", relay[1] + 1)


def test_reserved_port_stays_inside_relay_range():
    """relay.ports 3 ports, one worker: after the pair (first, first+1) is taken, the only
    even port left is the last one, whose neighbour lies outside the range: 508, not a
    socket on a port the admin did not give us."""
    ports = free_port_range(3, even=True)
    with running(server_yaml(ports), workers=1) as s:
        with client(s) as a:
            msg, relay = allocated(a, tc.even_port(True))
            assert relay[1] == ports[0]
            with client(s) as b:
                msg = b.allocate(tc.even_port(True))
                if tc.is_success(msg, tc.ALLOCATE):
                    got = tc.relayed_addresses(msg)[0][1]
                    assert in_range(got, ports) and in_range(got + 1, ports), \
                        f"reserved {got + 1} outside relay.ports {ports}"
                else:
                    expect_error(msg, tc.ALLOCATE, 508)


# ---- Quotas and capacity -------------------------------------------------------------------

def test_user_quota():
    ports = free_port_range(20)
    with running(server_yaml(ports, limits="limits:\n  user_quota: 1\n")) as s:
        with client(s) as one, client(s) as two, client(s, user="bob", password=BOB_PW) as bob:
            allocated(one)
            msg = two.allocate()
            expect_error(msg, tc.ALLOCATE, 486)
            assert tc.integrity_ok(msg["raw"], two.key)
            allocated(bob)  # per user
            assert tc.is_success(one.refresh(0), tc.REFRESH)
            allocated(two)  # released
        # REST credentials count the user part: two credentials for "dave" are one user.
        u1, p1 = tc.rest_credentials(SECRET1, "dave", ttl=600)
        u2, p2 = tc.rest_credentials(SECRET1, "dave", ttl=900)
        with client(s, user=u1, password=p1) as d1, client(s, user=u2, password=p2) as d2:
            allocated(d1)
            expect_error(d2.allocate(), tc.ALLOCATE, 486)


def test_total_quota():
    ports = free_port_range(20)
    with running(server_yaml(ports, limits="limits:\n  total_quota: 2\n")) as s:
        with client(s) as a, client(s, user="bob", password=BOB_PW) as b, \
                client(s, user="carol", password=CAROL_PW) as c:
            allocated(a)
            allocated(b)
            expect_error(c.allocate(), tc.ALLOCATE, 486)
            assert tc.is_success(a.refresh(0), tc.REFRESH)
            allocated(c)


def test_relay_ports_exhausted_is_508():
    """4 relay ports, 2 workers: each worker owns 2. Six clients spread over the workers by the
    kernel's hash: at most 4 can succeed, so at least 2 get 508."""
    ports = free_port_range(4)
    yaml = server_yaml(ports, limits="limits:\n  user_quota: 100\n")
    with running(yaml, workers=2) as s:
        clients = [client(s) for _ in range(6)]
        try:
            codes, relays = [], []
            for c in clients:
                msg = c.allocate()
                if tc.is_success(msg, tc.ALLOCATE):
                    relays.append(tc.relayed_addresses(msg)[0])
                else:
                    codes.append(tc.error_code(msg))
            assert len(relays) <= 4 and len(relays) >= 1
            assert codes and set(codes) == {508}
            assert len(set(relays)) == len(relays)
            assert all(in_range(p, ports) for _, p in relays)
        finally:
            for c in clients:
                c.close()


# ---- external_address ----------------------------------------------------------------------

def test_external_address_is_advertised():
    ports = free_port_range(20)
    yaml = server_yaml(ports, relay_extra="  external_address: 203.0.113.5\n")
    with running(yaml) as s:
        with client(s) as c, tc.udp_peer() as peer:
            msg, relay = allocated(c)
            assert relay[0] == "203.0.113.5" and in_range(relay[1], ports)
            assert tc.decode_xor_addr(sc.get(msg, tc.XOR_MAPPED_ADDRESS), msg["tid"]) == c.local()
            # The advertised port is the real one: the bound socket on 127.0.0.1 relays.
            assert tc.is_success(c.create_permission(peer.getsockname()), tc.CREATE_PERMISSION)
            peer.sendto(b"via the real port", ("127.0.0.1", relay[1]))
            got = c.receive(2.0)
            assert got is not None and got[2] == b"via the real port"
        assert log_lines(s, "allocation created", "relay=203.0.113.5:%d " % relay[1])


# ---- Peer policy ---------------------------------------------------------------------------

def test_default_deny_list():
    ports = free_port_range(20)
    with running(server_yaml(ports, peers="")) as s:
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


def test_peers_allow_and_deny_and_own_addresses():
    ports = free_port_range(20)
    peers = "peers:\n  allow: [10.0.0.0/8]\n  deny: [198.51.100.0/24, \"2001:db8:bad::/48\"]\n"
    yaml = server_yaml(ports, peers=peers, relay_extra="  external_address: 203.0.113.5\n")
    with running(yaml) as s:
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


# ---- TURN REST credentials -----------------------------------------------------------------

def test_rest_credentials(lab):
    for secret in (SECRET1, SECRET2):  # rotation: either secret works
        user, pw = tc.rest_credentials(secret, "bob")
        with client(lab, user=user, password=pw) as c:
            msg, _ = allocated(c)
            assert tc.integrity_ok(msg["raw"], c.key)
    user, pw = tc.rest_credentials(SECRET1, "bob", ttl=-10)  # expired
    with client(lab, user=user, password=pw) as c:
        expect_error(c.allocate(), tc.ALLOCATE, 401)
    user, pw = tc.rest_credentials("not-the-secret", "bob")
    with client(lab, user=user, password=pw) as c:
        expect_error(c.allocate(), tc.ALLOCATE, 401)
    user, pw = tc.rest_credentials(SECRET1, "bob")
    with client(lab, user=user, password=pw, use_userhash=True) as c:
        expect_error(c.allocate(), tc.ALLOCATE, 401)  # a REST name cannot be found by hash


def test_rest_credentials_refused_without_secrets():
    ports = free_port_range(20)
    auth = "auth:\n  users:\n    - name: alice\n      password: " + ALICE_PW + "\n"
    with running(server_yaml(ports, auth=auth)) as s:
        user, pw = tc.rest_credentials(SECRET1, "bob")
        with client(s, user=user, password=pw) as c:
            expect_error(c.allocate(), tc.ALLOCATE, 401)


# ---- MESSAGE-INTEGRITY-SHA256, PASSWORD-ALGORITHMS, USERHASH -------------------------------

@pytest.mark.parametrize("user,password", [("alice", ALICE_PW), ("carol", CAROL_PW)])
def test_sha256_integrity(lab, user, password):
    with client(lab, user=user, password=password, sha256=True) as c:
        msg, _ = allocated(c)
        assert sc.get(msg, tc.MESSAGE_INTEGRITY_SHA256) is not None
        assert sc.get(msg, tc.MESSAGE_INTEGRITY) is None
        assert tc.integrity_ok(msg["raw"], c.key, sha256=True)
        assert c.key == hashlib.sha256(f"{user}:{REALM}:{password}".encode()).digest()
        assert not tc.integrity_ok(msg["raw"], tc.md5_key(user, REALM, password) * 2,
                                   sha256=True)
        assert tc.is_success(c.refresh(600), tc.REFRESH)


def test_sha256_rest_credentials(lab):
    user, pw = tc.rest_credentials(SECRET2, "erin")
    with client(lab, user=user, password=pw, sha256=True) as c:
        msg, _ = allocated(c)
        assert tc.integrity_ok(msg["raw"], c.key, sha256=True)


def test_sha256_for_md5_only_user_is_401(lab):
    with client(lab, user="bob", password=BOB_PW, sha256=True) as c:
        expect_error(c.allocate(), tc.ALLOCATE, 401)
    with client(lab, user="bob", password=BOB_PW) as c:
        allocated(c)


def test_password_algorithms_must_match_the_offer(lab):
    with client(lab, sha256=True) as c:
        c.challenge()
        c.algorithms = struct.pack("!HH", tc.ALG_SHA256, 0)  # bid-down attempt: not our list
        expect_error(c.allocate(), tc.ALLOCATE, 400)
    with client(lab) as c:
        c.challenge()
        # PASSWORD-ALGORITHM without PASSWORD-ALGORITHMS: 400.
        tid = os.urandom(12)
        body = (tc.requested_transport() + sc.attr(tc.USERNAME, b"alice")
                + sc.attr(tc.REALM, REALM.encode()) + sc.attr(tc.NONCE, c.nonce.encode())
                + sc.attr(tc.PASSWORD_ALGORITHM, struct.pack("!HH", tc.ALG_MD5, 0)))
        data = tc.sign(tc.msg_type(tc.ALLOCATE, tc.REQUEST), tid, body, c.key)
        expect_error(c.exchange(data, tid), tc.ALLOCATE, 400)


@pytest.mark.parametrize("sha256", [False, True])
def test_userhash(lab, sha256):
    with client(lab, user="carol", password=CAROL_PW, use_userhash=True, sha256=sha256) as c:
        msg, _ = allocated(c)
        assert tc.integrity_ok(msg["raw"], c.key, sha256=sha256)
        assert tc.is_success(c.create_permission(("127.0.0.1", 9)), tc.CREATE_PERMISSION)
    with client(lab, user="nobody", password="x", use_userhash=True) as c:
        expect_error(c.allocate(), tc.ALLOCATE, 401)


# ---- Expiry --------------------------------------------------------------------------------

def test_allocation_expires():
    """limits.max_lifetime 2s makes the default lifetime 2 s too; the 1 s tick reaps it."""
    ports = free_port_range(20)
    with running(server_yaml(ports, limits="limits:\n  max_lifetime: 2s\n")) as s:
        with client(s) as c, tc.udp_peer() as peer:
            msg, relay = allocated(c, tc.lifetime(3600))
            assert struct.unpack("!I", sc.get(msg, tc.LIFETIME))[0] == 2
            assert tc.is_success(c.create_permission(peer.getsockname()), tc.CREATE_PERMISSION)
            local = "%s:%d" % c.local()
            ended = log_lines(s, "allocation ended", f"client={local} ", timeout=6.0)
            assert len(ended) == 1 and "reason=expired" in ended[0], ended
            assert relay_closed(relay)
            expect_error(c.refresh(600), tc.REFRESH, 437)


# ---- Logs ----------------------------------------------------------------------------------

def test_allocation_log_lines_and_no_secrets():
    ports = free_port_range(20)
    with running(server_yaml(ports)) as s:
        user, pw = tc.rest_credentials(SECRET2, "frank")
        with client(s) as c, client(s, user=user, password=pw, release_on_close=False) as r, \
                tc.udp_peer() as peer:
            _, relay = allocated(c)
            allocated(r)
            assert tc.is_success(c.create_permission(peer.getsockname()), tc.CREATE_PERMISSION)
            c.send_indication(peer.getsockname(), b"12345")
            peer.recvfrom(100)
            peer.sendto(b"abcdefgh", relay)
            assert c.receive(2.0) is not None
            assert tc.is_success(c.refresh(0), tc.REFRESH)
            local = "%s:%d" % c.local()
            rlocal = "%s:%d" % r.local()
        code, _ = s.stop()
        out = s.output()
        assert code == 0
        mine = [l for l in out.splitlines() if f"client={local} " in l]
        assert len([l for l in mine if "allocation created" in l]) == 1
        ended = [l for l in mine if "allocation ended" in l]
        assert len(ended) == 1, mine
        relay_s = "%s:%d" % relay
        assert re.search(rf"allocation created: user=alice client={re.escape(local)} "
                         rf"relay={re.escape(relay_s)} lifetime=600s", out)
        assert re.search(r"user=alice .*relay=%s duration=\d+s to_peer=5B/1pkt "
                         r"to_client=8B/1pkt reason=refresh-0" % re.escape(relay_s), ended[0])
        rest = [l for l in out.splitlines() if f"client={rlocal} " in l]
        assert any("allocation created" in l and f"user={user}" in l for l in rest)
        assert any("allocation ended" in l and "reason=shutdown" in l for l in rest), rest
        for secret in (ALICE_PW, SECRET1, SECRET2, pw, BOB_PW, CAROL_PW,
                       tc.md5_key("bob", REALM, BOB_PW).hex()):
            assert secret not in out
