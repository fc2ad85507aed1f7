"""What the TURN tests (test_turn_*.py) share: the users and REST secrets of a TURN server, its
config (relay ports, peer policy, limits), and short forms of the client steps every test
takes. conftest.py starts the servers (`turn_server`, `start_turn_server`)."""
import contextlib
import socket
import textwrap

import turn_client as tc
from icegate_proc import free_port_range, running

REALM = "icegate.test"
ALICE_PW = "alice-Pl41ntext-pw"   # plaintext in the config: both keys derived
BOB_PW = "bob-pw-md5-only"        # configured as an MD5 key only
CAROL_PW = "carol-pw-both-keys"   # configured as key + key_sha256
SECRET1 = "rest-secret-one-7f3a9"
SECRET2 = "rest-secret-two-c41e2"
# Loopback peers must be allowed explicitly: the default deny list refuses them.
ALLOW_LOOPBACK = "peers:\n  allow: [127.0.0.0/8, \"::1/128\"]\n"


def users_yaml():
    """alice (plaintext password), bob (MD5 key only), carol (MD5 and SHA-256 keys) and two
    REST secrets (rotation: either one works)."""
    bob = tc.md5_key("bob", REALM, BOB_PW).hex()
    carol = tc.md5_key("carol", REALM, CAROL_PW).hex()
    carol256 = tc.sha256_key("carol", REALM, CAROL_PW).hex()
    return f"""\
        auth:
          users:
            - name: alice
              password: {ALICE_PW}
            - name: bob
              key: 0x{bob}
            - name: carol
              key: {carol}
              key_sha256: {carol256}
          secrets: [{SECRET1}, {SECRET2}]
        """


def server_yaml(ports, peers=ALLOW_LOOPBACK, limits="", relay_extra="", auth=None):
    """Relays from 127.0.0.1 and ::1 on `ports` (first, last); users_yaml() unless `auth`."""
    return (f"relay:\n  address: 127.0.0.1\n  address_v6: \"::1\"\n"
            f"  ports: {ports[0]}-{ports[1]}\n{relay_extra}"
            + (auth if auth is not None else textwrap.dedent(users_yaml()))
            + peers + limits)


@contextlib.contextmanager
def serving(ports=20, even=False, workers=2, **yaml_args):
    """An icegate relaying from `ports` free ports (the first even when `even`), configured by
    server_yaml(**yaml_args); `.ports` is the range. Checked like start_icegate's."""
    relay_ports = free_port_range(ports, even=even)
    with running(server_yaml(relay_ports, **yaml_args), workers=workers) as s:
        s.ports = relay_ports
        yield s


def client(server, where="udp4", user="alice", password=ALICE_PW, **kw):
    """A TurnClient on the listener `where` ("udp4", "udp6"), alice unless told otherwise."""
    return tc.TurnClient(server.listening[where], user=user, password=password, **kw)


def allocated(c, extra=b"", **kw):
    """Allocates and checks success; returns (response, first relayed address)."""
    msg = c.allocate(extra, **kw)
    assert tc.is_success(msg, tc.ALLOCATE), (hex(msg["type"]), tc.error_code(msg))
    return msg, tc.relayed_addresses(msg)[0]


def expect_error(msg, method, code):
    assert tc.is_error(msg, method), hex(msg["type"])
    assert tc.error_code(msg) == code, tc.error_code(msg)


def in_range(port, ports):
    return ports[0] <= port <= ports[1]


def relay_closed(relay, family=socket.AF_INET):
    """True when nothing listens on the relay address any more: a connected UDP socket gets
    ECONNREFUSED (ICMP port unreachable on loopback)."""
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        s.connect(relay)
        for _ in range(3):
            try:
                s.send(b"anyone there?")
                s.recv(100)
            except ConnectionRefusedError:
                return True
            except (socket.timeout, TimeoutError):
                pass
    return False
