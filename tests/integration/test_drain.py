"""Graceful drain on SIGTERM (docs/operations.md, Drain): /healthz 503, goaway then 1001 to
every WebSocket, new upgrades and TURN TCP/TLS connections refused, a new Allocate refused (508,
or 300 Try Alternate), live allocations relaying and refreshing through the grace; exit 0 once
nothing is left, when the grace ends, or at once on a second signal; sd_notify STOPPING=1 and
EXTEND_TIMEOUT_USEC."""
import json
import shutil
import signal
import socket
import struct
import subprocess
import time

import pytest
import websockets.exceptions

import stun_client as sc
import turn_client as tc
from icegate_proc import ROOT, NotifySocket, free_port_range, running
from signal_tools import WEB
from turn_tools import allocated, client, expect_error, server_yaml
from ws_client import Client, https_request, run

ALTERNATE_SERVER = 0x8023


def drain_yaml(ports, shutdown):
    """TURN relaying to loopback (turn_tools) plus HTTPS signaling, and `shutdown` lines."""
    return (server_yaml(ports, limits="limits:\n  connections_per_address: 0\n")
            + f"http:\n  listen: 127.0.0.1:0\n  web_root: {WEB}\n"
            + "signal:\n  join_rate: 100000\n  message_rate: 1000\n"
            + "shutdown:\n" + shutdown)


@pytest.fixture
def notify(monkeypatch):
    n = NotifySocket()
    monkeypatch.setenv("NOTIFY_SOCKET", n.path)  # the server inherits it
    yield n
    n.close()


def wait_exit(s, timeout):
    """The exit code once the process ends by itself within `timeout`; fails otherwise."""
    try:
        return s.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"still running after {timeout} s:\n" + s.output()) from None


def tcp_refused(host, port, timeout=3.0):
    """True once a new TCP connection to (host, port) is refused (polled: the acceptors close
    on their workers just after the signal)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            sc.connect(host, port, timeout=1.0).close()
        except ConnectionRefusedError:
            return True
        time.sleep(0.05)
    return False


def upgrade_status(port):
    """The HTTP status a new WebSocket upgrade gets (101 when it is accepted)."""
    async def go():
        try:
            c = await Client.connect(port)
        except websockets.exceptions.InvalidStatusCode as e:
            return e.status_code
        await c.close()
        return 101
    return run(go())


def relay_works(c, channel, peer, relay):
    """ChannelData out to the peer and a datagram back through the relay, both arrive."""
    c.send_channel(channel, b"to-peer")
    data, _ = peer.recvfrom(100)
    assert data == b"to-peer"
    peer.sendto(b"to-client", relay)
    got = c.receive(2.0)
    assert got is not None and got[2] == b"to-client", got


def test_drain_with_live_allocations_and_sessions(notify):
    ports = free_port_range(20)
    with running(drain_yaml(ports, "  grace: 30s\n"), workers=2, drain=True) as s, \
            client(s) as c, client(s, "udp4") as late, tc.udp_peer() as peer, \
            client(s, "tcp4", transport="tcp") as stream:
        assert notify.messages("READY=1")[-1] == "READY=1"
        _, relay = allocated(c)
        assert tc.is_success(c.channel_bind(0x4000, peer.getsockname()), tc.CHANNEL_BIND)
        relay_works(c, 0x4000, peer, relay)
        allocated(stream)  # a TURN-over-TCP allocation: its connection stays through the drain
        assert https_request(s.https, "GET", "/healthz")[0] == 200

        async def sessions():
            a, b = await Client.connect(s.https), await Client.connect(s.https)
            await a.join("drain", "Ann")
            await b.join("drain", "Bo")
            await a.expect("peer", kind="join")
            t0 = time.monotonic()
            s.proc.send_signal(signal.SIGTERM)
            for ws in (a, b):
                goaway = await ws.recv()
                assert goaway == {"type": "goaway", "reconnect_ms": 1000}, goaway
                assert await ws.closed() == (1001, "going away")
            assert time.monotonic() - t0 < 5.0
        run(sessions())

        stopping = notify.messages("STOPPING=1")[-1]
        assert "STOPPING=1" in stopping.splitlines(), stopping
        assert "EXTEND_TIMEOUT_USEC=40000000" in stopping.splitlines(), stopping  # 30 s + 10 s
        assert s.wait_for_log(r"signal 15: draining for up to 30 s")

        status, headers, body = https_request(s.https, "GET", "/healthz")
        assert (status, body) == (503, b"draining\n")
        assert headers["cache-control"] == "no-store"
        assert upgrade_status(s.https) == 503
        for proto in ("tcp4", "tls4", "tcp6", "tls6"):
            assert tcp_refused(*s.listening[proto]), proto

        # A new Allocate is refused; what is allocated keeps relaying and refreshing.
        expect_error(late.allocate(), tc.ALLOCATE, 508)
        relay_works(c, 0x4000, peer, relay)
        msg = c.refresh(1200)
        assert tc.is_success(msg, tc.REFRESH), tc.error_code(msg)
        assert tc.is_success(stream.refresh(600), tc.REFRESH)
        assert tc.is_success(c.create_permission(("127.0.0.1", 9)), tc.CREATE_PERMISSION)
        assert s.alive()

        # Nothing left: the process ends by itself, well before the grace.
        assert tc.is_success(stream.refresh(0), tc.REFRESH)
        assert tc.is_success(c.refresh(0), tc.REFRESH)
        c.has_allocation = False
        t_last = time.monotonic()
        assert wait_exit(s, 5.0) == 0, s.output()
        assert time.monotonic() - t_last < 3.0
        assert s.wait_for_log(r"drain done after \d+ ms: nothing left")
        s.stop()


def test_drain_answers_300_with_the_alternate_server():
    ports = free_port_range(20)
    shutdown = "  grace: 30s\n  alternate_server: 203.0.113.7:3478\n"
    with running(drain_yaml(ports, shutdown), workers=2, drain=True) as s, client(s) as c, \
            client(s, "udp4") as v4, client(s, "udp6") as v6:
        allocated(c)  # keeps the drain going
        s.proc.send_signal(signal.SIGTERM)
        assert s.wait_for_log(r"draining for up to")
        msg = v4.allocate()
        # The engines take the flag by a post just after the signal: poll briefly for it.
        for _ in range(20):
            if not tc.is_success(msg, tc.ALLOCATE):
                break
            v4.refresh(0)
            time.sleep(0.05)
            msg = v4.allocate()
        expect_error(msg, tc.ALLOCATE, 300)
        value = sc.get(msg, ALTERNATE_SERVER)
        assert value is not None and value[1] == 0x01, value
        assert struct.unpack("!H", value[2:4])[0] == 3478
        assert socket.inet_ntoa(value[4:8]) == "203.0.113.7"
        assert tc.integrity_ok(msg["raw"], v4.key)
        # An IPv6 client cannot use an IPv4 alternate: 508.
        expect_error(v6.allocate(), tc.ALLOCATE, 508)
        assert tc.is_success(c.refresh(0), tc.REFRESH)
        c.has_allocation = False
        assert wait_exit(s, 5.0) == 0
        s.stop()


def test_second_signal_stops_at_once():
    ports = free_port_range(20)
    with running(drain_yaml(ports, "  grace: 60s\n"), workers=2, drain=True) as s, \
            client(s, release_on_close=False) as c:
        allocated(c)
        s.proc.send_signal(signal.SIGTERM)
        assert s.wait_for_log(r"draining for up to 60 s")
        time.sleep(0.5)
        assert s.alive()  # the allocation holds the drain open
        t0 = time.monotonic()
        s.proc.send_signal(signal.SIGINT)
        assert wait_exit(s, 5.0) == 0, s.output()
        assert time.monotonic() - t0 < 3.0
        assert s.wait_for_log(r"signal 2: stopping now, the drain cut short")
        assert s.wait_for_log(r"allocation ended: .* reason=shutdown")
        s.stop()


def test_grace_ends_the_drain():
    ports = free_port_range(20)
    with running(drain_yaml(ports, "  grace: 2s\n"), workers=2, drain=True) as s, \
            client(s, release_on_close=False) as c:
        allocated(c)
        t0 = time.monotonic()
        s.proc.send_signal(signal.SIGTERM)
        assert wait_exit(s, 10.0) == 0, s.output()
        took = time.monotonic() - t0
        assert 1.8 <= took < 8.0, took
        assert s.wait_for_log(r"grace over after \d+ ms: closing what is left \(1 allocations")
        assert s.wait_for_log(r"allocation ended: .* reason=shutdown")
        s.stop()


def test_default_grace_with_nothing_left_exits_promptly():
    # `shutdown: {}`: the default grace (30s), and nothing live: no reason to wait.
    with running("shutdown: {}\n", listen=["udp://127.0.0.1:0", "tcp://127.0.0.1:0"]) as s:
        t0 = time.monotonic()
        s.proc.send_signal(signal.SIGTERM)
        assert wait_exit(s, 5.0) == 0, s.output()
        assert time.monotonic() - t0 < 2.0
        assert s.wait_for_log(r"draining for up to 30 s")
        assert s.wait_for_log(r"drain done after \d+ ms: nothing left")
        s.stop()


def test_zero_grace_exits_at_once():
    with running("shutdown:\n  grace: 0s\n", listen=["udp://127.0.0.1:0"]) as s:
        s.proc.send_signal(signal.SIGTERM)
        assert wait_exit(s, 3.0) == 0, s.output()
        out = s.output()
        assert "signal 15: shutting down" in out and "draining" not in out, out
        s.stop()


def test_web_client_resumes_after_goaway():
    """web/signaling.js under Node with a fake WebSocket and clock (tests/e2e): goaway then 1001
    leads to a reconnect after about reconnect_ms with the resume token, then backoff."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is a test dependency (`make test-deps`)", pytrace=False)
    script = ROOT / "tests" / "e2e" / "signaling_goaway_test.mjs"
    done = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=60)
    result = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}
    assert done.returncode == 0 and result.get("ok"), done.stdout + done.stderr


def test_goaway_follows_frames_still_being_written():
    """Frames queued or in flight when the drain starts go out first, then goaway, then the
    close: a member in the middle of a burst loses nothing (the close used to drop the queue
    behind a write in flight, goaway included)."""
    ports = free_port_range(20)
    with running(drain_yaml(ports, "  grace: 2s\n"), workers=2, drain=True) as s:
        async def burst():
            a, b = await Client.connect(s.https), await Client.connect(s.https)
            await a.join("burst", "Ann")
            await b.join("burst", "Bo")
            await a.expect("peer", kind="join")
            text = "x" * 4000
            for i in range(60):
                await a.send({"type": "chat", "text": f"{i} {text}"})
            s.proc.send_signal(signal.SIGTERM)
            got = []
            while True:
                msg = await b.recv(10.0)
                if msg["type"] == "goaway":
                    break
                got.append(msg)
            chats = [m["text"].split(" ", 1)[0] for m in got if m["type"] == "chat"]
            assert chats == [str(i) for i in range(len(chats))]
            assert await b.closed() == (1001, "going away")
        run(burst())
        assert wait_exit(s, 10.0) == 0, s.output()
        s.stop()
