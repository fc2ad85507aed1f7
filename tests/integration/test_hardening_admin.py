"""Hardening of the admin side: concurrent `icegate user add|remove` serialized by a lock (no
user lost), a TLS private key open to others warned about (check-config and serve), and a
join token with a `crit` header refused (RFC 7515 section 4.1.11)."""
import asyncio
import fcntl
import hashlib
import hmac
import json
import os
import subprocess
import textwrap
import threading
import time

import yaml

from icegate_proc import BINARY, Icegate
from ws_client import Clients, b64url, https_request, jwt_hs256

ROUNDS = 3  # each concurrency test repeats its race: one lucky interleaving proves little


def run(*args, stdin="", **kw):
    return subprocess.run([BINARY, *args], input=stdin, capture_output=True, text=True,
                          timeout=60, **kw)


def start(*args):
    """An icegate admin process waiting for its password on stdin."""
    return subprocess.Popen([BINARY, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish_all(procs, stdin="pw\n", timeout=60):
    """Releases every process at once (each already loaded the file and waits for its password)
    and collects (returncode, stderr) in order."""
    for p in procs:
        p.stdin.write(stdin)
    for p in procs:
        p.stdin.close()
    results = []
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            p.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        results.append((p.returncode, p.stderr.read()))
        p.stdout.close()
        p.stderr.close()
    return results


def listed(users):
    out = run("user", "list", "--file", str(users))
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


# ---- (7) concurrent user add / remove -------------------------------------------------------

def test_twenty_concurrent_adds_keep_all_twenty(tmp_path):
    for rnd in range(ROUNDS):
        users = tmp_path / f"users{rnd}.yaml"
        names = [f"user{i:02d}" for i in range(20)]
        procs = [start("user", "add", n, "--file", str(users), "--realm", "r") for n in names]
        results = finish_all(procs)
        for name, (code, err) in zip(names, results):
            assert code == 0, f"{name}: {err}"
            assert f'added user "{name}"' in err
        assert sorted(listed(users)) == names, f"round {rnd}: users lost"
        entries = yaml.safe_load(users.read_text())["users"]
        for e in entries:  # each kept with its own keys, not another's
            assert e["key"] == hashlib.md5(f"{e['name']}:r:pw".encode()).hexdigest()
        assert oct(users.stat().st_mode & 0o777) == oct(0o600)
    # Only the users files and their lock files: no temporary file left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"users{r}.yaml" for r in range(ROUNDS)] + [f".users{r}.yaml.lock" for r in range(ROUNDS)])


def test_concurrent_adds_and_removes_lose_nothing(tmp_path):
    for rnd in range(ROUNDS):
        users = tmp_path / f"users{rnd}.yaml"
        old = [f"old{i:02d}" for i in range(10)]
        keep = [f"keep{i:02d}" for i in range(3)]
        for n in keep + old:
            out = run("user", "add", n, "--file", str(users), "--realm", "r", stdin="pw\n")
            assert out.returncode == 0, out.stderr
        new = [f"new{i:02d}" for i in range(10)]
        procs = []
        for o, n in zip(old, new):  # interleaved, so removes and adds race each other
            procs.append(start("user", "remove", o, "--file", str(users)))
            procs.append(start("user", "add", n, "--file", str(users), "--realm", "r"))
        results = finish_all(procs)
        for p, (code, err) in zip(procs, results):
            assert code == 0, f"{p.args}: {err}"
        assert sorted(listed(users)) == sorted(keep + new), f"round {rnd}"


def hold_lock(users):
    """Takes the same flock icegate takes, on the sidecar file; returns the open file."""
    f = open(users.parent / f".{users.name}.lock", "a+")
    fcntl.flock(f, fcntl.LOCK_EX)
    return f


def test_add_waits_for_a_held_lock_then_proceeds(tmp_path):
    users = tmp_path / "users.yaml"
    assert run("user", "add", "a", "--file", str(users), "--realm", "r",
               stdin="pw\n").returncode == 0
    lock = hold_lock(users)
    t0 = time.monotonic()
    threading.Timer(1.5, lock.close).start()  # closing releases the flock
    out = run("user", "add", "b", "--file", str(users), "--realm", "r", stdin="pw\n")
    took = time.monotonic() - t0
    assert out.returncode == 0, out.stderr
    assert took >= 1.4, f"did not wait for the lock ({took:.2f} s)"
    assert listed(users) == ["a", "b"]


def test_lock_wait_is_bounded_and_changes_nothing(tmp_path):
    users = tmp_path / "users.yaml"
    assert run("user", "add", "a", "--file", str(users), "--realm", "r",
               stdin="pw\n").returncode == 0
    before = users.read_bytes()
    lock = hold_lock(users)
    try:
        t0 = time.monotonic()
        procs = [start("user", "add", "b", "--file", str(users), "--realm", "r"),
                 start("user", "remove", "a", "--file", str(users))]
        results = finish_all(procs, timeout=120)
        took = time.monotonic() - t0
    finally:
        lock.close()
    for code, err in results:
        assert code == 1, err
        assert "has held the lock" in err and ".users.yaml.lock" in err, err
        assert "for over 30 s" in err and "nothing was changed" in err, err
    assert 29 <= took < 100, took  # both wait the bound (30 s), side by side
    assert users.read_bytes() == before


# ---- (8a) TLS private key readable by others ------------------------------------------------

def make_pair(folder):
    """A self-signed P-256 pair made by openssl, key written 0600."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=localhost"],
                   check=True, capture_output=True, timeout=30)
    os.chmod(key, 0o600)
    return cert, key


def check_config_with(tmp_path, tls_yaml):
    cfg = tmp_path / "icegate.yaml"
    cfg.write_text("realm: r\nstate_dir: ./state\nlisten: [tls://127.0.0.1:0]\n" + tls_yaml)
    return run("check-config", "-c", str(cfg))


def test_check_config_warns_about_an_open_private_key(tmp_path):
    cert, key = make_pair(tmp_path)
    tls_yaml = f"tls:\n  certificate: {cert}\n  private_key: {key}\n"
    out = check_config_with(tmp_path, tls_yaml)
    assert out.returncode == 0, out.stderr
    assert "private key" not in out.stderr, out.stderr  # 0600: nothing to say
    for mode, who in ((0o640, "its group"), (0o644, "its group and others"),
                      (0o604, "others")):
        os.chmod(key, mode)
        out = check_config_with(tmp_path, tls_yaml)
        assert out.returncode == 0, out.stderr  # a warning, not a refusal
        line = next((ln for ln in out.stderr.splitlines() if "private key" in ln), "")
        assert line.startswith("warning: tls: private key " + str(key)), out.stderr
        assert f"accessible to {who} (mode 0{mode:o})" in line, line
        assert f"chmod 600 {key}" in line, line


def test_check_config_warns_about_an_open_generated_key(tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    _, key = make_pair(state)  # where serve generates its pair
    assert "private key" not in check_config_with(tmp_path, "").stderr
    os.chmod(key, 0o644)
    out = check_config_with(tmp_path, "")
    assert f"warning: tls: private key {key} is accessible" in out.stderr, out.stderr


def test_serve_logs_a_warning_for_an_open_private_key(tmp_path):
    cert, key = make_pair(tmp_path)
    os.chmod(key, 0o644)
    tls_yaml = f"tls:\n  certificate: {cert}\n  private_key: {key}\n"
    with Icegate(extra_yaml=tls_yaml, listen=["tls://127.0.0.1:0"], workers=1) as s:
        out = s.output()
    line = next((ln for ln in out.splitlines() if "private key" in ln), "")
    assert "warn" in line.lower() and str(key) in line and f"chmod 600 {key}" in line, out
    assert "(mode 0644)" in line, line
    os.chmod(key, 0o600)
    with Icegate(extra_yaml=tls_yaml, listen=["tls://127.0.0.1:0"], workers=1) as s:
        out = s.output()
    assert "private key" not in out, out


def test_generated_key_is_private_and_not_warned_about():
    with Icegate(listen=["tls://127.0.0.1:0"], workers=1) as s:
        out = s.output()
        key = s.path / "state" / "key.pem"
        assert key.exists(), out
        assert oct(key.stat().st_mode & 0o777) == oct(0o600)
    assert "private key" not in out, out


# ---- (8b) join token with a crit header -----------------------------------------------------

JOIN_SECRET = "join-Secr3t-for-hardening"


def jwt_with_header(header, claims, secret=JOIN_SECRET):
    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(sig)}"


def test_join_token_with_crit_header_is_refused():
    yaml_text = textwrap.dedent(f"""\
        http:
          listen: 127.0.0.1:0
          ice_servers_api: token
        auth:
          secrets: [s3cret]
        signal:
          join_rate: 1000
          join_secret: {JOIN_SECRET}
        """)
    with Icegate(extra_yaml=yaml_text, workers=1) as s:
        port = s.listening["https4"][1]
        claims = {"room": "crit", "name": "Ann", "exp": int(time.time()) + 60}
        crit = jwt_with_header({"alg": "HS256", "typ": "JWT", "crit": ["exp"]}, claims)
        empty = jwt_with_header({"alg": "HS256", "crit": []}, claims)
        plain = jwt_hs256(claims, JOIN_SECRET)

        async def go():
            async with Clients(port) as cs:
                a = await cs.new()
                for i, tok in enumerate((crit, empty)):
                    await a.send({"type": "join", "room": "crit", "name": "Ann", "id": i,
                                  "token": tok})
                    await a.error("unauthorized", re=i,
                                  message="join token refused: unsupported crit header")
                await a.join("crit", "Ann", token=plain)  # same connection, same claims
        asyncio.run(asyncio.wait_for(go(), 30))

        for tok, want in ((crit, 401), (plain, 200)):
            status, _, _ = https_request(port, "GET", "/api/ice-servers",
                                         headers={"Authorization": "Bearer " + tok})
            assert status == want, (tok, status)
        assert s.alive(), s.output()
