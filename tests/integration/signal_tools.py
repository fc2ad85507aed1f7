"""What the signaling tests (test_signal_*.py) share: the config of a signaling server, the
secrets in it, and the checks of the iceServers list that joined, ice and /api/ice-servers
carry. conftest.py starts the servers (`signal_server`, `start_signal_server`, ...)."""
import contextlib
import re
import time

from icegate_proc import ROOT, running
from ws_client import jwt_hs256, rest_credential_ok

WEB = ROOT / "web"
SECRET = "s3cret"             # auth.secrets: TURN REST credentials in iceServers
JOIN_SECRET = "join-Secr3t-for-tests"
TTL = 600                     # auth.credential_ttl: 10m
SESSION_RE = re.compile(r"^[A-Za-z0-9_-]{22,}$")  # base64url, >= 128 bits
NO_STATE = {"audio": False, "video": False, "screen": False}


def config(signal="", http="", auth=f"  secrets: [{SECRET}]\n  credential_ttl: 10m\n",
           join_rate=100000, message_rate=1000, extra="", limits=""):
    """The YAML of a signaling server: HTTPS on 127.0.0.1 serving web/, generous rates.
    `signal`, `http`, `auth` and `limits` are indented lines for those sections; `extra` more
    sections."""
    # Every client here comes from 127.0.0.1: no per-address connection cap.
    return (f"http:\n  listen: 127.0.0.1:0\n  web_root: {WEB}\n{http}"
            f"limits:\n  connections_per_address: 0\n{limits}"
            f"auth:\n{auth}"
            f"signal:\n  join_rate: {join_rate}\n  message_rate: {message_rate}\n{signal}"
            f"{extra}")


@contextlib.contextmanager
def serving(**config_args):
    """An icegate (workers: 2, so a room's home worker and its members' workers differ) with
    config(**config_args); `.https` is its HTTPS port. Checked like start_icegate's."""
    # A join logs two lines: a thousand of them would fill the pipe, hence drain.
    with running(config(**config_args), workers=2, drain=True) as s:
        assert s.https is not None, "no 'listening on https://...' line:\n" + s.output()
        yield s


def token(room="tok", name="Tokened", exp=None, secret=JOIN_SECRET, **kw):
    """A join token (HS256 JWT) for `room`, valid for a minute unless `exp` says otherwise."""
    claims = {"room": room, "name": name, "exp": int(time.time()) + 60 if exp is None else exp}
    return jwt_hs256({**claims, **kw}, secret)


def expected_uris(server):
    """The URIs iceServers must list: the listeners of the log with their real ports."""
    out = set()
    for fam, host in (("4", "127.0.0.1"), ("6", "[::1]")):
        udp = server.listening["udp" + fam][1]
        tcp = server.listening["tcp" + fam][1]
        tls = server.listening["tls" + fam][1]
        out |= {f"stun:{host}:{udp}", f"turn:{host}:{udp}?transport=udp",
                f"turn:{host}:{tcp}?transport=tcp", f"turns:{host}:{tls}?transport=tcp"}
    return out


def check_ice_servers(servers, server, ttl=TTL, secret=SECRET):
    """RTCIceServer list: exactly this service's URIs; TURN entries carry a REST credential
    (username "expiry:user", expiry ~ now + ttl, credential = base64(HMAC-SHA1))."""
    assert isinstance(servers, list) and servers, servers
    urls = [u for entry in servers for u in entry["urls"]]
    assert len(urls) == len(set(urls)), f"duplicate URIs: {urls}"
    assert set(urls) == expected_uris(server), urls
    now = time.time()
    turn_entries = 0
    for entry in servers:
        kinds = {u.split(":", 1)[0] for u in entry["urls"]}
        if kinds == {"stun"}:
            assert "username" not in entry and "credential" not in entry, entry
            continue
        assert kinds <= {"turn", "turns"}, entry
        turn_entries += 1
        expiry, _, user = entry["username"].partition(":")
        assert user, entry
        assert abs(int(expiry) - (now + ttl)) <= 5, (entry, now)
        assert rest_credential_ok(entry["username"], entry["credential"], secret), entry
    assert turn_entries >= 1, servers
