"""TURN credentials that belong to a signaling session (docs/signaling.md): the credentials of
`joined` relay while the member is in the room; when it leaves, or its resume window (30 s)
runs out, its allocations end at once and the credentials get 401; a resumed member keeps
them; other members are untouched. /api/ice-servers: 404 unless http.ice_servers_api is
`token`, then a join token is needed and two credentials of one subject share user_quota.
The start-up warning about signaling open to anyone."""
import asyncio
import json
import socket
import time

import signal_tools
import turn_client as tc
from icegate_proc import free_port_range
from turn_tools import ALLOW_LOOPBACK, expect_error
from ws_client import Clients, https_request, run

RESUME_WINDOW = 30  # room_settings::resume_window; not configurable


def relay_yaml(ports):
    return f"relay:\n  address: 127.0.0.1\n  ports: {ports[0]}-{ports[1]}\n" + ALLOW_LOOPBACK


def turn_credential(ice_servers):
    """(username, credential) of the TURN entry of an iceServers list."""
    entry = next(s for s in ice_servers if "username" in s)
    return entry["username"], entry["credential"]


class Relayed:
    """A UDP TURN client allocated with a member's credentials, channel-bound to a peer."""

    def __init__(self, server, cred):
        self.cred = cred
        self.c = tc.TurnClient(server.listening["udp4"], user=cred[0], password=cred[1])
        self.peer = tc.udp_peer()
        msg = self.c.allocate()
        assert tc.is_success(msg, tc.ALLOCATE), tc.error_code(msg)
        self.relay = tc.relayed_addresses(msg)[0]
        assert tc.is_success(self.c.channel_bind(0x4000, self.peer.getsockname()),
                             tc.CHANNEL_BIND)

    def works(self):
        """One datagram each way through the relay."""
        self.c.send_channel(0x4000, b"to-peer")
        self.peer.settimeout(2.0)
        data, _ = self.peer.recvfrom(100)
        assert data == b"to-peer"
        self.peer.sendto(b"to-client", self.relay)
        got = self.c.receive(2.0)
        assert got is not None and got[2] == b"to-client", got
        return True

    def close(self):
        self.c.release_on_close = False  # ended by the server, or left to expire
        self.c.close()
        self.peer.close()


def relay_gone(relay, within):
    """Seconds until the relay port refuses datagrams (ECONNREFUSED: the socket is closed),
    polled every 20 ms; None if it still answers after `within` seconds."""
    start = time.monotonic()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.02)
        s.connect(relay)
        while time.monotonic() - start < within:
            try:
                s.send(b"anyone there?")
                s.recv(100)
            except ConnectionRefusedError:
                return time.monotonic() - start
            except (socket.timeout, TimeoutError):
                pass
    return None


def new_allocate_code(server, cred):
    """The error code a fresh client's Allocate with `cred` gets (0 on success)."""
    with tc.TurnClient(server.listening["udp4"], user=cred[0], password=cred[1]) as c:
        msg = c.allocate()
        return 0 if tc.is_success(msg, tc.ALLOCATE) else tc.error_code(msg)


def test_leave_revokes_the_sessions_credentials_only(start_signal_server):
    ports = free_port_range(20)
    with start_signal_server(extra=relay_yaml(ports)) as s:
        async def scenario():
            cl = Clients(s.https)
            try:
                ann, bo = await cl.room("creds", "Ann", "Bo")
                cred_a = turn_credential(ann.joined["iceServers"])
                cred_b = turn_credential(bo.joined["iceServers"])
                assert cred_a[0].split(":", 1)[1] != cred_b[0].split(":", 1)[1]
                ra, rb = Relayed(s, cred_a), Relayed(s, cred_b)
                try:
                    assert ra.works() and rb.works()
                    await ann.send({"type": "leave"})
                    took = relay_gone(ra.relay, within=1.0)
                    assert took is not None, "Ann's relay still open 1 s after her leave"
                    print(f"relay closed {took * 1000:.0f} ms after leave")
                    expect_error(ra.c.refresh(600), tc.REFRESH, 401)
                    assert new_allocate_code(s, cred_a) == 401
                    # Bo's allocation and credentials are untouched.
                    assert rb.works()
                    assert new_allocate_code(s, cred_b) == 0
                    await bo.expect("peer", kind="leave")
                finally:
                    ra.close()
                    rb.close()
            finally:
                for c in cl.all:
                    await c.close()
        run(scenario(), timeout=60)
        assert s.log_lines("allocation ended", "revoked")


def test_dropped_member_keeps_credentials_until_its_window_ends(start_signal_server):
    ports = free_port_range(20)
    with start_signal_server(extra=relay_yaml(ports)) as s:
        async def scenario():
            cl = Clients(s.https)
            try:
                cy, dee, eve = await cl.room("window", "Cy", "Dee", "Eve")
                relays = {}
                for m in (cy, dee):
                    relays[m] = Relayed(s, turn_credential(m.joined["iceServers"]))
                try:
                    dropped_at = time.monotonic()
                    cy.drop()
                    dee.drop()
                    # Dee comes back on a new socket: same session, credentials kept.
                    dee2 = await cl.new()
                    back = await dee2.join("window", "Dee", resume=dee.resume)
                    assert back["session"] == dee.session and back.get("resumed") is True
                    # The fresh credentials of a resumed joined have the same session tag.
                    assert (turn_credential(back["iceServers"])[0].split(":", 1)[1]
                            == relays[dee].cred[0].split(":", 1)[1])
                    # Within the window Cy's allocation relays as before.
                    while time.monotonic() - dropped_at < RESUME_WINDOW - 5:
                        assert relays[cy].works() and relays[dee].works()
                        for m in (dee2, eve):
                            await m.ping_ok()
                        await asyncio.sleep(4)
                    assert new_allocate_code(s, relays[cy].cred) == 0
                    # The window ends (checked on the 1 s tick): Cy is gone, and so are its
                    # allocations.
                    took = relay_gone(relays[cy].relay, within=RESUME_WINDOW + 8 -
                                      (time.monotonic() - dropped_at))
                    assert took is not None, "Cy's relay still open after the window"
                    gone_after = time.monotonic() - dropped_at
                    assert gone_after >= RESUME_WINDOW - 1, gone_after
                    print(f"relay closed {gone_after:.1f} s after the drop")
                    assert new_allocate_code(s, relays[cy].cred) == 401
                    await eve.expect("peer", kind="leave", timeout=5)
                    # Dee resumed: still relaying, its credentials still accepted.
                    assert relays[dee].works()
                    assert new_allocate_code(s, relays[dee].cred) == 0
                finally:
                    for r in relays.values():
                        r.close()
            finally:
                for c in cl.all:
                    try:
                        await c.close()
                    except Exception:  # noqa: BLE001 (dropped sockets)
                        pass
        run(scenario(), timeout=90)


def test_ice_servers_api_is_off_by_default_and_warns_open_signaling(signal_server):
    status, _, body = https_request(signal_server.https, "GET", "/api/ice-servers")
    assert status == 404 and b"iceServers" not in body
    status, _, _ = https_request(
        signal_server.https, "GET", "/api/ice-servers",
        headers={"Authorization": "Bearer " + signal_tools.token()})
    assert status == 404
    lines = signal_server.log_lines("signaling is open")
    assert len(lines) == 1, lines
    assert "signal.join_secret" in lines[0] and "password" in lines[0]


def test_ice_servers_api_token_mode(start_signal_server):
    ports = free_port_range(20)
    with start_signal_server(signal=f"  join_secret: {signal_tools.JOIN_SECRET}\n",
                             http="  ice_servers_api: token\n",
                             limits="  user_quota: 1\n", extra=relay_yaml(ports)) as s:
        assert not s.log_lines("signaling is open", timeout=0)

        def get(headers=None, query=""):
            return https_request(s.https, "GET", "/api/ice-servers" + query, headers=headers)

        status, h, _ = get()
        assert status == 401 and h.get("www-authenticate") == "Bearer"
        for bad in ("Bearer garbage",
                    "Bearer " + signal_tools.token(secret="not-the-join-secret"),
                    "Bearer " + signal_tools.token(exp=int(time.time()) - 10)):
            assert get({"Authorization": bad})[0] == 401, bad
        assert get(query="?token=garbage")[0] == 401

        def mint(name, query=False):
            tok = signal_tools.token(room="quota", name=name)
            status, _, body = (get(query="?token=" + tok) if query
                               else get({"Authorization": "Bearer " + tok}))
            assert status == 200, status
            doc = json.loads(body)
            assert doc["ttl"] == signal_tools.TTL
            return turn_credential(doc["iceServers"])

        first = mint("Ann")
        time.sleep(1.1)  # another expiry: a second, different credential
        second = mint("Ann", query=True)
        assert first != second
        assert first[0].split(":", 1)[1] == second[0].split(":", 1)[1]
        other = mint("Bo")
        with tc.TurnClient(s.listening["udp4"], user=first[0], password=first[1]) as c1, \
                tc.TurnClient(s.listening["udp4"], user=second[0], password=second[1]) as c2, \
                tc.TurnClient(s.listening["udp4"], user=other[0], password=other[1]) as c3:
            assert tc.is_success(c1.allocate(), tc.ALLOCATE)
            # Minting again for the same subject gives no second quota: 486.
            expect_error(c2.allocate(), tc.ALLOCATE, 486)
            assert tc.is_success(c3.allocate(), tc.ALLOCATE)
