"""The relay-to-relay exception of the peer policy reaches live allocations of this server and
nothing else (security review, point 3): with `peers.allow` empty, two allocations reach each
other, while a UDP socket on a port of `relay.ports` that no allocation holds, a relay port
after its allocation ended, every address of every local interface (also one added after
start) stay refused; a listener inside `relay.ports` is refused at start. The interface tests
run icegate and its client in a network namespace made here (root only)."""
import contextlib
import json
import os
import pathlib
import re
import socket
import subprocess
import tempfile
import time

import pytest

import icegate_proc
import turn_client as tc
from icegate_proc import Icegate, free_port_range, run_cli

HERE = pathlib.Path(__file__).resolve().parent
USER, PASSWORD = "alice", "alice-hardening-pw"
AUTH_YAML = f"""\
auth:
  users: [{{name: {USER}, password: {PASSWORD}}}]
limits:
  user_quota: 100
"""


def bound_udp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.settimeout(2.0)
    return s


def allocated(server):
    c = tc.TurnClient(server.listening["udp4"], user=USER, password=PASSWORD)
    msg = c.allocate()
    assert tc.is_success(msg, tc.ALLOCATE), (hex(msg["type"]), tc.error_code(msg))
    return c, tc.relayed_addresses(msg)[0]


def permission_code(c, peer):
    """0 when CreatePermission for `peer` succeeds, else the error code."""
    msg = c.create_permission(peer)
    return 0 if tc.is_success(msg, tc.CREATE_PERMISSION) else tc.error_code(msg)


def data_from(c, peer, payload, timeout=2.0):
    """True when a Data indication from `peer` carrying `payload` reaches `c` in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = c.receive(deadline - time.monotonic())
        if got is None:
            return False
        if got[0] == "data" and tuple(got[1]) == tuple(peer) and got[2] == payload:
            return True
    return False


@pytest.fixture(scope="module")
def small_range(start_icegate):
    """icegate on loopback with `peers.allow` empty, relaying from 8 ports of which the test
    holds the last one itself (a UDP service inside relay.ports)."""
    first, last = free_port_range(8)
    service = bound_udp(last)
    yaml = AUTH_YAML + f"relay: {{address: 127.0.0.1, ports: {first}-{last}}}\n"
    try:
        with start_icegate(yaml, listen=["udp://127.0.0.1:0"], workers=2) as s:
            s.ports = (first, last)
            s.service = service
            yield s
    finally:
        service.close()


def test_two_allocations_reach_each_other(small_range):
    """Relay-to-relay through one server, both ways, with the relay address on loopback (a
    default-denied range): the live allocations are the exception. Several pairs, so that
    pairs on different workers are among them."""
    for _ in range(3):
        a, a_relay = allocated(small_range)
        b, b_relay = allocated(small_range)
        try:
            assert permission_code(a, b_relay) == 0
            assert permission_code(b, a_relay) == 0
            a.send_indication(b_relay, b"a to b")
            assert data_from(b, a_relay, b"a to b"), small_range.output()
            b.send_indication(a_relay, b"b to a")
            assert data_from(a, b_relay, b"b to a"), small_range.output()
        finally:
            a.close()
            b.close()


def test_udp_service_inside_relay_ports_is_unreachable(small_range):
    service = small_range.service
    service_addr = ("127.0.0.1", small_range.ports[1])
    a, a_relay = allocated(small_range)
    b, b_relay = allocated(small_range)
    try:
        assert b_relay != service_addr and a_relay != service_addr
        # The permission for 127.0.0.1 comes with B's relay; the service's port is refused
        # on its own, and every packet is checked, so the permission does not carry it.
        assert permission_code(a, b_relay) == 0
        assert permission_code(b, a_relay) == 0
        assert permission_code(a, service_addr) == 403
        msg = a.channel_bind(0x4001, service_addr)
        assert tc.is_error(msg, tc.CHANNEL_BIND) and tc.error_code(msg) == 403
        a.send_indication(service_addr, b"to the service")
        assert tc.nothing_arrives(service, 0.5)
        # Nor does the service get through to A, which holds a permission for its address.
        service.sendto(b"from the service", tuple(a_relay))
        a.send_indication(b_relay, b"control")  # B is reached meanwhile
        assert data_from(b, a_relay, b"control")
        assert a.receive(0.5) is None
    finally:
        a.close()
        b.close()


def test_relay_port_of_an_ended_allocation_is_refused(small_range):
    a, a_relay = allocated(small_range)
    b, b_relay = allocated(small_range)
    try:
        assert permission_code(a, b_relay) == 0
        msg = b.refresh(0)
        assert tc.is_success(msg, tc.REFRESH)
        # The port is free now; whoever binds it next is not one of our relays.
        with contextlib.closing(bound_udp(b_relay[1])) as squatter:
            a.send_indication(b_relay, b"stale")
            assert tc.nothing_arrives(squatter, 0.5)
            assert permission_code(a, b_relay) == 403
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("where", ["udp", "tls", "http"])
def test_listener_inside_relay_ports_is_refused_at_start(where, config_file):
    first, last = free_port_range(8)
    port = first + 3
    listen = f"udp://127.0.0.1:{port}" if where != "tls" else f"tls://127.0.0.1:{port}"
    extra = f"http: {{listen: 127.0.0.1:{port}}}" if where == "http" else ""
    listen_yaml = "udp://127.0.0.1:0" if where == "http" else listen
    cfg = config_file(f"""\
        realm: icegate.test
        workers: 2
        state_dir: ./state
        listen: [{listen_yaml}]
        relay: {{address: 127.0.0.1, ports: {first}-{last}}}
        {extra}
        """)
    run = run_cli("serve", "-c", str(cfg), cwd=cfg.parent, timeout=20)
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    named = f"http.listen 127.0.0.1:{port}" if where == "http" else f"listen {listen}"
    assert f"{named} lies inside relay.ports {first}-{last}" in out, out


# -- every address of every local interface, in a network namespace --------------------------

PROBE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import turn_client as tc
server = ("127.0.0.1", int(sys.argv[2]))
out = {}
with tc.TurnClient(server, user=sys.argv[3], password=sys.argv[4]) as c:
    msg = c.allocate()
    if not tc.is_success(msg, tc.ALLOCATE):
        raise SystemExit(f"allocate failed: {tc.error_code(msg)}")
    for ip in sys.argv[5:]:
        r = c.create_permission((ip, 9))
        out[ip] = 0 if tc.is_success(r, tc.CREATE_PERMISSION) else tc.error_code(r)
print(json.dumps(out))
"""


def ip(*args):
    run = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20)
    assert run.returncode == 0, f"ip {' '.join(args)}: {run.stderr}"


@contextlib.contextmanager
def namespace():
    """A network namespace with lo up and an interface hr0 holding 198.51.100.10/24 (one end
    of a veth pair whose both ends stay inside: kernels without the dummy driver have veth);
    removed afterwards, also on failure."""
    name = f"icg-hr-{os.getpid()}"
    ip("netns", "add", name)
    try:
        ip("-n", name, "link", "set", "lo", "up")
        ip("-n", name, "link", "add", "hr0", "type", "veth", "peer", "name", "hr1")
        ip("-n", name, "addr", "add", "198.51.100.10/24", "dev", "hr0")
        ip("-n", name, "link", "set", "hr0", "up")
        ip("-n", name, "link", "set", "hr1", "up")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=20)


def probe(ns, port, *peers):
    """From a client inside `ns`: CreatePermission for each peer; {peer: 0 or error code}."""
    run = subprocess.run(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", PROBE, str(HERE),
                          str(port), USER, PASSWORD, *peers],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(run.stdout)


@pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")
def test_interface_addresses_are_refused_also_when_added_later(monkeypatch):
    first, last = free_port_range(8)
    yaml = AUTH_YAML + f"relay: {{address: 127.0.0.1, ports: {first}-{last}}}\n"
    with namespace() as ns, tempfile.TemporaryDirectory(prefix="icegate-ns-") as d:
        wrapper = pathlib.Path(d) / "icegate-in-ns"
        wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {ns} {icegate_proc.BINARY} "$@"\n')
        wrapper.chmod(0o755)
        monkeypatch.setattr(icegate_proc, "BINARY", str(wrapper))
        with Icegate(extra_yaml=yaml, listen=["udp://127.0.0.1:0"], workers=2) as s:
            port = s.listening["udp4"][1]
            # Not configured anywhere, not in the default deny list: refused only because it
            # is an address of this host. A neighbour on the same subnet is fine.
            got = probe(ns, port, "198.51.100.10", "198.51.100.12")
            assert got == {"198.51.100.10": 403, "198.51.100.12": 0}, got

            ip("-n", ns, "addr", "add", "198.51.100.11/24", "dev", "hr0")
            assert s.wait_for_log(r"local addresses changed \(added [^)]*198\.51\.100\.11\b",
                                  timeout=5.0), s.output()
            got = probe(ns, port, "198.51.100.10", "198.51.100.11", "198.51.100.12")
            assert got == {"198.51.100.10": 403, "198.51.100.11": 403, "198.51.100.12": 0}, got

            ip("-n", ns, "addr", "del", "198.51.100.11/24", "dev", "hr0")
            assert s.wait_for_log(
                r"local addresses changed \([^)]*removed [^)]*198\.51\.100\.11\b",
                timeout=5.0), s.output()
            got = probe(ns, port, "198.51.100.11")
            assert got == {"198.51.100.11": 0}, got
            assert s.alive(), s.output()


def test_allocation_churn_log_is_bounded(start_icegate):
    """Allocation churn (allocate, then delete) of one client: the lifecycle lines stop at the
    per-second cap and one summary counts the rest (before: two lines per allocation)."""
    first, last = free_port_range(64)
    # limits.allocation_rate off: this churn is as fast as one client can go.
    yaml = (AUTH_YAML + "  allocation_rate: 0\n"
            + f"relay: {{address: 127.0.0.1, ports: {first}-{last}}}\n")
    with start_icegate(yaml, listen=["udp://127.0.0.1:0"], workers=1, drain=True) as s:
        c = tc.TurnClient(s.listening["udp4"], user=USER, password=PASSWORD)
        churned = 0
        t0 = time.monotonic()
        while churned < 600 and time.monotonic() - t0 < 20:
            msg = c.allocate()
            assert tc.is_success(msg, tc.ALLOCATE), tc.error_code(msg)
            assert tc.is_success(c.refresh(0), tc.REFRESH)
            churned += 1
        took = time.monotonic() - t0
        time.sleep(11.5)  # the summary comes about 10 s after the first line left out
        out = s.output()
        created = out.count("allocation created")
        ended = out.count("allocation ended")
        seconds = int(took) + 2
        print(f"\n{churned} allocations in {took:.1f} s: {created} created lines, "
              f"{ended} ended lines")
        assert created <= 20 * seconds and ended <= 20 * seconds, (created, ended, seconds)
        assert created < churned, "nothing was left out"
        summaries = re.findall(r"allocation lines suppressed in the last \d+s: (\d+) created, "
                               r"(\d+) ended", out)
        assert summaries, out[-2000:]
        assert created + sum(int(a) for a, _ in summaries) == churned, (created, summaries)


def test_relay_ports_overlapping_the_ephemeral_range_warn_at_start(start_icegate):
    low, high = (int(x) for x in pathlib.Path(
        "/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    inside = f"{low + 100}-{low + 200}"
    yaml = AUTH_YAML + f"relay: {{address: 127.0.0.1, ports: {inside}}}\n"
    with start_icegate(yaml, listen=["udp://127.0.0.1:0"], workers=1) as s:
        out = s.output()
        assert "overlaps the kernel's ephemeral port range" in out, out
    first, last = free_port_range(8)  # below the ephemeral range: no warning
    yaml = AUTH_YAML + f"relay: {{address: 127.0.0.1, ports: {first}-{last}}}\n"
    with start_icegate(yaml, listen=["udp://127.0.0.1:0"], workers=1) as s:
        assert "ephemeral port range" not in s.output()
