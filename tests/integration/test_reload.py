"""Live reload (SIGHUP) against the real binary: users and secrets, the peer policy (a newly
denied peer is cut, bound channel included), log level, signaling settings, the certificate
(new handshakes only), restart-only keys named and kept, a broken config refused while the old
one keeps serving, and ten reloads under a running relay stream and WebSocket room without a
lost packet or a closed session."""
import socket
import ssl
import textwrap
import time

import pytest

import signal_tools
import turn_client as tc
from icegate_proc import Reloader, free_port_range, make_cert, run_cli, running
from turn_tools import ALICE_PW, allocated, client, expect_error, server_yaml
from ws_client import Clients, https_request, run

DAVE_PW = "dave-added-by-reload"


def dave_yaml():
    return textwrap.dedent(f"""\
        auth:
          users:
            - name: dave
              password: {DAVE_PW}
          secrets: [reloaded-secret-0123]
        """)


def turn_config(ports, **kw):
    return server_yaml(ports, **kw)


@pytest.fixture
def relay_ports():
    return free_port_range(20)


def test_users_and_secrets_change_live(relay_ports):
    extra = turn_config(relay_ports)
    with running(extra) as s:
        reload = Reloader(s, extra)
        with client(s) as c:
            allocated(c)
        reload(turn_config(relay_ports, auth=dave_yaml()))
        with client(s, user="dave", password=DAVE_PW) as c:
            allocated(c)
        with client(s) as c:  # alice is gone: 401 on a fresh Allocate
            expect_error(c.allocate(), tc.ALLOCATE, 401)
        user, pw = tc.rest_credentials("reloaded-secret-0123", "rest-user")
        with client(s, user=user, password=pw) as c:
            allocated(c)
        user, pw = tc.rest_credentials("rest-secret-one-7f3a9", "old-secret")
        with client(s, user=user, password=pw) as c:  # the retired secret
            expect_error(c.allocate(), tc.ALLOCATE, 401)


def test_users_file_changes_apply_without_a_signal(relay_ports, tmp_path):
    users = tmp_path / "users.yaml"
    users.write_text("users: []\n")
    extra = turn_config(relay_ports, auth=f"auth:\n  users_file: {users}\n")
    with running(extra) as s:
        def user(*args, stdin=""):
            done = run_cli("user", *args, "--file", str(users), *(
                ["--realm", "icegate.test"] if args[0] == "add" else []), stdin=stdin)
            assert done.returncode == 0, done.stderr

        before = len(s.log_lines("reloaded", timeout=0))
        user("add", "dave", stdin=DAVE_PW + "\n")
        for _ in range(60):  # within a second or so, no SIGHUP sent
            if len(s.log_lines("reloaded", timeout=0.05)) > before:
                break
        assert s.log_lines("users.yaml changed: reloading")
        with client(s, user="dave", password=DAVE_PW) as c:
            allocated(c)
            before = len(s.log_lines("reloaded", timeout=0))
            user("remove", "dave")
            for _ in range(60):
                if len(s.log_lines("reloaded", timeout=0.05)) > before:
                    break
            # dave's allocation lives until its next Refresh, which is refused and ends it.
            expect_error(c.refresh(600), tc.REFRESH, 401)
            assert s.log_lines("allocation ended", "reason=revoked")
        with client(s, user="dave", password=DAVE_PW) as c:
            expect_error(c.allocate(), tc.ALLOCATE, 401)
        # The certificate files did not change: no new TLS context was built for these.
        assert len(s.log_lines("certificate SPKI", timeout=0)) == 1


def test_broken_config_is_refused_and_the_old_one_serves(relay_ports):
    extra = turn_config(relay_ports)
    with running(extra) as s:
        reload = Reloader(s, extra)
        line = reload(turn_config(relay_ports) + "limits:\n  user_quota: lots\n",
                      expect="reload failed")
        assert "icegate.yaml:" in line and "limits.user_quota" in line, line
        with client(s) as c:  # alice still works: nothing changed
            allocated(c)
        reload(turn_config(relay_ports, auth=dave_yaml()))  # a good one after a bad one
        with client(s, user="dave", password=DAVE_PW) as c:
            allocated(c)


def test_restart_only_keys_are_named_and_keep_their_value(relay_ports):
    extra = turn_config(relay_ports)
    with running(extra) as s:
        reload = Reloader(s, extra)
        other = free_port_range(20)
        reload(turn_config(other, limits="limits:\n  tcp_buffer: 4096\n"))
        assert s.log_lines("relay.ports changed", "restart")
        assert s.log_lines("limits.tcp_buffer changed", "restart")
        with client(s) as c:
            _, relay = allocated(c)
            assert relay_ports[0] <= relay[1] <= relay_ports[1], relay


def test_newly_denied_peer_is_cut_even_on_a_bound_channel(relay_ports):
    extra = turn_config(relay_ports)
    with running(extra) as s:
        reload = Reloader(s, extra)
        with client(s) as c, tc.udp_peer() as peer:
            _, relay = allocated(c)
            assert tc.is_success(c.channel_bind(0x4001, peer.getsockname()), tc.CHANNEL_BIND)
            c.send_channel(0x4001, b"before")
            assert peer.recvfrom(100) == (b"before", relay)
            reload(turn_config(relay_ports, peers=""))  # loopback peers denied again
            c.send_channel(0x4001, b"after")
            assert tc.nothing_arrives(peer)
            peer.sendto(b"from peer", relay)
            assert c.receive(0.5) is None


def test_log_level_changes_live(relay_ports):
    extra = turn_config(relay_ports)
    with running(extra) as s:
        reload = Reloader(s, extra)
        with client(s) as c:
            allocated(c)
        assert s.log_lines("allocation", "created")
        reload(turn_config(relay_ports) + "log:\n  level: warn\n")
        before = len(s.log_lines("created", timeout=0))
        with client(s) as c:
            allocated(c)
        assert len(s.log_lines("created", timeout=0.5)) == before


def peer_cn(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn = ctx.wrap_socket(raw)
    der = conn.getpeercert(binary_form=True)
    return conn, der


def test_certificate_swap_applies_to_new_handshakes(relay_ports, tmp_path):
    make_cert(tmp_path, "first.example")
    tls_yaml = f"tls:\n  certificate: {tmp_path}/cert.pem\n  private_key: {tmp_path}/key.pem\n"
    extra = turn_config(relay_ports) + tls_yaml
    with running(extra) as s:
        reload = Reloader(s, extra)
        port = s.listening["tls4"][1]
        old_conn, first = peer_cn(port)
        make_cert(tmp_path, "second.example")
        reload(extra)
        new_conn, second = peer_cn(port)
        assert first != second
        assert b"second.example" in second and b"first.example" in first
        # The connection made before the swap still works: a Binding over it is answered.
        for conn in (old_conn, new_conn):
            tid = bytes(range(12))
            conn.sendall(tc.unsigned(tc.msg_type(0x001, tc.REQUEST), tid, b""))  # Binding
            assert len(conn.recv(200)) >= 20
            conn.close()
        # A certificate that does not load fails the reload; the old one keeps serving.
        (tmp_path / "cert.pem").write_text("not a certificate\n")
        reload(extra, expect="reload failed")
        _, third = peer_cn(port)
        assert third == second


def test_signaling_settings_and_metrics_change_live(relay_ports):
    extra = signal_tools.config(signal="  room_capacity: 3\n",
                                extra="metrics:\n  allow: [127.0.0.1/32]\n")
    with running(extra, workers=2, drain=True) as s:
        reload = Reloader(s, extra)

        async def fill(room, n):
            async with Clients(s.https) as cs:
                await cs.room(room, *[f"m{i}" for i in range(n)])
                extra_member = await cs.new()
                await extra_member.send({"type": "join", "room": room, "name": "late"})
                return (await extra_member.recv())["type"]

        assert run(fill("before", 3)) == "error"  # 4th of 3 refused
        reload(signal_tools.config(signal="  room_capacity: 2\n",
                                   extra="metrics:\n  allow: [127.0.0.1/32]\n"))
        assert run(fill("after", 2)) == "error"  # 3rd of 2 refused
        line = reload("limits:\n  user_quota: nope\n", expect="reload failed")
        assert "user_quota" in line
        wanted = ("icegate_config_reloads_total 1\n", "icegate_config_reload_failures_total 1\n")
        for _ in range(30):  # workers publish their counters once a second
            status, _, body = https_request(s.https, "GET", "/metrics")
            assert status == 200
            text = body.decode()
            if all(w in text for w in wanted):
                break
            time.sleep(0.1)
        assert all(w in text for w in wanted), text


def test_ten_reloads_under_load_lose_nothing(relay_ports, tmp_path):
    """A relay stream and a WebSocket room run while ten SIGHUPs add and remove a user, swap
    the certificate, change the peer policy and the log level: nothing is lost or closed,
    and the user, certificate and policy changes are visible (the log level's effect is
    test_log_level_changes_live's)."""
    certs = [tmp_path / "a", tmp_path / "b"]
    for i, d in enumerate(certs):
        d.mkdir()
        make_cert(d, f"cert{i}.example")
    live = tmp_path / "live"
    live.mkdir()

    def auth(user, pw):
        return f"  users:\n    - name: {user}\n      password: {pw}\n  secrets: [s3cret]\n"

    def config_of(i):
        # Even rounds: alice, certificate a, 203.0.113.0/24 denied, level info; odd rounds:
        # dave, certificate b, that range allowed, level debug.
        odd = i % 2 == 1
        for name in ("cert.pem", "key.pem"):
            (live / name).write_bytes((certs[i % 2] / name).read_bytes())
            (live / name).chmod(0o600)
        peers = ("peers:\n  allow: [127.0.0.0/8, 203.0.113.0/24]\n" if odd
                 else "peers:\n  allow: [127.0.0.0/8]\n  deny: [203.0.113.0/24]\n")
        who = ("dave", DAVE_PW) if odd else ("alice", ALICE_PW)
        return (signal_tools.config(auth=auth(*who))
                + turn_config(relay_ports, auth="", peers=peers)
                + f"tls:\n  certificate: {live}/cert.pem\n  private_key: {live}/key.pem\n"
                + f"log:\n  level: {'debug' if odd else 'info'}\n")

    extra = config_of(0)
    with running(extra, workers=2, drain=True) as s:
        reload = Reloader(s, extra)
        tls_port = s.listening["tls4"][1]

        async def scenario():
            async with Clients(s.https) as cs:
                a, b = await cs.room("steady", "Ann", "Ben")
                with client(s) as c, tc.udp_peer() as peer:
                    _, relay = allocated(c)
                    assert tc.is_success(c.channel_bind(0x4001, peer.getsockname()),
                                         tc.CHANNEL_BIND)
                    sent = received = 0
                    for i in range(1, 11):
                        reload(config_of(i))
                        odd = i % 2 == 1
                        for k in range(20):
                            c.send_channel(0x4001, b"%d-%d" % (i, k))
                            sent += 1
                        peer.settimeout(2.0)
                        for k in range(20):
                            data, _ = peer.recvfrom(100)
                            assert data == b"%d-%d" % (i, k)
                            received += 1
                        await a.send({"type": "chat", "text": f"round {i}"})
                        await b.expect("chat", text=f"round {i}")
                        await a.expect("chat", text=f"round {i}")
                        # Each change is visible.
                        with client(s, user="dave", password=DAVE_PW) as d:
                            msg = d.allocate()
                            assert tc.is_success(msg, tc.ALLOCATE) == odd
                            if odd:  # 203.0.113.0/24 allowed
                                msg = d.create_permission(("203.0.113.7", 9))
                                assert tc.is_success(msg, tc.CREATE_PERMISSION)
                        if not odd:  # denied again (alice is back in even rounds)
                            expect_error(c.create_permission(("203.0.113.7", 9)),
                                         tc.CREATE_PERMISSION, 403)
                        conn, der = peer_cn(tls_port)
                        conn.close()
                        assert (b"cert1.example" if odd else b"cert0.example") in der
                    assert sent == received == 200
                    await a.ping_ok()
                    await b.ping_ok()

        run(scenario(), timeout=120)
        assert len(s.log_lines("reloaded", timeout=0)) == 10
        assert not s.log_lines("reload failed", timeout=0)


def test_systemd_hears_reloading_then_ready(relay_ports, tmp_path, monkeypatch):
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify.sock"
    notify.bind(str(path))
    notify.settimeout(5.0)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    extra = turn_config(relay_ports)
    with notify, running(extra) as s:
        assert notify.recv(4096) == b"READY=1"
        reload = Reloader(s, extra)
        reload(turn_config(relay_ports, auth=dave_yaml()))
        first = notify.recv(4096).decode()
        assert first.startswith("RELOADING=1\nMONOTONIC_USEC="), first
        assert notify.recv(4096) == b"READY=1"
        reload(turn_config(relay_ports) + "limits:\n  user_quota: x\n", expect="reload failed")
        assert notify.recv(4096).startswith(b"RELOADING=1")
        assert notify.recv(4096) == b"READY=1"  # a failed reload still ends the reload
