"""The processes a benchmark runs: icegate, coturn and the floor relay, plus /proc readings.

Every process is started here and stopped here by its own PID (never by name: other people run
icegate on this machine too). Only loopback addresses are used.
"""
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
import time

USER, PASSWORD = "bench", "benchpw"
TICK = os.sysconf("SC_CLK_TCK")
RELAY_PORTS = (10000, 31999)  # outside the ephemeral range the load generator's sockets use


def port_free(port):
    """True when nothing holds the port on loopback, UDP or TCP. A plain bind (no SO_REUSEPORT)
    fails on any bound socket, including coturn's SO_REUSEPORT ones: that is why we check."""
    for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(fam, kind)
            try:
                s.bind((addr, port))
            except OSError:
                return False
            finally:
                s.close()
    return True


def free_port(taken):
    for _ in range(200):
        p = random.randint(4000, 9999)
        if p not in taken and port_free(p) and port_free(p + 1):
            taken.add(p)
            return p
    raise RuntimeError("no free port found in 4000-9999")


# ---- /proc readings -------------------------------------------------------------------------

def cpu_times(pid):
    """(utime, stime) of a process, all threads, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def machine_idle():
    """(idle, total) jiffies of all CPUs."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[3] + v[4], sum(v[:8])


def socket_inodes(pid):
    out = set()
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            link = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            out.add(link[8:-1])
    return out


def udp_drops(inodes):
    """Sum of the drops column of /proc/net/udp{,6} over the given socket inodes."""
    total = 0
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        with open(path) as f:
            next(f)
            for line in f:
                cols = line.split()
                if cols[9] in inodes:
                    total += int(cols[-1])
    return total


def rcvbuf_errors():
    with open("/proc/net/snmp") as f:
        lines = [line.split() for line in f if line.startswith("Udp:")]
    head, vals = lines[0], lines[1]
    return int(vals[head.index("RcvbufErrors")])


class Sample:
    """CPU, drops and machine idle of one server at one moment."""

    def __init__(self, pid, inodes=None):
        self.pid = pid
        self.t = time.monotonic()
        self.utime, self.stime = cpu_times(pid)
        self.inodes = inodes if inodes is not None else socket_inodes(pid)
        self.drops = udp_drops(self.inodes)
        self.rcvbuf = rcvbuf_errors()
        self.idle, self.total = machine_idle()

    def delta(self, later):
        return {
            "utime": later.utime - self.utime,
            "stime": later.stime - self.stime,
            "server_drops": later.drops - self.drops,
            "rcvbuf_errors": later.rcvbuf - self.rcvbuf,
            "idle_pct": 100.0 * (later.idle - self.idle) / max(later.total - self.total, 1),
            "wall": later.t - self.t,
        }


# ---- processes -------------------------------------------------------------------------------

class Process:
    name = "process"

    def __init__(self):
        self.proc = None
        self.pending = b""
        self.log = []

    @property
    def pid(self):
        return self.proc.pid

    def readline(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        text = line.decode(errors="replace")
        self.log.append(text)
        return text

    def wait_for(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        while True:
            line = self.readline(deadline - time.monotonic())
            if line is None:
                raise RuntimeError(f"{self.name}: no '{pattern}' within {timeout}s:\n" +
                                   "\n".join(self.log[-30:]))
            m = re.search(pattern, line)
            if m:
                return m

    def logfile(self):
        self.log_path = pathlib.Path(self.dir.name) / "output.log"
        return open(self.log_path, "wb")

    def tail(self):
        path = getattr(self, "log_path", None)
        if path and path.exists():
            return "\n".join(path.read_text(errors="replace").splitlines()[-30:])
        return "\n".join(self.log[-30:])

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


class Icegate(Process):
    name = "icegate"

    def __init__(self, binary, port, workers, tls_port=None):
        """With tls_port: also tcp://127.0.0.1:port and tls://127.0.0.1:tls_port (icegate
        generates a self-signed certificate into its state_dir)."""
        super().__init__()
        self.dir = tempfile.TemporaryDirectory(prefix="icegate-bench-")
        self.port = port
        self.tls_port = tls_port
        listen = [f"udp://127.0.0.1:{port}"]
        if tls_port:
            listen += [f"tcp://127.0.0.1:{port}", f"tls://127.0.0.1:{tls_port}"]
        cfg = pathlib.Path(self.dir.name) / "icegate.yaml"
        cfg.write_text(textwrap.dedent(f"""\
            realm: bench
            workers: {workers}
            state_dir: ./state
            listen: [{", ".join(listen)}]
            relay:
              address: 127.0.0.1
              ports: {RELAY_PORTS[0]}-{RELAY_PORTS[1]}
            auth:
              users:
                - name: {USER}
                  key: {md5_key_hex()}
            limits:
              user_quota: 100000
              total_quota: 100000
            peers:
              allow: [127.0.0.0/8]
            log:
              level: warn
            """))
        self.args = [binary, "serve", "-c", str(cfg)]

    def start(self):
        # Output goes to a file: nothing reads it during the run, so a pipe could fill up.
        self.proc = subprocess.Popen(self.args, stdout=self.logfile(), stderr=subprocess.STDOUT,
                                     cwd=self.dir.name)
        wait_bound(self, self.port)
        if self.tls_port:
            wait_listening(self, self.port)
            wait_listening(self, self.tls_port)
        return self


class Coturn(Process):
    name = "coturn"

    def __init__(self, port, threads, tls_port=None):
        """With tls_port: TCP on port as well, and TLS on tls_port with a self-signed EC P-256
        pair generated into the run's temp dir (like icegate's). DTLS stays off."""
        super().__init__()
        self.dir = tempfile.TemporaryDirectory(prefix="coturn-bench-")
        self.port = port
        self.tls_port = tls_port
        self.args = [
            "turnserver", "-n", "--no-cli", "--listening-ip", "127.0.0.1",
            "--listening-port", str(port), "--relay-ip", "127.0.0.1",
            "--min-port", str(RELAY_PORTS[0]), "--max-port", str(RELAY_PORTS[1]),
            "--realm", "bench", "--user", f"{USER}:{PASSWORD}", "--lt-cred-mech",
            "--allow-loopback-peers", "--relay-threads", str(threads),
            "--no-tls", "--no-dtls", "--no-tcp", "--no-tcp-relay",
            "--user-quota", "0", "--total-quota", "0",
            "--log-file", "stdout", "--db", f"{self.dir.name}/turndb",
            "--pidfile", f"{self.dir.name}/pid", "--no-software-attribute"]
        if tls_port:
            cert, key = f"{self.dir.name}/cert.pem", f"{self.dir.name}/key.pem"
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                            "-days", "2", "-subj", "/CN=127.0.0.1"],
                           check=True, capture_output=True, timeout=30)
            self.args = [x for x in self.args if x not in ("--no-tls", "--no-tcp")]
            self.args += ["--tls-listening-port", str(tls_port), "--cert", cert, "--pkey", key]

    def start(self):
        # coturn logs every allocation: to a file, so that no pipe fills up and blocks it.
        self.proc = subprocess.Popen(self.args, stdout=self.logfile(), stderr=subprocess.STDOUT,
                                     cwd=self.dir.name)
        wait_bound(self, self.port)
        if self.tls_port:
            wait_listening(self, self.port)
            wait_listening(self, self.tls_port)
        return self


class Floor(Process):
    name = "floor"

    def __init__(self, binary, port, threads):
        super().__init__()
        self.port = port
        self.args = [binary, "--port", str(port), "--threads", str(threads),
                     "--max-seconds", "1800"]

    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.wait_for(r"\bready\b", 10)
        return self


def md5_key_hex():
    import hashlib
    return hashlib.md5(f"{USER}:bench:{PASSWORD}".encode()).hexdigest()


def wait_bound(p, port, timeout=15):
    """Waits until process `p` owns a UDP socket bound to 127.0.0.1:`port`."""
    want = f"0100007F:{port:04X}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if p.proc.poll() is not None:
            break
        inodes = socket_inodes(p.pid)
        with open("/proc/net/udp") as f:
            if any(line.split()[1] == want and line.split()[9] in inodes for line in f
                   if ":" in line.split()[1]):
                time.sleep(0.3)  # coturn binds its listener before its relay threads are up
                return
        time.sleep(0.05)
    p.stop()
    raise RuntimeError(f"{p.name} did not bind 127.0.0.1:{port}:\n" + p.tail())


def wait_listening(p, port, timeout=15):
    """Waits until process `p` owns a TCP socket listening on 127.0.0.1:`port`."""
    want = f"0100007F:{port:04X}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if p.proc.poll() is not None:
            break
        inodes = socket_inodes(p.pid)
        with open("/proc/net/tcp") as f:
            next(f)
            if any(c[1] == want and c[3] == "0A" and c[9] in inodes
                   for c in (line.split() for line in f)):
                return
        time.sleep(0.05)
    p.stop()
    raise RuntimeError(f"{p.name} is not listening on TCP 127.0.0.1:{port}:\n" + p.tail())
