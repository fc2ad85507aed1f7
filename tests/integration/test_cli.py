"""The command line: exit codes, check-config output, config errors, clean shutdown."""
import signal

import pytest

import stun_client as sc
from icegate_proc import Icegate, run_cli as run


def test_version_and_help():
    v = run("version")
    assert v.returncode == 0 and v.stdout.startswith("icegate ")
    h = run("--help")
    assert h.returncode == 0 and "check-config" in h.stdout


def test_unknown_command_and_option_exit_2():
    assert run("frobnicate").returncode == 2
    assert run("serve", "--bogus").returncode == 2


def test_check_config_masks_secrets(config_file):
    cfg = config_file("""\
        realm: example.org
        listen: [udp://127.0.0.1:3478]
        auth:
          users:
            - name: bob
              password: hunter2-secret
          secrets: [very-secret-value]
        """)
    out = run("check-config", "-c", str(cfg))
    assert out.returncode == 0, out.stderr
    assert "example.org" in out.stdout
    assert "very-secret-value" not in out.stdout
    assert "hunter2-secret" not in out.stdout + out.stderr
    assert "bob" in out.stdout
    assert "plaintext" in out.stderr.lower() or "password" in out.stderr.lower()


def test_check_config_names_key_and_line(config_file):
    cfg = config_file("realm: x\nlimits:\n  user_quota: ten\n", name="bad.yaml")
    out = run("check-config", "-c", str(cfg))
    assert out.returncode == 1
    assert "bad.yaml:3" in out.stderr and "limits.user_quota" in out.stderr


def test_check_config_unknown_key(config_file):
    cfg = config_file("realm: x\nrelay:\n  adress: 127.0.0.1\n", name="bad.yaml")
    out = run("check-config", "-c", str(cfg))
    assert out.returncode == 1
    assert "bad.yaml:3" in out.stderr and "relay.adress" in out.stderr


def test_default_config_checks():
    out = run("check-config")
    assert out.returncode == 0, out.stderr


def test_serve_fails_cleanly_on_busy_port():
    with Icegate(listen=["tcp://127.0.0.1:0"]) as first:
        host, port = first.listening["tcp4"]
        # A plain listener (no SO_REUSEPORT) holds the port: icegate must say so and exit 1.
        import socket
        with socket.socket() as hold:
            hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            hold.bind(("127.0.0.1", 0))
            hold.listen()
            busy = hold.getsockname()[1]
            second = Icegate(listen=[f"tcp://127.0.0.1:{busy}"])
            with pytest.raises(RuntimeError) as e:
                second.start()
            second.close()
            assert f"cannot listen on tcp://127.0.0.1:{busy}" in str(e.value)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_within_two_seconds(sig):
    srv = Icegate()
    srv.start()
    try:
        # Leave a TCP connection open: shutdown must not wait for it.
        host, port = srv.listening["tcp4"]
        conn = sc.connect(host, port)
        code, took = srv.stop(sig)
        conn.close()
        assert code == 0, srv.output()
        assert took < 2.0
        assert "stopped" in srv.output()
    finally:
        srv.close()


def test_serve_refuses_a_relay_address_the_host_lacks(config_file):
    # TEST-NET-2 is on no interface here; nothing is sent, the bind simply fails.
    cfg = config_file("realm: x\nlisten: [udp://127.0.0.1:0]\nrelay: {address: 198.51.100.77}\n")
    out = run("serve", "-c", str(cfg))
    assert out.returncode == 1
    assert "relay.address 198.51.100.77: cannot bind a relay socket there" in out.stderr
