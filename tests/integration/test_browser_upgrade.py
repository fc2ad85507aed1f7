"""A relayed browser call held through a binary upgrade (docs/operations.md, Upgrade): SIGUSR2
makes icegate start its successor on the same ports, which takes every new connection and UDP
flow while the old process keeps relaying what it has, sends its WebSockets goaway, and exits.

Two headless Chromium pages (tests/e2e/upgrade_test.mjs) call relay-only through icegate on
fixed ports (the successor binds them again). During the upgrade, and for 3 s after the old
process exited, each page must keep decoding video (no stall over 1 s, also on the old relay
until the move), keep its RTCPeerConnection (never failed), resume its signaling session, keep
its chat log, and move its selected pair onto a relay allocated by the successor (the web client
restarts ICE after a goaway's resume). The old process must exit 0.
"""
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest

from browser_tools import E2E, require_tools, run_e2e, spki_pin
from icegate_proc import ROOT, Icegate, children, end_pid, free_port_range, pid_gone, successor_pid

GRACE_S = 20
TIMEOUT_MS = 30000
WAIT_MS = (GRACE_S + 40) * 1000   # the script's bound on the old process's exit
AFTER_MS = 3000                   # sampled on after it exited
# A held call shows no second without a frame (as in test_browser_reload.py); a lost handover
# stalls for the goaway's reconnect delay (1 to 1.5 s) and the ICE restart after it.
MAX_STALL_MS = 1000


def config(https, relay_ports):
    return f"""\
http:
  listen: 127.0.0.1:{https}
  web_root: {ROOT / "web"}
auth:
  secrets: [e2e-secret]
peers:
  allow: [127.0.0.0/8]
relay:
  address: 127.0.0.1
  ports: {relay_ports[0]}-{relay_ports[1]}
shutdown:
  grace: {GRACE_S}s
"""


class Service:
    """What run_e2e checks on: the old process's output (the successor inherited its stdout),
    and whichever process serves now."""

    def __init__(self, server):
        self.server = server
        self.successor = None

    def output(self):
        return self.server.output()

    def alive(self):
        if self.successor is not None:
            return not pid_gone(self.successor)
        return self.server.alive()


def wait_file(path, timeout, runner, server):
    """Waits for `path` while the script runs; False if the script ended first or time ran out.
    Reads the server's output meanwhile (the pipe must not fill)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and runner.is_alive():
        if path.exists():
            return True
        server.output()
        time.sleep(0.1)
    return path.exists()


def test_web_client_moves_its_calls_after_goaway():
    """web/peer.js under Node with a fake RTCPeerConnection and clock (tests/e2e): after a
    goaway's resume a connected path restarts ICE on the same connection once the peer is
    back, by the impolite side, the polite one only when no restart offer came."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is a test dependency (`make test-deps`)", pytrace=False)
    done = subprocess.run([node, str(E2E / "peer_move_test.mjs")], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and '"ok":true' in done.stdout, done.stdout + done.stderr


def test_relayed_call_survives_an_upgrade(tmp_path):
    require_tools()
    # Fixed ports, below relay.ports and the ephemeral range: the successor binds them again.
    first, _ = free_port_range(4, lo=10000, hi=16000)
    udp, tcp, tls, https = range(first, first + 4)
    relay_ports = free_port_range(40)
    listen = [f"udp://127.0.0.1:{udp}", f"tcp://127.0.0.1:{tcp}", f"tls://127.0.0.1:{tls}"]
    ready, done = tmp_path / "ready", tmp_path / "done"
    with Icegate(extra_yaml=config(https, relay_ports), listen=listen) as server:
        old_pid = server.proc.pid
        service = Service(server)
        spki = spki_pin(server.output())
        args = ["--url", f"https://127.0.0.1:{https}/", "--spki", spki,
                "--timeout-ms", str(TIMEOUT_MS), "--wait-ms", str(WAIT_MS),
                "--after-ms", str(AFTER_MS), "--max-stall-ms", str(MAX_STALL_MS),
                "--ready-file", str(ready), "--done-file", str(done), "--out", str(tmp_path)]
        result, failed = {}, []

        def browse():
            try:
                result.update(run_e2e("upgrade_test.mjs", args, service, tmp_path,
                                      timeout=(4 * TIMEOUT_MS + WAIT_MS + AFTER_MS) / 1000 + 120))
            except BaseException as e:  # noqa: B036 - handed to the test's thread below
                failed.append(e)

        runner = threading.Thread(target=browse)
        runner.start()
        timings, mark = {}, None
        try:
            if wait_file(ready, 4 * TIMEOUT_MS / 1000 + 60, runner, server):
                mark = len(server.output())
                t0 = time.monotonic()
                os.kill(old_pid, signal.SIGUSR2)
                service.successor = successor_pid(server)
                timings["successor_s"] = time.monotonic() - t0
                try:
                    code = server.proc.wait(GRACE_S + 20)
                except subprocess.TimeoutExpired:
                    code = None
                timings["old_exit_s"] = time.monotonic() - t0
                done.write_text("done\n")
                runner.join((WAIT_MS + AFTER_MS) / 1000 + 3 * TIMEOUT_MS / 1000 + 60)
                assert code == 0, f"old process: exit {code}:\n" + server.output()[mark:]
        finally:
            done.write_text("done\n")  # the script stops waiting whatever happened here
            runner.join(4 * TIMEOUT_MS / 1000 + 120)
            for pid in {service.successor, *children(old_pid)} - {None}:
                timings[f"successor {pid} went on SIGTERM"] = end_pid(pid)
            print("timings:", timings)
        log = server.output()
        if failed:
            raise failed[0]
        assert mark is not None, "the call never got ready:\n" + log

    call = result["call"]
    assert call["ok"], call["failures"]
    assert result["problems"] == []
    after_mark = log[mark:]
    assert re.search(r"listening on https://127\.0\.0\.1:%d" % https, after_mark), after_mark
    created = re.findall(r"allocation created: .*relay=127\.0\.0\.1:(\d+)", after_mark)
    for label, page in call["pages"].items():
        assert page["maxStallMs"] <= MAX_STALL_MS, (label, page)
        assert page["connections"] == 1 and "failed" not in page["states"], (label, page)
        assert page["before"].startswith("relay/") and page["after"].startswith("relay/")
        assert page["before"] != page["after"], (label, page)
        # The new relay is an allocation made after the upgrade began: the successor's.
        assert page["after"].rsplit(":", 1)[1] in created, (label, page, created)
        assert page["session"]["before"] == page["session"]["after"], (label, page)
        assert page["session"]["joinsAfter"] > page["session"]["joinsBefore"], (label, page)
