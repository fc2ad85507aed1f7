"""Joining and leaving signaling rooms against the real binary (docs/signaling.md is the
contract): the joined frame and peers, leave, room passwords, join tokens (signal.join_secret)
and resume after a lost connection. The client is Debian's python3-websockets over TLS
(ws_client.py); the servers (conftest's signal_server, secured_signal_server) run with
workers: 2, so a room's home worker and its members' workers differ. Messages in a room:
test_signal_messages.py; refused frames, room_full and limits: test_signal_errors.py."""
import asyncio
import base64
import json
import time

from signal_tools import JOIN_SECRET, NO_STATE, SESSION_RE, check_ice_servers, token
from ws_client import Clients, jwt_hs256, run


# ---- join / joined / peers -----------------------------------------------------------------

def test_joined_frame(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a = await cs.new()
            j = await a.join("joined-frame", "Ann", id_=1)
            assert SESSION_RE.match(j["session"]), j
            assert j["peers"] == [] and j["history"] == []
            assert isinstance(j["resume"], str) and len(j["resume"]) >= 22
            check_ice_servers(j["iceServers"], signal_server)
            b = await cs.new()
            jb = await b.join("joined-frame", "Bo", id_="str-id")
            assert SESSION_RE.match(jb["session"]) and jb["session"] != j["session"]
            assert jb["resume"] != j["resume"]
            assert jb["peers"] == [{"session": j["session"], "name": "Ann", "state": NO_STATE}]
            # Different connections get different REST users.
            ua = next(e["username"] for e in j["iceServers"] if "username" in e)
            ub = next(e["username"] for e in jb["iceServers"] if "username" in e)
            assert ua.split(":", 1)[1] != ub.split(":", 1)[1]
    run(go())


def test_peer_join_and_peer_order(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a = await cs.joined("peer-order", "Ann")
            b = await cs.joined("peer-order", "Bo")
            await a.expect("peer", kind="join", session=b.session, name="Bo", state=NO_STATE)
            c = await cs.new()
            jc = await c.join("peer-order", "Cy")
            assert [p["session"] for p in jc["peers"]] == [a.session, b.session]
            assert [p["name"] for p in jc["peers"]] == ["Ann", "Bo"]
            for x in (a, b):
                await x.expect("peer", kind="join", session=c.session, name="Cy")
            await c.silent()
            # Room names are exact strings: "Peer-Order" is another (empty) room.
            d = await cs.new()
            assert (await d.join("Peer-Order", "Di"))["peers"] == []
    run(go())


def test_frames_sent_before_joined_wait_for_it(signal_server):
    """join, then at once chat and a second join: they are handled after the join, in order."""
    async def go():
        async with Clients(signal_server.https) as cs:
            a = await cs.new()
            await a.send({"type": "join", "room": "eager", "name": "Ann", "id": 1})
            await a.send({"type": "chat", "text": "right away", "id": 2})
            await a.send({"type": "join", "room": "eager-2", "name": "Ann", "id": 3})
            await a.send({"type": "state", "audio": True, "video": True, "screen": True,
                          "id": 4})
            j = await a.expect("joined", re=1)
            # The room's answer (via the room's worker) and the local refusal may pass each
            # other: no order between them is promised.
            got = sorted([await a.recv(), await a.recv()], key=lambda m: m["re"])
            assert got[0]["type"] == "chat" and got[0]["re"] == 2, got
            assert got[0]["text"] == "right away" and got[0]["from"] == j["session"], got
            assert got[1]["type"] == "error" and got[1]["code"] == "bad_request", got
            assert got[1]["re"] == 3, got
            await a.silent()
            b = await cs.new()
            jb = await b.join("eager", "Bo")
            assert jb["peers"][0]["state"] == {"audio": True, "video": True, "screen": True}
            assert [h["text"] for h in jb["history"]] == ["right away"]
    run(go())


def test_field_bounds_count_characters(signal_server):
    """room/name up to 64 characters and chat up to 4096, counted in code points."""
    async def go():
        async with Clients(signal_server.https) as cs:
            a = await cs.new()
            room = "\U0001F600" * 64            # 64 characters, 256 bytes of UTF-8
            j = await a.join(room, "é" * 64)
            assert j["room"] == room
            await a.send({"type": "chat", "text": "ü" * 4096, "id": "long"})
            got = await a.expect("chat", re="long")
            assert got["text"] == "ü" * 4096 and got["name"] == "é" * 64
            b = await cs.new()
            await b.send({"type": "join", "room": "\U0001F600" * 65, "name": "x", "id": 1})
            await b.error("bad_request", re=1, message="field 'room' ...")
            await b.send({"type": "join", "room": "r", "name": "é" * 65, "id": 2})
            await b.error("bad_request", re=2, message="field 'name' ...")
    run(go())


def test_double_join(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a, b = await cs.room("double-1", "Ann", "Bo")
            await a.send({"type": "join", "room": "double-2", "name": "Ann", "id": "j2"})
            await a.error("bad_request", re="j2")
            await a.ping_ok()
            # Still a member of the first room.
            await a.send({"type": "chat", "text": "still here"})
            await a.expect("chat", text="still here")
            await b.expect("chat", text="still here", **{"from": a.session})
            await a.send({"type": "leave"})
            await b.expect("peer", kind="leave")
            await a.join("double-2", "Ann")
    run(go())


# ---- leave ---------------------------------------------------------------------------------

def test_leave(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a, b = await cs.room("leave", "Ann", "Bo")
            await a.send({"type": "leave", "id": "bye"})
            got = await b.expect("peer", kind="leave", session=a.session, name="Ann")
            assert "re" not in got
            await a.silent()
            # Out of the room: room messages need a join again.
            await a.send({"type": "signal", "to": b.session, "data": {}, "id": 1})
            await a.error("bad_request", re=1, message="join a room first")
            # And a new join works (another room).
            j = await a.join("leave-2", "Ann", id_=2)
            assert j["peers"] == []
            await b.silent()
    run(go())


# ---- room passwords ------------------------------------------------------------------------

def test_room_password(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a = await cs.new()
            await a.join("locked", "Ann", password="open sesame")
            b = await cs.new()
            await b.send({"type": "join", "room": "locked", "name": "Bo", "id": 1})
            await b.error("unauthorized", re=1, message="room needs a password")
            await b.ping_ok()
            await b.send({"type": "join", "room": "locked", "name": "Bo", "password": "",
                          "id": 2})
            await b.error("unauthorized", re=2, message="room needs a password")
            await b.send({"type": "join", "room": "locked", "name": "Bo",
                          "password": "open sesame!", "id": 3})
            await b.error("unauthorized", re=3, message="wrong room password")
            await b.ping_ok()
            await a.silent()
            await b.join("locked", "Bo", password="open sesame", id_=4)
            await a.expect("peer", kind="join", session=b.session)
            # A password sent to an open room is ignored; the room stays open.
            await cs.joined("unlocked", "Cy")
            d = await cs.new()
            await d.join("unlocked", "Di", password="whatever")
            e = await cs.new()
            await e.join("unlocked", "Ed")
    run(go())


def test_password_goes_with_the_room(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a = await cs.joined("pw-vanish", "Ann", password="one")
            await a.send({"type": "leave"})
            await a.ping_ok()   # the leave has been handled by now (same room worker order)
            b = await cs.new()
            await b.join("pw-vanish", "Bo", password="two")
            c = await cs.new()
            await c.send({"type": "join", "room": "pw-vanish", "name": "Cy",
                          "password": "one", "id": 1})
            await c.error("unauthorized", re=1, message="wrong room password")
    run(go())


# ---- join tokens ---------------------------------------------------------------------------

def test_join_token_refusals(secured_signal_server):
    now = int(time.time())
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(
        {"room": "tok", "name": "N", "exp": now + 60}).encode()).rstrip(b"=").decode()
    cases = [
        (None, "this server needs a join token"),
        ("", "join token refused: bad signature or malformed token"),
        ("not.a.jwt", "join token refused: bad signature or malformed token"),
        (token(secret="wrong-secret"), "join token refused: bad signature or malformed token"),
        (f"{header}.{body}.", "join token refused: bad signature or malformed token"),
        (jwt_hs256({"room": "tok", "name": "N", "exp": now + 60}, JOIN_SECRET, alg="HS512"),
         "join token refused: bad signature or malformed token"),
        (token(exp=now - 5), "join token refused: token expired"),
        (jwt_hs256({"room": "tok", "exp": now + 60}, JOIN_SECRET),
         "join token refused: token lacks room/name/exp"),
        (jwt_hs256({"room": "tok", "name": "N"}, JOIN_SECRET),
         "join token refused: token lacks room/name/exp"),
        (token(room="another-room"), "join token is for another room"),
    ]

    async def go():
        async with Clients(secured_signal_server.https) as cs:
            a = await cs.new()
            for i, (tok, message) in enumerate(cases):
                frame = {"type": "join", "room": "tok", "name": "Frame", "id": i}
                if tok is not None:
                    frame["token"] = tok
                await a.send(frame)
                await a.error("unauthorized", re=i, message=message)
                await a.ping_ok(f"alive-{i}")
            # Finally a good token on the same connection.
            await a.join("tok", "Frame", token=token())
    run(go())


def test_join_token_name_replaces_frame_name(secured_signal_server):
    async def go():
        async with Clients(secured_signal_server.https) as cs:
            a = await cs.new()
            await a.join("tok-name", "Frame A", token=token(room="tok-name", name="Alice"))
            b = await cs.new()
            j = await b.join("tok-name", "Frame B", token=token(room="tok-name", name="Bob"))
            assert [p["name"] for p in j["peers"]] == ["Alice"]
            await a.expect("peer", kind="join", session=b.session, name="Bob")
            await b.send({"type": "chat", "text": "hi"})
            got = await a.expect("chat", text="hi")
            assert got["name"] == "Bob"
    run(go())


# ---- resume --------------------------------------------------------------------------------

def test_resume_replays_missed_frames(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a = await cs.joined("resume", "Ann")
            b = await cs.joined("resume", "Bo")
            await a.expect("peer", kind="join", session=b.session)
            session, token = a.session, a.resume
            a.drop()
            await asyncio.sleep(0.5)  # the server notices the reset
            st = {"audio": True, "video": True, "screen": False}
            await b.send({"type": "signal", "to": session, "data": {"n": 1}, "id": 1})
            await b.send({"type": "chat", "text": "while away", "id": 2})
            await b.expect("chat", re=2, text="while away")
            await b.send({"type": "app", "topic": "wb", "data": {"n": 2}, "to": session})
            await b.send({"type": "signal", "to": session, "data": {"n": 3}})
            await b.send({"type": "state", **st})
            await b.silent(0.3)  # no error: a is still a member
            a2 = await cs.new()
            await a2.send({"type": "join", "room": "resume", "name": "Renamed",
                           "resume": token, "id": "r"})
            j = await a2.expect("joined", re="r")
            # A fresh token (the old one keeps working while the slot exists).
            assert j["session"] == session and j["resumed"] is True
            assert isinstance(j["resume"], str) and j["resume"] != token
            assert j["peers"] == [{"session": b.session, "name": "Bo", "state": st}]
            assert [h["text"] for h in j["history"]] == ["while away"]
            check_ice_servers(j["iceServers"], signal_server)
            missed = [await a2.recv() for _ in range(5)]
            assert missed[0] == {"type": "signal", "from": b.session, "data": {"n": 1}}
            assert missed[1]["type"] == "chat" and missed[1]["text"] == "while away"
            assert "re" not in missed[1]
            assert missed[2] == {"type": "app", "from": b.session, "topic": "wb",
                                 "data": {"n": 2}}
            assert missed[3] == {"type": "signal", "from": b.session, "data": {"n": 3}}
            assert missed[4] == {"type": "peer", "kind": "update", "session": b.session,
                                 "name": "Bo", "state": st}
            await a2.silent()
            await b.silent()  # never saw a leave (or a join)
            # Resumed: both directions work, the name was kept.
            await a2.send({"type": "signal", "to": b.session, "data": "back"})
            await b.expect("signal", data="back", **{"from": session})
            c = await cs.new()
            jc = await c.join("resume", "Cy")
            assert [(p["session"], p["name"]) for p in jc["peers"]] == [
                (session, "Ann"), (b.session, "Bo")]
    run(go())


def test_detached_member_listed_in_peers(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a = await cs.joined("detached-peers", "Ann")
            a.drop()
            await asyncio.sleep(0.5)
            b = await cs.new()
            j = await b.join("detached-peers", "Bo")
            assert [p["session"] for p in j["peers"]] == [a.session]
    run(go())


def test_resume_replaces_open_socket(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a, b = await cs.room("replace", "Ann", "Bo")
            a2 = await cs.new()
            j = await a2.join("replace", "Ann", resume=a.resume)
            assert j["session"] == a.session
            code, reason = await a.closed()
            assert (code, reason) == (4000, "replaced by a resumed connection")
            await b.send({"type": "signal", "to": a.session, "data": 1})
            await a2.expect("signal", data=1)
            await b.silent()
    run(go())


def test_resume_failures(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a = await cs.joined("resume-f1", "Ann")
            await cs.joined("resume-f2", "Bo")
            n = await cs.new()
            for i, (room, tok) in enumerate([
                    ("resume-f1", "garbage"),
                    ("resume-f1", "x" * 22 + "." + "y" * 22),
                    ("resume-f1", a.session + ".wrong-secret"),
                    ("resume-f2", a.resume),   # a token for another room
            ]):
                await n.send({"type": "join", "room": room, "name": "N", "resume": tok,
                              "id": i})
                await n.error("resume_failed", re=i,
                              message="resume token unknown or expired")
                await n.ping_ok(f"alive-{i}")
            # Not joined after a failed resume; a fresh join works.
            await n.send({"type": "chat", "text": "x", "id": "c"})
            await n.error("bad_request", re="c", message="join a room first")
            await n.join("resume-f2", "N")
            await a.silent()
    run(go())


def test_token_of_a_left_member_fails(signal_server):
    async def go():
        async with Clients(signal_server.https) as cs:
            a, b = await cs.room("left-token", "Ann", "Bo")
            token = a.resume
            await a.send({"type": "leave"})
            await b.expect("peer", kind="leave", session=a.session)
            n = await cs.new()
            await n.send({"type": "join", "room": "left-token", "name": "Ann",
                          "resume": token, "id": "r"})
            await n.error("resume_failed", re="r", message="resume token unknown or expired")
            await n.ping_ok()
            await b.silent()
    run(go())
