"""A relayed browser call does not notice live reloads: Debian's headless Chromium holds a
relay-only call through icegate (tests/e2e/relay_test.mjs --hold-ms) over UDP and over TLS,
and while each is held the server reloads three times: a user added and another removed, the
certificate swapped, the peer policy and the log level changed. The call must stay connected
and keep decoding frames throughout (no second without a new frame)."""
import base64
import hashlib
import subprocess
import threading
import time

from browser_tools import require_tools, run_e2e
from icegate_proc import Icegate, Reloader, make_cert

HOLD_MS = 5000
TIMEOUT_MS = 30000


def spki_of(cert):
    pub = subprocess.run(["openssl", "x509", "-in", str(cert), "-pubkey", "-noout"],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub,
                         check=True, capture_output=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def config(live, users, peers_extra="", level="info"):
    user_lines = "".join(f"    - name: {u}\n      password: pass-{u}\n" for u in users)
    return (f"auth:\n  users:\n{user_lines}"
            f"peers:\n  allow: [127.0.0.0/8]\n{peers_extra}"
            f"relay:\n  address: 127.0.0.1\n"
            f"tls:\n  certificate: {live}/cert.pem\n  private_key: {live}/key.pem\n"
            f"log:\n  level: {level}\n")


def install(src, live):
    for name in ("cert.pem", "key.pem"):
        (live / name).write_bytes((src / name).read_bytes())
        (live / name).chmod(0o600)


def wait_for(path, timeout):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.05)


def test_relayed_call_survives_reloads(tmp_path):
    require_tools()
    first, second, live = tmp_path / "first", tmp_path / "second", tmp_path / "live"
    for d, name in ((first, "first.example"), (second, "second.example"), (live, None)):
        d.mkdir()
        if name:
            make_cert(d, name)
    install(first, live)
    pins = ",".join(spki_of(d / "cert.pem") for d in (first, second))
    extra = config(live, ["alice", "bob"])
    listen = ["udp://127.0.0.1:0", "tls://127.0.0.1:0"]
    with Icegate(extra_yaml=extra, listen=listen) as server:
        reload = Reloader(server, extra)
        ready = tmp_path / "ready"
        args = ["--udp", str(server.listening["udp4"][1]),
                "--tls", str(server.listening["tls4"][1]),
                "--spki", pins, "--user", "alice", "--password", "pass-alice",
                "--timeout-ms", str(TIMEOUT_MS), "--hold-ms", str(HOLD_MS),
                "--ready-file", str(ready), "--out", str(tmp_path)]
        result, failed = {}, []

        def browse():
            try:
                result.update(run_e2e("relay_test.mjs", args, server, tmp_path,
                                      timeout=2 * (TIMEOUT_MS + HOLD_MS) / 1000 + 90))
            except BaseException as e:  # noqa: B036 - handed to the test's thread below
                failed.append(e)

        runner = threading.Thread(target=browse)
        runner.start()
        try:
            for transport in ("udp", "tls"):
                wait_for(tmp_path / f"ready.{transport}", TIMEOUT_MS / 1000 + 60)
                time.sleep(0.5)
                reload(config(live, ["alice", "carol"]))           # bob out, carol in
                time.sleep(0.5)
                install(second if transport == "udp" else first, live)  # certificate renewed
                reload(config(live, ["alice", "carol"], level="debug"))
                time.sleep(0.5)
                reload(config(live, ["alice", "carol"],             # peer policy changed
                              peers_extra="  deny: [198.51.100.0/24]\n"))
        finally:
            runner.join()
        if failed:
            raise failed[0]
        log = server.output()

    assert result, "relay_test.mjs gave no result"
    for transport in ("udp", "tls"):
        r = result["transports"][transport]
        assert r["ok"], r["failures"]
        hold = r["hold"]
        assert hold[-1]["t"] - hold[0]["t"] >= HOLD_MS - 1500, hold
        assert hold[-1]["framesDecoded"] > hold[0]["framesDecoded"]
    assert log.count("reloaded") == 6, log
    assert "reload failed" not in log
