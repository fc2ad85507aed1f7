#!/usr/bin/env python3
"""Signaling bench: icegate's /ws against a socket.io 4.8 room relay, side by side in one run.

  bench/signaling/run.py [--smoke] [--only rate|idle] [--idle 10000,50000] [--json OUT]
  ICEGATE_BINARY=/tmp/build-sigbench/icegate bench/signaling/run.py

1. Rate ladder: N clients in rooms of 2 and of 6 send `signal` frames (an ICE candidate, ~250 B
   of JSON) to the other members of their room. For each offered rate, icegate then socket.io
   (A/B alternating, both servers and both client sets up all the time). A rung passes when
   p99 latency (frames lost count as infinitely late) <= the bound and >= 99% is delivered.
   Figure: the highest passing offered rate, as delivered messages/s.
2. Idle sessions: a fresh server per size and kind, N clients connect and join rooms of 2 and
   stay idle; (RSS after - RSS before) / N.

Both servers speak TLS with the same self-signed P-256 certificate (icegate's /ws is HTTPS
only). Only loopback; every process started here is stopped here by its PID.
"""
import argparse
import json
import math
import os
import pathlib
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BINARY = os.environ.get("ICEGATE_BINARY", str(ROOT / "build" / "icegate"))
TICK = os.sysconf("SC_CLK_TCK")
NODE = shutil.which("node") or "node"
NICE = 0  # --nice: niceness of every server and generator (negative: ahead of other users' jobs)
ICEGATE_PRELOAD = os.environ.get("ICEGATE_PRELOAD", "")  # LD_PRELOAD for icegate only
BIND_ADDRS = [f"127.0.0.{i}" for i in range(2, 10)]


def log(*a):
    print(f"[sigbench {time.strftime('%H:%M:%S')}]", *a, file=sys.stderr, flush=True)


# ---- /proc ------------------------------------------------------------------------------------

def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def machine_busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[3] + v[4], sum(v[:8])


# ---- processes --------------------------------------------------------------------------------

class Proc:
    """A child with line-oriented stdout; stopped by PID only."""

    def __init__(self, name, argv, cwd=None, stdin=False, stderr_path=None, env=None):
        self.name = name
        self.pending = b""
        self.lines = []
        self.err = open(stderr_path, "wb") if stderr_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT if stderr_path is None else self.err,
                                     stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                     bufsize=0, env=env,
                                     preexec_fn=(lambda: os.nice(NICE)) if NICE else None)

    @property
    def pid(self):
        return self.proc.pid

    def readline(self, timeout):
        deadline = time.monotonic() + max(timeout, 0)
        while b"\n" not in self.pending:
            left = max(deadline - time.monotonic(), 0)
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
            if not chunk:
                return None
            self.pending += chunk
        raw, self.pending = self.pending.split(b"\n", 1)
        line = raw.decode(errors="replace")
        self.lines.append(line)
        del self.lines[:-200]
        return line

    def wait_for(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        while True:
            line = self.readline(deadline - time.monotonic())
            if line is None:
                raise RuntimeError(f"{self.name}: no /{pattern}/ within {timeout}s; last output:\n"
                                   + "\n".join(self.lines[-20:]))
            m = re.search(pattern, line)
            if m:
                return m

    def send(self, obj):
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        for f in (self.proc.stdout, self.proc.stdin):
            if f:
                f.close()


def make_cert(d):
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def start_icegate(d, cert, key, workers):
    sub = d / f"icegate-{time.monotonic_ns()}"
    sub.mkdir()
    (sub / "icegate.yaml").write_text(textwrap.dedent(f"""\
        realm: bench
        workers: {workers}
        state_dir: ./state
        listen:
          - udp://127.0.0.1:0
        tls:
          certificate: {cert}
          private_key: {key}
        http:
          listen: 127.0.0.1:0
        signal:
          join_rate: 100000
          message_rate: 100000
        limits:
          connections_per_address: 0
        log:
          level: info
        """))
    env = None
    if ICEGATE_PRELOAD:  # experiments only (e.g. an SSL_new shim), never the default
        env = dict(os.environ, LD_PRELOAD=ICEGATE_PRELOAD)
    p = Proc("icegate", [BINARY, "serve", "-c", str(sub / "icegate.yaml")], cwd=sub, env=env)
    m = p.wait_for(r"listening on https://127\.0\.0\.1:(\d+)", 20)
    p.wait_for(r"\bready\b", 20)
    p.url = f"https://127.0.0.1:{m.group(1)}"
    log(f"icegate pid {p.pid} workers {workers} at {p.url}")
    return p


def start_socketio(cert, key):
    p = Proc("socket.io", [NODE, "--max-old-space-size=16384", str(HERE / "socketio_server.mjs"),
                           "--cert", str(cert), "--key", str(key)], cwd=HERE)
    m = p.wait_for(r"listening on https://127\.0\.0\.1:(\d+)", 20)
    p.url = f"https://127.0.0.1:{m.group(1)}"
    log(f"socket.io pid {p.pid} at {p.url}")
    return p


def drain_output(procs):
    """icegate logs a line per connection at info level; keep its pipe from filling."""
    for p in procs:
        while p.readline(0) is not None:
            pass


def start_loadgens(kind, url, total, room_size, procs, tag, binds, d, concurrency=200):
    per = total // procs
    per -= per % room_size
    gens = []
    for i in range(procs):
        b = ",".join(binds[i::procs] if len(binds) >= procs else binds) if binds else ""
        argv = [NODE, "--max-old-space-size=8192", str(HERE / "loadgen.mjs"), "--server", kind,
                "--url", url, "--clients", str(per), "--room-size", str(room_size),
                "--tag", f"{tag}-{i}", "--concurrency", str(concurrency)]
        if b:
            argv += ["--bind", b]
        gens.append(Proc(f"loadgen-{kind}-{i}", argv, cwd=HERE, stdin=True,
                         stderr_path=d / f"loadgen-{kind}-{tag}-{i}.err"))
    return gens


def gen_connect(gens, servers, timeout):
    for g in gens:
        g.send({"cmd": "connect"})
    res = []
    deadline = time.monotonic() + timeout
    for g in gens:
        while True:
            drain_output(servers)
            line = g.readline(min(1.0, deadline - time.monotonic()))
            if line is None:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{g.name}: not connected within {timeout}s")
                continue
            ev = json.loads(line)
            if ev.get("ev") == "ready":
                res.append(ev)
                break
            if ev.get("ev") == "error":
                raise RuntimeError(f"{g.name}: {ev['error']}")
    return res


def stop_all(procs):
    for p in procs:
        try:
            p.send({"cmd": "quit"})
        except (BrokenPipeError, AttributeError, ValueError):
            pass
    for p in procs:
        p.stop()


# ---- rate ladder ------------------------------------------------------------------------------

def percentile(hist, bucket_us, overflow, total, q):
    """q-quantile in ms of `total` frames; frames missing from hist count as overflow."""
    if total <= 0:
        return float("nan")
    need = math.ceil(q * total)
    acc = 0
    for b in sorted(hist):
        acc += hist[b]
        if acc >= need:
            return math.inf if b >= overflow else (b + 1) * bucket_us / 1000
    return math.inf


def run_step(server, gens, rate, secs, warm, drain, others):
    share = rate / len(gens)
    c0 = cpu_seconds(server.pid)
    g0 = [cpu_seconds(g.pid) for g in gens]
    i0, t0 = machine_busy()
    w0 = time.monotonic()
    for g in gens:
        g.send({"cmd": "step", "rate": share, "secs": secs, "warm": warm, "drain": drain})
    evs = []
    deadline = time.monotonic() + warm + secs + drain + 30
    cpu_at_send_end = None
    for g in gens:
        while True:
            drain_output(others)
            line = g.readline(min(0.5, max(deadline - time.monotonic(), 0)))
            if line is None:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{g.name}: step did not answer")
                continue
            ev = json.loads(line)
            if ev.get("ev") == "step":
                evs.append(ev)
                break
            if ev.get("ev") == "error":
                raise RuntimeError(f"{g.name}: {ev['error']}")
    wall = time.monotonic() - w0
    i1, t1 = machine_busy()
    busy = wall  # server/generators CPU over the whole step (warm + secs + drain)
    hist = {}
    for ev in evs:
        for k, n in ev["hist"].items():
            hist[int(k)] = hist.get(int(k), 0) + n
    sent_win = sum(e["sentInWin"] for e in evs)
    recv_win = sum(e["recvInWin"] for e in evs)
    bu, ov = evs[0]["bucketUs"], evs[0]["overflowBucket"]
    gcpu = [cpu_seconds(g.pid) - a for g, a in zip(gens, g0)]
    sent_total = sum(e["sent"] for e in evs)
    server_cpu = cpu_seconds(server.pid) - c0
    return {
        "offered": rate,
        "wall_s": wall,
        "sent_total": sent_total,
        # CPU per relayed frame: robust on a shared host where the rate figures are not
        "server_cpu_us_per_msg": 1e6 * server_cpu / max(sent_total, 1),
        "gen_cpu_us_per_msg": 1e6 * sum(gcpu) / max(sent_total, 1),
        "sent_per_s": sum(e["sent"] for e in evs) / (warm + secs),
        "delivered_per_s": recv_win / secs,
        "lost": sent_win - recv_win,
        "lost_pct": 100.0 * (sent_win - recv_win) / max(sent_win, 1),
        "p50_ms": percentile(hist, bu, ov, sent_win, 0.50),
        "p99_ms": percentile(hist, bu, ov, sent_win, 0.99),
        "server_cpu_pct": 100.0 * (cpu_seconds(server.pid) - c0) / busy,
        "gen_cpu_pct_sum": 100.0 * sum(gcpu) / busy,
        "gen_cpu_pct_max": 100.0 * max(gcpu) / busy,
        "gen_lag_max_ms": max(e["lagMaxMs"] for e in evs),
        "machine_busy_pct": 100.0 * (1 - (i1 - i0) / max(t1 - t0, 1)),
        "bad_frames": sum(e["badFrames"] for e in evs),
    }


def rate_bench(args, d, cert, key):
    results = {}
    for room_size in args.room_sizes:
        ig = start_icegate(d, cert, key, args.workers)
        sio = start_socketio(cert, key)
        servers = {"icegate": ig, "socketio": sio}
        gens = {}
        try:
            for kind, srv in servers.items():
                gens[kind] = start_loadgens(kind, srv.url, args.clients, room_size, args.gen_procs,
                                            f"rate{room_size}", [], d)
            for kind in servers:
                ready = gen_connect(gens[kind], [ig], 120)
                n = sum(r["senders"] for r in ready)
                log(f"rooms of {room_size}: {kind} {n} clients joined "
                    f"({sum(r['failed'] for r in ready)} failed)")
                if n == 0:
                    raise RuntimeError(f"{kind}: no client connected: {ready}")
            done = {k: False for k in servers}
            rows = {k: [] for k in servers}
            for rate in args.ladder:
                for kind, srv in servers.items():  # A/B alternating per rung
                    if done[kind]:
                        continue
                    for attempt in range(1 + args.retries):  # a failed rung is retried (noisy host)
                        r = run_step(srv, gens[kind], rate, args.secs, args.warm, args.drain, [ig])
                        r["pass"] = r["p99_ms"] <= args.p99_ms and r["lost_pct"] <= 1.0
                        r["attempt"] = attempt + 1
                        rows[kind].append(r)
                        if r["pass"]:
                            break
                        log(f"rooms of {room_size} {kind:8} offered {rate:>7}: attempt {attempt + 1} failed "
                            f"(p99 {r['p99_ms']:.2f} ms, lost {r['lost_pct']:.2f}%, gen lag {r['gen_lag_max_ms']} ms)")
                    log(f"rooms of {room_size} {kind:8} offered {rate:>7}: delivered "
                        f"{r['delivered_per_s']:9.0f}/s p50 {r['p50_ms']:7.2f} p99 {r['p99_ms']:7.2f} ms "
                        f"lost {r['lost_pct']:5.2f}% server cpu {r['server_cpu_pct']:5.0f}% "
                        f"gen cpu {r['gen_cpu_pct_sum']:4.0f}% (max {r['gen_cpu_pct_max']:3.0f}%) "
                        f"machine {r['machine_busy_pct']:3.0f}% {'ok' if r['pass'] else 'FAIL'}")
                    if not r["pass"]:
                        done[kind] = True
                if all(done.values()):
                    break
            results[room_size] = rows
        finally:
            for g in gens.values():
                stop_all(g)
            ig.stop()
            sio.stop()
    return results


# ---- idle sessions ----------------------------------------------------------------------------

def idle_bench(args, d, cert, key):
    results = []
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    for want in args.idle:
        # One fd per session in the server process: the hard RLIMIT_NOFILE caps what can be
        # measured (raising it needs CAP_SYS_RESOURCE).
        n = min(want, (hard - 500) // 2 * 2)
        if n < want:
            log(f"idle {want}: RLIMIT_NOFILE hard limit is {hard}; measuring {n} sessions instead")
        for kind in args.idle_servers:
            srv = start_icegate(d, cert, key, args.idle_workers) if kind == "icegate" \
                else start_socketio(cert, key)
            procs = max(1, math.ceil(n / args.idle_per_proc))
            gens = []
            try:
                time.sleep(1.0)
                drain_output([srv])
                rss0 = rss_kib(srv.pid)
                t0 = time.monotonic()
                gens = start_loadgens(kind, srv.url, n, 2, procs, f"idle{n}", BIND_ADDRS, d,
                                      concurrency=args.idle_concurrency)
                ready = gen_connect(gens, [srv], args.idle_timeout)
                took = time.monotonic() - t0
                connected = sum(r["connected"] for r in ready)
                failed = sum(r["failed"] for r in ready)
                errors = sorted({r["error"] for r in ready if r.get("error")})
                # settle; icegate pings after 20 s idle and loadgen answers, so the sessions stay.
                for _ in range(int(args.settle * 2)):
                    drain_output([srv])
                    time.sleep(0.5)
                rss1 = rss_kib(srv.pid)
                alive = srv.proc.poll() is None
                row = {"kind": kind, "target": n, "wanted": want, "connected": connected, "failed": failed,
                       "rss_before_mib": rss0 / 1024, "rss_after_mib": rss1 / 1024,
                       "kib_per_session": (rss1 - rss0) / max(connected, 1),
                       "sessions_per_gib": (connected * 1024 * 1024 / max(rss1 - rss0, 1)),
                       "connect_s": took, "errors": errors[:3], "server_alive": alive,
                       "workers": args.idle_workers if kind == "icegate" else 1}
                results.append(row)
                log(f"idle {kind:8} {connected}/{n} sessions (failed {failed}) in {took:.0f}s: "
                    f"RSS {rss0/1024:.1f} -> {rss1/1024:.1f} MiB, {row['kib_per_session']:.1f} KiB/session"
                    + (f" errors: {errors[:3]}" if errors else ""))
            finally:
                stop_all(gens)
                srv.stop()
    return results


# ---- output -----------------------------------------------------------------------------------

def fmt(x, nd=1):
    if isinstance(x, float) and math.isinf(x):
        return "inf"
    return f"{x:.{nd}f}"


def print_tables(rate, idle, args):
    if rate:
        print(f"\n## Rate ladder: {args.clients} clients, p99 bound {args.p99_ms} ms, "
              f"{args.secs}s per rung (+{args.warm}s warm-up), icegate workers {args.workers}, "
              f"{args.gen_procs} generator processes per server\n")
        print("| rooms | server | offered/s | delivered/s | p50 ms | p99 ms | lost % | server CPU % | server CPU us/msg | gen CPU % (max proc) | gen lag max ms | machine busy % | pass |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for rs, rows in rate.items():
            for kind, rr in rows.items():
                for r in rr:
                    print(f"| {rs} | {kind} | {r['offered']}{' (retry)' if r.get('attempt', 1) > 1 else ''} | {r['delivered_per_s']:.0f} | {fmt(r['p50_ms'],2)} | "
                          f"{fmt(r['p99_ms'],2)} | {r['lost_pct']:.2f} | {r['server_cpu_pct']:.0f} | {r['server_cpu_us_per_msg']:.0f} | "
                          f"{r['gen_cpu_pct_sum']:.0f} ({r['gen_cpu_pct_max']:.0f}) | {r['gen_lag_max_ms']} | {r['machine_busy_pct']:.0f} | "
                          f"{'yes' if r['pass'] else 'NO'} |")
        print(f"\n## Messages/s delivered at p99 <= {args.p99_ms} ms (highest passing rung)\n")
        print("| rooms | icegate | socket.io | ratio | icegate ladder capped (never failed)? |")
        print("|---|---|---|---|---|")
        for rs, rows in rate.items():
            best = {}
            for kind, rr in rows.items():
                ok = [r["delivered_per_s"] for r in rr if r["pass"]]
                best[kind] = max(ok) if ok else 0.0
            capped = all(r["pass"] for r in rows["icegate"])
            ratio = best["icegate"] / best["socketio"] if best["socketio"] else float("nan")
            print(f"| {rs} | {best['icegate']:.0f} | {best['socketio']:.0f} | {ratio:.1f}x | "
                  f"{'yes (lower bound)' if capped else 'no'} |")
    if idle:
        print("\n## Idle sessions (joined, rooms of 2)\n")
        print("| server | target | connected | RSS before MiB | RSS after MiB | KiB/session | sessions/GiB | connect s | notes |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in idle:
            notes = "; ".join(r["errors"]) if r["errors"] else ""
            if r["wanted"] != r["target"]:
                notes = f"{r['wanted']} wanted, RLIMIT_NOFILE hard limit" + (f"; {notes}" if notes else "")
            if r["kind"] == "icegate":
                notes = f"workers {r['workers']}" + (f"; {notes}" if notes else "")
            print(f"| {r['kind']} | {r['target']} | {r['connected']} | {r['rss_before_mib']:.1f} | "
                  f"{r['rss_after_mib']:.1f} | {r['kib_per_session']:.1f} | {r['sessions_per_gib']:.0f} | "
                  f"{r['connect_s']:.0f} | {notes} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="seconds, tiny N (CI)")
    ap.add_argument("--only", choices=["rate", "idle"])
    ap.add_argument("--clients", type=int, default=1080)
    ap.add_argument("--room-sizes", default="2,6")
    ap.add_argument("--ladder", default="1000,2000,3000,4000,5000,6000,7000,8000,10000,12000,15000,20000,30000,40000")
    ap.add_argument("--secs", type=float, default=4.0)
    ap.add_argument("--warm", type=float, default=1.0)
    ap.add_argument("--drain", type=float, default=1.0)
    ap.add_argument("--p99-ms", type=float, default=50.0)
    ap.add_argument("--retries", type=int, default=1, help="re-runs of a failed rung before the ladder stops")
    ap.add_argument("--workers", type=int, default=2, help="icegate workers for the rate ladder")
    ap.add_argument("--gen-procs", type=int, default=3)
    ap.add_argument("--idle", default="10000,50000")
    ap.add_argument("--idle-workers", type=int, default=2,
                    help="icegate workers for idle runs (http max_connections is 20000 per worker)")
    ap.add_argument("--idle-servers", default="icegate,socketio")
    ap.add_argument("--idle-per-proc", type=int, default=10000)
    ap.add_argument("--idle-concurrency", type=int, default=100)
    ap.add_argument("--idle-timeout", type=float, default=600)
    ap.add_argument("--settle", type=float, default=5.0)
    ap.add_argument("--json", help="also write all results here")
    ap.add_argument("--nice", type=int, default=0,
                    help="niceness for servers and generators; e.g. -5 on a host shared with builds (needs CAP_SYS_NICE)")
    args = ap.parse_args()
    if args.smoke:
        args.clients, args.ladder, args.secs, args.warm, args.drain = 24, "200,500", 1.0, 0.5, 0.5
        args.gen_procs, args.idle, args.idle_per_proc, args.settle = 2, "200", 100, 1.0
    global NICE
    NICE = args.nice
    args.room_sizes = [int(x) for x in args.room_sizes.split(",")]
    args.ladder = [int(x) for x in args.ladder.split(",")]
    args.idle = [int(x) for x in args.idle.split(",") if x]
    args.idle_servers = [x for x in args.idle_servers.split(",") if x in ("icegate", "socketio")]
    for rs in args.room_sizes:
        if args.clients % (rs * args.gen_procs):
            sys.exit(f"--clients must be a multiple of room size x --gen-procs ({rs * args.gen_procs})")

    # SIGTERM/SIGINT unwind through the finally blocks, which stop every child by its PID.
    def _stop(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, _stop)
    if not os.access(BINARY, os.X_OK):
        sys.exit(f"no icegate binary at {BINARY} (set ICEGATE_BINARY)")
    if not (HERE / "node_modules" / "socket.io").exists():
        log("npm ci")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 200000
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    log(f"RLIMIT_NOFILE {resource.getrlimit(resource.RLIMIT_NOFILE)}; binary {BINARY}")

    with tempfile.TemporaryDirectory(prefix="sigbench-") as td:
        d = pathlib.Path(td)
        cert, key = make_cert(d)
        rate = rate_bench(args, d, cert, key) if args.only in (None, "rate") else {}
        idle = idle_bench(args, d, cert, key) if args.only in (None, "idle") else []
        if args.json:
            pathlib.Path(args.json).write_text(json.dumps({"rate": rate, "idle": idle}, indent=1, default=str))
        print_tables(rate, idle, args)
        ok = all(any(r["pass"] for r in rr) for rows in rate.values() for rr in rows.values()) and \
            all(r["connected"] == r["target"] for r in idle)
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
