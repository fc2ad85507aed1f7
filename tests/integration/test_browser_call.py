"""Browser end-to-end: the web client (web/) served by icegate, calling itself relay-only.

Starts the real binary with STUN/TURN on UDP/TCP/TLS port 0, HTTPS (web client + /ws
signaling) on port 0 and a TURN REST secret, then runs tests/e2e/call_test.mjs: headless
Chromium (Debian's, driven by playwright-core) opens the page several times. Two pages join one
room with ?relay=1 and must connect through icegate's TURN (relay/relay selected pairs), decode
video both ways, exchange chat, move files with matching SHA-256, show a peer's mute, share a
screen (replaceTrack, frames keep decoding), draw on the shared whiteboard both ways and survive
a dropped signaling socket; three pages form a full mesh. Screenshots land in the test's tmp
dir; with ICEGATE_UPDATE_SCREENSHOT=1 the two-person call is copied to docs/img/call.png.
"""
import os
import re
import shutil


from browser_tools import require_tools, run_e2e, spki_pin
from icegate_proc import ROOT, Icegate

TIMEOUT_MS = 30000

CONFIG = f"""\
http:
  listen: 127.0.0.1:0
  web_root: {ROOT / "web"}
auth:
  secrets: [e2e-secret]
peers:
  allow: [127.0.0.0/8]
relay:
  address: 127.0.0.1
"""


def https_port(log):
    m = re.search(r"listening on https://127\.0\.0\.1:(\d+)", log)
    assert m, "icegate printed no 'listening on https://127.0.0.1:PORT' line:\n" + log
    return int(m.group(1))


def test_browser_call(tmp_path):
    require_tools()
    listen = ["udp://127.0.0.1:0", "tcp://127.0.0.1:0", "tls://127.0.0.1:0"]
    with Icegate(extra_yaml=CONFIG, listen=listen) as server:
        startup = server.output()
        spki = spki_pin(startup)
        url = f"https://127.0.0.1:{https_port(startup)}/"
        args = ["--url", url, "--spki", spki, "--timeout-ms", str(TIMEOUT_MS), "--out", str(tmp_path)]
        result = run_e2e("call_test.mjs", args, server, tmp_path,
                         timeout=8 * TIMEOUT_MS / 1000 + 120)
        log = server.output()

    call = result["scenarios"]["call"]
    assert call["ok"], call["failures"]
    for side in ("a", "b"):
        for peer in call["stats"][side].values():
            assert peer["local"]["candidateType"] == "relay"
            assert peer["remote"]["candidateType"] == "relay"
            assert peer["video"]["framesDecoded"] >= 30
    for f in call["files"]:
        assert f["received"]["status"] == "verified"
        assert f["received"]["actualSha256"] == f["sha256"]
    mesh = result["scenarios"]["mesh"]
    assert mesh["ok"], mesh["failures"]
    assert len(mesh["pairs"]) == 3 and all(len(p) == 2 for p in mesh["pairs"].values())
    assert result["problems"] == []

    # Relay-only calls allocate on icegate, with REST usernames ("expiry:name").
    created = [line for line in log.splitlines() if "allocation created" in line]
    assert len(created) >= 4, "expected >= 4 allocations in the log:\n" + log

    shots = {os.path.basename(p) for p in result["screenshots"]}
    assert {"call-a.png", "call-b.png", "mesh-m1.png", "mesh-m2.png", "mesh-m3.png"} <= shots
    if os.environ.get("ICEGATE_UPDATE_SCREENSHOT") == "1":
        dest = ROOT / "docs" / "img" / "call.png"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp_path / "call-b.png", dest)
