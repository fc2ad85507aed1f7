"""TURN over TCP and TLS client connections (RFC 8656 sections 5 and 12.5): a UDP relay driven
through a stream, ChannelData padded to 4 bytes both ways, and the allocation ending with the
connection."""
import socket
import struct
import time

import pytest

import stun_client as sc
import turn_client as tc
from turn_tools import ALICE_PW, allocated, expect_error, in_range, relay_closed


@pytest.fixture(scope="module")
def stream_lab(start_turn_server):
    with start_turn_server(ports=50) as s:
        yield s


def stream_client(server, proto, fam="4", **kw):
    cafile = str(server.path / "state" / "cert.pem") if proto == "tls" else None
    return tc.TurnClient(server.listening[proto + fam], transport=proto, user="alice",
                         password=ALICE_PW, cafile=cafile, **kw)


def recv_raw(sock, n, timeout=2.0):
    """Exactly n bytes from the stream, as they came."""
    sock.settimeout(timeout)
    return sc.recv_exact(sock, n)


@pytest.mark.parametrize("fam", ["4", "6"])
@pytest.mark.parametrize("proto", ["tcp", "tls"])
def test_stream_allocate_relay_and_close(stream_lab, proto, fam):
    peer_host = "127.0.0.1" if fam == "4" else "::1"
    family = tc.FAMILY_V4 if fam == "4" else tc.FAMILY_V6
    with stream_client(stream_lab, proto, fam) as c, tc.udp_peer(peer_host) as peer:
        msg = c.challenge()
        expect_error(msg, tc.ALLOCATE, 401)
        assert sc.get(msg, tc.NONCE).startswith(b"obMatJos2")
        msg, relay = allocated(c, tc.requested_family(family))
        assert relay[0] == peer_host and in_range(relay[1], stream_lab.ports)
        assert tc.decode_xor_addr(sc.get(msg, tc.XOR_MAPPED_ADDRESS), msg["tid"]) == c.local()
        assert tc.integrity_ok(msg["raw"], c.key)
        pa = peer.getsockname()[:2]

        # Send indication out, Data indication back.
        assert tc.is_success(c.create_permission(pa), tc.CREATE_PERMISSION)
        c.send_indication(pa, b"send over " + proto.encode())
        data, src = peer.recvfrom(100)
        assert data == b"send over " + proto.encode() and src[:2] == relay
        peer.sendto(b"data back", relay)
        got = c.receive(2.0)
        assert got is not None and got[:3] == ("data", pa, b"data back")

        # ChannelData from the client: padded frames, two in one write, one split in two.
        assert tc.is_success(c.channel_bind(0x4001, pa), tc.CHANNEL_BIND)
        one = tc.channel_data(0x4001, b"12345", pad=True)
        two = tc.channel_data(0x4001, b"abcdefgh", pad=True)
        assert len(one) == 12 and len(two) == 12
        c.send_raw(one + two)
        assert peer.recvfrom(100)[0] == b"12345"
        assert peer.recvfrom(100)[0] == b"abcdefgh"
        three = tc.channel_data(0x4001, b"xyz", pad=True)
        c.send_raw(three[:3])
        time.sleep(0.05)
        c.send_raw(three[3:])
        assert peer.recvfrom(100)[0] == b"xyz"

        # ChannelData to the client: padded to 4 bytes over the stream.
        assert not c.inbox and c.rx == b""
        peer.sendto(b"hello", relay)
        raw = recv_raw(c.sock, 12)
        assert raw == struct.pack("!HH", 0x4001, 5) + b"hello" + b"\0\0\0"
        peer.sendto(b"four", relay)  # already aligned: no padding
        assert recv_raw(c.sock, 8) == struct.pack("!HH", 0x4001, 4) + b"four"
        # The stream stays in step: a request still gets its answer.
        assert tc.is_success(c.refresh(600), tc.REFRESH)

        local = "%s:%d" % c.local() if fam == "4" else "[%s]:%d" % c.local()
    # The connection closed with the client: the allocation ends and its relay port closes.
    ended = stream_lab.log_lines("allocation ended", f"client={local} ", timeout=3.0)
    assert ended, stream_lab.output()
    line = ended[0]
    assert "reason=connection closed" in line
    assert "to_peer=29B/4pkt" in line and "to_client=18B/3pkt" in line, line
    assert relay_closed(relay, socket.AF_INET if fam == "4" else socket.AF_INET6)


@pytest.mark.parametrize("proto", ["tcp", "tls"])
def test_stream_allocate_errors(stream_lab, proto):
    with stream_client(stream_lab, proto) as c:
        expect_error(c.allocate(transport_attr=False,
                                extra=tc.requested_transport(tc.TCP_PROTO)), tc.ALLOCATE, 442)
        allocated(c)
        expect_error(c.allocate(), tc.ALLOCATE, 437)
        assert tc.is_success(c.refresh(0), tc.REFRESH)
        expect_error(c.refresh(600), tc.REFRESH, 437)


def test_stream_and_udp_allocations_are_separate(stream_lab):
    """Same client IP over TCP and UDP: different 5-tuples, two allocations."""
    with stream_client(stream_lab, "tcp") as t, \
            tc.TurnClient(stream_lab.listening["udp4"], user="alice", password=ALICE_PW) as u:
        _, r1 = allocated(t)
        _, r2 = allocated(u)
        assert r1 != r2
