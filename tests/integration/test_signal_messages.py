"""Messages inside a signaling room against the real binary (docs/signaling.md is the
contract): signal, chat (public, private, history), state, app, `to` routing and no_such_peer,
ping/pong and the server's keepalive; rooms spread over two workers staying apart, and 1,000
concurrent sessions. The client is Debian's python3-websockets over TLS (ws_client.py); the
server (conftest's signal_server) runs with workers: 2, so a room's home worker and its
members' workers differ. Joining and resume: test_signal_rooms.py; refused frames and limits:
test_signal_errors.py; HTTPS routes: test_signal_http.py."""
import asyncio
import os
import resource
import time

import pytest

from signal_tools import NO_STATE
from ws_client import Client, Clients, https_request, run


# ---- signal / chat / state / app -----------------------------------------------------------

def test_signal_relayed_with_from_stamped(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a, b, c = await cs.room("sig", "Ann", "Bo", "Cy")
            data = {"type": "offer", "sdp": "v=0\r\n...", "nested": [1, {"x": None}]}
            await a.send({"type": "signal", "to": b.session, "data": data, "id": 5,
                          "from": "forged-session-id", "extra": "ignored"})
            got = await b.expect("signal", **{"from": a.session})
            assert got == {"type": "signal", "from": a.session, "data": data}
            # Not acknowledged, not fanned out.
            await asyncio.gather(a.silent(), c.silent())
            # Any JSON as data, and the other direction.
            await b.send({"type": "signal", "to": a.session, "data": "a string"})
            got = await a.expect("signal")
            assert got == {"type": "signal", "from": b.session, "data": "a string"}
    run(go())


def test_chat_public_echo_to_all(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a, b, c = await cs.room("chat-pub", "Ann", "Bo", "Cy")
            before = time.time() * 1000
            await a.send({"type": "chat", "text": "hello\tall\n", "id": "c1"})
            mine = await a.expect("chat", re="c1")
            after = time.time() * 1000
            assert mine["from"] == a.session and mine["name"] == "Ann"
            assert mine["text"] == "hello\tall\n" and "to" not in mine and "private" not in mine
            assert before - 1000 <= mine["ts"] <= after + 1000, (before, mine, after)
            for x in (b, c):
                other = await x.expect("chat")
                assert other == {k: v for k, v in mine.items() if k != "re"}
            # `to: null` counts as absent: still public.
            await b.send({"type": "chat", "text": "null to", "to": None})
            for x in (a, b, c):
                got = await x.expect("chat", text="null to", **{"from": b.session})
                assert "private" not in got
    run(go())


def test_chat_history_last_100(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a = await cs.joined("history", "Ann")
            for i in range(105):
                await a.send({"type": "chat", "text": f"msg {i}", "id": i})
            for i in range(105):
                await a.expect("chat", re=i, text=f"msg {i}")
            b = await cs.new()
            j = await b.join("history", "Bo")
            hist = j["history"]
            assert len(hist) == 100, len(hist)
            assert [h["text"] for h in hist] == [f"msg {i}" for i in range(5, 105)]
            for h in hist:
                assert h["from"] == a.session and h["name"] == "Ann"
                assert isinstance(h["ts"], int) and h["ts"] > 1.6e12
            assert [h["ts"] for h in hist] == sorted(h["ts"] for h in hist)
    run(go())


def test_chat_private(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a, b, c = await cs.room("chat-priv", "Ann", "Bo", "Cy")
            await a.send({"type": "chat", "text": "psst", "to": b.session, "id": 42})
            echo = await a.expect("chat", re=42, to=b.session, private=True, text="psst")
            got = await b.expect("chat", to=b.session, private=True, text="psst",
                                 name="Ann", **{"from": a.session})
            assert got["ts"] == echo["ts"]
            await c.silent()
            await a.send({"type": "chat", "text": "public one"})
            for x in (a, b, c):
                await x.expect("chat", text="public one")
            # Private chat never lands in history.
            await c.send({"type": "leave"})
            await a.expect("peer", kind="leave", session=c.session)
            d = await cs.new()
            j = await d.join("chat-priv", "Di")
            assert [h["text"] for h in j["history"]] == ["public one"]
    run(go())


def test_state_goes_to_others_only(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a, b, c = await cs.room("state", "Ann", "Bo", "Cy")
            st = {"audio": True, "video": False, "screen": True}
            await b.send({"type": "state", **st, "id": "s1"})
            for x in (a, c):
                got = await x.expect("peer", kind="update", session=b.session, name="Bo",
                                     state=st)
                assert set(got) == {"type", "kind", "session", "name", "state"}
            await b.silent()
            # A later joiner sees the state in peers.
            await a.send({"type": "leave"})
            d = await cs.new()
            j = await d.join("state", "Di")
            assert {p["session"]: p["state"] for p in j["peers"]} == {
                b.session: st, c.session: NO_STATE}
    run(go())


def test_app_with_and_without_to(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a, b, c = await cs.room("app", "Ann", "Bo", "Cy")
            await a.send({"type": "app", "topic": "whiteboard", "data": {"x": 1},
                          "to": c.session, "id": 3})
            got = await c.expect("app")
            assert got == {"type": "app", "from": a.session, "topic": "whiteboard",
                           "data": {"x": 1}}
            await asyncio.gather(a.silent(), b.silent())
            await a.send({"type": "app", "topic": "files", "data": [1, "two"]})
            for x in (b, c):
                got = await x.expect("app")
                assert got == {"type": "app", "from": a.session, "topic": "files",
                               "data": [1, "two"]}
            await a.silent()
    run(go())


def test_no_such_peer(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a = await cs.joined("nsp-1", "Ann")
            b = await cs.joined("nsp-1", "Bo")
            other = await cs.joined("nsp-2", "Ot")
            await a.expect("peer", kind="join")
            gone = await cs.joined("nsp-1", "Gone")
            await a.expect("peer", kind="join")
            await b.expect("peer", kind="join")
            await gone.send({"type": "leave"})
            await a.expect("peer", kind="leave")
            await b.expect("peer", kind="leave")
            cases = [
                ("unknown", {"type": "signal", "to": "A" * 22, "data": {}}),
                ("self", {"type": "signal", "to": a.session, "data": {}}),
                ("other-room", {"type": "signal", "to": other.session, "data": {}}),
                ("gone", {"type": "signal", "to": gone.session, "data": {}}),
                ("chat", {"type": "chat", "text": "psst", "to": other.session}),
                ("chat-self", {"type": "chat", "text": "psst", "to": a.session}),
                ("app", {"type": "app", "topic": "t", "data": 1, "to": "nobody"}),
            ]
            for i, (name, frame) in enumerate(cases):
                rid = name if i % 2 else i
                await a.send({**frame, "id": rid})
                await a.error("no_such_peer", re=rid)
                await a.ping_ok(f"after-{name}")
            await asyncio.gather(b.silent(), other.silent())
            # Still routed normally afterwards.
            await a.send({"type": "signal", "to": b.session, "data": "ok"})
            await b.expect("signal", data="ok")
    run(go())


# ---- ping / pong and keepalive -------------------------------------------------------------

def test_ping_pong(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a = await cs.new()
            # Before join too.
            await a.send({"type": "ping", "id": 7})
            await a.expect("pong", re=7)
            await a.send({"type": "ping", "id": "seven"})
            await a.expect("pong", re="seven")
            await a.send({"type": "ping"})
            await a.expect("pong")
            await a.join("pingpong", "Ann")
            await a.send({"type": "ping", "id": -9007199254740993})
            await a.expect("pong", re=-9007199254740993)
            # pong from the client is not answered.
            await a.send({"type": "pong", "id": 1})
            await a.silent()
    run(go())


@pytest.mark.skipif(os.environ.get("ICEGATE_SLOW_TESTS") != "1",
                    reason="keepalive takes 45 s; set ICEGATE_SLOW_TESTS=1")
def test_keepalive_ping_then_close_4001(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a = await cs.joined("keepalive", "Ann")
            t0 = time.monotonic()
            await a.expect("ping", timeout=30)
            assert 19 <= time.monotonic() - t0 <= 27
            code, reason = await a.closed(timeout=35)
            assert (code, reason) == (4001, "keepalive timeout")
            assert 44 <= time.monotonic() - t0 <= 52
    run(go(), timeout=70)


# ---- scale and workers ---------------------------------------------------------------------

def test_rooms_across_workers_stay_apart(signal_server):
    """8 rooms of 3: each member sees its own room's chat and signals, nothing else."""
    async def go():
        async with Clients(signal_server.https) as cs:
            rooms = [await cs.room(f"xw-{r}", "m0", "m1", "m2") for r in range(8)]
            everyone = [x for members in rooms for x in members]
            await asyncio.gather(*(x.send({"type": "chat", "text": f"from {x.session}"})
                                   for x in everyone))
            for members in rooms:
                sessions = {x.session for x in members}
                for x in members:
                    got = {(await x.expect("chat"))["from"] for _ in range(3)}
                    assert got == sessions
            for members in rooms:
                for i, x in enumerate(members):
                    nxt = members[(i + 1) % 3]
                    await x.send({"type": "signal", "to": nxt.session, "data": x.session})
            for members in rooms:
                for i, x in enumerate(members):
                    prev = members[i - 1]
                    await x.expect("signal", data=prev.session, **{"from": prev.session})
            await asyncio.gather(*(x.silent(0.3) for x in everyone))
    run(go())


def test_thousand_sessions(signal_server):
    """1,000 WebSockets in 500 rooms of 2: all join, every pair signals both ways, all of it
    arrives; afterwards the server is alive and healthy."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= 1100, "ulimit -n too low"
    pairs = 500

    async def frame(c, want):
        """The next frame other than a keepalive ping (connecting 1,000 TLS sockets on a
        busy machine can take longer than the 20 s after which the server pings)."""
        while True:
            msg = await c.recv(timeout=30)
            if msg["type"] != "ping":
                assert msg["type"] == want, msg
                return msg

    async def go():
        t0 = time.monotonic()
        gate = asyncio.Semaphore(100)
        clients = []

        async def connect():
            async with gate:
                clients.append(await Client.connect(signal_server.https, timeout=30))

        async def pair(i, a, b):
            await a.send({"type": "join", "room": f"bulk-{i}", "name": "a", "id": i})
            ja = await frame(a, "joined")
            assert ja["re"] == i and ja["peers"] == []
            await b.send({"type": "join", "room": f"bulk-{i}", "name": "b"})
            jb = await frame(b, "joined")
            assert [p["session"] for p in jb["peers"]] == [ja["session"]]
            peer = await frame(a, "peer")
            assert peer["kind"] == "join" and peer["session"] == jb["session"]
            await a.send({"type": "signal", "to": jb["session"], "data": {"i": i, "d": "ab"}})
            await b.send({"type": "signal", "to": ja["session"], "data": {"i": i, "d": "ba"}})
            got_b = await frame(b, "signal")
            got_a = await frame(a, "signal")
            assert got_b == {"type": "signal", "from": ja["session"], "data": {"i": i, "d": "ab"}}
            assert got_a == {"type": "signal", "from": jb["session"], "data": {"i": i, "d": "ba"}}
            return True

        try:
            await asyncio.gather(*(connect() for _ in range(2 * pairs)))
            connected = time.monotonic() - t0
            results = await asyncio.gather(*(pair(i, clients[2 * i], clients[2 * i + 1])
                                             for i in range(pairs)))
            assert len(results) == pairs and all(results)
        finally:
            await asyncio.gather(*(c.ws.close() for c in clients), return_exceptions=True)
        return connected, time.monotonic() - t0

    connected, took = run(go(), timeout=90)
    print(f"1,000 sessions: connected in {connected:.1f} s, all done in {took:.1f} s")
    assert signal_server.alive(), signal_server.output()
    status, _, body = https_request(signal_server.https, "GET", "/healthz")
    assert status == 200 and body.strip() == b"ok"

    async def after():
        async with Clients(signal_server.https) as cs:
            x = await cs.joined("after-bulk", "x")
            await x.ping_ok()
    run(after())
