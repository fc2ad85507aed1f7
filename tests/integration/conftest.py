"""Fixtures shared by the integration tests. Every server here is checked when its fixture or
`with` block ends: still alive, exit 0 on SIGTERM, no sanitizer report.

Factories (session-scoped, each call a `with` block around a fresh server):
  start_icegate(extra_yaml, listen=, workers=, drain=)   any config
  start_signal_server(signal=, http=, auth=, ...)        HTTPS + signaling (signal_tools.config)
  start_turn_server(ports=, workers=, limits=, ...)      relay ports + users (turn_tools)
Servers (module-scoped: one per test file that uses them):
  server                  the defaults: UDP, TCP, TLS on 127.0.0.1 and ::1
  signal_server           signaling, room capacity 3, generous rates
  limited_signal_server   signaling, room capacity 2, message_rate 5
  secured_signal_server   signaling with a join secret (join tokens)
  turn_server             TURN relaying to loopback peers, small caps
Other:
  config_file             writes a YAML file under tmp_path, returns its path"""
import textwrap

import pytest

import signal_tools
import turn_tools
from icegate_proc import running


@pytest.fixture(scope="session")
def start_icegate():
    """`with start_icegate(yaml, listen=[...], workers=2, drain=False) as s:`."""
    return running


@pytest.fixture(scope="session")
def start_signal_server():
    """`with start_signal_server(http="  allowed_origins: [...]\\n") as s:` then s.https."""
    return signal_tools.serving


@pytest.fixture(scope="session")
def start_turn_server():
    """`with start_turn_server(limits="limits:\\n  user_quota: 1\\n") as s:` then s.ports."""
    return turn_tools.serving


@pytest.fixture(scope="module")
def server():
    with running() as s:
        yield s


@pytest.fixture(scope="module")
def signal_server():
    """Room capacity 3, generous rates."""
    with signal_tools.serving(signal="  room_capacity: 3\n") as s:
        yield s


@pytest.fixture(scope="module")
def limited_signal_server():
    """Room capacity 2 and message_rate 5 (bursts of 20)."""
    with signal_tools.serving(signal="  room_capacity: 2\n", message_rate=5) as s:
        yield s


@pytest.fixture(scope="module")
def secured_signal_server():
    """signal.join_secret set and http.ice_servers_api: token: joins and /api/ice-servers
    need an HS256 JWT."""
    with signal_tools.serving(signal=f"  join_secret: {signal_tools.JOIN_SECRET}\n",
                              http="  ice_servers_api: token\n") as s:
        yield s


@pytest.fixture(scope="module")
def turn_server():
    """Relays to loopback peers; max_lifetime 1h; small permission and channel caps."""
    limits = ("limits:\n  max_lifetime: 1h\n  max_permissions: 4\n  max_channels: 3\n"
              "  user_quota: 1000\n")
    with turn_tools.serving(ports=200, limits=limits) as s:
        yield s


@pytest.fixture
def config_file(tmp_path):
    """`config_file(yaml, name="icegate.yaml")`: the dedented YAML written to tmp_path."""
    def write(body, name="icegate.yaml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(body))
        return path
    return write
