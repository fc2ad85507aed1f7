"""The project's own minimal STUN client for tests: builds requests, parses responses.
Written from RFC 8489 independently of the C++ codec, so the two check each other."""
import binascii
import os
import socket
import ssl
import struct

MAGIC = 0x2112A442
BINDING_REQUEST = 0x0001
BINDING_SUCCESS = 0x0101
BINDING_ERROR = 0x0111
MAPPED_ADDRESS = 0x0001
XOR_MAPPED_ADDRESS = 0x0020
ERROR_CODE = 0x0009
UNKNOWN_ATTRIBUTES = 0x000A
SOFTWARE = 0x8022
FINGERPRINT = 0x8028


def attr(t, value):
    pad = (4 - len(value) % 4) % 4
    return struct.pack("!HH", t, len(value)) + value + b"\0" * pad


def request(attrs=b"", tid=None, cookie=True, fingerprint=False, msg_type=BINDING_REQUEST):
    tid = tid or os.urandom(12 if cookie else 16)
    head = struct.pack("!I", MAGIC) + tid if cookie else tid
    body = attrs
    if fingerprint:
        length = len(body) + 8
        msg = struct.pack("!HH", msg_type, length) + head + body
        crc = (binascii.crc32(msg) ^ 0x5354554E) & 0xFFFFFFFF
        body += attr(FINGERPRINT, struct.pack("!I", crc))
    return struct.pack("!HH", msg_type, len(body)) + head + body


def parse(data):
    """Returns dict(type, tid, attrs=[(type, value)]) or raises ValueError."""
    if len(data) < 20:
        raise ValueError("short")
    msg_type, length = struct.unpack("!HH", data[:4])
    if length + 20 != len(data):
        raise ValueError("length mismatch")
    attrs = []
    off = 20
    while off < len(data):
        t, n = struct.unpack("!HH", data[off:off + 4])
        attrs.append((t, data[off + 4:off + 4 + n]))
        off += 4 + n + (4 - n % 4) % 4
    return {"type": msg_type, "cookie": struct.unpack("!I", data[4:8])[0],
            "tid": data[8:20], "raw": data, "attrs": attrs}


def get(msg, t):
    for at, v in msg["attrs"]:
        if at == t:
            return v
    return None


def xor_address(msg):
    v = get(msg, XOR_MAPPED_ADDRESS)
    family, xport = struct.unpack("!xBH", v[:4])
    port = xport ^ (MAGIC >> 16)
    if family == 1:
        ip = bytes(a ^ b for a, b in zip(v[4:8], struct.pack("!I", MAGIC)))
        return socket.inet_ntop(socket.AF_INET, ip), port
    key = struct.pack("!I", MAGIC) + msg["tid"]
    ip = bytes(a ^ b for a, b in zip(v[4:20], key))
    return socket.inet_ntop(socket.AF_INET6, ip), port


def mapped_address(msg):
    v = get(msg, MAPPED_ADDRESS)
    family, port = struct.unpack("!xBH", v[:4])
    af = socket.AF_INET if family == 1 else socket.AF_INET6
    return socket.inet_ntop(af, v[4:8] if family == 1 else v[4:20]), port


def error_code(msg):
    v = get(msg, ERROR_CODE)
    return (v[2] & 7) * 100 + v[3], v[4:].decode(errors="replace")


def fingerprint_ok(msg):
    raw = msg["raw"]
    if len(raw) < 28 or struct.unpack("!H", raw[-8:-6])[0] != FINGERPRINT:
        return False
    crc = (binascii.crc32(raw[:-8]) ^ 0x5354554E) & 0xFFFFFFFF
    return struct.unpack("!I", raw[-4:])[0] == crc


def udp_exchange(host, port, data, timeout=2.0, sock=None):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = sock or socket.socket(family, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(data, (host, port))
        reply, _ = s.recvfrom(65535)
        return reply
    finally:
        if sock is None:
            s.close()


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def stream_exchange(s, data):
    s.sendall(data)
    head = recv_exact(s, 20)
    length = struct.unpack("!H", head[2:4])[0]
    return head + recv_exact(s, length)


def connect(host, port, tls=False, cafile=None, timeout=3.0):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, port))
    if tls:
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        s = ctx.wrap_socket(s, server_hostname="localhost")
    return s
