"""Hostile input must not crash or wedge the server: it keeps answering good requests."""
import os
import random
import socket
import struct
import time

import pytest

import stun_client as sc


def still_answers(server, fam="4"):
    host, port = server.listening["udp" + fam]
    msg = sc.parse(sc.udp_exchange(host, port, sc.request()))
    assert msg["type"] == sc.BINDING_SUCCESS


def silent(host, port, data, wait=0.3):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(wait)
        s.sendto(data, (host, port))
        with pytest.raises(socket.timeout):
            s.recvfrom(65535)


def hostile_datagrams(rng):
    good = sc.request(sc.attr(sc.SOFTWARE, b"x" * 9), fingerprint=True)
    yield b""
    yield good[:1]
    yield good[:19]
    yield good[:20]  # header only, length says more
    yield b"\x00\x01" + struct.pack("!H", 4000) + good[4:]  # lying length
    yield b"\x00\x01\x00\x03" + good[4:20] + b"abc"  # length not a multiple of 4
    yield good[:-1] + bytes([good[-1] ^ 1])  # bad fingerprint
    flood = b"".join(sc.attr(0x8030 + (i % 100), b"") for i in range(300))
    yield sc.request(flood)  # attribute flood
    yield sc.request(sc.attr(0x0001, b"\x00"))  # truncated MAPPED-ADDRESS
    yield b"\x40\x00\x00\x04abcd"  # ChannelData, no allocation
    yield b"\xff" * 1500
    for _ in range(50):
        yield os.urandom(rng.randrange(1, 600))
    for _ in range(50):  # mutated valid requests
        b = bytearray(good)
        for _ in range(rng.randrange(1, 6)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        yield bytes(b)


def test_hostile_datagrams_do_not_crash(server):
    rng = random.Random(1234)
    for fam in ("4", "6"):
        host, port = server.listening["udp" + fam]
        family = socket.AF_INET6 if fam == "6" else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.settimeout(0.5)
            for data in hostile_datagrams(rng):
                s.sendto(data, (host, port))
                # Whatever comes back must itself be well-formed STUN.
                s.setblocking(False)
                try:
                    while True:
                        reply, _ = s.recvfrom(65535)
                        assert len(reply) <= max(len(data), 20) + 600
                        sc.parse(reply)
                except BlockingIOError:
                    pass
                s.settimeout(0.5)
        still_answers(server, fam)


def test_non_stun_is_silent(server):
    host, port = server.listening["udp4"]
    silent(host, port, b"GET / HTTP/1.1\r\n\r\n")
    silent(host, port, sc.request()[:19])
    # An indication and a success response are never answered.
    silent(host, port, sc.request(msg_type=0x0011))
    silent(host, port, sc.request(msg_type=0x0101))


def test_ten_thousand_garbage_datagrams(server):
    host, port = server.listening["udp4"]
    rng = random.Random(99)
    deadline = time.monotonic() + 20
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(10_000):
            if time.monotonic() > deadline:
                break
            s.sendto(rng.randbytes(rng.randrange(1, 200)), (host, port))
            if i % 500 == 0:
                time.sleep(0.002)  # bounded rate: stay within the socket buffer
    assert i == 9_999
    still_answers(server)


@pytest.mark.parametrize("proto", ["tcp", "tls"])
def test_stream_garbage_closes_only_that_connection(server, proto):
    host, port = server.listening[proto + "4"]
    cafile = str(server.path / "state" / "cert.pem") if proto == "tls" else None
    with sc.connect(host, port, tls=proto == "tls", cafile=cafile) as s:
        s.sendall(b"\xff" * 64)
        s.settimeout(3)
        assert s.recv(100) == b""  # the server closed it
    with sc.connect(host, port, tls=proto == "tls", cafile=cafile) as s:
        reply = sc.parse(sc.stream_exchange(s, sc.request()))
        assert reply["type"] == sc.BINDING_SUCCESS
    still_answers(server)


def test_stream_oversized_frame_is_refused(start_icegate):
    yaml = "limits:\n  tcp_buffer: 2048\n"
    with start_icegate(yaml, listen=["tcp://127.0.0.1:0", "udp://127.0.0.1:0"]) as srv:
        host, port = srv.listening["tcp4"]
        with sc.connect(host, port) as s:
            # A STUN header announcing 4000 bytes: more than a connection may buffer.
            s.sendall(b"\x00\x01\x0f\xa0" + os.urandom(16) + b"\x00" * 4000)
            s.settimeout(3)
            try:
                data = s.recv(100)
            except ConnectionResetError:
                data = b""
            assert data == b""
        with sc.connect(host, port) as s:  # a frame that fits is still served
            req = sc.request(sc.attr(0x8030, b"p" * 1500))
            assert sc.parse(sc.stream_exchange(s, req))["type"] == sc.BINDING_SUCCESS
        still_answers(srv)


def test_idle_stream_connections_are_closed(start_icegate):
    yaml = "limits:\n  tcp_idle_timeout: 1s\n"
    with start_icegate(yaml, listen=["tcp://127.0.0.1:0", "udp://127.0.0.1:0"]) as srv:
        host, port = srv.listening["tcp4"]
        with sc.connect(host, port, timeout=6) as s:
            t0 = time.monotonic()
            assert s.recv(10) == b""
            assert 0.8 < time.monotonic() - t0 < 4.5


def test_many_connections_then_binding(server):
    host, port = server.listening["tcp4"]
    # 190: under limits.connections_per_address (200 by default; every socket here comes from
    # 127.0.0.1), which test_hardening_net.py covers.
    socks = [sc.connect(host, port) for _ in range(190)]
    try:
        for s in socks[:10]:
            s.sendall(sc.request()[:10])  # half a request each
        still_answers(server)
        with sc.connect(host, port) as s:
            assert sc.parse(sc.stream_exchange(s, sc.request()))["type"] == sc.BINDING_SUCCESS
    finally:
        for s in socks:
            s.close()
