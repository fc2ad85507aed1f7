"""What a signaling server refuses, against the real binary (docs/signaling.md lists the error
codes): bad_request for every malformed frame and for room messages before a join, room_full,
rate_limited (messages per session, joins per address), too_large, and the closes: 1009 over a
mebibyte, 1008 for persistent abuse and for a slow consumer, 1001 on SIGTERM. Every refusal
leaves the session usable unless it closes it. The servers are conftest's signal_server
(capacity 3, generous rates) and limited_signal_server (capacity 2, message_rate 5)."""
import asyncio
import json
import signal

import pytest
import websockets.exceptions

from ws_client import Client, Clients, run


# ---- bad_request ---------------------------------------------------------------------------

def nested(depth):
    return '{"type":"app","topic":"t","data":' + "[" * depth + "]" * depth + "}"


BAD_FRAMES = [
    ("{not json", None, "frame is not valid JSON"),
    ("[1,2,3]", None, "frame must be a JSON object"),
    ('"join"', None, "frame must be a JSON object"),
    ('{"type":"join","name":"Ann","id":1}', 1, "field 'room' is missing"),
    ('{"type":"join","room":7,"name":"Ann","id":"w"}', "w", "field 'room' ..."),
    ('{"type":"join","room":null,"name":"Ann","id":2}', 2, "field 'room' is missing"),
    ('{"type":"join","room":"' + "r" * 65 + '","name":"Ann","id":3}', 3, "field 'room' ..."),
    ('{"type":"join","room":"a\\u0001b","name":"Ann","id":4}', 4, "field 'room' ..."),
    ('{"type":"join","room":"r","name":"","id":5}', 5, "field 'name' ..."),
    ('{"type":"state","audio":true,"video":false,"id":6}', 6, "field 'screen' is missing"),
    ('{"type":"state","audio":1,"video":false,"screen":false,"id":7}', 7,
     "field 'audio' must be a boolean"),
    ('{"type":"chat","text":"","id":8}', 8, "field 'text' ..."),
    ('{"type":"chat","text":"' + "x" * 4097 + '","id":9}', 9, "field 'text' ..."),
    ('{"type":"signal","data":{},"id":10}', 10, "field 'to' is missing"),
    ('{"type":"signal","to":"abc","id":11}', 11, "field 'data' is missing"),
    ('{"type":"app","topic":"t","id":12}', 12, "field 'data' is missing"),
    ('{"type":"frobnicate","id":13}', 13, "unknown type 'frobnicate'"),
    ('{"id":14}', 14, "field 'type' is missing"),
    ('{"type":5,"id":15}', 15, "field 'type' must be a string"),
    ('{"type":"ping","id":{"a":1}}', None, "field 'id' ..."),
    ('{"type":"ping","id":"' + "i" * 65 + '"}', None, "field 'id' ..."),
    (nested(40), None, "JSON nests deeper than 32 levels"),
]


@pytest.mark.parametrize("frame,re_,message", BAD_FRAMES,
                         ids=[f"bad{i}" for i in range(len(BAD_FRAMES))])
def test_bad_request(signal_server, frame, re_, message):
    async def go():
        async with Clients(signal_server.https) as cs:
            a = await cs.new()
            await a.send(frame)
            await a.error("bad_request", re=re_, message=message)
            await a.ping_ok()
    run(go())


def test_room_messages_before_join(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a = await cs.new()
            frames = [
                {"type": "signal", "to": "x" * 22, "data": {}, "id": "s"},
                {"type": "chat", "text": "hi", "id": "c"},
                {"type": "state", "audio": True, "video": True, "screen": False, "id": 1},
                {"type": "app", "topic": "t", "data": 1, "id": 2},
            ]
            for f in frames:
                await a.send(f)
                await a.error("bad_request", re=f["id"], message="join a room first")
            await a.send({"type": "leave", "id": "l"})  # nothing to leave: no reply
            await a.silent()
            await a.ping_ok()
            await a.join("before-join", "Ann")
    run(go())


# ---- room_full and rate_limited ------------------------------------------------------------

def test_room_full(limited_signal_server):
    async def go():
        async with Clients(limited_signal_server.https) as cs:
            a = await cs.joined("full", "Ann")
            b = await cs.joined("full", "Bo")
            c = await cs.new()
            await c.send({"type": "join", "room": "full", "name": "Cy", "id": 9})
            await c.error("room_full", re=9)
            await c.ping_ok()
            await a.expect("peer", kind="join", session=b.session)
            await asyncio.gather(a.silent(), b.silent())
            await a.send({"type": "leave"})
            await b.expect("peer", kind="leave", session=a.session)
            await c.join("full", "Cy")
            await b.expect("peer", kind="join", session=c.session)
            # A member whose connection dropped still takes a place until its window ends.
            b.drop()
            await asyncio.sleep(0.5)
            d = await cs.new()
            await d.send({"type": "join", "room": "full", "name": "Di", "id": "d"})
            await d.error("room_full", re="d")
            await c.silent()
    run(go())


def test_message_rate_limit(limited_signal_server):
    async def go():
        async with Clients(limited_signal_server.https) as cs:
            a = await cs.new()
            n = 30
            for i in range(n):
                await a.send({"type": "ping", "id": i})
            pongs, limited_ = [], []
            for _ in range(n):
                msg = await a.recv()
                if msg["type"] == "pong":
                    pongs.append(msg["re"])
                else:
                    assert msg["type"] == "error" and msg["code"] == "rate_limited", msg
                    limited_.append(msg)
            # Burst 4 x 5 = 20, plus what refills in the few ms the burst takes.
            assert 20 <= len(pongs) <= 24, pongs
            assert len(limited_) == n - len(pongs)
            assert pongs[:20] == list(range(20))
            # Per session: another connection is not limited.
            b = await cs.new()
            await b.ping_ok()
            # The session lives on: after a second there are tokens again.
            await asyncio.sleep(1.1)
            await a.ping_ok()
    run(go())


def test_join_rate_per_address(start_signal_server):
    with start_signal_server(join_rate=2) as srv:  # bursts of 4
        async def go():
            async with Clients(srv.https) as cs:
                conns = [await cs.new() for _ in range(6)]
                for i, c in enumerate(conns):
                    await c.send({"type": "join", "room": f"jr-{i}", "name": "N", "id": i})
                results = [await c.recv() for c in conns]
                ok = [r for r in results if r["type"] == "joined"]
                refused = [r for r in results if r["type"] == "error"]
                assert 4 <= len(ok) <= 5, results
                assert refused, results
                for r in refused:
                    assert r["code"] == "rate_limited", r
                    assert r["message"] == "too many joins from this address", r
                    assert "re" in r
                loser = conns[refused[0]["re"]]
                await loser.ping_ok()
                await asyncio.sleep(1.1)
                await loser.join("jr-late", "N")
        run(go())


@pytest.mark.parametrize("kind", ["rate_limited", "too_large"])
def test_refused_frame_error_carries_re(signal_server, limited_signal_server, kind):
    """Errors carry `re` when the frame had an `id`; too_large frames are not parsed, so their
    error has none (docs/signaling.md)."""
    async def go():
        server = limited_signal_server if kind == "rate_limited" else signal_server
        async with Clients(server.https) as cs:
            a = await cs.new()
            if kind == "rate_limited":
                for i in range(25):
                    await a.send({"type": "ping", "id": f"p{i}"})
                frames = [await a.recv() for _ in range(25)]
                errors = [f for f in frames if f["type"] == "error"]
                assert errors and all(e["code"] == "rate_limited" for e in errors), frames
                assert all("re" in e for e in errors), errors
                assert {e["re"] for e in errors} <= {f"p{i}" for i in range(25)}
            else:
                await a.send(json.dumps({"type": "ping", "id": "big",
                                         "pad": "x" * 70000}))
                err = await a.recv()
                assert err["type"] == "error" and err["code"] == "too_large", err
                assert "re" not in err, err
    run(go())


# ---- too_large and 1009 --------------------------------------------------------------------

def test_too_large_frame(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a, b = await cs.room("big", "Ann", "Bo")
            frame = json.dumps({"type": "app", "topic": "t", "to": b.session,
                                "data": "x" * 70000})
            assert len(frame) > 65536
            await a.send(frame)
            await a.error("too_large")
            await a.ping_ok()
            await b.silent()
            # Just under the limit passes.
            ok = json.dumps({"type": "app", "topic": "t", "to": b.session, "data": ""})
            data = "y" * (65536 - len(ok))
            frame = json.dumps({"type": "app", "topic": "t", "to": b.session, "data": data})
            assert len(frame) == 65536
            await a.send(frame)
            got = await b.expect("app")
            assert got["data"] == data
    run(go())


def test_over_a_mebibyte_closes_1009(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a = await cs.new()
            await a.send(json.dumps({"type": "chat", "text": "x" * (1100 * 1024)}))
            code, _ = await a.closed()
            assert code == 1009, code
    run(go())


# ---- closes: 1008 abuse and slow consumer, 1001 going away ---------------------------------

def test_persistent_bad_frames_close_1008(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a, b = await cs.room("abuse", "Ann", "Bo")
            for _ in range(25):
                await a.send("{bad")
            errors = 0
            while True:
                try:
                    msg = await a.recv()
                except websockets.exceptions.ConnectionClosed as e:
                    assert e.rcvd is not None, "closed without a close frame"
                    assert e.rcvd.code == 1008, e.rcvd
                    assert e.rcvd.reason == "too many refused frames", e.rcvd
                    break
                assert msg["type"] == "error" and msg["code"] == "bad_request", msg
                errors += 1
            assert 1 <= errors < 20, errors
            # The closed member is detached, not gone: b hears nothing yet.
            await b.silent(0.5)
    run(go())


def test_persistent_rate_abuse_closes_1008(limited_signal_server):
    async def go():
        async with Clients(limited_signal_server.https) as cs:
            a = await cs.new()
            for i in range(80):
                try:
                    await a.send({"type": "ping", "id": i})
                except websockets.exceptions.ConnectionClosed:
                    break
            code, reason = await a.closed()
            assert (code, reason) == (1008, "too many refused frames")
    run(go())


def test_slow_consumer_closed_1008(signal_server):
    """A member that does not read while frames pile up for it is closed (1008 "slow
    consumer") once its send queue passes 1 MiB; the sender is unaffected."""
    async def go():
        async with Clients(signal_server.https) as cs:
            a, b = await cs.room("slow", "Ann", "Bo")   # Bo never reads from here on
            chunk = "z" * 60000
            # More than the kernel's socket buffers and the client's queue can swallow.
            for i in range(400):
                await a.send({"type": "app", "topic": "t", "to": b.session, "data": chunk,
                              "id": i})
            # Bo, closed and detached, may also be evicted for the frames still coming for
            # it (peer leave, then no_such_peer for the rest, which may arrive after a pong
            # since the room answers them): the sender carries on.
            async def pong(id_):
                await a.send({"type": "ping", "id": id_})
                while (msg := await a.recv(10)) != {"type": "pong", "re": id_}:
                    assert (msg["type"], msg.get("kind", msg.get("code"))) in {
                        ("peer", "leave"), ("error", "no_such_peer")}, msg
            await pong("alive")
            code, reason = await b.closed(timeout=20)
            assert (code, reason) == (1008, "slow consumer")
            await pong("still-fine")
    run(go(), timeout=60)


def test_sigterm_says_going_away(start_signal_server):
    with start_signal_server() as srv:
        async def go():
            a = await Client.connect(srv.https)
            await a.join("bye", "Ann")
            b = await Client.connect(srv.https)   # not in a room
            await b.ping_ok()
            srv.proc.send_signal(signal.SIGTERM)
            for c in (a, b):
                assert await c.closed() == (1001, "going away")
        run(go())
        code, _ = srv.stop()
        assert code == 0, srv.output()
