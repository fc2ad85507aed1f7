#!/usr/bin/env python3
"""Writes the hand-made seed corpora of http_request_fuzz and ws_frame_fuzz into
fuzz/corpus/http_request and fuzz/corpus/ws_frame (kept in git; rerun after changing a seed).
Byte 0 of every seed holds the fuzzer's options (see the header comment of each target)."""
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent


def write(corpus, name, data):
    d = HERE / "corpus" / corpus
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


# ---- http_request: byte 0 = read size (bits 0-2), join secret (bit 3), metrics allowed (bit 4)

def http(name, options, text):
    write("http_request", name, bytes([options]) + text.encode("latin-1"))


def req(line, *headers, body=""):
    return line + "\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n" + body


HOST = "Host: localhost"
http("get_root", 0, req("GET / HTTP/1.1", HOST))
http("head_app_js_1byte_reads", 0, req("HEAD /app.js HTTP/1.1", HOST, "Connection: close"))
http("chunked_with_extensions", 4, req(
    "POST /healthz HTTP/1.1", HOST, "Transfer-Encoding: chunked",
    body="5;name=value;x=\"quoted\"\r\nhello\r\n3;ext\r\nabc\r\n0;last\r\nX-Trailer: t\r\n\r\n"))
http("te_gzip_chunked_501", 5, req("POST / HTTP/1.1", HOST,
                                   "Transfer-Encoding: gzip, chunked", body="0\r\n\r\n"))
http("te_chunked_not_last_400", 5, req("POST / HTTP/1.1", HOST,
                                       "Transfer-Encoding: chunked, identity", body="0\r\n\r\n"))
http("te_twice_and_content_length", 6, req("POST / HTTP/1.1", HOST,
                                           "Transfer-Encoding: chunked",
                                           "Transfer-Encoding: chunked",
                                           "Content-Length: 5", body="0\r\n\r\n"))
http("te_http10", 6, req("POST / HTTP/1.0", "Transfer-Encoding: chunked", body="0\r\n\r\n"))
http("pipelined", 3, req("GET /healthz HTTP/1.1", HOST) + req("GET /api/ice-servers HTTP/1.1",
                                                              "Host: example.com:8443")
     + req("GET /metrics HTTP/1.1", HOST) + req("GET /sub/style.css?v=1 HTTP/1.1", HOST)
     + req("OPTIONS / HTTP/1.1", HOST))
http("metrics_allowed", 16 | 6, req("GET /metrics HTTP/1.1", HOST))
http("ice_servers_bearer", 8 | 6, req(
    "GET /api/ice-servers HTTP/1.1", HOST,
    "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb29tIjoiciIsIm5hbWUiOiJu"
    "IiwiZXhwIjo5OTk5OTk5OTk5fQ.c2lnbmF0dXJl"))
http("path_escapes", 6, req("GET /../outside/secret.txt HTTP/1.1", HOST)
     + req("GET /%2e%2e/outside/secret.txt HTTP/1.1", HOST)
     + req("GET /escape.txt HTTP/1.1", HOST) + req("GET /escape-dir/secret.txt HTTP/1.1", HOST)
     + req("GET /.git/config HTTP/1.1", HOST) + req("GET /sub/..%2f.git%2fconfig HTTP/1.1", HOST)
     + req("GET /a%00b HTTP/1.1", HOST) + req("GET /%zz HTTP/1.1", HOST))
http("websocket_upgrade", 6, req("GET /ws HTTP/1.1", HOST, "Upgrade: websocket",
                                 "Connection: Upgrade",
                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                                 "Sec-WebSocket-Version: 13"))
http("if_none_match_and_body_limit", 6, req("GET / HTTP/1.1", HOST, 'If-None-Match: "1-2"')
     + req("POST / HTTP/1.1", HOST, "Content-Length: 20000", body="x" * 10))
http("header_too_large", 7, req("GET / HTTP/1.1", HOST, "X-Big: " + "a" * 8300))
http("obs_fold_and_bad_version", 2, req("GET / HTTP/1.1", HOST, "X-Folded: a", " b")
     + req("GET / HTTP/2.0", HOST))


# ---- ws_frame: byte 0 = read size (bits 0-2); then client frames

def frame(opcode, payload, fin=True, masked=True, rsv=0, length_form=None):
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload) if length_form is None else length_form
    if n < 126:
        head = bytes([b0, (0x80 if masked else 0) | n])
    elif n < 65536:
        head = bytes([b0, (0x80 if masked else 0) | 126]) + struct.pack("!H", n)
    else:
        head = bytes([b0, (0x80 if masked else 0) | 127]) + struct.pack("!Q", n)
    if not masked:
        return head + payload
    key = b"\x37\xfa\x21\x3d"
    return head + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))


def ws(name, read_size, *frames):
    write("ws_frame", name, bytes([read_size]) + b"".join(frames))


TEXT, BINARY, CLOSE, PING, PONG, CONT = 1, 2, 8, 9, 10, 0
JOIN = b'{"type":"join","room":"Book club","name":"Ann","id":1}'
ws("masked_join", 6, frame(TEXT, JOIN))
ws("join_1byte_reads", 0, frame(TEXT, JOIN), frame(TEXT, b'{"type":"ping"}'))
ws("fragmented_text", 3, frame(TEXT, JOIN[:10], fin=False), frame(CONT, JOIN[10:30], fin=False),
   frame(CONT, JOIN[30:]))
ws("ping_between_fragments", 4, frame(TEXT, b'{"type":"ch', fin=False), frame(PING, b"hi"),
   frame(CONT, b'at","text":"hello"}'), frame(PONG, b""))
ws("close_1000", 6, frame(TEXT, b'{"type":"leave"}'), frame(CLOSE, struct.pack("!H", 1000) + b"bye"))
ws("close_bad_code", 6, frame(CLOSE, struct.pack("!H", 1005)))
ws("unmasked_text", 6, frame(TEXT, JOIN, masked=False))
ws("binary", 6, frame(BINARY, b"\x00\x01\x02\xff"))
ws("len16_signal", 5, frame(TEXT, b'{"type":"signal","to":"k3Jd","data":{"sdp":"' + b"v=0 " * 70
                          + b'","type":"offer"}}'))
ws("len64_announces_2mb", 6, frame(TEXT, b"{}", length_form=2 * 1024 * 1024)[:14] + b"{}")
ws("invalid_utf8_text", 6, frame(TEXT, b'{"type":"chat","text":"\xc3\x28"}'))
ws("rsv_and_reserved_opcode", 6, frame(TEXT, b"{}", rsv=4), frame(3, b"x"))
ws("app_state_chat", 7, frame(TEXT, b'{"type":"state","audio":true,"video":false,"screen":false}'),
   frame(TEXT, b'{"type":"app","topic":"wb","data":{"x":[1,[2,[3]]]},"to":"k3Jd"}'),
   frame(TEXT, b'{"type":"chat","text":"hi\\u00e4","id":"c1"}'))
# Past the 64 KiB buffer limit: cut for the parser, the rest dropped.
ws("over_buffer_limit", 7, frame(TEXT, b'{"type":"chat","text":"' + b"a" * 65600 + b'"}'),
   frame(TEXT, b'{"type":"ping"}'))
