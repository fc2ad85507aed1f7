"""Upgrade without losing the room (docs/signaling.md, Resume; docs/operations.md, Upgrade):
members of a room come back into it as the same people after the server is stopped (SIGTERM,
drain) and started again with the same state_dir and HTTPS port; resume tokens that are forged,
sealed with another key, for another room or expired are refused."""
import base64
import ctypes
import ctypes.util
import os
import random
import signal
import socket
import stat
import struct
import time

from icegate_proc import Icegate
from signal_tools import config
from ws_client import Client, run

ROOM = "Upgrade night"
SODIUM = ctypes.CDLL(ctypes.util.find_library("sodium"))
FAILED = "resume token unknown or expired"


def free_tcp_port():
    """A port free on 127.0.0.1 below the default relay.ports (16384-32767, which a listener
    may not use) and the ephemeral range, so nothing else is handed it between the two runs."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(10000, 16000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free TCP port")


def seal(key, room, session, name, expires_ms, password_hash=b"", instance=1):
    """A resume token as the server makes one (src/signal/resume_token.cpp): base64url of
    version 1 | nonce | XChaCha20-Poly1305(instance, expiry, session, name, hash), the version
    and the room as associated data."""
    def text(b):
        return struct.pack(">H", len(b)) + b
    plain = (struct.pack(">QQ", instance, expires_ms) + text(session.encode())
             + text(name.encode()) + text(password_hash))
    nonce = os.urandom(24)
    ad = b"\x01" + room.encode()
    out = ctypes.create_string_buffer(len(plain) + 16)
    out_len = ctypes.c_ulonglong()
    rc = SODIUM.crypto_aead_xchacha20poly1305_ietf_encrypt(
        out, ctypes.byref(out_len), plain, ctypes.c_ulonglong(len(plain)), ad,
        ctypes.c_ulonglong(len(ad)), None, nonce, key)
    assert rc == 0
    raw = b"\x01" + nonce + out.raw[:out_len.value]
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def server(port):
    yaml = config(signal="  room_capacity: 4\n", extra="shutdown:\n  grace: 10s\n")
    assert "listen: 127.0.0.1:0" in yaml
    return Icegate(extra_yaml=yaml.replace("listen: 127.0.0.1:0", f"listen: 127.0.0.1:{port}"),
                   workers=2)


async def refused(port, room, token, code="resume_failed", message=FAILED):
    c = await Client.connect(port)
    try:
        await c.send({"type": "join", "room": room, "name": "Mallory", "resume": token, "id": 9})
        await c.error(code, re=9, message=message)
    finally:
        await c.close()


def flip(token, i):
    return token[:i] + ("B" if token[i] == "A" else "A") + token[i + 1:]


def test_restart_and_resume_into_the_same_room():
    port = free_tcp_port()
    s = server(port)
    try:
        s.start()
        s.drain()
        assert s.https == port
        key_file = s.path / "state" / "resume.key"
        key = key_file.read_bytes()
        assert len(key) == 32
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

        before = {}

        async def first_run():
            ann = await Client.connect(port)
            await ann.join(ROOM, "Ann", password="pw")
            bo = await Client.connect(port)
            await bo.join(ROOM, "Bo", password="pw")
            await ann.expect("peer", kind="join", session=bo.session, name="Bo")
            await ann.send({"type": "chat", "text": "see you after the upgrade", "id": "c1"})
            await ann.expect("chat", re="c1")
            await bo.expect("chat", text="see you after the upgrade")
            before.update(ann=(ann.session, ann.resume), bo=(bo.session, bo.resume))
            # The upgrade: SIGTERM drains (goaway, 1001), and the process ends once both left.
            s.proc.send_signal(signal.SIGTERM)
            for c in (ann, bo):
                assert (await c.recv())["type"] == "goaway"
                assert await c.closed() == (1001, "going away")
        run(first_run())
        s.proc.wait(10)  # the drain ends by itself: no WebSocket is left
        code, _ = s.stop(timeout=15)
        assert code == 0, s.output()

        # The new binary: same config, same state_dir, same port.
        s.start()
        s.drain()
        assert s.https == port
        assert key_file.read_bytes() == key  # read again, not made anew

        async def second_run():
            ann_session, ann_token = before["ann"]
            bo_session, bo_token = before["bo"]
            ann = await Client.connect(port)
            # No password: the token stands for the check Ann passed before the restart.
            j = await ann.join(ROOM, "someone else", id_="r1", resume=ann_token)
            assert (j["session"], j["room"], j["resumed"], j["re"]) == \
                (ann_session, ROOM, True, "r1"), j
            assert j["peers"] == [], j
            assert j["resume"] != ann_token
            bo = await Client.connect(port)
            j = await bo.join(ROOM, "Bo", resume=bo_token)
            assert (j["session"], j["resumed"]) == (bo_session, True), j
            assert [(p["session"], p["name"]) for p in j["peers"]] == [(ann_session, "Ann")]
            await ann.expect("peer", kind="join", session=bo_session, name="Bo")

            # They talk again: signal and chat go through the new process.
            await ann.send({"type": "signal", "to": bo_session, "data": {"sdp": "offer"}})
            await bo.expect("signal", **{"from": ann_session, "data": {"sdp": "offer"}})
            await bo.send({"type": "chat", "text": "back", "id": 2})
            await bo.expect("chat", re=2, name="Bo", text="back")
            await ann.expect("chat", name="Bo", text="back", **{"from": bo_session})

            # The room kept its password for newcomers.
            cy = await Client.connect(port)
            await cy.send({"type": "join", "room": ROOM, "name": "Cy", "id": 1})
            await cy.error("unauthorized", re=1, message="room needs a password")
            await cy.join(ROOM, "Cy", password="pw")
            for c in (ann, bo):
                await c.expect("peer", kind="join", session=cy.session, name="Cy")

            # Refused: damaged, sealed with another key, for another room, expired.
            await refused(port, ROOM, flip(ann_token, len(ann_token) // 2))
            await refused(port, ROOM, ann_token[:-3])
            now_ms = int(time.time() * 1000)
            await refused(port, "Other room",
                          seal(os.urandom(32), "Other room", "Z" * 22, "Zed", now_ms + 60000))
            await refused(port, "Other room", bo_token)
            await refused(port, "Other room",
                          seal(key, "Other room", "Y" * 22, "Yan", now_ms - 1000))
            # The same token with time left is taken: the refusal above was the expiry's.
            fresh = await Client.connect(port)
            j = await fresh.join("Other room", "x",
                                 resume=seal(key, "Other room", "Y" * 22, "Yan", now_ms + 60000))
            assert (j["session"], j["resumed"]) == ("Y" * 22, True), j
            for c in (ann, bo, cy, fresh):
                await c.ping_ok()
                await c.close()
        run(second_run())
        s.stop_cleanly()
    finally:
        s.close()
