"""A small signaling client for the integration tests: asyncio WebSockets (Debian's
python3-websockets) over TLS to icegate's /ws, one JSON object per text frame, plus the
helpers the tests share (a bounded asyncio.run, unverified TLS context, HS256 join tokens,
TURN REST credential check, a plain HTTPS request)."""
import asyncio
import base64
import hashlib
import hmac
import http.client
import json
import ssl
import time

import websockets
import websockets.exceptions


_TLS = None


def run(coro, timeout=40):
    """Runs one test's coroutine with an overall bound, so a hang fails instead of stalling."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def insecure_tls():
    """The test server's certificate is self-signed: no verification. One shared context
    (making one costs milliseconds, which adds up over a thousand connections)."""
    global _TLS
    if _TLS is None:
        _TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        _TLS.check_hostname = False
        _TLS.verify_mode = ssl.CERT_NONE
    return _TLS


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt_hs256(claims, secret, alg="HS256"):
    """A JWT minted by hand: base64url(header).base64url(claims).base64url(HMAC). `alg` may
    be HS384 or HS512 (properly signed) to check that only HS256 is accepted."""
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    header = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), f"{header}.{body}".encode(), digest).digest()
    return f"{header}.{body}.{b64url(sig)}"


def rest_credential_ok(username, credential, secret):
    """TURN REST API: credential == base64(HMAC-SHA1(secret, username))."""
    want = base64.b64encode(hmac.new(secret.encode(), username.encode(),
                                     hashlib.sha1).digest()).decode()
    return hmac.compare_digest(want, credential)


def https_request(port, method, path, body=None, headers=None, timeout=5.0):
    """One request on a fresh connection; returns (status, headers dict (lowercase), body)."""
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout,
                                       context=insecure_tls())
    try:
        conn.request(method, path, body=body, headers=headers or {})
        res = conn.getresponse()
        data = res.read()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, data
    finally:
        conn.close()


class Client:
    """One WebSocket to /ws. `recv` returns the next frame as a dict."""

    def __init__(self, ws):
        self.ws = ws
        self.session = None
        self.resume = None
        self.joined = None

    @classmethod
    async def connect(cls, port, origin=None, path="/ws", timeout=10.0):
        ws = await websockets.connect(
            f"wss://127.0.0.1:{port}{path}", ssl=insecure_tls(), origin=origin,
            ping_interval=None, compression=None, max_size=4 * 1024 * 1024,
            open_timeout=timeout, close_timeout=2)
        return cls(ws)

    async def send(self, frame):
        await self.ws.send(frame if isinstance(frame, (str, bytes)) else json.dumps(frame))

    async def recv(self, timeout=5.0):
        try:
            text = await asyncio.wait_for(self.ws.recv(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"no frame within {timeout} s") from None
        assert isinstance(text, str), f"binary frame from the server: {text!r}"
        msg = json.loads(text)
        assert isinstance(msg, dict) and "type" in msg, text
        return msg

    async def expect(self, type_, timeout=5.0, **fields):
        """The next frame, which must be of `type_` and carry `fields` (re=... included);
        `re` must be absent unless given."""
        msg = await self.recv(timeout)
        assert msg["type"] == type_, f"expected {type_} {fields}, got {msg}"
        for k, v in fields.items():
            assert k in msg and msg[k] == v, f"expected {k}={v!r} in {msg}"
        if "re" not in fields:
            assert "re" not in msg, f"unexpected re in {msg}"
        return msg

    async def error(self, code, re=None, message=None, timeout=5.0):
        """The next frame must be an error with `code` (and `re`, and `message` when given, or
        a message containing it when it ends with '...')."""
        fields = {"code": code}
        if re is not None:
            fields["re"] = re
        msg = await self.expect("error", timeout, **fields)
        assert isinstance(msg.get("message"), str) and msg["message"], msg
        if message is not None:
            if message.endswith("..."):
                assert msg["message"].startswith(message[:-3]), msg
            else:
                assert msg["message"] == message, msg
        return msg

    async def silent(self, timeout=0.3):
        """No frame arrives within `timeout` seconds."""
        try:
            text = await asyncio.wait_for(self.ws.recv(), timeout)
        except asyncio.TimeoutError:
            return
        raise AssertionError(f"unexpected frame: {text}")

    async def ping_ok(self, id_="alive"):
        """The session still answers: ping with an id gets pong with that re."""
        await self.send({"type": "ping", "id": id_})
        await self.expect("pong", re=id_)

    async def join(self, room, name, id_=None, **extra):
        """join and expect joined; remembers session and resume token."""
        frame = {"type": "join", "room": room, "name": name, **extra}
        if id_ is not None:
            frame["id"] = id_
        await self.send(frame)
        fields = {"room": room} if "resume" not in extra else {}
        if id_ is not None:
            fields["re"] = id_
        msg = await self.expect("joined", **fields)
        self.session, self.resume, self.joined = msg["session"], msg["resume"], msg
        return msg

    async def closed(self, timeout=5.0):
        """Waits for the server to close the socket, skipping frames; returns (code, reason)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"socket still open after {timeout} s")
            try:
                await asyncio.wait_for(self.ws.recv(), left)
            except asyncio.TimeoutError:
                continue
            except websockets.exceptions.ConnectionClosed as e:
                return e.rcvd.code if e.rcvd else None, e.rcvd.reason if e.rcvd else None

    def drop(self):
        """Kills the TCP connection without a close frame or a leave (a lost network)."""
        self.ws.transport.abort()

    async def close(self):
        await self.ws.close()


class Clients:
    """Closes every client it made when the block ends."""

    def __init__(self, port):
        self.port = port
        self.all = []

    async def new(self, **kw):
        c = await Client.connect(self.port, **kw)
        self.all.append(c)
        return c

    async def joined(self, room, name, **kw):
        c = await self.new()
        await c.join(room, name, **kw)
        return c

    async def room(self, room, *names):
        """One member per name joins `room`, in order; each has then read the `peer` join
        frames of those after it, so that every member starts with nothing pending."""
        members = [await self.joined(room, name) for name in names]
        for i, member in enumerate(members):
            for _ in members[i + 1:]:
                await member.expect("peer", kind="join")
        return members

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await asyncio.gather(*(c.ws.close() for c in self.all), return_exceptions=True)
