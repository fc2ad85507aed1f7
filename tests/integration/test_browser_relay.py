"""Browser interop: Debian's headless Chromium relays video and a data channel through icegate.

Starts the real binary on UDP/TCP/TLS port 0 with a static user and runs
tests/e2e/relay_test.mjs (playwright-core driving /usr/bin/chromium): two RTCPeerConnections in
one page, relay-only, once per client transport. Needs `chromium` (Debian) and node + npm; the
npm dependencies come from tests/e2e/package-lock.json (`npm ci`, run here when missing).
"""


from browser_tools import require_tools, run_e2e, spki_pin
from icegate_proc import Icegate

TIMEOUT_MS = 30000

CONFIG = """\
auth:
  users:
    - name: alice
      password: pass
peers:
  allow: [127.0.0.0/8]
relay:
  address: 127.0.0.1
"""


def test_chromium_relays_video_and_data(tmp_path):
    require_tools()
    listen = ["udp://127.0.0.1:0", "tcp://127.0.0.1:0", "tls://127.0.0.1:0"]
    with Icegate(extra_yaml=CONFIG, listen=listen) as server:
        spki = spki_pin(server.output())
        args = ["--udp", str(server.listening["udp4"][1]),
                "--tcp", str(server.listening["tcp4"][1]),
                "--tls", str(server.listening["tls4"][1]),
                "--spki", spki,
                "--user", "alice", "--password", "pass",
                "--timeout-ms", str(TIMEOUT_MS),
                "--out", str(tmp_path)]
        result = run_e2e("relay_test.mjs", args, server, tmp_path,
                         timeout=3 * TIMEOUT_MS / 1000 + 90)
        log = server.output()

    for transport in ("udp", "tcp", "tls"):
        r = result["transports"][transport]
        assert r["ok"], r["failures"]
        assert r["selected"]["pc1"]["local"]["relayProtocol"] == transport
        assert r["video"]["framesDecoded"] >= 30
        assert r["data"]["sentSha256"] == r["data"]["receivedSha256"]

    created = [line for line in log.splitlines() if "allocation created" in line]
    # Each transport's two peer connections allocate at least once each.
    assert len(created) >= 6, "expected >= 6 allocations in the log:\n" + log
    assert all("user=alice" in line for line in created), "\n".join(created)
