"""The admin commands: `icegate user key|add|remove|list` and `icegate credential`."""
import base64
import hashlib
import hmac
import json
import os
import pty
import re
import select
import signal
import stat
import termios
import subprocess
import time

import pytest
import yaml

from icegate_proc import BINARY, ROOT, run_cli as run


def md5_key(name, realm, password):
    return hashlib.md5(f"{name}:{realm}:{password}".encode()).hexdigest()


def sha256_key(name, realm, password):
    return hashlib.sha256(f"{name}:{realm}:{password}".encode()).hexdigest()


def rest_password(secret, username):
    mac = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


@pytest.mark.parametrize("name,realm,password", [
    ("alice", "icegate.test", "hunter2"),
    ("jos\u00e9", "example.org", "p\u00e4ss word with spaces"),
])
def test_user_key_matches_hashlib(name, realm, password):
    out = run("user", "key", name, realm, stdin=password + "\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout == md5_key(name, realm, password) + "\n"
    assert password not in out.stdout + out.stderr


def test_user_key_sha256_and_no_trailing_newline():
    out = run("user", "key", "alice", "icegate.test", "--sha256", stdin="hunter2")
    assert out.returncode == 0, out.stderr
    assert yaml.safe_load(out.stdout) == {
        "key": md5_key("alice", "icegate.test", "hunter2"),
        "key_sha256": sha256_key("alice", "icegate.test", "hunter2"),
    }


def test_user_key_on_a_terminal_prompts_without_echo():
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([BINARY, "user", "key", "alice", "r"], stdin=slave,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.close(slave)
        slave = -1
        prompt = b""
        deadline = time.monotonic() + 10
        while b"Password" not in prompt and time.monotonic() < deadline:
            if select.select([proc.stderr], [], [], 0.5)[0]:
                prompt += os.read(proc.stderr.fileno(), 1024)
        assert b"Password for alice" in prompt
        os.write(master, b"hunter2\n")
        stdout, _ = proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert stdout.decode() == md5_key("alice", "r", "hunter2") + "\n"
        echoed = b""
        while select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 1024)
            except OSError:
                break
            if not chunk:
                break
            echoed += chunk
        assert b"hunter2" not in echoed
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)


def test_ctrl_c_at_the_prompt_restores_echo():
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([BINARY, "user", "key", "alice", "r"], stdin=slave,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        prompt = b""
        deadline = time.monotonic() + 10
        while b"Password" not in prompt and time.monotonic() < deadline:
            if select.select([proc.stderr], [], [], 0.5)[0]:
                prompt += os.read(proc.stderr.fileno(), 1024)
        assert b"Password" in prompt
        assert not termios.tcgetattr(slave)[3] & termios.ECHO
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGINT
        assert termios.tcgetattr(slave)[3] & termios.ECHO
    finally:
        os.close(master)
        os.close(slave)


def test_user_add_then_check_config(tmp_path, config_file):
    users = tmp_path / "users.yaml"
    for name, password in [("alice", "pw-alice"), ("bob", "pw-bob")]:
        out = run("user", "add", name, "--file", str(users), "--realm", "icegate.test",
                  stdin=password + "\n")
        assert out.returncode == 0, out.stderr
        assert f'added user "{name}"' in out.stderr
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    text = users.read_text()
    assert "pw-alice" not in text and "pw-bob" not in text and "password:" not in text
    assert yaml.safe_load(text)["users"] == [
        {"name": n, "key": md5_key(n, "icegate.test", p), "key_sha256": sha256_key(
            n, "icegate.test", p)} for n, p in [("alice", "pw-alice"), ("bob", "pw-bob")]]

    cfg = config_file("""\
        realm: icegate.test
        listen: [udp://127.0.0.1:0]
        auth:
          users_file: users.yaml
        """)
    out = run("check-config", "-c", str(cfg))
    assert out.returncode == 0, out.stderr
    assert "2 user(s) loaded" in out.stdout
    for key in (md5_key("alice", "icegate.test", "pw-alice"),
                sha256_key("alice", "icegate.test", "pw-alice")):
        assert key not in out.stdout + out.stderr


def test_user_add_replaces_an_existing_name(tmp_path):
    users = tmp_path / "users.yaml"
    run("user", "add", "alice", "--file", str(users), "--realm", "r", stdin="old\n")
    out = run("user", "add", "alice", "--file", str(users), "--realm", "r", stdin="new\n")
    assert out.returncode == 0, out.stderr
    assert "replaced" in out.stderr
    entries = yaml.safe_load(users.read_text())["users"]
    assert [e["name"] for e in entries] == ["alice"]
    assert entries[0]["key"] == md5_key("alice", "r", "new")


def test_user_add_takes_the_realm_from_the_config(tmp_path, config_file):
    cfg = config_file("realm: from-config.test\n")
    users = tmp_path / "users.yaml"
    out = run("user", "add", "carol", "--file", str(users), "-c", str(cfg), stdin="pw\n")
    assert out.returncode == 0, out.stderr
    assert 'realm "from-config.test"' in out.stderr
    entry = yaml.safe_load(users.read_text())["users"][0]
    assert entry["key"] == md5_key("carol", "from-config.test", "pw")


def test_user_add_without_realm_uses_the_default_config(tmp_path):
    # PyYAML (YAML 1.1) cannot read that file's IPv6 CIDRs in flow lists; the realm is simple.
    realm = re.search(r"^realm:\s*(\S+)", (ROOT / "conf" / "icegate.yaml").read_text(),
                      re.M).group(1)
    users = tmp_path / "users.yaml"
    out = run("user", "add", "dave", "--file", str(users), stdin="pw\n")
    # Only a binary in its build tree reads conf/icegate.yaml; a copy elsewhere (installed)
    # reads /etc/icegate/icegate.yaml alone, never the source tree's development config.
    if not os.path.realpath(BINARY).startswith(os.path.realpath(ROOT) + os.sep):
        if os.path.exists("/etc/icegate/icegate.yaml"):
            pytest.skip("an installed binary reads this machine's /etc/icegate/icegate.yaml")
        assert out.returncode == 2, out.stderr
        assert "/etc/icegate/icegate.yaml" in out.stderr and "conf/" not in out.stderr
        return
    assert out.returncode == 0, out.stderr
    assert f'realm "{realm}"' in out.stderr
    assert yaml.safe_load(users.read_text())["users"][0]["key"] == md5_key("dave", realm, "pw")


def test_user_remove_and_list(tmp_path):
    users = tmp_path / "users.yaml"
    for name in ("alice", "bob", "carol"):
        run("user", "add", name, "--file", str(users), "--realm", "r", stdin="pw\n")
    out = run("user", "list", "--file", str(users))
    assert out.returncode == 0, out.stderr
    assert out.stdout == "alice\nbob\ncarol\n"
    assert md5_key("alice", "r", "pw") not in out.stdout

    out = run("user", "remove", "bob", "--file", str(users))
    assert out.returncode == 0, out.stderr
    assert run("user", "list", "--file", str(users)).stdout == "alice\ncarol\n"

    out = run("user", "remove", "bob", "--file", str(users))
    assert out.returncode == 1
    assert 'no user "bob"' in out.stderr
    out = run("user", "list", "--file", str(tmp_path / "missing.yaml"))
    assert out.returncode == 1 and "does not exist" in out.stderr
    # No temporary file left; the lock file of `user add|remove` stays (removing it would race).
    assert sorted(p.name for p in tmp_path.iterdir()) == [".users.yaml.lock", "users.yaml"]


def test_user_add_refuses_a_broken_file(tmp_path):
    users = tmp_path / "users.yaml"
    users.write_text("users:\n  - name: a\n    kee: 0123\n")
    out = run("user", "add", "b", "--file", str(users), "--realm", "r", stdin="pw\n")
    assert out.returncode == 1
    assert "users.yaml:3" in out.stderr and "kee" in out.stderr
    assert users.read_text() == "users:\n  - name: a\n    kee: 0123\n"


@pytest.mark.parametrize("args", [
    ["user"],
    ["user", "frobnicate"],
    ["user", "key", "alice"],
    ["user", "key", "alice", "r", "extra"],
    ["user", "key", "a\tb", "r"],
    ["user", "add", "alice"],
    ["user", "add", "", "--file", "u.yaml", "--realm", "r"],
    ["user", "add", "alice", "--file", "u.yaml", "--realm", "r", "-c", "c.yaml"],
    ["user", "add", "alice", "--file", "u.yaml", "--bogus"],
    ["user", "list"],
    ["credential"],
    ["credential", "--secret", "s"],
    ["credential", "--user", "u"],
    ["credential", "--secret", "s", "--secret-file", "f", "--user", "u"],
    ["credential", "--secret", "s", "--user", "u", "--ttl", "10x"],
    ["credential", "--secret", "s", "--user", "u", "--ttl", "0s"],
    ["credential", "--secret", "s", "--user", "u", "--ttl"],
])
def test_usage_errors_exit_2(tmp_path, args):
    out = run(*args, stdin="pw\n", cwd=tmp_path)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "usage: icegate" in out.stderr
    assert list(tmp_path.iterdir()) == []


def test_empty_password_exits_1(tmp_path):
    out = run("user", "key", "alice", "r", stdin="\n")
    assert out.returncode == 1 and "empty" in out.stderr
    out = run("user", "add", "alice", "--file", str(tmp_path / "u.yaml"), "--realm", "r")
    assert out.returncode == 1 and "no password" in out.stderr
    assert not (tmp_path / "u.yaml").exists()


def test_help_lists_the_admin_commands():
    out = run("--help")
    assert "user add" in out.stdout and "credential" in out.stdout
    for cmd in (["user", "--help"], ["credential", "--help"], ["user", "add", "-h"]):
        out = run(*cmd)
        assert out.returncode == 0 and out.stdout.startswith("usage: icegate")


def test_credential_json(tmp_path, config_file):
    secret = tmp_path / "secret"
    secret.write_text("  s3cret-value \nsecond line is ignored\n")
    cfg = config_file("""\
        listen:
          - udp://127.0.0.1:3478
          - tcp://0.0.0.0:3478
          - udp://[::]:3478
          - tls://[::1]:5349
        """)
    before = int(time.time())
    out = run("credential", "--secret-file", str(secret), "--user", "alice", "--ttl", "1h",
              "-c", str(cfg))
    after = int(time.time())
    assert out.returncode == 0, out.stderr
    cred = json.loads(out.stdout)
    assert list(cred) == ["username", "password", "ttl", "uris"]
    expiry, user = cred["username"].split(":", 1)
    assert user == "alice"
    assert before + 3600 <= int(expiry) <= after + 3600
    assert cred["password"] == rest_password("s3cret-value", cred["username"])
    assert cred["ttl"] == 3600
    assert cred["uris"] == [
        "turn:127.0.0.1:3478?transport=udp",
        "turn:127.0.0.1:3478?transport=tcp",
        "turn:[::1]:3478?transport=udp",
        "turns:[::1]:5349?transport=tcp",
    ]
    assert "s3cret-value" not in out.stderr


def test_credential_public_host_and_config_ttl(config_file):
    cfg = config_file("""\
        listen: [udp://0.0.0.0:3478, tls://0.0.0.0:5349]
        auth: {credential_ttl: 5m}
        http: {public_host: turn.example.org}
        """)
    out = run("credential", "--secret", "inline", "--user", "bob", "-c", str(cfg))
    assert out.returncode == 0, out.stderr
    assert "shell history" in out.stderr
    cred = json.loads(out.stdout)
    assert cred["ttl"] == 300
    assert cred["password"] == rest_password("inline", cred["username"])
    assert cred["uris"] == ["turn:turn.example.org:3478?transport=udp",
                            "turns:turn.example.org:5349?transport=tcp"]


def test_credential_missing_secret_file_exits_1(tmp_path):
    missing = tmp_path / "no-such-secret"
    out = run("credential", "--secret-file", str(missing), "--user", "alice")
    assert out.returncode == 1
    assert str(missing) in out.stderr and "No such file" in out.stderr
    assert out.stdout == ""


def test_credential_empty_secret_file_exits_1(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("\n")
    out = run("credential", "--secret-file", str(secret), "--user", "alice")
    assert out.returncode == 1 and "empty" in out.stderr
