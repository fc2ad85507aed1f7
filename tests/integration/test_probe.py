"""`icegate probe`: the admin's end-to-end check against a live server (STUN Binding; TURN
allocations, a channel between two relays and a relayed round trip over UDP, TCP and TLS; the
signaling WebSocket) and against dead ones (closed ports, a silent one, wrong credentials)."""
import json
import re
import socket
import textwrap
import time

import pytest

import signal_tools
from icegate_proc import free_port_range, run_cli
from turn_tools import ALICE_PW, REALM, SECRET1, serving, users_yaml

TURN_STEPS = ["binding", "allocate", "allocate 2", "channel bind", "relay round trip",
              "release"]
STEP_RE = re.compile(r"^(ok  |FAIL|skip) (.+?) +(\d+\.\d) ms(?:  (.*))?$")


def probe(*args, timeout=30):
    t0 = time.monotonic()
    out = run_cli("probe", *args, timeout=timeout)
    out.elapsed = time.monotonic() - t0
    return out


def steps(out):
    """{step name: (status, detail)} from the text output; every line but the verdict is a
    step line."""
    lines = out.stdout.splitlines()
    assert lines and lines[-1].startswith("probe "), out.stdout + out.stderr
    found = {}
    for line in lines[:-1]:
        m = STEP_RE.match(line)
        assert m, f"not a step line: {line!r}"
        found[m.group(2)] = (m.group(1).strip(), m.group(4) or "")
    return found


def closed_port(kind=socket.SOCK_DGRAM):
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A TURN server (alice, REST secrets) with UDP, TCP and TLS on 127.0.0.1 and ::1."""
    with serving(ports=40) as s:
        secret = tmp_path_factory.mktemp("probe") / "secret"
        secret.write_text(SECRET1 + "\n")
        s.secret_file = str(secret)
        s.cert = str(s.path / "state" / "cert.pem")
        yield s


def where(s, key):
    host, port = s.listening[key]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def test_stun_binding(lab):
    out = probe(f"stun:{where(lab, 'udp4')}")
    assert out.returncode == 0, out.stdout + out.stderr
    got = steps(out)
    assert list(got) == [f"stun udp {where(lab, 'udp4')} binding"]
    status, detail = got[f"stun udp {where(lab, 'udp4')} binding"]
    assert status == "ok" and re.match(r"mapped 127\.0\.0\.1:\d+$", detail), detail
    assert out.stdout.splitlines()[-1].startswith("probe ok: 1 steps in ")


@pytest.mark.parametrize("key,query,cred", [
    ("udp4", "udp", "password"), ("udp6", "udp", "secret"),
    ("tcp4", "tcp", "password"), ("tcp6", "tcp", "secret"),
    ("tls4", "tls", "password"), ("tls4", "tls", "secret"),
])
def test_turn_relay_round_trip(lab, key, query, cred):
    creds = (["--user", "alice", "--password", ALICE_PW] if cred == "password"
             else ["--secret-file", lab.secret_file])
    extra = ["--ca", lab.cert] if query == "tls" else []
    out = probe(f"turn:{where(lab, key)}?transport={query}", *creds, *extra)
    assert out.returncode == 0, out.stdout + out.stderr
    prefix = f"turn {query} {where(lab, key)} "
    expected = (["connect"] if query != "udp" else []) + TURN_STEPS
    got = steps(out)
    assert list(got) == [prefix + s for s in expected], out.stdout
    assert all(status == "ok" for status, _ in got.values()), out.stdout
    assert re.match(r"relay 127\.0\.0\.1:(\d+), realm \"icegate.test\"$",
                    got[prefix + "allocate"][1]), out.stdout
    relays = {re.match(r"relay ([^,]+),", got[prefix + s][1]).group(1)
              for s in ("allocate", "allocate 2")}
    assert len(relays) == 2, relays
    if query == "tls":
        assert "certificate verified" in got[prefix + "connect"][1], out.stdout
    # Both allocations were ended by the zero-lifetime Refresh, not left to expire.
    user = "alice" if cred == "password" else ":icegate-probe"
    for relay in relays:
        assert lab.log_lines("allocation ended", user, f"relay={relay}", "reason=refresh-0",
                             timeout=3), (relay, lab.output()[-3000:])


def test_turns_uri_and_insecure(lab):
    out = probe(f"turns:{where(lab, 'tls6')}", "--secret-file", lab.secret_file, "--insecure")
    assert out.returncode == 0, out.stdout + out.stderr
    got = steps(out)
    assert "not checked (--insecure)" in got[f"turn tls {where(lab, 'tls6')} connect"][1]


def test_tls_self_signed_needs_trust(lab):
    out = probe(f"turn:{where(lab, 'tls4')}?transport=tls", "--user", "alice",
                "--password", ALICE_PW)
    assert out.returncode == 1, out.stdout + out.stderr
    got = steps(out)
    status, detail = got[f"turn tls {where(lab, 'tls4')} connect"]
    assert status == "FAIL" and "certificate not trusted" in detail, detail
    assert "--insecure" in detail
    assert len(got) == 1, "nothing runs after a failed connect"


def test_wrong_password_names_401(lab):
    out = probe(f"turn:{where(lab, 'udp4')}", "--user", "alice", "--password", "wrong")
    assert out.returncode == 1, out.stdout + out.stderr
    got = steps(out)
    status, detail = got[f"turn udp {where(lab, 'udp4')} allocate"]
    assert status == "FAIL" and "401 Unauthorized" in detail, detail
    assert "wrong user name, password or secret" in detail
    assert got[f"turn udp {where(lab, 'udp4')} binding"][0] == "ok"
    assert out.stdout.splitlines()[-1].startswith("probe FAILED: 1 of 2 steps failed")


def test_json_shape(lab):
    out = probe(f"turn:{where(lab, 'udp4')}", "--secret-file", lab.secret_file, "--json",
                "--timeout", "4s")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("\n") == 1, "one line"
    doc = json.loads(out.stdout)
    assert list(doc) == ["ok", "ms", "timeout_ms", "steps"]
    assert doc["ok"] is True and doc["timeout_ms"] == 4000
    assert 0 < doc["ms"] < 4000
    assert [s["name"] for s in doc["steps"]] == [
        f"turn udp {where(lab, 'udp4')} {s}" for s in TURN_STEPS]
    for s in doc["steps"]:
        assert list(s) == ["name", "ok", "ms", "detail"], s
        assert s["ok"] is True and isinstance(s["ms"], (int, float)) and s["ms"] >= 0
        assert isinstance(s["detail"], str) and s["detail"]

    bad = probe(f"turn:{where(lab, 'udp4')}", "--user", "alice", "--password", "x", "--json")
    assert bad.returncode == 1
    doc = json.loads(bad.stdout)
    assert doc["ok"] is False and doc["steps"][-1]["ok"] is False
    assert "401" in doc["steps"][-1]["detail"]


@pytest.mark.parametrize("uri", [
    "stun:127.0.0.1:{udp}",
    "turn:127.0.0.1:{tcp}?transport=tcp",
    "turns:127.0.0.1:{tcp}",
    "wss://127.0.0.1:{tcp}/ws",
])
def test_dead_server_fails_fast(uri):
    target = uri.format(udp=closed_port(), tcp=closed_port(socket.SOCK_STREAM))
    creds = ["--user", "u", "--password", "p"] if target.startswith("turn") else []
    out = probe(target, *creds, "--timeout", "3s", "--json")
    assert out.returncode == 1, out.stdout + out.stderr
    doc = json.loads(out.stdout)
    assert doc["ok"] is False and len(doc["steps"]) == 1, doc
    assert "connection refused" in doc["steps"][0]["detail"], doc
    # Within the timeout as the probe measures it; the wall clock adds process start-up.
    assert doc["ms"] < 3000, doc
    assert out.elapsed < 3.0 + 5.0, out.elapsed


def test_silent_server_fails_at_the_timeout():
    """A UDP port that takes datagrams and never answers: Binding is retransmitted until the
    deadline, then the step fails and the command ends."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        port = sink.getsockname()[1]
        out = probe(f"stun:127.0.0.1:{port}", "--timeout", "1500ms", "--json")
        sink.settimeout(0.5)
        requests = 0
        try:
            while True:
                sink.recv(2048)
                requests += 1
        except (socket.timeout, TimeoutError):
            pass
    assert out.returncode == 1, out.stdout + out.stderr
    doc = json.loads(out.stdout)
    assert doc["ok"] is False
    assert doc["steps"][0]["detail"] == "no Binding response within the timeout", doc
    assert 1.4 <= out.elapsed < 1.5 + 5.0, out.elapsed
    assert 1400 <= doc["steps"][0]["ms"] < 1500 + 5000, doc
    assert requests >= 2, "retransmitted (500 ms, then 1 s)"


def test_wss_join_and_leave(signal_server):
    out = probe(f"wss://127.0.0.1:{signal_server.https}/ws", "--insecure")
    assert out.returncode == 0, out.stdout + out.stderr
    prefix = f"wss 127.0.0.1:{signal_server.https}/ws "
    got = steps(out)
    assert list(got) == [prefix + s for s in ("connect", "join", "leave")], out.stdout
    assert "WebSocket upgraded (Origin https://127.0.0.1:" in got[prefix + "connect"][1]
    room = re.match(r"joined room (icegate-probe-[0-9a-f]{16})$", got[prefix + "join"][1])
    assert room, got[prefix + "join"]
    assert got[prefix + "leave"][1] == "left room, pong, closed"


def test_wss_refused_origin(start_signal_server):
    with start_signal_server(http="  allowed_origins: [https://meet.example.org]\n") as s:
        out = probe(f"wss://127.0.0.1:{s.https}/ws", "--insecure")
        assert out.returncode == 1, out.stdout
        assert "HTTP 403" in out.stdout and "--origin" in out.stdout, out.stdout
        ok = probe(f"wss://127.0.0.1:{s.https}/ws", "--insecure",
                   "--origin", "https://meet.example.org")
        assert ok.returncode == 0, ok.stdout + ok.stderr


def free_ports(count):
    """`count` loopback ports free for both TCP and UDP right now."""
    first, _ = free_port_range(count, lo=30000, hi=32000)
    return list(range(first, first + count))


def config_lab(start_icegate, auth, extra=""):
    udp, tcp, tls, https = free_ports(4)
    relay = free_port_range(20)
    body = textwrap.dedent(f"""\
        relay:
          address: 127.0.0.1
          ports: {relay[0]}-{relay[1]}
        http:
          listen: 127.0.0.1:{https}
        """) + textwrap.dedent(auth) + extra
    listen = [f"udp://0.0.0.0:{udp}", f"tcp://127.0.0.1:{tcp}", f"tls://127.0.0.1:{tls}",
              "udp://[::1]:0"]
    return start_icegate(body, listen=listen, drain=True), (udp, tcp, tls, https)


def test_config_probes_every_listener(start_icegate):
    """-c: the config's REST secret, its certificate as the pin, a join token minted with its
    join_secret; 0.0.0.0 probed on 127.0.0.1; a port-0 listener skipped."""
    server, (udp, tcp, tls, https) = config_lab(
        start_icegate, users_yaml(), "signal:\n  join_secret: probe-join-secret-1\n")
    with server as s:
        out = probe("-c", str(s.config))
        assert out.returncode == 0, out.stdout + out.stderr
        got = steps(out)
        for label, transport_steps in (
                (f"turn udp 127.0.0.1:{udp}", TURN_STEPS),
                (f"turn tcp 127.0.0.1:{tcp}", ["connect"] + TURN_STEPS),
                (f"turn tls 127.0.0.1:{tls}", ["connect"] + TURN_STEPS),
                (f"wss 127.0.0.1:{https}/ws", ["connect", "join", "leave"])):
            for step in transport_steps:
                assert got.get(f"{label} {step}", ("missing",))[0] == "ok", (label, step,
                                                                             out.stdout)
        assert "SPKI pin" in got[f"turn tls 127.0.0.1:{tls} connect"][1]
        assert "SPKI pin" in got[f"wss 127.0.0.1:{https}/ws connect"][1]
        assert got["turn udp [::1]:0 probe"][0] == "skip"
        assert s.log_lines("allocation created", ":icegate-probe", timeout=3)


def test_config_with_stored_user_key(start_icegate):
    """A config with users only: the stored MD5 key signs the requests, no password needed."""
    auth = f"auth:\n  users:\n    - name: bob\n      key: {md5_hex('bob', REALM, 'bob-pw')}\n"
    server, (udp, _, _, _) = config_lab(start_icegate, auth)
    with server as s:
        out = probe("-c", str(s.config), "--json")
        assert out.returncode == 0, out.stdout + out.stderr
        doc = json.loads(out.stdout)
        names = [x["name"] for x in doc["steps"]]
        assert f"turn udp 127.0.0.1:{udp} relay round trip" in names
        assert s.log_lines("allocation created", "user=bob", timeout=3)


def test_config_without_credentials_skips_turn(start_icegate):
    server, (udp, _, _, _) = config_lab(start_icegate, "")
    with server as s:
        out = probe("-c", str(s.config))
        got = steps(out)
        assert got[f"turn udp 127.0.0.1:{udp} binding"][0] == "ok"
        status, detail = got[f"turn udp 127.0.0.1:{udp} allocate"]
        assert status == "skip" and "no auth.secrets or auth.users" in detail
        # http.listen without secrets: the WebSocket check still runs and passes.
        assert out.returncode == 0, out.stdout + out.stderr


def md5_hex(name, realm, password):
    import hashlib
    return hashlib.md5(f"{name}:{realm}:{password}".encode()).hexdigest()


@pytest.mark.parametrize("args,message", [
    (["turn:127.0.0.1"], "needs --user U --password P or --secret-file F"),
    (["http://127.0.0.1"], "expected stun:"),
    (["stun:127.0.0.1", "-c", "x.yaml"], "not both"),
    ([], "missing the target"),
    (["stun:127.0.0.1", "--timeout", "5m"], "--timeout"),
    (["stun:127.0.0.1", "--user", "a"], "--user and --password go together"),
    (["stun:127.0.0.1", "stun:127.0.0.2"], "unexpected argument"),
])
def test_usage_errors_exit_2(args, message):
    out = probe(*args)
    assert out.returncode == 2, out
    assert message in out.stderr, out.stderr
    assert "usage: icegate probe" in out.stderr


def test_help_lists_probe():
    out = run_cli("help")
    assert out.returncode == 0 and "probe TARGET|-c FILE" in out.stdout
    out = probe("--help")
    assert out.returncode == 0 and "turn:HOST[:PORT][?transport=udp|tcp|tls]" in out.stdout


def test_missing_config_exits_1():
    out = probe("-c", "/nonexistent/icegate.yaml")
    assert out.returncode == 1 and "icegate probe:" in out.stderr, out


def test_config_with_only_port_0_listeners_probed_nothing(start_icegate):
    """Every listener skipped is not a pass: exit 1 and the verdict says so."""
    with start_icegate("") as s:
        out = probe("-c", str(s.config))
        assert out.returncode == 1, out.stdout
        assert all(status == "skip" for status, _ in steps(out).values()), out.stdout
        assert out.stdout.splitlines()[-1].startswith("probe FAILED: nothing was probed")
