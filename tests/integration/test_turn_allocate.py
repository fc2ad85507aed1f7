"""TURN allocations (RFC 8656) against the real binary over UDP: Allocate and its attributes
(lifetime, DONT-FRAGMENT, address families, EVEN-PORT and RESERVATION-TOKEN), Refresh,
quotas and relay port capacity, expiry, and the allocation log lines. Peers are local UDP
sockets on loopback, which the servers allow explicitly (turn_tools.ALLOW_LOOPBACK).
Authentication: test_turn_auth.py; permissions, channels and peer policy: test_turn_relay.py;
TCP and TLS clients: test_turn_tcp.py."""
import os
import re
import struct

import stun_client as sc
import turn_client as tc
from turn_tools import (ALICE_PW, BOB_PW, CAROL_PW, REALM, SECRET1, SECRET2, allocated, client,
                        expect_error, in_range, relay_closed)


# ---- Allocate ------------------------------------------------------------------------------

def test_allocate_succeeds_with_md5_key(turn_server):
    with client(turn_server) as c:
        msg, relay = allocated(c)
        assert relay[0] == "127.0.0.1" and in_range(relay[1], turn_server.ports)
        assert len(tc.relayed_addresses(msg)) == 1
        assert struct.unpack("!I", sc.get(msg, tc.LIFETIME))[0] == 600
        xm = tc.decode_xor_addr(sc.get(msg, tc.XOR_MAPPED_ADDRESS), msg["tid"])
        assert xm == c.local()
        assert tc.integrity_ok(msg["raw"], c.key)
        assert not tc.integrity_ok(msg["raw"], tc.md5_key("alice", REALM, "not-it"))
        assert sc.get(msg, tc.MESSAGE_INTEGRITY_SHA256) is None
        assert sc.get(msg, sc.FINGERPRINT) is None  # only when the request had one


def test_fingerprint_echoed_on_turn_responses(turn_server):
    with client(turn_server) as c:
        msg = c.allocate(fingerprint=True)
        assert tc.is_success(msg, tc.ALLOCATE)
        assert sc.fingerprint_ok(msg) and tc.integrity_ok(msg["raw"], c.key)


def test_allocate_retransmission_gets_same_success(turn_server):
    with client(turn_server) as c:
        c.challenge()
        data, tid = c.build(tc.ALLOCATE, tc.requested_transport())
        first = c.exchange(data, tid)
        again = c.exchange(data, tid)
        assert tc.is_success(first, tc.ALLOCATE) and tc.is_success(again, tc.ALLOCATE)
        assert tc.relayed_addresses(first) == tc.relayed_addresses(again)
        assert sc.get(first, tc.LIFETIME) == sc.get(again, tc.LIFETIME)
        assert tc.integrity_ok(again["raw"], c.key)
        local = "%s:%d" % c.local()
        created = turn_server.log_lines("allocation created", f"client={local} ")
        assert len(created) == 1, created


def test_second_allocate_on_same_five_tuple_is_437(turn_server):
    with client(turn_server) as c:
        allocated(c)
        expect_error(c.allocate(), tc.ALLOCATE, 437)


def test_allocate_without_requested_transport_is_400(turn_server):
    with client(turn_server) as c:
        expect_error(c.allocate(transport_attr=False), tc.ALLOCATE, 400)
        allocated(c)  # nothing was allocated by the refused request


def test_allocate_tcp_transport_is_442(turn_server):
    with client(turn_server) as c:
        msg = c.allocate(transport_attr=False, extra=tc.requested_transport(tc.TCP_PROTO))
        expect_error(msg, tc.ALLOCATE, 442)
        assert tc.integrity_ok(msg["raw"], c.key)  # authenticated errors are signed


def test_lifetime_is_capped_and_floored(turn_server):
    with client(turn_server) as c:
        msg, _ = allocated(c, tc.lifetime(100000))
        assert struct.unpack("!I", sc.get(msg, tc.LIFETIME))[0] == 3600  # limits.max_lifetime
    with client(turn_server) as c:
        msg, _ = allocated(c, tc.lifetime(30))
        assert struct.unpack("!I", sc.get(msg, tc.LIFETIME))[0] == 600  # never below default


def test_dont_fragment_is_accepted_and_relays(turn_server):
    with client(turn_server) as c, tc.udp_peer() as peer:
        _, relay = allocated(c, tc.dont_fragment())
        assert tc.is_success(c.create_permission(peer.getsockname()), tc.CREATE_PERMISSION)
        c.send_indication(peer.getsockname(), b"df")
        assert peer.recvfrom(100) == (b"df", relay)


def test_unknown_comprehension_required_attribute_is_420(turn_server):
    with client(turn_server) as c:
        msg = c.allocate(sc.attr(0x7F01, b"\0\0\0\0"))
        expect_error(msg, tc.ALLOCATE, 420)
        assert struct.unpack("!H", sc.get(msg, sc.UNKNOWN_ATTRIBUTES)[:2])[0] == 0x7F01


def test_unsupported_method_is_400(turn_server):
    """RFC 6062 Connect (0x000A) is not offered."""
    with client(turn_server) as c:
        allocated(c)
        msg = c.request(0x000A, sc.attr(tc.XOR_PEER_ADDRESS, b"\0\x01\0\0\0\0\0\0"))
        expect_error(msg, 0x000A, 400)


# ---- address families ----------------------------------------------------------------------

def test_ipv6_client_gets_ipv4_relay_by_default(turn_server):
    with client(turn_server, "udp6") as c:
        msg, relay = allocated(c)
        assert relay[0] == "127.0.0.1"
        assert tc.decode_xor_addr(sc.get(msg, tc.XOR_MAPPED_ADDRESS), msg["tid"]) == c.local()


def test_requested_address_family_ipv6(turn_server):
    with client(turn_server) as c:
        msg, relay = allocated(c, tc.requested_family(tc.FAMILY_V6))
        assert relay[0] == "::1" and in_range(relay[1], turn_server.ports)
        assert len(tc.relayed_addresses(msg)) == 1
        # The allocation has no IPv4 side: an IPv4 peer is a family mismatch.
        expect_error(c.create_permission(("127.0.0.1", 9)), tc.CREATE_PERMISSION, 443)


def test_additional_address_family_gives_dual_stack(turn_server):
    with client(turn_server) as c:
        msg, _ = allocated(c, tc.additional_family(tc.FAMILY_V6))
        relays = tc.relayed_addresses(msg)
        assert [r[0] for r in relays] == ["127.0.0.1", "::1"]
        assert all(in_range(p, turn_server.ports) for _, p in relays)
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


def test_bad_address_family_requests(turn_server):
    with client(turn_server) as c:
        # Family 0x03 does not exist: 440 (RFC 8656 section 7.2).
        expect_error(c.allocate(sc.attr(tc.REQUESTED_ADDRESS_FAMILY, b"\x03\0\0\0")),
                     tc.ALLOCATE, 440)
        # Both family attributes at once, or ADDITIONAL-ADDRESS-FAMILY IPv4: 400.
        expect_error(c.allocate(tc.requested_family(tc.FAMILY_V4) + tc.additional_family()),
                     tc.ALLOCATE, 400)
        expect_error(c.allocate(tc.additional_family(tc.FAMILY_V4)), tc.ALLOCATE, 400)
        allocated(c)


# ---- EVEN-PORT and RESERVATION-TOKEN (reservations are shared by all workers: with
#      SO_REUSEPORT the claiming client socket may land on another worker than the reserving
#      one) ---------------------------------------------------------------------------------

def test_even_port_without_reservation(turn_server):
    with client(turn_server) as c:
        msg, relay = allocated(c, tc.even_port(False))
        assert relay[1] % 2 == 0
        assert sc.get(msg, tc.RESERVATION_TOKEN) is None


def test_even_port_reservation_token(start_turn_server):
    with start_turn_server(ports=40, workers=1) as s:
        ports = s.ports
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


def test_reservation_token_claimed_across_workers(start_turn_server):
    """Two workers: each round reserves from a fresh socket and claims from another fresh one,
    which the kernel hashes to either worker. Six rounds in a row must all succeed."""
    with start_turn_server(ports=40, limits="limits:\n  user_quota: 20\n", workers=2) as s:
        ports = s.ports
        for _ in range(6):
            with client(s) as first, client(s) as second:
                msg, relay = allocated(first, tc.even_port(True))
                assert relay[1] % 2 == 0 and in_range(relay[1] + 1, ports)
                token = sc.get(msg, tc.RESERVATION_TOKEN)
                assert token is not None
                _, relay2 = allocated(second, tc.reservation_token(token))
                assert relay2 == ("127.0.0.1", relay[1] + 1)


def test_reserved_port_stays_inside_relay_range(start_turn_server):
    """relay.ports 3 ports, one worker: after the pair (first, first+1) is taken, the only
    even port left is the last one, whose neighbour lies outside the range: 508, not a
    socket on a port the admin did not give us."""
    with start_turn_server(ports=3, even=True, workers=1) as s:
        ports = s.ports
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


# ---- Refresh -------------------------------------------------------------------------------

def test_refresh_zero_deletes(turn_server):
    with client(turn_server) as c, tc.udp_peer() as peer:
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


def test_refresh_lifetime_is_capped(turn_server):
    with client(turn_server) as c:
        allocated(c)
        msg = c.refresh(1000000)
        assert tc.is_success(msg, tc.REFRESH)
        assert struct.unpack("!I", sc.get(msg, tc.LIFETIME))[0] == 3600
        msg = c.refresh()
        assert struct.unpack("!I", sc.get(msg, tc.LIFETIME))[0] == 600


def test_refresh_without_allocation_is_437(turn_server):
    with client(turn_server) as c:
        expect_error(c.refresh(600), tc.REFRESH, 437)


def test_refresh_of_missing_family_is_443(turn_server):
    with client(turn_server) as c:
        allocated(c)
        expect_error(c.refresh(600, tc.requested_family(tc.FAMILY_V6)), tc.REFRESH, 443)
        assert tc.is_success(c.refresh(600, tc.requested_family(tc.FAMILY_V4)), tc.REFRESH)


# ---- quotas and capacity -------------------------------------------------------------------

def test_user_quota(start_turn_server):
    with start_turn_server(limits="limits:\n  user_quota: 1\n") as s:
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


def test_total_quota(start_turn_server):
    with start_turn_server(limits="limits:\n  total_quota: 2\n") as s:
        with client(s) as a, client(s, user="bob", password=BOB_PW) as b, \
                client(s, user="carol", password=CAROL_PW) as c:
            allocated(a)
            allocated(b)
            expect_error(c.allocate(), tc.ALLOCATE, 486)
            assert tc.is_success(a.refresh(0), tc.REFRESH)
            allocated(c)


def test_relay_ports_exhausted_is_508(start_turn_server):
    """4 relay ports, 2 workers: each worker owns 2. Six clients spread over the workers by the
    kernel's hash: at most 4 can succeed, so at least 2 get 508."""
    with start_turn_server(ports=4, limits="limits:\n  user_quota: 100\n", workers=2) as s:
        ports = s.ports
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


# ---- expiry and log lines ------------------------------------------------------------------

def test_allocation_expires(start_turn_server):
    """limits.max_lifetime 2s makes the default lifetime 2 s too; the 1 s tick reaps it."""
    with start_turn_server(limits="limits:\n  max_lifetime: 2s\n") as s:
        with client(s) as c, tc.udp_peer() as peer:
            msg, relay = allocated(c, tc.lifetime(3600))
            assert struct.unpack("!I", sc.get(msg, tc.LIFETIME))[0] == 2
            assert tc.is_success(c.create_permission(peer.getsockname()), tc.CREATE_PERMISSION)
            local = "%s:%d" % c.local()
            ended = s.log_lines("allocation ended", f"client={local} ", timeout=6.0)
            assert len(ended) == 1 and "reason=expired" in ended[0], ended
            assert relay_closed(relay)
            expect_error(c.refresh(600), tc.REFRESH, 437)


def test_allocation_log_lines_and_no_secrets(start_turn_server):
    with start_turn_server() as s:
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
