"""A minimal long-term-credential TURN client for the integration tests (RFC 8656, RFC 8489).

Written from the RFCs on top of stun_client.py, independently of the C++ code, so the two check
each other. UDP, TCP and TLS; MESSAGE-INTEGRITY (HMAC-SHA1, MD5 key) or MESSAGE-INTEGRITY-SHA256
(SHA-256 key, with PASSWORD-ALGORITHMS echoed and PASSWORD-ALGORITHM chosen); USERNAME or
USERHASH. Every socket has a timeout; nothing here loops without a bound.
"""
import base64
import binascii
import collections
import hashlib
import hmac
import os
import socket
import struct
import time

import stun_client as sc

# Methods (RFC 8656 section 18) and classes.
ALLOCATE = 0x003
REFRESH = 0x004
SEND = 0x006
DATA = 0x007
CREATE_PERMISSION = 0x008
CHANNEL_BIND = 0x009

REQUEST, INDICATION, SUCCESS, ERROR = 0x0000, 0x0010, 0x0100, 0x0110

# Attributes.
USERNAME = 0x0006
MESSAGE_INTEGRITY = 0x0008
ERROR_CODE = 0x0009
CHANNEL_NUMBER = 0x000C
LIFETIME = 0x000D
XOR_PEER_ADDRESS = 0x0012
DATA_ATTR = 0x0013
REALM = 0x0014
NONCE = 0x0015
XOR_RELAYED_ADDRESS = 0x0016
REQUESTED_ADDRESS_FAMILY = 0x0017
EVEN_PORT = 0x0018
REQUESTED_TRANSPORT = 0x0019
DONT_FRAGMENT = 0x001A
MESSAGE_INTEGRITY_SHA256 = 0x001C
PASSWORD_ALGORITHM = 0x001D
USERHASH = 0x001E
XOR_MAPPED_ADDRESS = 0x0020
RESERVATION_TOKEN = 0x0022
ADDITIONAL_ADDRESS_FAMILY = 0x8000
ADDRESS_ERROR_CODE = 0x8001
PASSWORD_ALGORITHMS = 0x8002
SOFTWARE = 0x8022
FINGERPRINT = 0x8028

UDP_PROTO = 17
TCP_PROTO = 6
FAMILY_V4 = 0x01
FAMILY_V6 = 0x02
ALG_MD5 = 0x0001
ALG_SHA256 = 0x0002


def msg_type(method, cls):
    """RFC 8489 section 5: the class bits sit at positions 4 and 8 of the method."""
    m = method
    return ((m & 0xF80) << 2) | ((m & 0x070) << 1) | (m & 0x00F) | cls


# ---- keys ----------------------------------------------------------------------------------

def md5_key(user, realm, password):
    return hashlib.md5(f"{user}:{realm}:{password}".encode()).digest()


def sha256_key(user, realm, password):
    return hashlib.sha256(f"{user}:{realm}:{password}".encode()).digest()


def userhash(user, realm):
    return hashlib.sha256(f"{user}:{realm}".encode()).digest()


def rest_credentials(secret, user, ttl=600, now=None):
    """TURN REST API: username "<expiry>:<user>", password base64(HMAC-SHA1(secret, username))."""
    expiry = int(now if now is not None else time.time()) + ttl
    username = f"{expiry}:{user}"
    mac = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(mac).decode()


# ---- attribute values ----------------------------------------------------------------------

def xor_addr_value(ip, port, tid):
    """The value of an XOR-*-ADDRESS attribute for (ip, port)."""
    xport = port ^ (sc.MAGIC >> 16)
    if ":" in ip:
        raw = socket.inet_pton(socket.AF_INET6, ip)
        key = struct.pack("!I", sc.MAGIC) + tid
        return struct.pack("!xBH", FAMILY_V6, xport) + bytes(a ^ b for a, b in zip(raw, key))
    raw = socket.inet_pton(socket.AF_INET, ip)
    key = struct.pack("!I", sc.MAGIC)
    return struct.pack("!xBH", FAMILY_V4, xport) + bytes(a ^ b for a, b in zip(raw, key))


def decode_xor_addr(value, tid):
    family, xport = struct.unpack("!xBH", value[:4])
    port = xport ^ (sc.MAGIC >> 16)
    if family == FAMILY_V4:
        ip = bytes(a ^ b for a, b in zip(value[4:8], struct.pack("!I", sc.MAGIC)))
        return socket.inet_ntop(socket.AF_INET, ip), port
    key = struct.pack("!I", sc.MAGIC) + tid
    ip = bytes(a ^ b for a, b in zip(value[4:20], key))
    return socket.inet_ntop(socket.AF_INET6, ip), port


def requested_transport(proto=UDP_PROTO):
    return sc.attr(REQUESTED_TRANSPORT, struct.pack("!B3x", proto))


def lifetime(seconds):
    return sc.attr(LIFETIME, struct.pack("!I", seconds))


def requested_family(fam):
    return sc.attr(REQUESTED_ADDRESS_FAMILY, struct.pack("!B3x", fam))


def additional_family(fam=FAMILY_V6):
    return sc.attr(ADDITIONAL_ADDRESS_FAMILY, struct.pack("!B3x", fam))


def even_port(reserve):
    return sc.attr(EVEN_PORT, bytes([0x80 if reserve else 0]))


def reservation_token(token):
    return sc.attr(RESERVATION_TOKEN, token)


def dont_fragment():
    return sc.attr(DONT_FRAGMENT, b"")


def channel_number(n):
    return sc.attr(CHANNEL_NUMBER, struct.pack("!HH", n, 0))


def all_attrs(msg, t):
    return [v for at, v in msg["attrs"] if at == t]


def error_code(msg):
    v = sc.get(msg, ERROR_CODE)
    if v is None:
        return None
    return (v[2] & 7) * 100 + v[3]


def relayed_addresses(msg):
    return [decode_xor_addr(v, msg["tid"]) for v in all_attrs(msg, XOR_RELAYED_ADDRESS)]


def attr_offsets(raw):
    """[(type, offset of the attribute header, value)] of a STUN message."""
    out = []
    off = 20
    while off + 4 <= len(raw):
        t, n = struct.unpack("!HH", raw[off:off + 4])
        out.append((t, off, raw[off + 4:off + 4 + n]))
        off += 4 + n + (4 - n % 4) % 4
    return out


def integrity_ok(raw, key, sha256=False):
    """Checks MESSAGE-INTEGRITY (or -SHA256) of a received message with `key` (RFC 8489
    section 14.5/14.6: HMAC over the message up to the attribute, length covering it)."""
    want = MESSAGE_INTEGRITY_SHA256 if sha256 else MESSAGE_INTEGRITY
    for t, off, value in attr_offsets(raw):
        if t == want:
            head = raw[:2] + struct.pack("!H", off - 20 + 4 + len(value)) + raw[4:20]
            digest = hashlib.sha256 if sha256 else hashlib.sha1
            mac = hmac.new(key, head + raw[20:off], digest).digest()
            return hmac.compare_digest(mac[:len(value)], value)
    return False


def sign(msg_type_value, tid, body, key, sha256=False, fingerprint=False):
    """A request with MESSAGE-INTEGRITY(-SHA256) [and FINGERPRINT] appended to `body`."""
    mac_len = 32 if sha256 else 20
    head = struct.pack("!HHI", msg_type_value, len(body) + 4 + mac_len, sc.MAGIC) + tid
    digest = hashlib.sha256 if sha256 else hashlib.sha1
    mac = hmac.new(key, head + body, digest).digest()
    body += sc.attr(MESSAGE_INTEGRITY_SHA256 if sha256 else MESSAGE_INTEGRITY, mac)
    if fingerprint:
        head = struct.pack("!HHI", msg_type_value, len(body) + 8, sc.MAGIC) + tid
        crc = (binascii.crc32(head + body) ^ 0x5354554E) & 0xFFFFFFFF
        body += sc.attr(FINGERPRINT, struct.pack("!I", crc))
    return struct.pack("!HHI", msg_type_value, len(body), sc.MAGIC) + tid + body


def unsigned(msg_type_value, tid, body):
    return struct.pack("!HHI", msg_type_value, len(body), sc.MAGIC) + tid + body


def channel_data(channel, payload, pad=False):
    frame = struct.pack("!HH", channel, len(payload)) + payload
    if pad:
        frame += b"\0" * ((4 - len(frame) % 4) % 4)
    return frame


# ---- the client ----------------------------------------------------------------------------

class TurnClient:
    """One client transport (UDP socket or TCP/TLS connection) to the server, with credentials.

    `key` is the long-term key (MD5 by default). sha256=True switches to the SHA-256 key,
    PASSWORD-ALGORITHM SHA-256 and MESSAGE-INTEGRITY-SHA256. use_userhash=True sends USERHASH
    instead of USERNAME.
    """

    def __init__(self, server, transport="udp", user=None, password=None, realm="icegate.test",
                 cafile=None, sha256=False, use_userhash=False, timeout=2.0, bind=None,
                 release_on_close=True):
        self.server = server  # (host, port)
        self.transport = transport
        self.user = user
        self.password = password
        self.realm = realm
        self.sha256 = sha256
        self.use_userhash = use_userhash
        self.timeout = timeout
        self.nonce = None
        self.algorithms = None  # PASSWORD-ALGORITHMS value as received
        self.inbox = collections.deque()  # Data indications and ChannelData not yet read
        self.rx = b""
        # Over UDP an allocation outlives the socket; a later socket that gets the same
        # ephemeral port would find it (437). close() deletes it unless told not to.
        self.release_on_close = release_on_close
        self.has_allocation = False
        host = server[0]
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        if transport == "udp":
            self.sock = socket.socket(family, socket.SOCK_DGRAM)
            self.sock.bind((bind or host, 0))
            self.sock.settimeout(timeout)
        else:
            self.sock = sc.connect(host, server[1], tls=transport == "tls", cafile=cafile,
                                   timeout=timeout)

    # -- plumbing --

    def close(self):
        try:
            if self.release_on_close and self.has_allocation and self.transport == "udp":
                self.timeout = 0.5
                self.refresh(0)
        except (OSError, TimeoutError, ValueError):
            pass
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def local(self):
        return self.sock.getsockname()[:2]

    @property
    def key(self):
        if self.sha256:
            return sha256_key(self.user, self.realm, self.password)
        return md5_key(self.user, self.realm, self.password)

    def send_raw(self, data):
        if self.transport == "udp":
            self.sock.sendto(data, self.server)
        else:
            self.sock.sendall(data)

    def _read_frame(self, timeout):
        """One datagram or one framed STUN message / ChannelData (with its padding) from the
        stream; None on timeout. Stream ChannelData must be padded to 4 bytes (RFC 8656
        section 12.5): the padding is consumed here, and returned frames never include it."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            if self.transport == "udp":
                data, _ = self.sock.recvfrom(65535)
                return data
            while True:
                frame = self._frame_from_buffer()
                if frame is not None:
                    return frame
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                self.rx += chunk
        except (socket.timeout, TimeoutError):
            return None
        finally:
            self.sock.settimeout(self.timeout)

    def _frame_from_buffer(self):
        if len(self.rx) < 4:
            return None
        first = self.rx[0] >> 6
        length = struct.unpack("!H", self.rx[2:4])[0]
        if first == 0:
            size = wire = 20 + length
        elif first == 1:
            size = 4 + length
            wire = size + (4 - size % 4) % 4
        else:
            raise ValueError(f"unframeable stream byte {self.rx[0]:#x}")
        if len(self.rx) < wire:
            return None
        frame, self.rx = self.rx[:size], self.rx[wire:]
        return frame

    def _track(self, msg):
        if msg["type"] == msg_type(ALLOCATE, SUCCESS):
            self.has_allocation = True
        elif msg["type"] == msg_type(REFRESH, SUCCESS) and \
                sc.get(msg, LIFETIME) == b"\0\0\0\0":
            self.has_allocation = False

    def _stash(self, data):
        if data and data[0] >> 6 == 1:
            ch, n = struct.unpack("!HH", data[:4])
            self.inbox.append(("channel", ch, data[4:4 + n], data))
            return
        msg = sc.parse(data)
        if msg["type"] == msg_type(DATA, INDICATION):
            peer = decode_xor_addr(sc.get(msg, XOR_PEER_ADDRESS), msg["tid"])
            self.inbox.append(("data", peer, sc.get(msg, DATA_ATTR), data))
        else:
            self.inbox.append(("other", None, None, data))

    def exchange(self, data, tid, timeout=None, retransmit=True):
        """Sends `data` and waits for the response with transaction id `tid`; other frames go to
        the inbox. UDP retransmits (RFC 8489 style, bounded). Raises TimeoutError."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        rto = 0.25
        self.send_raw(data)
        next_send = time.monotonic() + rto
        while True:
            now = time.monotonic()
            if now >= deadline:
                raise TimeoutError("no response")
            wait = deadline - now
            if self.transport == "udp" and retransmit:
                wait = min(wait, max(next_send - now, 0.001))
            frame = self._read_frame(wait)
            if frame is None:
                if self.transport == "udp" and retransmit and time.monotonic() >= next_send:
                    self.send_raw(data)
                    rto *= 2
                    next_send = time.monotonic() + rto
                continue
            if frame[0] >> 6 == 0 and len(frame) >= 20 and frame[8:20] == tid:
                msg = sc.parse(frame)
                if msg["type"] & 0x0110 in (SUCCESS, ERROR):
                    self._track(msg)
                    return msg
            self._stash(frame)

    def build(self, method, attrs=b"", tid=None, signed=True, fingerprint=False,
              nonce=None, realm=None, key=None, user=None):
        """A request; signed ones carry the credential attributes and MESSAGE-INTEGRITY(-SHA256)."""
        tid = tid or os.urandom(12)
        t = msg_type(method, REQUEST)
        if not signed:
            body = attrs
            if fingerprint:
                head = struct.pack("!HHI", t, len(body) + 8, sc.MAGIC) + tid
                crc = (binascii.crc32(head + body) ^ 0x5354554E) & 0xFFFFFFFF
                body += sc.attr(FINGERPRINT, struct.pack("!I", crc))
            return unsigned(t, tid, body), tid
        user = self.user if user is None else user
        realm = self.realm if realm is None else realm
        body = attrs
        if self.use_userhash:
            body += sc.attr(USERHASH, userhash(user, realm))
        else:
            body += sc.attr(USERNAME, user.encode())
        body += sc.attr(REALM, realm.encode())
        body += sc.attr(NONCE, (self.nonce if nonce is None else nonce).encode())
        if self.sha256:
            body += sc.attr(PASSWORD_ALGORITHMS, self.algorithms)
            body += sc.attr(PASSWORD_ALGORITHM, struct.pack("!HH", ALG_SHA256, 0))
        return sign(t, tid, body, self.key if key is None else key, self.sha256, fingerprint), tid

    def learn_challenge(self, msg):
        nonce = sc.get(msg, NONCE)
        if nonce is not None:
            self.nonce = nonce.decode()
        algs = sc.get(msg, PASSWORD_ALGORITHMS)
        if algs is not None:
            self.algorithms = algs

    def challenge(self):
        """An unauthenticated Allocate: returns the 401 and remembers its NONCE."""
        data, tid = self.build(ALLOCATE, requested_transport(), signed=False)
        msg = self.exchange(data, tid)
        self.learn_challenge(msg)
        return msg

    def request(self, method, attrs=b"", tid=None, fingerprint=False, **kw):
        """A signed request; fetches a nonce first if needed and retries once on 438."""
        if self.nonce is None:
            self.challenge()
        data, tid = self.build(method, attrs, tid=tid, fingerprint=fingerprint, **kw)
        msg = self.exchange(data, tid)
        if error_code(msg) == 438:
            self.learn_challenge(msg)
            data, tid = self.build(method, attrs, tid=tid, fingerprint=fingerprint, **kw)
            msg = self.exchange(data, tid)
        return msg

    # -- TURN operations --

    def allocate(self, extra=b"", transport_attr=True, **kw):
        attrs = (requested_transport() if transport_attr else b"") + extra
        return self.request(ALLOCATE, attrs, **kw)

    def refresh(self, seconds=None, extra=b"", **kw):
        return self.request(REFRESH, (lifetime(seconds) if seconds is not None else b"") + extra,
                            **kw)

    def create_permission(self, *peers, **kw):
        tid = os.urandom(12)
        attrs = b"".join(sc.attr(XOR_PEER_ADDRESS, xor_addr_value(ip, port, tid))
                         for ip, port in peers)
        return self.request(CREATE_PERMISSION, attrs, tid=tid, **kw)

    def channel_bind(self, channel, peer, **kw):
        tid = os.urandom(12)
        attrs = channel_number(channel) + sc.attr(XOR_PEER_ADDRESS,
                                                  xor_addr_value(peer[0], peer[1], tid))
        return self.request(CHANNEL_BIND, attrs, tid=tid, **kw)

    def send_indication(self, peer, payload, extra=b""):
        tid = os.urandom(12)
        body = (sc.attr(XOR_PEER_ADDRESS, xor_addr_value(peer[0], peer[1], tid))
                + sc.attr(DATA_ATTR, payload) + extra)
        self.send_raw(unsigned(msg_type(SEND, INDICATION), tid, body))

    def send_channel(self, channel, payload):
        self.send_raw(channel_data(channel, payload, pad=self.transport != "udp"))

    def receive(self, timeout=1.0):
        """The next Data indication or ChannelData: (kind, peer-or-channel, payload, raw), or
        None when nothing arrives within `timeout`."""
        deadline = time.monotonic() + timeout
        while not self.inbox:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            frame = self._read_frame(left)
            if frame is None:
                return None
            self._stash(frame)
        return self.inbox.popleft()


def is_success(msg, method):
    return msg["type"] == msg_type(method, SUCCESS)


def is_error(msg, method):
    return msg["type"] == msg_type(method, ERROR)


def udp_peer(host="127.0.0.1", timeout=2.0):
    """A UDP socket standing in for a peer."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((host, 0))
    s.settimeout(timeout)
    return s


def nothing_arrives(sock, wait=0.3):
    """True when `sock` receives nothing within `wait` seconds."""
    sock.settimeout(wait)
    try:
        sock.recvfrom(65535)
        return False
    except (socket.timeout, TimeoutError):
        return True
