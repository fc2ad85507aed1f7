"""The relay bandwidth caps against the real binary over loopback (issue 13, point 3): a client
streams ChannelData through its allocation at ten times the cap to a UDP peer, and the rate
that reaches the peer stays within 20% of the cap: limits.allocation_bandwidth (both
directions together, and live on reload), limits.user_bandwidth (two allocations of one user
share it), limits.total_bandwidth (split evenly over the workers). /metrics counts the drops.
Without a cap the same stream gets through at several times the cap (the control). Every
stream is bounded: 2.5 s at about 10 Mbit/s."""
import selectors
import threading
import time

import turn_client as tc
from icegate_proc import Reloader
from turn_tools import BOB_PW, allocated, client, server_yaml, serving
from ws_client import https_request

PAYLOAD = 1000          # bytes of every relayed packet
SECONDS = 2.5           # each stream; the first 0.5 s (the burst) is not measured
SKIP = 0.5
CAP = 1_000_000         # bits per second
HTTP = "http:\n  listen: 127.0.0.1:0\nmetrics:\n  allow: [127.0.0.0/8]\n"
CHANNEL = 0x4000


def limits(**caps):
    return "limits:\n" + "".join(f"  {k}: {v}\n" for k, v in caps.items()) + HTTP


def stream(senders, receivers, rate_bps):
    """Calls each of `senders` (each sends one PAYLOAD-byte packet) at `rate_bps` for SECONDS,
    while a thread reads `receivers` ((socket, header bytes per datagram) pairs). Returns
    (bits per second offered, payload bits per second that arrived from SKIP to SECONDS)."""
    stop = threading.Event()
    arrivals = []
    sel = selectors.DefaultSelector()
    for sock, header in receivers:
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ, header)

    def read():
        while not stop.is_set():
            for key, _ in sel.select(0.05):
                while True:
                    try:
                        data = key.fileobj.recv(65535)
                    except BlockingIOError:
                        break
                    arrivals.append((time.monotonic(), len(data) - key.data))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    payload = b"\x5a" * PAYLOAD
    sent = 0
    start = time.monotonic()
    try:
        while (now := time.monotonic()) < start + SECONDS:
            due = int((now - start) * rate_bps / 8 / PAYLOAD) + 1
            while sent < due:
                for send in senders:
                    send(payload)
                sent += 1
            time.sleep(0.002)
        time.sleep(0.3)  # what is still on its way is read, not counted
    finally:
        stop.set()
        reader.join()
        sel.close()
    got = sum(n for at, n in arrivals if start + SKIP <= at < start + SECONDS)
    return sent * len(senders) * PAYLOAD * 8 / SECONDS, got * 8 / (SECONDS - SKIP)


def channel_to(c, peer):
    """Binds CHANNEL of client `c` to `peer`; returns (send to the peer, relay address)."""
    _, relay = allocated(c)
    assert tc.is_success(c.channel_bind(CHANNEL, peer.getsockname()), tc.CHANNEL_BIND)
    return (lambda p: c.send_channel(CHANNEL, p)), relay


def assert_near(rate, cap, what):
    print(f"{what}: {rate / 1e6:.3f} Mbit/s (cap {cap / 1e6} Mbit/s)")  # shown with -s
    assert abs(rate - cap) <= 0.2 * cap, f"{what}: {rate / 1e6:.3f} Mbit/s, cap {cap / 1e6} Mbit/s"


def assert_offered(offered, cap):
    # The sender really pushed several times the cap (a loaded machine may send less than 10x).
    assert offered >= 5 * cap, f"offered only {offered / 1e6:.2f} Mbit/s"


def dropped(server, cap):
    """icegate_bandwidth_dropped_packets_total{cap=...} once it is above 0 (workers publish
    once a second), else 0 after 5 s."""
    needle = f'icegate_bandwidth_dropped_packets_total{{cap="{cap}"}} '
    for _ in range(50):
        status, _, body = https_request(server.https, "GET", "/metrics")
        assert status == 200
        for line in body.decode().splitlines():
            if line.startswith(needle) and int(line[len(needle):]) > 0:
                return int(line[len(needle):])
        time.sleep(0.1)
    return 0


def test_no_cap_relays_the_whole_stream():
    """The control: without a cap the same stream gets through at several times CAP, so the
    measurements below are the caps and not the sender, the machine or loopback."""
    with serving(limits=HTTP) as s, client(s) as c, tc.udp_peer() as peer:
        send, _ = channel_to(c, peer)
        offered, rate = stream([send], [(peer, 0)], 10 * CAP)
        assert_offered(offered, CAP)
        print(f"no cap: {rate / 1e6:.3f} Mbit/s of {offered / 1e6:.3f} offered")
        assert rate > 4 * CAP, f"{rate / 1e6:.3f} Mbit/s"
        assert dropped(s, "allocation") == 0


def test_allocation_bandwidth_both_ways_and_live_on_reload():
    yaml_args = {"limits": limits(allocation_bandwidth="1mbit")}
    with serving(**yaml_args) as s, client(s) as c, tc.udp_peer() as peer:
        send, relay = channel_to(c, peer)
        offered, rate = stream([send], [(peer, 0)], 10 * CAP)
        assert_offered(offered, CAP)
        assert_near(rate, CAP, "client to peer")
        assert dropped(s, "allocation") > 0

        # Both directions count together: ten times the cap each way, the cap in all.
        def from_peer(p):
            peer.sendto(p, relay)
        _, rate = stream([send, from_peer], [(peer, 0), (c.sock, 4)], 10 * CAP)
        assert_near(rate, CAP, "both ways")

        # A reload doubles the cap: the live allocation's next packets get the new rate.
        Reloader(s, server_yaml(s.ports, **yaml_args))(
            server_yaml(s.ports, limits=limits(allocation_bandwidth="2mbit")))
        _, rate = stream([send], [(peer, 0)], 10 * 2 * CAP)
        assert_near(rate, 2 * CAP, "after the reload to 2mbit")


def test_user_bandwidth_is_shared_by_the_users_allocations():
    """Two allocations of alice (on whichever workers the kernel hashes them to) share one
    cap; bob's allocation has its own."""
    with serving(limits=limits(user_bandwidth="1mbit")) as s, \
            client(s) as a1, client(s) as a2, \
            client(s, user="bob", password=BOB_PW) as b, tc.udp_peer() as peer, \
            tc.udp_peer() as bob_peer:
        send1, _ = channel_to(a1, peer)
        send2, _ = channel_to(a2, peer)
        offered, rate = stream([send1, send2], [(peer, 0)], 5 * CAP)
        assert_offered(offered, CAP)
        assert_near(rate, CAP, "alice's two allocations")
        assert dropped(s, "user") > 0

        send_b, _ = channel_to(b, bob_peer)
        _, rate = stream([send1, send_b], [(bob_peer, 0)], 5 * CAP)
        assert_near(rate, CAP, "bob alongside alice")


def test_total_bandwidth_covers_every_user_and_is_split_over_workers():
    # One worker: alice and bob together get the whole cap.
    with serving(workers=1, limits=limits(total_bandwidth="1mbit")) as s, \
            client(s) as a, client(s, user="bob", password=BOB_PW) as b, \
            tc.udp_peer() as peer:
        send_a, _ = channel_to(a, peer)
        send_b, _ = channel_to(b, peer)
        offered, rate = stream([send_a, send_b], [(peer, 0)], 5 * CAP)
        assert_offered(offered, CAP)
        assert_near(rate, CAP, "alice and bob on one worker")
        assert dropped(s, "total") > 0
    # Two workers: each enforces half, so one allocation (on one worker) gets half.
    with serving(workers=2, limits=limits(total_bandwidth="2mbit")) as s, client(s) as c, \
            tc.udp_peer() as peer:
        send, _ = channel_to(c, peer)
        _, rate = stream([send], [(peer, 0)], 10 * CAP)
        assert_near(rate, CAP, "one allocation, half of 2mbit")
