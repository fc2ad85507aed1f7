"""Upgrade without a dropped packet (docs/operations.md, Upgrade): SIGUSR2 makes a running
icegate start its successor on the same ports. Relayed streams over UDP and TCP allocations keep
flowing through the old process without a lost datagram while the successor takes every new
Allocate, TCP connection and WebSocket; WebSockets get goaway and resume into the same session
on the successor; the old process exits 0 once its allocations end. A successor that cannot load
its config changes nothing."""
import signal
import threading
import time

import pytest

import turn_client as tc
from icegate_proc import Icegate, NotifySocket, children, end_pid, free_port_range, successor_pid
from signal_tools import WEB
from turn_tools import allocated, client, server_yaml
from ws_client import Client, run

CLIENTS = 6           # UDP allocations: spread over both workers
ROUNDS = 300          # stream rounds, one datagram each way per allocation
ROUND_GAP = 0.01      # seconds between rounds: about 3 s of streaming


def upgrade_yaml(relay_ports, https_port, grace="30s"):
    return (server_yaml(relay_ports, limits="limits:\n  connections_per_address: 0\n")
            + f"http:\n  listen: 127.0.0.1:{https_port}\n  web_root: {WEB}\n"
            + "signal:\n  join_rate: 100000\n  message_rate: 1000\n"
            + f"shutdown:\n  grace: {grace}\n")


def fixed_server(grace="30s"):
    """An icegate on fixed ports (a successor binds the config's ports again: port 0 would give
    it others)."""
    first, _ = free_port_range(3, lo=10000, hi=16000)
    relay_ports = free_port_range(40)
    listen = [f"udp://127.0.0.1:{first}", f"tcp://127.0.0.1:{first}",
              f"tls://127.0.0.1:{first + 1}"]
    return Icegate(extra_yaml=upgrade_yaml(relay_ports, first + 2, grace), listen=listen)


def channel_to(server, peer, clients, where, **kw):
    """A client on `where` with an allocation and channel 0x4000 bound to `peer` (kept in
    `clients` for the cleanup): (client, channel, relay address)."""
    c = client(server, where, **kw)
    clients.append(c)
    _, relay = allocated(c)
    assert tc.is_success(c.channel_bind(0x4000, peer.getsockname()), tc.CHANNEL_BIND)
    return c, 0x4000, relay


class Stream:
    """Numbered datagrams both ways through each allocation, one per round, checked for loss."""

    def __init__(self, allocations, peer, rounds=ROUNDS):
        self.allocations = allocations  # (client, channel, relay address)
        self.peer = peer
        self.rounds = rounds
        self.sent = 0
        self.to_peer = set()
        self.to_clients = set()
        self.thread = threading.Thread(target=self.run)

    def run(self):
        for n in range(self.rounds):
            for i, (c, channel, relay) in enumerate(self.allocations):
                c.send_channel(channel, f"{i}:{n}".encode())
                self.peer.sendto(f"{i}:{n}".encode(), relay)
                self.sent += 1
            self.collect(0.001)
            time.sleep(ROUND_GAP)
        self.collect(1.0)

    def collect(self, wait):
        self.peer.settimeout(wait)
        try:
            while True:
                data, _ = self.peer.recvfrom(100)
                self.to_peer.add(data)
                self.peer.settimeout(0.001)
        except (TimeoutError, OSError):
            pass
        for c, _, _ in self.allocations:
            while (got := c.receive(wait)) is not None:
                self.to_clients.add((id(c), got[2]))
                wait = 0.001


@pytest.fixture
def notify(monkeypatch):
    n = NotifySocket()
    monkeypatch.setenv("NOTIFY_SOCKET", n.path)  # the server inherits it
    yield n
    n.close()


def test_upgrade_keeps_every_relayed_packet_and_hands_new_work_over(notify):
    s = fixed_server()
    clients, successor, old_pid = [], None, None
    try:
        s.start()
        s.drain()
        old_pid = s.proc.pid
        with tc.udp_peer() as peer:
            peer.settimeout(2.0)
            allocations = [channel_to(s, peer, clients, "udp4") for _ in range(CLIENTS)]
            allocations.append(channel_to(s, peer, clients, "tcp4", transport="tcp"))

            async def upgrade_with_a_room():
                ann = await Client.connect(s.https)
                await ann.join("upgrade", "Ann")
                stream = Stream(allocations, peer)
                stream.thread.start()
                time.sleep(0.5)
                s.proc.send_signal(signal.SIGUSR2)
                assert (await ann.recv(timeout=20))["type"] == "goaway"
                assert await ann.closed(timeout=10) == (1001, "going away")
                pid = successor_pid(s)  # clients come back after goaway's reconnect_ms
                back = await Client.connect(s.https)
                j = await back.join("upgrade", "someone", resume=ann.resume)
                assert (j["session"], j["resumed"]) == (ann.session, True), j
                await back.close()
                return stream, pid
            stream, successor = run(upgrade_with_a_room(), timeout=60)
            # systemd follows the successor as the service's main process.
            assert f"MAINPID={successor}" in notify.messages(f"MAINPID={successor}", 10)
            stream.thread.join(60)

            # Not a datagram lost either way, on UDP or TCP, across the hand-over.
            assert stream.sent == ROUNDS * len(allocations)
            assert len(stream.to_peer) == stream.sent, (len(stream.to_peer), stream.sent)
            assert len(stream.to_clients) == stream.sent, (len(stream.to_clients), stream.sent)
            assert s.wait_for_log(r"successor pid \d+ serves; 6 UDP clients stay here")

            # The old process keeps refreshing what it has; the successor allocates anew
            # (a draining process would answer 508).
            for c, _, _ in allocations:
                assert tc.is_success(c.refresh(600), tc.REFRESH), tc.error_code(c.refresh())
            late = [channel_to(s, peer, clients, "udp4") for _ in range(CLIENTS)]
            late_tcp = channel_to(s, peer, clients, "tcp4", transport="tcp")[0]
            assert s.alive()

            # Nothing left on the old process: it exits 0 by itself.
            for c, _, _ in allocations:
                assert tc.is_success(c.refresh(0), tc.REFRESH)
                c.has_allocation = False
            assert s.proc.wait(10) == 0, s.output()
            assert s.wait_for_log(r"drain done after \d+ ms: nothing left")
            # What the successor allocated while both ran stays on its workers once the old
            # process's sockets have left the port's SO_REUSEPORT group.
            after = Stream(late, peer, rounds=50)
            after.run()
            assert len(after.to_peer) == len(after.to_clients) == after.sent, \
                (len(after.to_peer), len(after.to_clients), after.sent)
            for c, _, _ in late:
                assert tc.is_success(c.refresh(600), tc.REFRESH)
            assert tc.is_success(late_tcp.refresh(600), tc.REFRESH)
            assert s.wait_for_log(r"upgrade: the predecessor has exited", timeout=5)
            with client(s, "udp4") as fresh:
                allocated(fresh)  # the successor still serves
            for c in clients:  # nothing left on the successor either: it stops at once
                c.close()
            clients = []
        assert end_pid(successor), "the successor did not stop on SIGTERM"
        successor = None
        s.assert_no_sanitizer_report()
    finally:
        for c in clients:
            c.close()
        for pid in ({successor} | set(children(old_pid) if old_pid else [])) - {None}:
            end_pid(pid)
        s.close()


def test_a_successor_that_cannot_start_changes_nothing():
    s = fixed_server()
    try:
        s.start()
        s.drain()
        with client(s, "udp4") as c, tc.udp_peer() as peer:
            _, relay = allocated(c)
            s.config.write_text(s.config.read_text() + "bogus_key: 1\n")
            s.proc.send_signal(signal.SIGUSR2)
            assert s.wait_for_log(r"upgrade failed, this process goes on serving: pid \d+ did "
                                  r"not load its config", timeout=20), s.output()
            assert s.wait_for_log(r"bogus_key")  # the successor said why
            # Still serving, not draining: a new allocation, and the old one relays.
            with client(s, "udp4") as late:
                allocated(late)
            assert tc.is_success(c.channel_bind(0x4000, peer.getsockname()), tc.CHANNEL_BIND)
            c.send_channel(0x4000, b"still here")
            assert peer.recvfrom(100)[0] == b"still here"
        s.config.write_text(s.config.read_text().replace("bogus_key: 1\n", ""))
        s.stop_cleanly()
    finally:
        s.close()


def test_upgrade_needs_a_grace():
    s = fixed_server(grace="0s")
    try:
        s.start()
        s.proc.send_signal(signal.SIGUSR2)
        assert s.wait_for_log(r"upgrade ignored: it needs shutdown.grace above 0s")
        with client(s, "udp4") as c:
            allocated(c)
        s.stop_cleanly()
    finally:
        s.close()
