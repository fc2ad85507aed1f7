"""The HTTPS side of a signaling server against the real binary (docs/signaling.md): the
Origin check on the WebSocket upgrade, static files from web/ (index, HEAD, ETag/304, no
escape from web_root, security headers), request limits (405, 413, 431), /healthz,
/api/ice-servers (off by default; `token` needs a join token), the `ice` frame that refreshes a session's
TURN credentials, and /metrics. The servers are conftest's signal_server and
secured_signal_server, or started for one test by start_signal_server."""
import asyncio
import json
import re
import time

import pytest
import websockets.exceptions

from signal_tools import SECRET, TTL, WEB, check_ice_servers, token
from ws_client import Client, Clients, https_request, run


# ---- Origin check on the WebSocket upgrade -------------------------------------------------

def test_origin_same_origin_only_by_default(signal_server):
    port = signal_server.https

    async def go():
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as e:
            await Client.connect(port, origin="https://evil.example")
        assert e.value.status_code == 403
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as e:
            await Client.connect(port, origin=f"http://127.0.0.1:{port}")
        assert e.value.status_code == 403
        ok = await Client.connect(port, origin=f"https://127.0.0.1:{port}")
        await ok.ping_ok()
        await ok.close()
        # No Origin (not a browser): allowed.
        plain = await Client.connect(port)
        await plain.ping_ok()
        await plain.close()
        # Upgrades elsewhere than /ws: 404.
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as e:
            await Client.connect(port, path="/not-ws")
        assert e.value.status_code == 404
    run(go())


def test_origin_allow_list(start_signal_server):
    with start_signal_server(http="  allowed_origins: [https://ok.example]\n") as srv:
        async def go():
            ok = await Client.connect(srv.https, origin="https://ok.example")
            await ok.ping_ok()
            await ok.close()
            ok = await Client.connect(srv.https, origin="HTTPS://OK.example")
            await ok.ping_ok()
            await ok.close()
            for origin in (f"https://127.0.0.1:{srv.https}", "https://evil.example",
                           "https://ok.example.evil.example"):
                with pytest.raises(websockets.exceptions.InvalidStatusCode) as e:
                    await Client.connect(srv.https, origin=origin)
                assert e.value.status_code == 403, origin
        run(go())


# ---- static files and request limits -------------------------------------------------------

def security_headers_ok(h):
    assert "default-src 'self'" in h.get("content-security-policy", ""), h
    assert h.get("x-content-type-options") == "nosniff", h
    assert h.get("referrer-policy") == "no-referrer", h


def test_healthz(signal_server):
    status, h, body = https_request(signal_server.https, "GET", "/healthz")
    assert status == 200 and body.strip() == b"ok", (status, body)
    security_headers_ok(h)


def test_static_index(signal_server):
    index = (WEB / "index.html").read_bytes()
    for path in ("/", "/index.html", "/?x=1"):
        status, h, body = https_request(signal_server.https, "GET", path)
        assert status == 200, (path, status)
        assert h["content-type"].startswith("text/html"), h
        assert body == index
        assert h.get("etag"), h
        security_headers_ok(h)
    for name, ctype in (("app.js", "text/javascript"), ("style.css", "text/css"),
                        ("favicon.svg", "image/svg+xml")):
        status, h, body = https_request(signal_server.https, "GET", "/" + name)
        assert status == 200 and h["content-type"].startswith(ctype), (name, h)
        assert body == (WEB / name).read_bytes()
        security_headers_ok(h)


def test_static_head(signal_server):
    size = (WEB / "index.html").stat().st_size
    status, h, body = https_request(signal_server.https, "HEAD", "/index.html")
    assert status == 200 and body == b""
    assert int(h["content-length"]) == size, h


def test_static_etag_304(signal_server):
    status, h, _ = https_request(signal_server.https, "GET", "/index.html")
    etag = h["etag"]
    status, h2, body = https_request(signal_server.https, "GET", "/index.html",
                                     headers={"If-None-Match": etag})
    assert status == 304 and body == b"", (status, body)
    assert h2.get("etag") == etag
    status, _, body = https_request(signal_server.https, "GET", "/index.html",
                                    headers={"If-None-Match": '"other"'})
    assert status == 200 and body


@pytest.mark.parametrize("path", [
    "/../README.md", "/%2e%2e/README.md", "/%2E%2E/README.md", "/%2e%2e%2fREADME.md",
    "/..%2fREADME.md", "/x/../../README.md", "/x/%2e%2e/%2e%2e/README.md",
    "/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/.hidden",
    "/index.html%00.js", "/..\\README.md", "/no-such-file.html",
])
def test_static_no_escape(signal_server, path):
    status, h, body = https_request(signal_server.https, "GET", path)
    assert status == 404, (path, status, body[:200])
    assert body == b"not found\n", body[:200]
    security_headers_ok(h)


def test_method_not_allowed(signal_server):
    status, h, _ = https_request(signal_server.https, "POST", "/", body=b"x=1",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 405, status
    assert "GET" in h.get("allow", ""), h
    status, _, _ = https_request(signal_server.https, "DELETE", "/index.html")
    assert status == 405


def test_body_too_large_413(signal_server):
    status, _, _ = https_request(signal_server.https, "POST", "/", body=b"x" * (20 * 1024))
    assert status == 413, status


def test_header_too_large_431(signal_server):
    status, _, _ = https_request(signal_server.https, "GET", "/healthz",
                                 headers={"X-Big": "a" * (10 * 1024)})
    assert status == 431, status


# ---- /api/ice-servers and the ice frame ----------------------------------------------------

def test_api_ice_servers_off_by_default(signal_server):
    # http.ice_servers_api is off unless set: the endpoint does not exist.
    status, _, body = https_request(signal_server.https, "GET", "/api/ice-servers")
    assert status == 404 and b"iceServers" not in body, status


def test_api_ice_servers(secured_signal_server):
    auth = {"Authorization": "Bearer " + token()}
    status, h, body = https_request(secured_signal_server.https, "GET", "/api/ice-servers",
                                    headers=auth)
    assert status == 200, status
    assert h["content-type"].startswith("application/json")
    assert h.get("cache-control") == "no-store"
    doc = json.loads(body)
    assert set(doc) == {"iceServers", "ttl"} and doc["ttl"] == TTL, doc
    check_ice_servers(doc["iceServers"], secured_signal_server)
    status, _, _ = https_request(secured_signal_server.https, "POST", "/api/ice-servers",
                                 body=b"", headers=auth)
    assert status == 405


def test_api_ice_servers_needs_bearer_with_join_secret(secured_signal_server):
    p = secured_signal_server.https
    status, h, _ = https_request(p, "GET", "/api/ice-servers")
    assert status == 401 and h.get("www-authenticate", "").startswith("Bearer"), (status, h)
    for bad in ("Bearer garbage", "Bearer " + token(secret="other"),
                "Bearer " + token(exp=int(time.time()) - 5), "Basic " + token()):
        status, _, _ = https_request(p, "GET", "/api/ice-servers",
                                     headers={"Authorization": bad})
        assert status == 401, bad
    status, _, body = https_request(p, "GET", "/api/ice-servers",
                                    headers={"Authorization": "Bearer " + token()})
    assert status == 200
    check_ice_servers(json.loads(body)["iceServers"], secured_signal_server)
    # Static files and healthz need no token.
    assert https_request(p, "GET", "/healthz")[0] == 200
    assert https_request(p, "GET", "/")[0] == 200


def test_ice_frame_refreshes_credentials(start_signal_server):
    """`ice` at about 80% of credential_ttl (5 s here: due at 4 s, sent on the next tick)."""
    with start_signal_server(auth=f"  secrets: [{SECRET}]\n  credential_ttl: 5s\n") as srv:
        async def go():
            async with Clients(srv.https) as cs:
                a = await cs.joined("ice", "Ann")
                first = a.joined["iceServers"]
                check_ice_servers(first, srv, ttl=5)
                t0 = time.monotonic()
                msg = await a.expect("ice", timeout=9)
                assert 3.5 <= time.monotonic() - t0 <= 9
                assert set(msg) == {"type", "iceServers"}
                check_ice_servers(msg["iceServers"], srv, ttl=5)
                assert msg["iceServers"] != first
        run(go())


# ---- /metrics ------------------------------------------------------------------------------

def metric_value(text, name):
    m = re.search(rf"^{name} (\d+)$", text, re.M)
    assert m, f"{name} missing:\n{text}"
    return int(m.group(1))


def test_metrics_counts_rooms_for_allowed_clients_only(start_signal_server):
    with start_signal_server(extra="metrics:\n  allow: [127.0.0.0/8]\n") as srv:
        async def go():
            async with Clients(srv.https) as cs:
                await cs.joined("metered", "Ann")
                await cs.joined("metered", "Bo")
                deadline = time.monotonic() + 5
                while True:  # workers publish once a second
                    status, h, body = https_request(srv.https, "GET", "/metrics")
                    assert status == 200, (status, body)
                    text = body.decode()
                    if metric_value(text, "icegate_signal_members") == 2:
                        break
                    assert time.monotonic() < deadline, text
                    await asyncio.sleep(0.2)
                assert h["content-type"].startswith("text/plain; version=0.0.4"), h
                assert metric_value(text, "icegate_signal_rooms") == 1
                assert metric_value(text, "icegate_https_connections") >= 2
                assert "# TYPE icegate_allocations_created_total counter" in text
        run(go())
    with start_signal_server(extra="metrics:\n  allow: [10.0.0.0/8]\n") as srv:
        status, _, body = https_request(srv.https, "GET", "/metrics")
        assert status == 403, (status, body)
