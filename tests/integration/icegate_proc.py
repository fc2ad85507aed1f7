"""Starts the real icegate binary on free ports and tells the tests where it listens; runs its
command line (`run_cli`)."""
import contextlib
import os
import pathlib
import random
import re
import select
import signal
import socket
import subprocess
import tempfile
import textwrap
import threading
import time

ROOT = pathlib.Path(os.environ.get("ICEGATE_SOURCE_DIR",
                                   pathlib.Path(__file__).resolve().parents[2]))
BINARY = os.environ.get("ICEGATE_BINARY", str(ROOT / "build" / "icegate"))

DEFAULT_LISTEN = [
    "udp://127.0.0.1:0",
    "tcp://127.0.0.1:0",
    "tls://127.0.0.1:0",
    "udp://[::1]:0",
    "tcp://[::1]:0",
    "tls://[::1]:0",
]


def sanitized(binary=BINARY):
    """True for an ASan/UBSan build: it runs several times slower, so latency bounds (which
    are about the release build) do not apply to it; functional assertions still do."""
    with open(binary, "rb") as f:
        return b"libasan.so" in f.read()


class Icegate:
    """One running icegate process with a config written into a temporary folder."""

    def __init__(self, extra_yaml="", listen=None, workers=2, preexec=None):
        self.dir = tempfile.TemporaryDirectory(prefix="icegate-it-")
        self.path = pathlib.Path(self.dir.name)
        listen = listen or DEFAULT_LISTEN
        listen_yaml = "\n".join(f"  - {u}" for u in listen)
        self.config = self.path / "icegate.yaml"
        # SIGTERM exits at once (shutdown.grace 0s), as every test's final stop expects, unless
        # the test sets its own shutdown section (test_drain.py).
        no_drain = "" if "shutdown:" in extra_yaml else "shutdown:\n  grace: 0s\n"
        self.config.write_text(textwrap.dedent(f"""\
            realm: icegate.test
            workers: {workers}
            state_dir: ./state
            listen:
            """) + listen_yaml + "\n" + no_drain + textwrap.dedent(extra_yaml))
        self.preexec = preexec  # run in the child before exec (e.g. lower its rlimits)
        self.proc = None
        self.lines = []
        self.pending = b""
        self.lock = threading.Lock()  # readline from a drain() thread and from the test
        self.drainer = None
        self.listening = {}  # "udp4" -> ("127.0.0.1", port), "udp6" -> ("::1", port), ...
        self.https = None    # the HTTPS port on 127.0.0.1, when http.listen is set

    def start(self, timeout=15.0):
        self.proc = subprocess.Popen([BINARY, "serve", "-c", str(self.config)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     cwd=self.path, bufsize=0, preexec_fn=self.preexec)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.readline(deadline - time.monotonic())
            if line is None:
                break
            m = re.search(r"listening on (udp|tcp|tls|https)://(\[[^\]]+\]|[^:]+):(\d+)", line)
            if m:
                host = m.group(2).strip("[]")
                fam = "6" if ":" in host else "4"
                self.listening[m.group(1) + fam] = (host, int(m.group(3)))
            if re.search(r"\bready\b", line):
                self.https = self.listening.get("https4", (None, None))[1]
                return self
        self.stop()
        raise RuntimeError("icegate did not start:\n" + "".join(self.lines))

    def readline(self, timeout):
        """The next line of output, or None after `timeout` seconds or at end of output.
        Reads the pipe with os.read into our own buffer: select() cannot see bytes that a
        buffered file object has already pulled in."""
        with self.lock:
            return self._readline(timeout)

    def _readline(self, timeout):
        deadline = time.monotonic() + max(timeout, 0)
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.proc.stdout], [], [], max(left, 0))
            if not ready:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                if not self.pending:
                    return None
                self.pending += b"\n"
            self.pending += chunk
        raw, self.pending = self.pending.split(b"\n", 1)
        line = raw.decode(errors="replace") + "\n"
        self.lines.append(line)
        return line

    def drain(self):
        """Keeps reading the output in a thread, for tests that make the server log a lot: a
        full pipe would block its logging and with it the worker threads."""
        if self.drainer is not None:
            return
        stopping = threading.Event()
        proc = self.proc

        def pump():
            while not stopping.is_set():
                if self.readline(0.2) is None and proc.poll() is not None:
                    break
        self.drainer = (threading.Thread(target=pump, daemon=True), stopping)
        self.drainer[0].start()

    def output(self):
        """Everything printed so far (drains what is pending without blocking)."""
        while self.proc and self.readline(0.05) is not None:
            pass
        return "".join(self.lines)

    def log_lines(self, *needles, timeout=2.0):
        """The output lines holding all `needles`, waiting up to `timeout` for the first."""
        deadline = time.monotonic() + timeout
        while True:
            found = [ln for ln in self.output().splitlines() if all(n in ln for n in needles)]
            if found or time.monotonic() >= deadline:
                return found
            time.sleep(0.05)

    def wait_for_log(self, pattern, timeout=3.0):
        """The first match of the regex `pattern` in the output, waiting up to `timeout`
        for it; None if it did not come."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.output())
            if m or time.monotonic() >= deadline:
                return m
            time.sleep(0.05)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Stops the process; returns (exit code, seconds it took)."""
        if self.proc is None:
            return None, 0.0
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        took = time.monotonic() - t0
        if self.drainer is not None:
            self.drainer[1].set()
            self.drainer[0].join()
            self.drainer = None
        self.output()
        code = self.proc.returncode
        self.proc.stdout.close()
        self.proc = None
        return code, took

    def stop_cleanly(self):
        """What every test asks at the end: still alive, stops with exit 0 on SIGTERM, and
        printed no sanitizer report."""
        assert self.alive(), "icegate died:\n" + self.output()
        code, _ = self.stop()
        assert code == 0, "".join(self.lines)
        self.assert_no_sanitizer_report()

    def assert_no_sanitizer_report(self):
        out = "".join(self.lines)
        assert "Sanitizer" not in out and "runtime error:" not in out, out

    def close(self):
        self.stop()
        self.dir.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


class Reloader:
    """Rewrites a running server's config after its listen block and sends SIGHUP."""

    def __init__(self, server, first_extra):
        self.s = server
        text = server.config.read_text()
        self.header = text[: len(text) - len(textwrap.dedent(first_extra))]

    def __call__(self, extra, expect="reloaded"):
        self.s.config.write_text(self.header + textwrap.dedent(extra))
        before = len(self.s.log_lines(expect, timeout=0))
        self.s.proc.send_signal(signal.SIGHUP)
        for _ in range(100):
            lines = self.s.log_lines(expect, timeout=0.05)
            if len(lines) > before:
                return lines[-1]
        raise AssertionError(f"no '{expect}' line after SIGHUP:\n" + self.s.output())


def make_cert(path, name):
    """A self-signed P-256 certificate for CN=`name`: path/cert.pem and path/key.pem (0600)."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", f"/CN={name}",
                    "-keyout", str(path / "key.pem"), "-out", str(path / "cert.pem")],
                   check=True, capture_output=True)
    (path / "key.pem").chmod(0o600)


@contextlib.contextmanager
def running(extra_yaml="", listen=None, workers=2, drain=False, preexec=None):
    """An icegate for the length of a `with` block (conftest's `start_icegate`). `drain` keeps
    reading its output in a thread, for servers that log a line per join or allocation. When
    the block ends it must still be alive, stop with exit 0 on SIGTERM and have printed no
    sanitizer report; a block that stopped the server itself is held to the last only."""
    s = Icegate(extra_yaml=extra_yaml, listen=listen, workers=workers, preexec=preexec)
    try:
        s.start()
        if drain:
            s.drain()
        yield s
        if s.proc is not None:
            s.stop_cleanly()
        else:
            s.assert_no_sanitizer_report()
    finally:
        s.close()


def run_cli(*args, stdin="", timeout=30, **kw):
    """One `icegate ARGS...` command (not serve) to its end: a CompletedProcess with text
    stdout and stderr."""
    return subprocess.run([BINARY, *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout, **kw)


class NotifySocket:
    """A NOTIFY_SOCKET for the server (set it in the environment it inherits): the sd_notify messages it sends, in order."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="icegate-notify-")
        self.path = os.path.join(self.dir.name, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)

    def messages(self, until, timeout=5.0):
        """Messages received until one holds `until` (or the timeout)."""
        out = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                out.append(self.sock.recv(4096).decode())
            except (socket.timeout, TimeoutError):
                break
            if until in out[-1]:
                break
        return out

    def close(self):
        self.sock.close()
        self.dir.cleanup()


def successor_pid(server, timeout=20.0):
    """After SIGUSR2 (an upgrade): the pid of the successor that now serves, from its
    predecessor's log line."""
    m = server.wait_for_log(r"upgrade: successor pid (\d+) serves", timeout)
    assert m, "no successor took over:\n" + server.output()
    return int(m.group(1))


def children(pid):
    """The icegate processes whose parent is `pid`: an upgrade's successor, also one that never
    logged its pid."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            exe = os.readlink(f"/proc/{entry}/exe")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and exe == os.path.realpath(BINARY):
            found.append(int(entry))
    return found


def pid_gone(pid):
    """True when `pid` has exited (a zombie nobody reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def end_pid(pid, timeout=10.0):
    """Stops a process the test started indirectly (an upgrade's successor): SIGTERM, and
    SIGKILL after `timeout`. True when it went on SIGTERM."""
    if pid_gone(pid):
        return True
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pid_gone(pid):
            return True
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return False


def free_port_range(count, lo=20000, hi=30000, even=False):
    """`count` consecutive ports free for UDP on 127.0.0.1 and ::1 (below the ephemeral range,
    so listeners on port 0 and peer sockets never take them)."""
    rng = random.Random()
    for _ in range(200):
        first = rng.randrange(lo, hi - count) & ~(1 if even else 0)
        socks = []
        try:
            for port in range(first, first + count):
                for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
                    s = socket.socket(fam, socket.SOCK_DGRAM)
                    socks.append(s)
                    s.bind((host, port))
            return first, first + count - 1
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")
