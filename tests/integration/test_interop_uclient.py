"""TURN relay interop with coturn's turnutils_uclient (and turnutils_peer) against the real binary.

uclient runs an RTP-like stream through icegate and reports, at the end, how many messages it
sent and got back ("tot_send_msgs=N, tot_recv_msgs=M", "Total lost packets L (x%)"). Two modes:
client-to-client (`-y`: the clients' relays talk to each other, no peer needed) and through a
turnutils_peer (a UDP echo server on loopback, `-e 127.0.0.1 -r PORT`). The main server has
`peers.allow: [127.0.0.0/8]` so that the loopback echo server is a permitted peer; without it
only relay-to-relay between this server's own clients is (see the policy tests at the end).

uclient over TLS (`-t -S`; `-S` alone is DTLS) does not verify the server certificate unless
given `-E CAFILE`, so the generated self-signed one does.

Each uclient run takes about 5 s whatever its size (uclient's own 1 s bookkeeping ticks; it
waits 10 s more when a message is lost), so the runs of the matrix start together, against one
server, and each test checks its own run's summary.
"""
import hashlib
import re
import socket
import subprocess
import time

import pytest


REALM = "icegate.test"  # the realm icegate_proc writes
USER, PASSWORD = "alice", "pass"
SECRET = "interop-shared-secret"
MESSAGES, CLIENTS = 100, 2  # per client
# Milliseconds between a client's messages: 200/s each. (uclient reads one message per TLS
# record; icegate writes one frame per record over TLS for it, see stream_session.hpp.)
INTERVAL = {"udp": 5, "tcp": 5, "tls": 5}
UCLIENT_TIMEOUT = 40.0      # one run: ~5 s, ~15 s when something is lost

# Static users are stored as keys: MD5(name:realm:password), as `icegate user key` prints it.
USER_KEY = hashlib.md5(f"{USER}:{REALM}:{PASSWORD}".encode()).hexdigest()

LISTEN = ["udp://127.0.0.1:0", "tcp://127.0.0.1:0", "tls://127.0.0.1:0"]
RELAY_YAML = "relay: {address: 127.0.0.1}\n"
AUTH_YAML = f"""\
auth:
  users: [{{name: {USER}, key: "0x{USER_KEY}"}}]
  secrets: [{SECRET}]
limits:
  user_quota: 1000
  allocation_rate: 0
"""
# uclient leaves its probe allocation behind over UDP (it never deletes it), so a few runs of
# the same user would hit the default quota of 10: hence the large user_quota. Every uclient
# comes from 127.0.0.1, and its TLS clients reconnect and allocate again after each failed
# handshake: more than limits.allocation_rate (20/s per address and worker), hence 0.
ALLOW_LOOPBACK_YAML = "peers: {allow: [127.0.0.0/8]}\n"

TRANSPORT_FLAGS = {"udp": [], "tcp": ["-t"], "tls": ["-t", "-S"]}  # -S alone would be DTLS
AUTH_FLAGS = {"user": ["-u", USER, "-w", PASSWORD],
              "secret": ["-u", "restuser", "-W", SECRET]}  # username "<expiry>:restuser"
METHOD_FLAGS = {"channel": [], "send": ["-s"]}


def case_id(mode, method, transport, auth):
    return f"{mode}-{method}-{transport}-{auth}"


def matrix():
    """Every mode x method x transport once; the credential kind alternates so that every pair
    of dimensions (mode/auth, transport/auth, method/auth) sees both kinds."""
    cases = []
    for mi, mode in enumerate(["c2c", "peer"]):
        for ti, transport in enumerate(["udp", "tcp", "tls"]):
            for di, method in enumerate(["channel", "send"]):
                auth = "user" if (mi + ti + di) % 2 == 0 else "secret"
                cases.append((mode, method, transport, auth))
    return cases


CASES = matrix()


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_echo(port, timeout=5.0):
    """turnutils_peer prints nothing when ready: it is ready once it echoes a datagram."""
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        while time.monotonic() < deadline:
            s.sendto(b"ping", ("127.0.0.1", port))
            try:
                if s.recv(64) == b"ping":
                    return True
            except OSError:
                pass
    return False


@pytest.fixture(scope="module")
def peer():
    """A turnutils_peer echo server on a free loopback port; stopped by its PID."""
    for _ in range(3):
        port = free_udp_port()
        proc = subprocess.Popen(["turnutils_peer", "-L", "127.0.0.1", "-p", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if wait_for_echo(port):
            break
        proc.kill()
        proc.wait()
    else:
        pytest.fail("turnutils_peer did not come up")
    yield port
    proc.kill()
    proc.wait()


def uclient_args(server, mode, method, transport, auth, peer_port, extra=(), n=MESSAGES,
                 m=CLIENTS):
    host, port = server.listening[transport + "4"]
    args = ["turnutils_uclient", *TRANSPORT_FLAGS[transport], *METHOD_FLAGS[method],
            *AUTH_FLAGS[auth], *extra, "-n", str(n), "-m", str(m), "-l", "100",
            "-z", str(INTERVAL[transport]),
            "-p", str(port)]
    if mode == "c2c":
        args.append("-y")
    else:
        args += ["-e", "127.0.0.1", "-r", str(peer_port)]
    return args + [host]


class Run:
    """One uclient process writing into a file (no pipe to fill up while others run)."""

    def __init__(self, args, out_path):
        self.args = args
        self.out_path = out_path
        self.out_file = open(out_path, "wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(args, stdout=self.out_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self.returncode = None
        self.timed_out = False
        self.elapsed = None

    def wait(self, deadline):
        try:
            self.proc.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            self.timed_out = True
            self.proc.kill()
            self.proc.wait()
        self.returncode = self.proc.returncode
        self.elapsed = time.monotonic() - self.started
        self.out_file.close()
        return self

    def output(self):
        return self.out_path.read_text(errors="replace")

    def describe(self):
        return (f"$ {' '.join(self.args)}\nrc={self.returncode} timed_out={self.timed_out} "
                f"took {self.elapsed:.1f}s\n--- uclient output (tail) ---\n"
                + "\n".join(self.output().splitlines()[-25:]))


def start_runs(jobs, folder):
    runs = {name: Run(args, folder / f"uclient-{name}.txt") for name, args in jobs.items()}
    deadline = time.monotonic() + UCLIENT_TIMEOUT
    return {name: run.wait(deadline) for name, run in runs.items()}


def summary(text):
    """(sent, received, lost) from uclient's final summary, or None when it has none."""
    totals = re.findall(r"start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*$", text,
                        re.MULTILINE)
    lost = re.findall(r"Total lost packets (\d+) \(", text)
    if not totals or not lost:
        return None
    sent, received = totals[-1]
    return int(sent), int(received), int(lost[-1])


def assert_clean_run(run, server, expected=None):
    """uclient finished in time, lost nothing and got back all it sent (`expected` messages,
    when given: with RTP/RTCP pairs uclient's own count of sessions is hard to predict)."""
    text = run.output()
    context = run.describe() + "\n--- icegate log (tail) ---\n" + "".join(server.lines[-30:])
    assert not run.timed_out, context
    assert run.returncode == 0, context
    result = summary(text)
    assert result is not None, "no summary from uclient\n" + context
    sent, received, lost = result
    assert lost == 0, context
    assert sent > 0 and received == sent, context
    if expected is not None:
        assert sent == expected, context


@pytest.fixture(scope="module")
def server(start_icegate):
    with start_icegate(AUTH_YAML + RELAY_YAML + ALLOW_LOOPBACK_YAML, listen=LISTEN,
                       workers=2) as s:
        yield s


@pytest.fixture(scope="module")
def single_worker_server(start_icegate):
    """RTP/RTCP pairs on one worker: reservation and claim on the same engine (the two-worker
    `server` covers claims on the other worker)."""
    with start_icegate(AUTH_YAML + RELAY_YAML + ALLOW_LOOPBACK_YAML, listen=LISTEN,
                       workers=1) as s:
        yield s


@pytest.fixture(scope="module")
def runs(server, single_worker_server, peer):
    """All uclient runs of this module, started at once; each test checks its own."""
    jobs = {case_id(*c): uclient_args(server, *c, peer_port=peer, extra=["-c"]) for c in CASES}
    # Without -c uclient allocates RTP/RTCP pairs: EVEN-PORT with the R bit, then
    # RESERVATION-TOKEN on a second connection for the odd port.
    jobs["rtcp-pairs-1-worker"] = uclient_args(single_worker_server, "c2c", "channel", "udp",
                                               "user", peer)
    jobs["rtcp-pairs-4-clients"] = uclient_args(server, "c2c", "channel", "udp", "user", peer,
                                                m=4, n=25)
    done = start_runs(jobs, server.path)
    server.output()  # pull the log in for the failure messages
    single_worker_server.output()
    return done


@pytest.mark.parametrize("mode,method,transport,auth", CASES,
                         ids=[case_id(*c) for c in CASES])
def test_uclient_relays_without_loss(runs, server, mode, method, transport, auth):
    run = runs[case_id(mode, method, transport, auth)]
    assert_clean_run(run, server, MESSAGES * CLIENTS)


def test_uclient_rtcp_pairs_even_port_and_reservation_token(runs, single_worker_server):
    """Without -c: each RTP allocation asks for EVEN-PORT with R, the RTCP one (on its own
    connection) claims the odd port with RESERVATION-TOKEN; both streams relay cleanly."""
    run = runs["rtcp-pairs-1-worker"]
    assert_clean_run(run, single_worker_server)
    log = single_worker_server.output()
    assert "error 508" not in run.output(), run.describe()
    assert "allocation created" in log


def test_uclient_rtcp_pairs_across_workers(runs, server):
    """The same with 2 workers and 4 clients: each client's RTP allocation claims the token of
    the allocation made just before it, from another socket that SO_REUSEPORT may hash to the
    other worker: reservations are shared by all workers."""
    run = runs["rtcp-pairs-4-clients"]
    assert "error 508" not in run.output(), run.describe()
    assert_clean_run(run, server)


def relay_ports_excluding(port):
    """A relay port range that does not hold `port`."""
    return "40000-44999" if port >= 45000 else "50000-54999"


@pytest.fixture(scope="module")
def default_policy_server(start_icegate, peer):
    """No peers.allow: the built-in deny list (loopback included) applies, except for relays of
    this server itself (relay-to-relay between two of its clients). The relay port range is
    chosen to leave out the turnutils_peer's port, so that peer is just a loopback address."""
    yaml = AUTH_YAML + f"relay: {{address: 127.0.0.1, ports: {relay_ports_excluding(peer)}}}\n"
    with start_icegate(yaml, listen=["udp://127.0.0.1:0"], workers=2) as s:
        yield s


def assert_refused(run, server, refused):
    """uclient gave up at once on a 403 and relayed nothing."""
    text = run.output()
    context = run.describe() + "\n--- icegate log ---\n" + server.output()
    assert not run.timed_out, context
    assert run.returncode != 0, context
    assert refused in text, context
    result = summary(text)
    assert result is None or result[1] == 0, context
    # The allocations themselves were fine; only the peer was refused.
    assert "allocation created" in server.output(), context
    assert server.alive()


REFUSED = {"channel": "channel bind: error 403", "send": "create permission error 403"}


@pytest.mark.parametrize("method", ["channel", "send"])
def test_uclient_loopback_peer_refused_without_peers_allow(default_policy_server, peer, method):
    """ChannelBind (channel mode) or CreatePermission (Send mode) for the turnutils_peer on
    127.0.0.1 get 403 when peers.allow does not list loopback."""
    args = uclient_args(default_policy_server, "peer", method, "udp", "user", peer,
                        extra=["-c"], n=20, m=1)
    run = start_runs({f"denied-peer-{method}": args},
                     default_policy_server.path)[f"denied-peer-{method}"]
    assert_refused(run, default_policy_server, REFUSED[method])


def test_uclient_relay_to_relay_without_peers_allow(default_policy_server):
    """Two clients of the same server reach each other's relays on 127.0.0.1 without
    peers.allow: a relay address of ours with a port of the relay range is another allocation,
    not a loopback service."""
    args = uclient_args(default_policy_server, "c2c", "channel", "udp", "user", None,
                        extra=["-c"], n=50, m=2)
    run = start_runs({"c2c-default-policy": args}, default_policy_server.path)[
        "c2c-default-policy"]
    assert_clean_run(run, default_policy_server, 50 * 2)


@pytest.mark.parametrize("method", ["channel", "send"])
def test_uclient_relay_to_relay_refused_by_peers_deny(start_icegate, method):
    """peers.deny wins over everything: denying 127.0.0.1 refuses the other client's relay."""
    yaml = AUTH_YAML + RELAY_YAML + "peers: {deny: [127.0.0.1]}\n"
    with start_icegate(yaml, listen=["udp://127.0.0.1:0"], workers=2) as s:
        args = uclient_args(s, "c2c", method, "udp", "user", None, extra=["-c"], n=20, m=1)
        run = start_runs({f"denied-c2c-{method}": args}, s.path)[f"denied-c2c-{method}"]
        assert_refused(run, s, REFUSED[method])
