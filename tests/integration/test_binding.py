"""STUN Binding against the real binary: UDP/TCP/TLS, IPv4/IPv6, real third-party clients."""
import re
import socket
import struct
import subprocess

import pytest

import stun_client as sc


def check_mapped(reply, sock_addr, tid):
    msg = sc.parse(reply)
    assert msg["type"] == sc.BINDING_SUCCESS
    assert msg["tid"] == tid
    assert sc.xor_address(msg) == sock_addr[:2]
    assert sc.get(msg, sc.SOFTWARE) is None  # only when configured
    return msg


@pytest.mark.parametrize("fam", ["4", "6"])
def test_udp_binding_maps_source(server, fam):
    host, port = server.listening["udp" + fam]
    af = socket.AF_INET6 if fam == "6" else socket.AF_INET
    with socket.socket(af, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        tid = b"udp-binding1"
        reply = sc.udp_exchange(host, port, sc.request(tid=tid), sock=s)
        check_mapped(reply, s.getsockname(), tid)


@pytest.mark.parametrize("proto", ["tcp", "tls"])
@pytest.mark.parametrize("fam", ["4", "6"])
def test_stream_binding_maps_source(server, proto, fam):
    host, port = server.listening[proto + fam]
    cafile = str(server.path / "state" / "cert.pem") if proto == "tls" else None
    with sc.connect(host, port, tls=proto == "tls", cafile=cafile) as s:
        # Several requests on one connection, the second split across two writes.
        for i in range(3):
            tid = b"stream-bind" + bytes([i])
            req = sc.request(tid=tid)
            if i == 1:
                s.sendall(req[:7])
                reply = sc.stream_exchange(s, req[7:])
            else:
                reply = sc.stream_exchange(s, req)
            check_mapped(reply, s.getsockname(), tid)


def test_tls_refuses_tls11(server):
    import ssl
    host, port = server.listening["tls4"]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        pytest.skip("this OpenSSL cannot even offer TLS 1.1")
    with socket.create_connection((host, port), timeout=3) as raw:
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            ctx.wrap_socket(raw, server_hostname="localhost").do_handshake()


def test_fingerprint_echoed_only_when_sent(server):
    host, port = server.listening["udp4"]
    with_fp = sc.parse(sc.udp_exchange(host, port, sc.request(fingerprint=True)))
    assert sc.fingerprint_ok(with_fp)
    without = sc.parse(sc.udp_exchange(host, port, sc.request()))
    assert sc.get(without, sc.FINGERPRINT) is None


def test_rfc3489_request_gets_mapped_address(server):
    host, port = server.listening["udp4"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        tid = b"sixteen-byte-id!"
        msg = sc.parse(sc.udp_exchange(host, port, sc.request(tid=tid, cookie=False), sock=s))
        assert msg["type"] == sc.BINDING_SUCCESS
        assert msg["raw"][4:20] == tid
        assert sc.mapped_address(msg) == s.getsockname()


def test_unknown_comprehension_required_attribute_gets_420(server):
    host, port = server.listening["udp4"]
    req = sc.request(sc.attr(0x7F01, b"abcd") + sc.attr(0xC001, b"ok") + sc.attr(0x0033, b""))
    msg = sc.parse(sc.udp_exchange(host, port, req))
    assert msg["type"] == sc.BINDING_ERROR
    assert sc.error_code(msg)[0] == 420
    unknown = sc.get(msg, sc.UNKNOWN_ATTRIBUTES)
    listed = set(struct.unpack(f"!{len(unknown) // 2}H", unknown))
    assert listed == {0x7F01, 0x0033}  # not the comprehension-optional 0xC001


def test_malformed_attribute_gets_400(server):
    host, port = server.listening["udp4"]
    good = sc.request(sc.attr(sc.SOFTWARE, b"client"))
    # The attribute claims 200 bytes but the message holds 8: the header is sound, the body not.
    bad = good[:20] + struct.pack("!HH", sc.SOFTWARE, 200) + good[24:]
    msg = sc.parse(sc.udp_exchange(host, port, bad))
    assert msg["type"] == sc.BINDING_ERROR
    assert sc.error_code(msg)[0] == 400


def test_software_sent_when_configured(start_icegate):
    with start_icegate("software: icegate-it\n", listen=["udp://127.0.0.1:0"]) as s:
        host, port = s.listening["udp4"]
        msg = sc.parse(sc.udp_exchange(host, port, sc.request()))
        assert sc.get(msg, sc.SOFTWARE) == b"icegate-it"


def test_turnutils_stunclient(server):
    host, port = server.listening["udp4"]
    out = subprocess.run(["turnutils_stunclient", "-p", str(port), host], capture_output=True,
                         text=True, timeout=20)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    m = re.search(r"UDP reflexive addr: (\S+):(\d+)", text)
    assert m, text
    assert m.group(1) == "127.0.0.1"


def test_stun_client_rfc3489(server):
    host, port = server.listening["udp4"]
    # Debian's stun-client 0.97 speaks RFC 3489 (no magic cookie); test 1 is one Binding.
    out = subprocess.run(["stun", f"{host}:{port}", "1", "-v"], capture_output=True, text=True,
                         timeout=30)
    text = out.stdout + out.stderr
    assert re.search(r"MappedAddress = 127\.0\.0\.1:\d+", text), text
