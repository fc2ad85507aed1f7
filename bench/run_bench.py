#!/usr/bin/python3
"""icegate benchmarks: relay (uclient and loadgen ladders against icegate, coturn and the
floor relay; uclient over TCP and TLS against icegate and coturn), allocations, and instructions per relayed packet under callgrind.

    bench/run_bench.py --build /tmp/build-bench            # the full run (about 19 minutes)
    bench/run_bench.py --build /tmp/build-bench --smoke    # seconds, measures nothing
    bench/run_bench.py --build /tmp/build-bench --only streams   # relay over TCP and TLS

Servers run side by side on free loopback ports; rungs alternate between them so that drift
(other work on the machine) hits all of them alike. Results: a JSON file and a Markdown
summary in --out. See docs/performance.md.
"""
import argparse
import json
import os
import pathlib
import re
import select
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import servers as sv  # noqa: E402

LOSS_FREE = 0.001  # a rung counts as loss-free below 0.1 % loss


class LoadGen(sv.Process):
    name = "loadgen"

    def __init__(self, binary, args):
        super().__init__()
        self.proc = subprocess.Popen([binary] + args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def go(self):
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.flush()

    def finish(self, timeout=60):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()


def kv(text):
    return {k: float(v) for k, v in re.findall(r"(\w+)=([-\d.]+)", text)}


# ---- relay: loadgen ladder -------------------------------------------------------------------

def relay_ladder(a, bins, procs, rates, reps, seconds, pairs):
    gens = {}
    for name, p in procs.items():
        args = ["relay", "--server", f"127.0.0.1:{p.port}", "--pairs", str(pairs),
                "--rates", ",".join(str(r) for r in rates * reps), "--seconds", str(seconds),
                "--threads", str(a.gen_threads), "--wait"]
        if name == "floor":
            args.append("--raw")
        gens[name] = LoadGen(bins["loadgen"], args)
    rows = []
    try:
        for g in gens.values():
            g.wait_for(r"^READY", 60)
        names = list(procs)
        for rep in range(reps):
            for i, rate in enumerate(rates):
                k = (rep + i) % len(names)
                for name in names[k:] + names[:k]:
                    rows.append(relay_rung(procs[name], gens[name], name, rep, rate, seconds))
                    log_row(rows[-1])
    finally:
        for g in gens.values():
            g.finish()
    return rows


def relay_rung(server, gen, name, rep, rate, seconds):
    before = sv.Sample(server.pid)
    gen_before = sum(sv.cpu_times(gen.pid))
    gen.go()
    m = gen.wait_for(r"^RESULT (.*)", seconds + 60)
    gen_cpu = sum(sv.cpu_times(gen.pid)) - gen_before
    d = before.delta(sv.Sample(server.pid, before.inodes))
    r = kv(m.group(1))
    received = max(r["received"], 1)
    return {
        "bench": "relay", "client": "loadgen", "server": name, "rep": rep, "rate": rate,
        "offered": r["sent"] / r["seconds"], "received_rate": r["received"] / r["seconds"],
        "sent": r["sent"], "received": r["received"],
        "loss": 1 - r["received"] / max(r["sent"], 1),
        "cpu_us": 1e6 * (d["utime"] + d["stime"]) / received,
        "utime_us": 1e6 * d["utime"] / received, "stime_us": 1e6 * d["stime"] / received,
        "p50_us": r["p50_us"], "p99_us": r["p99_us"],
        "server_drops": d["server_drops"], "rcvbuf_errors": d["rcvbuf_errors"],
        "gen_cpu_pct": 100 * gen_cpu / d["wall"], "idle_pct": d["idle_pct"],
    }


# ---- relay: turnutils_uclient ladder ---------------------------------------------------------

def uclient_ladder(procs, clients, reps, per_client):
    rows = []
    names = list(procs)
    for rep in range(reps):
        for i, m in enumerate(clients):
            k = (rep + i) % len(names)
            for name in names[k:] + names[:k]:
                rows.append(uclient_run(procs[name], name, rep, m, per_client))
                log_row(rows[-1])
    return rows


# ---- relay over TCP and TLS: turnutils_uclient -t / -t -S ----------------------------------

STREAM_FLAGS = {"tcp": ["-t"], "tls": ["-t", "-S"]}  # -S alone would be DTLS


def stream_ladder(procs, transports, clients, reps, per_client):
    """Like uclient_ladder, client-to-server over TCP or TLS (relay legs stay UDP)."""
    rows = []
    names = list(procs)
    for rep in range(reps):
        for i, (tr, m) in enumerate((tr, m) for tr in transports for m in clients):
            k = (rep + i) % len(names)
            for name in names[k:] + names[:k]:
                p = procs[name]
                rows.append(uclient_run(p, name, rep, m, per_client, transport=tr,
                                        port=p.tls_port if tr == "tls" else p.port))
                log_row(rows[-1])
    return rows


def uclient_run(server, name, rep, m, n, transport="udp", port=None):
    args = (["stdbuf", "-oL", "turnutils_uclient", "-c", "-y"] + STREAM_FLAGS.get(transport, []) +
            ["-m", str(m), "-n", str(n), "-z", "1", "-l", "100", "-u", sv.USER,
             "-w", sv.PASSWORD, "-p", str(port or server.port), "127.0.0.1"])
    before = sv.Sample(server.pid)
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []  # (seconds since start, text)
    start = time.monotonic()
    deadline = start + 180
    buf = b""
    while time.monotonic() < deadline:
        if not select.select([p.stdout], [], [], 1.0)[0]:
            continue
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            lines.append((time.monotonic() - start, line.decode(errors="replace")))
    if p.poll() is None:
        p.kill()  # our own child, by its handle
    p.wait()
    d = before.delta(sv.Sample(server.pid, before.inodes))
    progress = [(t, int(a), int(b)) for t, text in lines for a, b in
                re.findall(r"msz=\d+, tot_send_msgs=(\d+), tot_recv_msgs=(\d+)", text)]
    total_sent = next((int(x) for _, t in lines for x in re.findall(r"tot_send_msgs=(\d+), tot_recv", t)
                       if "msz" not in t), 0)
    total_recv = next((int(x) for _, t in lines for x in re.findall(r"tot_recv_msgs=(\d+)$", t)
                       if "msz" not in t), 0)
    rtt = next((float(x) for _, t in lines for x in re.findall(r"round trip delay ([\d.]+) ms", t)),
               0.0)
    received = max(total_recv, 1)
    return {
        "bench": "relay", "client": "uclient" if transport == "udp" else f"uclient-{transport}",
        "transport": transport, "server": name, "rep": rep, "clients": m,
        "rate": m * 1000, "offered": uclient_rate(progress), "sent": total_sent,
        "received": total_recv, "loss": 1 - total_recv / max(total_sent, 1),
        "received_rate": uclient_rate(progress, recv=True),
        "cpu_us": 1e6 * (d["utime"] + d["stime"]) / received,
        "utime_us": 1e6 * d["utime"] / received, "stime_us": 1e6 * d["stime"] / received,
        # per message the client sent: what the server relayed when the loss is uclient's own
        # (over TLS it reads one frame per TLS record and drops the rest of the record)
        "cpu_sent_us": 1e6 * (d["utime"] + d["stime"]) / max(total_sent, 1),
        "avg_rtt_us": rtt * 1000, "server_drops": d["server_drops"],
        "rcvbuf_errors": d["rcvbuf_errors"], "idle_pct": d["idle_pct"],
    }


def uclient_rate(progress, recv=False):
    """Messages/s while uclient was sending, from its once-a-second progress lines (timed as
    they arrived): the span between the last line before sending and the first at the end."""
    idx = 2 if recv else 1
    if not progress:
        return 0.0
    total = progress[-1][idx]
    zero = [p for p in progress if p[idx] == 0]
    t0 = zero[-1][0] if zero else progress[0][0] - 1.0
    t1 = next(p[0] for p in progress if p[idx] == total)
    return total / max(t1 - t0, 1e-3)


# ---- allocations -----------------------------------------------------------------------------

def alloc_bench(a, bins, make_server, reps, steps):
    rows = []
    names = ["icegate", "coturn"]
    for rep in range(reps):
        for name in (names if rep % 2 == 0 else names[::-1]):
            rows.append(alloc_run(a, bins, make_server(name), name, rep, steps))
            log_row(rows[-1])
    return rows


def alloc_run(a, bins, server, name, rep, steps):
    server.start()
    gen = None
    try:
        time.sleep(1.0)  # coturn starts its threads after binding
        row = {"bench": "alloc", "server": name, "rep": rep, "rss0_kib": sv.rss_kib(server.pid),
               "steps": []}
        gen = LoadGen(bins["loadgen"], ["alloc", "--server", f"127.0.0.1:{server.port}",
                                        "--steps", ",".join(map(str, steps)),
                                        "--window", "256", "--wait"])
        cpu = allocs = secs = retrans = 0.0
        for _ in steps:
            gen.wait_for(r"^READY", 120)
            before = sv.Sample(server.pid, set())
            gen.go()
            r = kv(gen.wait_for(r"^STEP (.*)", 300).group(1))
            d = before.delta(sv.Sample(server.pid, set()))
            cpu += d["utime"] + d["stime"]
            allocs += r["ok"]
            secs += r["seconds"]
            retrans += r["retransmits"]
            row["steps"].append({"live": r["live"], "ok": r["ok"], "failed": r["failed"],
                                 "rss_kib": sv.rss_kib(server.pid)})
            gen.go()
        rel = kv(gen.wait_for(r"^RELEASED (.*)", 300).group(1))
        time.sleep(1.0)
        row.update({"alloc_per_s": allocs / max(secs, 1e-9),
                    "cpu_us_per_alloc": 1e6 * cpu / max(allocs, 1),
                    "retransmits": retrans, "released_ok": rel["ok"], "rss_released_kib": sv.rss_kib(server.pid)})
        for s in row["steps"]:
            s["rss_per_alloc_kib"] = (s["rss_kib"] - row["rss0_kib"]) / max(s["live"], 1)
        gen.go()
        gen.finish()
        return row
    finally:
        if gen is not None:
            gen.stop()
        server.stop()


# ---- callgrind -------------------------------------------------------------------------------

def callgrind(bins, outdir, counts):
    ir = []
    for n in counts:
        out = outdir / f"callgrind.{n}.out"
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        bins["relay_callgrind"], str(n)], check=True, capture_output=True,
                       timeout=600)
        text = out.read_text()
        ir.append(int(re.search(r"^(?:summary|totals):\s+(\d+)", text, re.M).group(1)))
    per = (ir[1] - ir[0]) / (counts[1] - counts[0])
    return {"bench": "callgrind", "counts": counts, "instructions": ir,
            "instructions_per_message": per}


# ---- output ----------------------------------------------------------------------------------

def log_row(r):
    keys = [k for k in ("server", "client", "rep", "rate", "clients", "offered", "received_rate",
                        "loss", "cpu_us", "p50_us", "p99_us", "avg_rtt_us", "server_drops",
                        "alloc_per_s", "cpu_us_per_alloc", "retransmits", "rss_released_kib") if k in r]
    print("  " + " ".join(f"{k}={r[k]:.4g}" if isinstance(r[k], float) else f"{k}={r[k]}"
                          for k in keys), flush=True)


def num(x):
    return f"{x:.0f}" if abs(x) >= 100 else f"{x:.3g}"


def mmm(values):
    v = sorted(values)
    return f"{num(v[0])} / {num(statistics.median(v))} / {num(v[-1])}" if v else "-"


def server_names(rows):
    return list(dict.fromkeys(r["server"] for r in rows))


def summarize(rows, cg):
    out = []
    for client, key in (("loadgen", "rate"), ("uclient", "clients")):
        sel = [r for r in rows if r.get("client") == client]
        if not sel:
            continue
        out.append(f"\n### Relay, {client} (min / median / max of {1 + max(r['rep'] for r in sel)}"
                   " repetitions)\n")
        out.append(f"| {key} | server | offered/s | received/s | loss % | CPU us/msg | user | "
                   "sys | latency p50 / p99 us | server drops | RcvbufErrors | idle % |")
        out.append("|" + " --- |" * 12)
        for k in sorted({r[key] for r in sel}):
            for name in server_names(sel):
                g = [r for r in sel if r[key] == k and r["server"] == name]
                if not g:
                    continue
                lat = (f"{statistics.median(r['p50_us'] for r in g):.0f} / "
                       f"{statistics.median(r['p99_us'] for r in g):.0f}" if client == "loadgen"
                       else f"avg {statistics.median(r['avg_rtt_us'] for r in g):.0f}")
                out.append(
                    f"| {k:g} | {name} | {mmm([r['offered'] for r in g])} | "
                    f"{mmm([r['received_rate'] for r in g])} | "
                    f"{mmm([100 * r['loss'] for r in g])} | {mmm([r['cpu_us'] for r in g])} | "
                    f"{statistics.median(r['utime_us'] for r in g):.2f} | "
                    f"{statistics.median(r['stime_us'] for r in g):.2f} | {lat} | "
                    f"{mmm([r['server_drops'] for r in g])} | "
                    f"{mmm([r['rcvbuf_errors'] for r in g])} | "
                    f"{statistics.median(r['idle_pct'] for r in g):.0f} |")
        out.append("")
        for name in server_names(sel):
            best = loss_free(sel, name)
            if best:
                out.append(f"- highest loss-free received rate ({client}, {name}): {mmm(best)}")
    out += summarize_streams(rows)
    allocs = [r for r in rows if r.get("bench") == "alloc"]
    if allocs:
        out.append("\n### Allocations (min / median / max)\n")
        out.append("| server | allocations/s | CPU us/alloc | " +
                   " | ".join(f"KiB/alloc at {int(s['live'])}" for s in allocs[0]["steps"]) +
                   " | RSS start KiB | RSS after release KiB |")
        out.append("|" + " --- |" * (5 + len(allocs[0]["steps"])))
        for name in ("icegate", "coturn"):
            g = [r for r in allocs if r["server"] == name]
            steps = " | ".join(mmm([r["steps"][i]["rss_per_alloc_kib"] for r in g])
                               for i in range(len(g[0]["steps"])))
            out.append(f"| {name} | {mmm([r['alloc_per_s'] for r in g])} | "
                       f"{mmm([r['cpu_us_per_alloc'] for r in g])} | {steps} | "
                       f"{mmm([r['rss0_kib'] for r in g])} | "
                       f"{mmm([r['rss_released_kib'] for r in g])} |")
    if cg:
        out.append(f"\n### callgrind\n\nicegate engine, instructions per relayed message "
                   f"(ChannelData in + peer datagram out): {cg['instructions_per_message']:.0f} "
                   f"(N = {cg['counts'][0]} and {cg['counts'][1]})")
    return "\n".join(out)


def summarize_streams(rows):
    sel = [r for r in rows if r.get("transport") in ("tcp", "tls")]
    if not sel:
        return []
    out = [f"\n### Relay over TCP and TLS, turnutils_uclient (min / median / max of "
           f"{1 + max(r['rep'] for r in sel)} repetitions)\n",
           "CPU per message: server utime+stime over the messages uclient sent (per received in "
           "brackets, medians); user and sys likewise per sent message.\n",
           "| transport | -m | server | offered/s | loss % | CPU us/msg | user | sys | "
           "icegate / coturn (medians) | idle % |", "|" + " --- |" * 10]
    for tr in ("tcp", "tls"):
        for m in sorted({r["clients"] for r in sel if r["transport"] == tr}):
            med = {}
            for name in server_names(sel):
                g = [r for r in sel if r["transport"] == tr and r["clients"] == m
                     and r["server"] == name]
                if g:
                    med[name] = (g, statistics.median(r["cpu_sent_us"] for r in g))
            for name, (g, cpu) in med.items():
                ratio = (f"{cpu / med['coturn'][1]:.2f}" if name == "icegate" and "coturn" in med
                         else "")
                out.append(
                    f"| {tr} | {m} | {name} | {mmm([r['offered'] for r in g])} | "
                    f"{mmm([100 * r['loss'] for r in g])} | {mmm([r['cpu_sent_us'] for r in g])} "
                    f"({statistics.median(r['cpu_us'] for r in g):.3g}) | "
                    f"{statistics.median(per_sent(r, 'utime_us') for r in g):.2f} | "
                    f"{statistics.median(per_sent(r, 'stime_us') for r in g):.2f} | {ratio} | "
                    f"{statistics.median(r['idle_pct'] for r in g):.0f} |")
    return out


def per_sent(r, key):
    """A per-received-message figure of a uclient row, per sent message."""
    return r[key] * max(r["received"], 1) / max(r["sent"], 1)


def loss_free(sel, name):
    """Per repetition, the highest received rate among rungs with loss below LOSS_FREE."""
    out = []
    for rep in sorted({r["rep"] for r in sel}):
        ok = [r["received_rate"] for r in sel
              if r["server"] == name and r["rep"] == rep and r["loss"] < LOSS_FREE]
        if ok:
            out.append(max(ok))
    return out


# ---- main ------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build", help="CMake build directory")
    ap.add_argument("--out", default=None, help="results folder (default: a new one in /tmp)")
    ap.add_argument("--smoke", action="store_true", help="seconds; checks, measures nothing")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2, help="server threads (all servers)")
    ap.add_argument("--rates", default="20000,50000,100000,150000,200000,250000")
    ap.add_argument("--seconds", type=float, default=3.0, help="per loadgen rung")
    ap.add_argument("--pairs", type=int, default=16)
    ap.add_argument("--gen-threads", type=int, default=1)
    ap.add_argument("--uclients", default="25,100,200", help="uclient -m ladder")
    ap.add_argument("--uclient-messages", type=int, default=200, help="uclient -n")
    ap.add_argument("--stream-clients", default="50,100", help="uclient -m ladder, TCP/TLS")
    ap.add_argument("--stream-transports", default="tcp,tls")
    ap.add_argument("--alloc-steps", default="1000,10000,18000")
    ap.add_argument("--only", default="relay,uclient,streams,alloc,callgrind")
    ap.add_argument("--compare", default=None,
                    help="another icegate binary, run as 'icegate-b' in the relay ladders")
    a = ap.parse_args()
    build = pathlib.Path(a.build).resolve()
    bins = {"icegate": str(build / "icegate"), "loadgen": str(build / "bench" / "loadgen"),
            "floor_relay": str(build / "bench" / "floor_relay"),
            "relay_callgrind": str(build / "bench" / "relay_callgrind")}
    for path in bins.values():
        if not os.access(path, os.X_OK):
            sys.exit(f"run_bench: {path} missing: build first (make bench builds it)")
    outdir = pathlib.Path(a.out or f"/tmp/icegate-bench-{time.strftime('%Y%m%d-%H%M%S')}")
    outdir.mkdir(parents=True, exist_ok=True)
    return smoke(a, bins) if a.smoke else full(a, bins, outdir)


def smoke(a, bins):
    """Every tool once, tiny: servers start, traffic flows, allocations come and go."""
    taken = set()
    procs = {"icegate": sv.Icegate(bins["icegate"], sv.free_port(taken), 2),
             "floor": sv.Floor(bins["floor_relay"], sv.free_port(taken), 2)}
    try:
        for p in procs.values():
            p.start()
        rows = relay_ladder(a, bins, procs, [2000], 1, 0.5, 2)
        bad = [r for r in rows if r["received"] < 0.5 * r["sent"] or r["sent"] == 0]
        procs["icegate"].stop()
        # with tcp:// and tls:// listeners too: checks they come up (no stream traffic)
        alloc = alloc_run(a, bins, sv.Icegate(bins["icegate"], sv.free_port(taken), 2,
                                              sv.free_port(taken)), "icegate", 0, [20])
        cg = subprocess.run([bins["relay_callgrind"], "100"], capture_output=True, text=True,
                            timeout=60)
    finally:
        for p in procs.values():
            p.stop()
    ok = (not bad and alloc["steps"][0]["ok"] == 20 and alloc["released_ok"] == 20
          and cg.returncode == 0)
    print("bench-smoke:", "ok" if ok else f"FAILED relay={bad} alloc={alloc} cg={cg.stdout}")
    return 0 if ok else 1


def full(a, bins, outdir):
    started = time.monotonic()
    taken = set()
    only = set(a.only.split(","))
    rows, cg = [], None
    info = machine_info()
    print(f"results in {outdir}\n{info}", flush=True)
    if only & {"relay", "uclient"}:
        procs = {"icegate": sv.Icegate(bins["icegate"], sv.free_port(taken), a.workers),
                 "coturn": sv.Coturn(sv.free_port(taken), a.workers),
                 "floor": sv.Floor(bins["floor_relay"], sv.free_port(taken), a.workers)}
        if a.compare:
            procs["icegate-b"] = sv.Icegate(a.compare, sv.free_port(taken), a.workers)
        try:
            for p in procs.values():
                p.start()
            if "relay" in only:
                print("relay ladder (loadgen)", flush=True)
                rows += relay_ladder(a, bins, procs, [int(x) for x in a.rates.split(",")],
                                     a.reps, a.seconds, a.pairs)
            if "uclient" in only:
                print("relay ladder (turnutils_uclient)", flush=True)
                rows += uclient_ladder({k: procs[k] for k in ("icegate", "coturn")},
                                       [int(x) for x in a.uclients.split(",")], a.reps,
                                       a.uclient_messages)
        finally:
            for p in procs.values():
                p.stop()
    if "streams" in only:
        # Own servers: coturn needs TCP and TLS enabled (a certificate), icegate the listeners.
        print("relay over TCP and TLS (turnutils_uclient)", flush=True)
        procs = {"icegate": sv.Icegate(bins["icegate"], sv.free_port(taken), a.workers,
                                       sv.free_port(taken)),
                 "coturn": sv.Coturn(sv.free_port(taken), a.workers, sv.free_port(taken))}
        try:
            for p in procs.values():
                p.start()
            rows += stream_ladder(procs, a.stream_transports.split(","),
                                  [int(x) for x in a.stream_clients.split(",")], a.reps,
                                  a.uclient_messages)
        finally:
            for p in procs.values():
                p.stop()
    if "alloc" in only:
        print("allocations", flush=True)

        def make(name):
            port = sv.free_port(taken)
            return (sv.Icegate(bins["icegate"], port, a.workers) if name == "icegate"
                    else sv.Coturn(port, a.workers))
        rows += alloc_bench(a, bins, make, a.reps, [int(x) for x in a.alloc_steps.split(",")])
    if "callgrind" in only:
        print("callgrind", flush=True)
        cg = callgrind(bins, outdir, [2000, 12000])
    summary = f"{info}\n{summarize(rows, cg)}\n\n(run took {time.monotonic() - started:.0f} s)"
    (outdir / "results.json").write_text(json.dumps({"rows": rows, "callgrind": cg}, indent=1))
    (outdir / "summary.md").write_text(summary + "\n")
    print(summary)
    return 0


def machine_info():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), "?")
    kernel = os.uname().release
    coturn = subprocess.run(["turnserver", "--version"], capture_output=True, text=True).stdout
    return (f"machine: {os.cpu_count()} CPUs ({cpu}), kernel {kernel}, "
            f"coturn {coturn.strip() or '?'}, net.core.rmem_max "
            f"{open('/proc/sys/net/core/rmem_max').read().strip()}")


if __name__ == "__main__":
    sys.exit(main())
