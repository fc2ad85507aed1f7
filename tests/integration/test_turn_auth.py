"""TURN authentication against the real binary over UDP: the long-term credential mechanism
(401 challenge, REALM and NONCE, 438 for a stale or foreign nonce, 441 for another user on a
5-tuple), TURN REST credentials (two secrets, expiry), MESSAGE-INTEGRITY-SHA256 with
PASSWORD-ALGORITHMS, and USERHASH. The users (alice plaintext, bob MD5 key only, carol both
keys) are in turn_tools.users_yaml()."""
import hashlib
import os
import struct

import pytest

import stun_client as sc
import turn_client as tc
from turn_tools import (ALICE_PW, BOB_PW, CAROL_PW, REALM, SECRET1, SECRET2, allocated, client,
                        expect_error)

# Announced by every challenge: SHA-256 then MD5, no parameters (RFC 8489 section 14.11).
OFFERED_ALGORITHMS = struct.pack("!HHHH", tc.ALG_SHA256, 0, tc.ALG_MD5, 0)


# ---- the long-term credential mechanism: challenge, 401, nonces ----------------------------

def test_unauthenticated_allocate_is_challenged(turn_server):
    with client(turn_server) as c:
        msg = c.challenge()
        expect_error(msg, tc.ALLOCATE, 401)
        assert sc.get(msg, tc.REALM) == REALM.encode()
        nonce = sc.get(msg, tc.NONCE)
        assert nonce is not None and nonce.startswith(b"obMatJos2")
        assert sc.get(msg, tc.PASSWORD_ALGORITHMS) == OFFERED_ALGORITHMS
        assert sc.get(msg, tc.XOR_RELAYED_ADDRESS) is None
        assert sc.get(msg, tc.MESSAGE_INTEGRITY) is None
        # Nothing allocated: a signed Refresh finds no allocation.
        expect_error(c.refresh(600), tc.REFRESH, 437)


def test_wrong_password_is_401_with_fresh_challenge(turn_server):
    with client(turn_server, password="wrong") as c:
        msg = c.allocate()
        expect_error(msg, tc.ALLOCATE, 401)
        assert sc.get(msg, tc.REALM) == REALM.encode()
        assert sc.get(msg, tc.NONCE).startswith(b"obMatJos2")
        assert sc.get(msg, tc.MESSAGE_INTEGRITY) is None


def test_unknown_user_and_wrong_realm_are_401(turn_server):
    with client(turn_server, user="mallory", password="x") as c:
        expect_error(c.allocate(), tc.ALLOCATE, 401)
    with client(turn_server) as c:
        c.challenge()
        data, tid = c.build(tc.ALLOCATE, tc.requested_transport(), realm="other.realm",
                            key=tc.md5_key("alice", "other.realm", ALICE_PW))
        msg = c.exchange(data, tid)
        expect_error(msg, tc.ALLOCATE, 401)
        assert sc.get(msg, tc.REALM) == REALM.encode()


def test_missing_nonce_or_username_is_400(turn_server):
    with client(turn_server) as c:
        c.challenge()
        tid = os.urandom(12)
        body = tc.requested_transport() + sc.attr(tc.USERNAME, b"alice") + \
            sc.attr(tc.REALM, REALM.encode())
        data = tc.sign(tc.msg_type(tc.ALLOCATE, tc.REQUEST), tid, body, c.key)
        expect_error(c.exchange(data, tid), tc.ALLOCATE, 400)


def test_tampered_nonce_is_438(turn_server):
    with client(turn_server) as c:
        c.challenge()
        good = c.nonce
        bad = good[:-3] + ("A" if good[-3] != "A" else "B") + good[-2:]
        data, tid = c.build(tc.ALLOCATE, tc.requested_transport(), nonce=bad)
        msg = c.exchange(data, tid)
        expect_error(msg, tc.ALLOCATE, 438)
        fresh = sc.get(msg, tc.NONCE)
        assert fresh.startswith(b"obMatJos2") and sc.get(msg, tc.REALM) == REALM.encode()
        allocated(c)  # the untampered nonce works


def test_nonce_is_bound_to_the_client_address(turn_server):
    with client(turn_server) as v4:
        v4.challenge()
        with client(turn_server, "udp6") as v6:
            v6.nonce = v4.nonce  # issued to 127.0.0.1, replayed from ::1
            data, tid = v6.build(tc.ALLOCATE, tc.requested_transport())
            expect_error(v6.exchange(data, tid), tc.ALLOCATE, 438)


def test_other_user_on_same_five_tuple(turn_server):
    """Allocate on a 5-tuple in use is 437 whoever asks (RFC 8656 section 7.2); any other
    request with another user's credentials is 441 (section 5)."""
    with client(turn_server) as c:
        allocated(c)
        c.user, c.password = "bob", BOB_PW
        expect_error(c.allocate(), tc.ALLOCATE, 437)
        expect_error(c.refresh(600), tc.REFRESH, 441)
        expect_error(c.create_permission(("127.0.0.1", 9)), tc.CREATE_PERMISSION, 441)
        expect_error(c.channel_bind(0x4000, ("127.0.0.1", 9)), tc.CHANNEL_BIND, 441)
        c.user, c.password = "alice", ALICE_PW
        assert tc.is_success(c.refresh(600), tc.REFRESH)


# ---- TURN REST credentials -----------------------------------------------------------------

def test_rest_credentials(turn_server):
    for secret in (SECRET1, SECRET2):  # rotation: either secret works
        user, pw = tc.rest_credentials(secret, "bob")
        with client(turn_server, user=user, password=pw) as c:
            msg, _ = allocated(c)
            assert tc.integrity_ok(msg["raw"], c.key)
    user, pw = tc.rest_credentials(SECRET1, "bob", ttl=-10)  # expired
    with client(turn_server, user=user, password=pw) as c:
        expect_error(c.allocate(), tc.ALLOCATE, 401)
    user, pw = tc.rest_credentials("not-the-secret", "bob")
    with client(turn_server, user=user, password=pw) as c:
        expect_error(c.allocate(), tc.ALLOCATE, 401)
    user, pw = tc.rest_credentials(SECRET1, "bob")
    with client(turn_server, user=user, password=pw, use_userhash=True) as c:
        expect_error(c.allocate(), tc.ALLOCATE, 401)  # a REST name cannot be found by hash


def test_rest_credentials_refused_without_secrets(start_turn_server):
    auth = "auth:\n  users:\n    - name: alice\n      password: " + ALICE_PW + "\n"
    with start_turn_server(auth=auth) as s:
        user, pw = tc.rest_credentials(SECRET1, "bob")
        with client(s, user=user, password=pw) as c:
            expect_error(c.allocate(), tc.ALLOCATE, 401)


# ---- MESSAGE-INTEGRITY-SHA256, PASSWORD-ALGORITHMS, USERHASH -------------------------------

@pytest.mark.parametrize("user,password", [("alice", ALICE_PW), ("carol", CAROL_PW)])
def test_sha256_integrity(turn_server, user, password):
    with client(turn_server, user=user, password=password, sha256=True) as c:
        msg, _ = allocated(c)
        assert sc.get(msg, tc.MESSAGE_INTEGRITY_SHA256) is not None
        assert sc.get(msg, tc.MESSAGE_INTEGRITY) is None
        assert tc.integrity_ok(msg["raw"], c.key, sha256=True)
        assert c.key == hashlib.sha256(f"{user}:{REALM}:{password}".encode()).digest()
        assert not tc.integrity_ok(msg["raw"], tc.md5_key(user, REALM, password) * 2,
                                   sha256=True)
        assert tc.is_success(c.refresh(600), tc.REFRESH)


def test_sha256_rest_credentials(turn_server):
    user, pw = tc.rest_credentials(SECRET2, "erin")
    with client(turn_server, user=user, password=pw, sha256=True) as c:
        msg, _ = allocated(c)
        assert tc.integrity_ok(msg["raw"], c.key, sha256=True)


def test_sha256_for_md5_only_user_is_401(turn_server):
    with client(turn_server, user="bob", password=BOB_PW, sha256=True) as c:
        expect_error(c.allocate(), tc.ALLOCATE, 401)
    with client(turn_server, user="bob", password=BOB_PW) as c:
        allocated(c)


def test_password_algorithms_must_match_the_offer(turn_server):
    with client(turn_server, sha256=True) as c:
        c.challenge()
        c.algorithms = struct.pack("!HH", tc.ALG_SHA256, 0)  # bid-down attempt: not our list
        expect_error(c.allocate(), tc.ALLOCATE, 400)
    with client(turn_server) as c:
        c.challenge()
        # PASSWORD-ALGORITHM without PASSWORD-ALGORITHMS: 400.
        tid = os.urandom(12)
        body = (tc.requested_transport() + sc.attr(tc.USERNAME, b"alice")
                + sc.attr(tc.REALM, REALM.encode()) + sc.attr(tc.NONCE, c.nonce.encode())
                + sc.attr(tc.PASSWORD_ALGORITHM, struct.pack("!HH", tc.ALG_MD5, 0)))
        data = tc.sign(tc.msg_type(tc.ALLOCATE, tc.REQUEST), tid, body, c.key)
        expect_error(c.exchange(data, tid), tc.ALLOCATE, 400)


@pytest.mark.parametrize("sha256", [False, True])
def test_userhash(turn_server, sha256):
    with client(turn_server, user="carol", password=CAROL_PW, use_userhash=True,
                sha256=sha256) as c:
        msg, _ = allocated(c)
        assert tc.integrity_ok(msg["raw"], c.key, sha256=sha256)
        assert tc.is_success(c.create_permission(("127.0.0.1", 9)), tc.CREATE_PERMISSION)
    with client(turn_server, user="nobody", password="x", use_userhash=True) as c:
        expect_error(c.allocate(), tc.ALLOCATE, 401)
