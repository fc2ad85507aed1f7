"""Operator log lines against the real binary (docs/security.md "Logs"): one line per TURN
auth failure naming client, transport, username and reason, capped per source with a summary
line for the rest; one line per refused signaling join; joins and leaves name the member. No
password or secret ever appears in the output. Every flood here is bounded in count."""
import re
import time

import turn_client as tc
from signal_tools import SECRET as SIGNAL_SECRET
from turn_tools import ALICE_PW, SECRET1, SECRET2, client, expect_error
from ws_client import Clients, run

WRONG_PW = "wrong-Pw-for-the-log-test"
FLOOD = 60        # wrong-password Allocates from one source
PER_SOURCE = 5    # lines per source and 10 s period (auth_log_per_source)


def auth_failures(server, port):
    return server.log_lines("auth failure:", f"client=127.0.0.1:{port} ", timeout=0.5)


def test_wrong_password_logs_its_reason_and_the_challenge_does_not(start_turn_server):
    with start_turn_server(workers=1) as s:
        with client(s, password=WRONG_PW) as c:
            port = c.sock.getsockname()[1]
            c.challenge()  # the normal first 401: no line
            assert auth_failures(s, port) == []
            expect_error(c.allocate(), tc.ALLOCATE, 401)
            lines = s.log_lines("auth failure:", f"client=127.0.0.1:{port} ", timeout=3.0)
            assert len(lines) == 1, s.output()
            assert lines[0].endswith(f"auth failure: client=127.0.0.1:{port} transport=udp "
                                     "user=alice reason=bad integrity"), lines[0]
        with client(s, user="mallory", password=WRONG_PW) as c:
            port = c.sock.getsockname()[1]
            expect_error(c.allocate(), tc.ALLOCATE, 401)
            lines = s.log_lines("auth failure:", f"client=127.0.0.1:{port} ", timeout=3.0)
            assert len(lines) == 1 and lines[0].endswith("user=mallory reason=unknown user")
        out = s.output()
        for secret in (WRONG_PW, ALICE_PW, SECRET1, SECRET2):
            assert secret not in out


def test_a_flood_from_one_source_is_capped_and_summed(start_turn_server):
    with start_turn_server(workers=1) as s:
        with client(s, password=WRONG_PW) as c:
            port = c.sock.getsockname()[1]
            c.challenge()
            for _ in range(FLOOD):
                data, _ = c.build(tc.ALLOCATE, tc.requested_transport())
                c.send_raw(data)  # answers past the unauthenticated rate are dropped
                time.sleep(0.001)
            m = s.wait_for_log(r"suppressed (\d+) auth failure lines from (\d+) sources in the "
                               r"last \d+s", timeout=25.0)
            assert m is not None, s.output()
            written = auth_failures(s, port)
            # The flood takes well under a second; should a 10 s period end inside it, the
            # source gets a second period's lines: never more.
            assert PER_SOURCE <= len(written) <= 2 * PER_SOURCE, s.output()
            assert all(ln.endswith("user=alice reason=bad integrity") for ln in written)
            assert int(m.group(2)) == 1
            if len(written) == PER_SOURCE:
                assert int(m.group(1)) == FLOOD - PER_SOURCE, s.output()
        assert WRONG_PW not in s.output() and ALICE_PW not in s.output()


def test_refused_join_and_member_lines(start_signal_server):
    room_pw, wrong_pw = "room-Pw-never-logged", "other-Pw-never-logged"
    with start_signal_server() as s:
        async def go():
            async with Clients(s.https) as cs:
                ann = await cs.new()
                await ann.join("log-room", "Ann", password=room_pw)
                bo = await cs.new()
                await bo.send({"type": "join", "room": "log-room", "name": "Bo",
                               "password": wrong_pw, "id": 1})
                await bo.error("unauthorized", re=1, message="wrong room password")
                await ann.send({"type": "leave"})
                await ann.ping_ok()
                return ann.session
        session = run(go())
        refused = s.log_lines("join refused:", timeout=3.0)
        assert len(refused) == 1, s.output()
        assert refused[0].endswith("join refused: client=127.0.0.1 room='log-room' "
                                   "reason=wrong room password"), refused[0]
        joined = s.log_lines("member joined:", f"session {session} name 'Ann' in 'log-room'",
                             timeout=3.0)
        left = s.log_lines("member left:", f"session {session} name 'Ann' in 'log-room'",
                           timeout=3.0)
        assert len(joined) == 1 and len(left) == 1, s.output()
        out = s.output()
        for secret in (room_pw, wrong_pw, SIGNAL_SECRET):
            assert secret not in out
        assert re.search(r"member joined: session \S+ name 'Bo'", out) is None
