"""Pre-authentication limits (issue 13, point 2): a flood of unauthenticated Allocates from one
source address gets at most limits.unauthenticated_answer_burst answers and then
limits.unauthenticated_answer_rate a second (per worker), so the server sends back far fewer
bytes than it receives and is no reflector; Binding requests from that source are still
answered, each at most 64 bytes larger than its request; a client on another address allocates
and relays throughout; /metrics counts the silence. With the limits off (0) the same flood comes
back amplified, which is what the limits are for. limits.allocation_rate answers 486."""
import os
import select
import socket
import threading
import time

import stun_client as sc
import turn_client as tc
import turn_tools
from icegate_proc import Reloader, free_port_range
from signal_tools import WEB
from ws_client import https_request

FLOODER = "127.0.0.5"
GOOD = "127.0.0.6"
FLOOD_REQUESTS = 3000  # unauthenticated Allocates, over about 2 s
BINDING_EVERY = 20     # one Binding request among every 20 packets of the flood
MAX_RATIO = 1.5        # bytes received from the server / bytes sent to it
HTTP_YAML = f"http:\n  listen: 127.0.0.1:0\n  web_root: {WEB}\nmetrics:\n  allow: [127.0.0.0/8]\n"


def server_yaml(limits, ports=None):
    ports = ports or free_port_range(20)
    return turn_tools.server_yaml(ports, limits="limits:\n  connections_per_address: 0\n"
                                  + limits) + HTTP_YAML


def metric(server, name):
    status, _, body = https_request(server.https, "GET", "/metrics")
    assert status == 200
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    raise AssertionError(f"{name} not in /metrics:\n{body.decode()}")


def metric_reaches(server, name, at_least, timeout=5.0):
    """The metric's value once it is at least `at_least` (workers publish once a second)."""
    deadline = time.monotonic() + timeout
    value = metric(server, name)
    while value < at_least and time.monotonic() < deadline:
        time.sleep(0.2)
        value = metric(server, name)
    return value


class Flood:
    """Unauthenticated Allocates (and a Binding now and then) from four ports of FLOODER:
    a spoofer varies its ports, and the limit is per address."""

    def __init__(self, target):
        self.target = target
        self.socks = []
        for _ in range(4):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            s.bind((FLOODER, 0))
            s.setblocking(False)
            self.socks.append(s)
        self.sent = 0
        self.received = 0
        self.bindings = {}  # transaction id -> request size, still unanswered
        self.binding_sent = 0
        self.binding_answers = []  # (request size, answer size)
        self.errors = 0  # 401 answers to the Allocates

    def close(self):
        for s in self.socks:
            s.close()

    def packet(self, i):
        tid = os.urandom(12)
        if i % BINDING_EVERY == 0:
            data = sc.request(tid=tid, fingerprint=i % (2 * BINDING_EVERY) == 0)
            self.bindings[tid] = len(data)
            self.binding_sent += 1
            return data
        return tc.unsigned(tc.msg_type(tc.ALLOCATE, tc.REQUEST), tid, tc.requested_transport())

    def drain(self, wait=0.0):
        ready, _, _ = select.select(self.socks, [], [], wait)
        for s in ready:
            while True:
                try:
                    data = s.recv(65535)
                except BlockingIOError:
                    break
                self.received += len(data)
                msg = sc.parse(data)
                if msg["type"] == sc.BINDING_SUCCESS and msg["tid"] in self.bindings:
                    self.binding_answers.append((self.bindings.pop(msg["tid"]), len(data)))
                elif msg["type"] == tc.msg_type(tc.ALLOCATE, tc.ERROR):
                    self.errors += 1

    def run(self, count=FLOOD_REQUESTS, seconds=2.0):
        """Sends `count` packets in bursts of 50 spread over about `seconds`, reading answers
        all along, then for half a second more."""
        start = time.monotonic()
        bursts = count // 50
        for b in range(bursts):
            for i in range(b * 50, (b + 1) * 50):
                data = self.packet(i)
                self.socks[i % len(self.socks)].sendto(data, self.target)
                self.sent += len(data)
            self.drain()
            pause = start + seconds * (b + 1) / bursts - time.monotonic()
            if pause > 0:
                self.drain(pause)
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            self.drain(0.05)
        return time.monotonic() - start


def good_client_relays(server, stop, results):
    """On GOOD: allocate, then relay to a loopback peer and back until `stop` is set."""
    peer = tc.udp_peer()
    c = turn_tools.client(server, bind=GOOD)
    try:
        _, relay = turn_tools.allocated(c)
        msg = c.create_permission(peer.getsockname()[:2])
        assert tc.is_success(msg, tc.CREATE_PERMISSION), tc.error_code(msg)
        results["allocated"] = True
        n = 0
        while not stop.is_set() and n < 200:
            n += 1
            payload = b"round %d" % n
            c.send_indication(peer.getsockname()[:2], payload)
            data, _ = peer.recvfrom(2048)
            assert data == payload
            peer.sendto(b"back " + payload, tuple(relay))
            got = c.receive(2.0)
            assert got is not None and got[0] == "data" and got[2] == b"back " + payload
            results["rounds"] = n
            time.sleep(0.05)
    except Exception as e:  # reported by the test thread
        results["error"] = repr(e)
    finally:
        c.close()
        peer.close()


def flood_with_good_client(server):
    flood = Flood(server.listening["udp4"])
    stop = threading.Event()
    results = {"rounds": 0}
    good = threading.Thread(target=good_client_relays, args=(server, stop, results))
    try:
        good.start()
        elapsed = flood.run()
    finally:
        stop.set()
        good.join(30)
        flood.close()
    return flood, results, elapsed


def test_flood_is_not_reflected(start_icegate):
    with start_icegate(server_yaml(""), listen=["udp://127.0.0.1:0"], workers=2,
                       drain=True) as s:
        flood, good, elapsed = flood_with_good_client(s)
        ratio = flood.received / flood.sent
        print(f"limited: sent {flood.sent} B, received {flood.received} B, ratio {ratio:.3f}, "
              f"401s {flood.errors}, bindings {len(flood.binding_answers)}/"
              f"{flood.binding_sent} (largest growth "
              f"{max(a - r for r, a in flood.binding_answers)} B), {elapsed:.1f} s, "
              f"good rounds {good['rounds']}")
        assert ratio <= MAX_RATIO
        # Burst 20 and 10/s per worker; the four ports may land on both workers.
        assert 20 <= flood.errors <= 2 * (20 + 10 * (elapsed + 1))
        assert len(flood.binding_answers) >= 0.95 * flood.binding_sent
        for request, answer in flood.binding_answers:
            assert answer <= request + 64, (request, answer)
        assert "error" not in good, good["error"]
        assert good.get("allocated") and good["rounds"] >= 5, good
        unanswered = FLOOD_REQUESTS - FLOOD_REQUESTS // BINDING_EVERY - flood.errors
        assert metric_reaches(s, "icegate_answers_suppressed_total", unanswered) >= 0.95 * unanswered


def test_without_the_limit_the_flood_is_amplified(start_icegate):
    """The same flood with the keys at 0: every Allocate gets its 401, several times the
    request's size. This is the reflection the limit prevents."""
    limits = "  unauthenticated_answer_rate: 0\n  allocation_rate: 0\n"
    with start_icegate(server_yaml(limits), listen=["udp://127.0.0.1:0"], workers=2,
                       drain=True) as s:
        flood, good, _ = flood_with_good_client(s)
        ratio = flood.received / flood.sent
        print(f"unlimited: sent {flood.sent} B, received {flood.received} B, ratio {ratio:.3f}, "
              f"401s {flood.errors}")
        assert ratio > MAX_RATIO
        assert flood.errors >= 0.95 * (FLOOD_REQUESTS - FLOOD_REQUESTS // BINDING_EVERY)
        assert "error" not in good, good["error"]
        assert metric(s, "icegate_answers_suppressed_total") == 0


def test_allocation_rate_is_486(start_icegate):
    """One worker, so every port of the address meets the same bucket: 3 a second, then 486."""
    with start_icegate(server_yaml("  allocation_rate: 3\n  user_quota: 100\n"),
                       listen=["udp://127.0.0.1:0"], workers=1, drain=True) as s:
        clients = [turn_tools.client(s, bind="127.0.0.7") for _ in range(5)]
        try:
            for c in clients:
                c.challenge()  # the 401s first: the five Allocates then come within a second
            codes = [tc.error_code(c.allocate()) for c in clients]
            assert codes == [None, None, None, 486, 486], codes
            assert metric_reaches(s, "icegate_allocations_rate_limited_total", 2) >= 2
            time.sleep(1.1)
            assert tc.is_success(clients[4].allocate(), tc.ALLOCATE)
        finally:
            for c in clients:
                c.close()


def test_reload_changes_the_answer_rate(start_icegate):
    ports = free_port_range(20)
    first = server_yaml("  unauthenticated_answer_rate: 0\n", ports)
    with start_icegate(first, listen=["udp://127.0.0.1:0"], workers=1, drain=True) as s:
        reload = Reloader(s, first)
        flood = Flood(s.listening["udp4"])
        try:
            flood.run(count=200, seconds=0.2)
            assert flood.errors == 190  # all answered (the other 10 are Bindings)
            reload(server_yaml("  unauthenticated_answer_rate: 1\n"
                               "  unauthenticated_answer_burst: 5\n", ports))
            flood.errors = 0
            elapsed = flood.run(count=200, seconds=0.2)
            assert 5 <= flood.errors <= 5 + elapsed + 1, (flood.errors, elapsed)
        finally:
            flood.close()
