"""Relay-only ICE between two python3-aioice agents through icegate, over UDP, TCP and TLS.

Each agent gathers only a relay candidate (no host candidates: use_ipv4/use_ipv6 False,
TransportPolicy.RELAY), the candidates are exchanged locally, ICE connects through the two
relays (ChannelBind, ChannelData) and then datagrams are exchanged and compared byte for byte.
One agent uses a static user (stored as a key), the other TURN REST credentials.
"""
import asyncio
import hashlib
import os
import ssl

import aioice  # Debian's python3-aioice (0.8.0); `make test-deps` installs it
import pytest

import turn_client as tc

REALM = "icegate.test"
USER, PASSWORD = "alice", "pass"
SECRET = "interop-shared-secret"
USER_KEY = hashlib.md5(f"{USER}:{REALM}:{PASSWORD}".encode()).hexdigest()
PAYLOADS = 20
CASE_TIMEOUT = 20.0

EXTRA_YAML = f"""\
auth:
  users: [{{name: {USER}, key: "0x{USER_KEY}"}}]
  secrets: [{SECRET}]
relay: {{address: 127.0.0.1}}
"""
# No peers.allow: loopback is on the built-in deny list, but the agents only talk to each
# other's relays on this server, which the peer policy permits (relay-to-relay).


@pytest.fixture(scope="module")
def server(start_icegate):
    with start_icegate(EXTRA_YAML,
                       listen=["udp://127.0.0.1:0", "tcp://127.0.0.1:0", "tls://127.0.0.1:0"],
                       workers=2) as s:
        yield s


def tls_context(server):
    """Trusts the generated self-signed certificate; its SANs are localhost, the host name,
    127.0.0.1 and ::1, so aioice's default server_hostname (the TURN host, 127.0.0.1)
    verifies with check_hostname left on."""
    ctx = ssl.create_default_context(cafile=str(server.path / "state" / "cert.pem"))
    assert ctx.check_hostname and ctx.verify_mode == ssl.CERT_REQUIRED
    return ctx


def agent(controlling, server, transport, credentials):
    proto = "udp" if transport == "udp" else transport
    host, port = server.listening[proto + "4"]
    username, password = credentials
    return aioice.Connection(
        ice_controlling=controlling,
        turn_server=(host, port),
        turn_username=username,
        turn_password=password,
        turn_transport="udp" if transport == "udp" else "tcp",
        turn_ssl=tls_context(server) if transport == "tls" else False,
        use_ipv4=False,
        use_ipv6=False,
        transport_policy=aioice.TransportPolicy.RELAY,
    )


async def exchange(a, b):
    """PAYLOADS random datagrams a->b and b->a, one at a time, each compared byte for byte."""
    for i in range(PAYLOADS):
        for src, dst in ((a, b), (b, a)):
            data = os.urandom(1 + (i * 97) % 1200)
            await src.send(data)
            got = await asyncio.wait_for(dst.recv(), 5)
            assert got == data, f"payload {i}: sent {len(data)} bytes, got {len(got)}"


async def relay_only_ice(server, transport, creds_a, creds_b):
    a = agent(True, server, transport, creds_a)
    b = agent(False, server, transport, creds_b)
    try:
        await asyncio.gather(a.gather_candidates(), b.gather_candidates())
        for local, remote in ((a, b), (b, a)):
            assert [c.type for c in local.local_candidates] == ["relay"], local.local_candidates
            cand = local.local_candidates[0]
            assert cand.host == "127.0.0.1" and cand.transport == "udp", cand
            for c in local.local_candidates:
                await remote.add_remote_candidate(c)
            await remote.add_remote_candidate(None)
            remote.remote_username = local.local_username
            remote.remote_password = local.local_password
        await asyncio.gather(a.connect(), b.connect())
        for conn in (a, b):
            # aioice 0.8.0 has no public accessor for the selected pair.
            pair = conn._nominated[1]
            assert pair.local_candidate.type == "relay", pair
            assert pair.remote_candidate.type == "relay", pair
        assert a._nominated[1].remote_candidate.port == b._nominated[1].local_candidate.port
        await exchange(a, b)
        return [(c.related_address, c.related_port, c.port)
                for c in (a.local_candidates[0], b.local_candidates[0])]
    finally:
        await asyncio.gather(a.close(), b.close(), return_exceptions=True)


CASES = [  # transport, credentials of the two agents
    ("udp", "user", "secret"),
    ("tcp", "secret", "user"),
    ("tls", "user", "secret"),
]


@pytest.mark.parametrize("transport,auth_a,auth_b", CASES, ids=[c[0] for c in CASES])
def test_aioice_relay_only(server, transport, auth_a, auth_b):
    creds = {"user": (USER, PASSWORD), "secret": tc.rest_credentials(SECRET, "aioice")}

    async def main():
        return await asyncio.wait_for(
            relay_only_ice(server, transport, creds[auth_a], creds[auth_b]), CASE_TIMEOUT)

    try:
        allocations = asyncio.run(main())
    except BaseException:
        print("--- icegate log (tail) ---\n" + "".join(server.output().splitlines(True)[-40:]))
        raise
    # The server's side of it: both allocations (deleted when the agents closed) relayed at
    # least the payloads each way, between the relay ports the candidates advertised.
    for client_host, client_port, relay_port in allocations:
        line = server.wait_for_log(rf"allocation ended: .* client={client_host}:{client_port} "
                                   rf"relay=127\.0\.0\.1:{relay_port} .*"
                                   rf"to_peer=\d+B/(\d+)pkt to_client=\d+B/(\d+)pkt")
        assert line is not None, "no end of allocation in the log:\n" + server.output()
        assert int(line.group(1)) >= PAYLOADS and int(line.group(2)) >= PAYLOADS, line.group(0)
    assert server.alive()
