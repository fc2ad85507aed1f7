#!/usr/bin/env node
// Time to `connected` for two headless Chromium peers relay-only (TURN over UDP) through icegate
// and through coturn, A/B alternating (ABBA order per repetition) in one browser.
//
//   node connect_bench.mjs [--reps 10] [--warmup 1] [--icegate BINARY] [--smoke] [--json FILE]
//
// Starts its own icegate (ICEGATE_BINARY, default build/icegate) and coturn (`turnserver`) on
// free 127.0.0.1 ports with one static long-term user, each stopped by its PID at the end.
// Prints a min/median/max table on stdout.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createSocket } from 'node:dgram';
import { createServer as createTcpServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { chromiumArgs as sharedChromiumArgs } from '../../tests/e2e/chromium_args.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const { values: opts } = parseArgs({
  options: {
    reps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '1' },
    smoke: { type: 'boolean', default: false },
    icegate: { type: 'string', default: process.env.ICEGATE_BINARY || path.join(ROOT, 'build', 'icegate') },
    turnserver: { type: 'string', default: '/usr/bin/turnserver' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    'timeout-ms': { type: 'string', default: '15000' },
    json: { type: 'string' },
  },
});
const reps = opts.smoke ? 2 : Number(opts.reps);
const warmup = opts.smoke ? 0 : Number(opts.warmup);
const timeoutMs = Number(opts['timeout-ms']);
const USER = 'bench';
const PASS = 'benchpw';
const REALM = 'bench';

const log = (...a) => process.stderr.write(`[browser-bench ${new Date().toISOString().slice(11, 23)}] ${a.join(' ')}\n`);
// Hard stop for the whole run (bounded): launch + servers + reps x 2 x (timeout + slack).
const watchdogMs = 90000 + (reps + warmup) * 2 * (timeoutMs + 10000);
const children = [];
function cleanup() {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try {
        process.kill(c.pid, 'SIGTERM');
      } catch {}
    }
  }
}
setTimeout(() => {
  log(`watchdog: still running after ${watchdogMs} ms`);
  cleanup();
  process.exit(2);
}, watchdogMs).unref();
process.on('exit', cleanup);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A port is free when a plain (non-SO_REUSEPORT) bind of UDP and TCP on 127.0.0.1 succeeds:
// coturn binds with SO_REUSEPORT, so a second coturn on a taken port would silently share it.
async function portFree(port) {
  const udp = await new Promise((res) => {
    const s = createSocket('udp4');
    s.once('error', () => res(false));
    s.bind(port, '127.0.0.1', () => s.close(() => res(true)));
  });
  if (!udp) return false;
  return new Promise((res) => {
    const s = createTcpServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}
async function freePort() {
  for (let i = 0; i < 200; i++) {
    const p = 4000 + Math.floor(Math.random() * 6000);
    if (await portFree(p) && await portFree(p + 1)) return p;
  }
  throw new Error('no free port in 4000-9999');
}

function startProcess(name, argv, cwd, outFile) {
  const child = spawn(argv[0], argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const out = createWriteStream(outFile);
  let text = '';
  const onData = (b) => {
    out.write(b);
    if (text.length < 200000) text += b.toString();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.output = () => text;
  child.name = name;
  return child;
}

async function waitFor(child, re, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const m = child.output().match(re);
    if (m) return m;
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  throw new Error(`${child.name}: no ${re} within ${ms} ms:\n${child.output().slice(-3000)}`);
}

async function startIcegate(dir) {
  writeFileSync(path.join(dir, 'icegate.yaml'), [
    `realm: ${REALM}`,
    'workers: 2',
    'state_dir: ./state',
    'listen:',
    '  - udp://127.0.0.1:0',
    'auth:',
    '  users:',
    `    - name: ${USER}`,
    `      password: ${PASS}`,
    'peers:',
    '  allow: [127.0.0.0/8]',
    'relay:',
    '  address: 127.0.0.1',
    ''].join('\n'));
  const c = startProcess('icegate', [opts.icegate, 'serve', '-c', path.join(dir, 'icegate.yaml')], dir,
    path.join(dir, 'icegate.log'));
  const m = await waitFor(c, /listening on udp:\/\/127\.0\.0\.1:(\d+)/, 20000);
  await waitFor(c, /\bready\b/, 20000);
  return { child: c, url: `turn:127.0.0.1:${m[1]}?transport=udp` };
}

async function startCoturn(dir) {
  const port = await freePort();
  writeFileSync(path.join(dir, 'turnserver.conf'), '');
  // Relay ports below the ephemeral range; coturn picks free ones in it.
  const minPort = 20000 + Math.floor(Math.random() * 8) * 1000;
  const c = startProcess('coturn', [opts.turnserver, '-c', path.join(dir, 'turnserver.conf'), '-n', '--no-cli',
    '--listening-ip', '127.0.0.1', '--listening-port', String(port), '--relay-ip', '127.0.0.1',
    '--min-port', String(minPort), '--max-port', String(minPort + 999),
    '--realm', REALM, '--user', `${USER}:${PASS}`, '--lt-cred-mech', '--allow-loopback-peers',
    '--relay-threads', '2', '--no-tls', '--no-dtls', '--no-tcp', '--no-tcp-relay',
    '--log-file', 'stdout', '--simple-log', '--db', path.join(dir, 'turndb'),
    '--pidfile', path.join(dir, 'turnserver.pid'), '--no-software-attribute'], dir, path.join(dir, 'coturn.log'));
  // Bound when a plain bind of the port fails while coturn runs.
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (c.exitCode !== null) throw new Error(`coturn exited:\n${c.output().slice(-3000)}`);
    if (!(await portFree(port))) break;
    await sleep(50);
  }
  await sleep(500); // relay threads come up after the listener
  return { child: c, url: `turn:127.0.0.1:${port}?transport=udp` };
}

function chromiumArgs(userDataDir) {
  return sharedChromiumArgs({ userDataDir });
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return { n: 0, min: NaN, median: NaN, max: NaN };
  const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { n: s.length, min: s[0], median: mid, max: s[s.length - 1] };
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'browser-bench-'));
  const page = createServer((req, res) => {
    if (req.url.startsWith('/connect.html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(readFileSync(path.join(HERE, 'connect.html')));
    } else res.writeHead(404).end();
  });
  await new Promise((r) => page.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${page.address().port}`;
  let browser = null;
  const out = { servers: {}, runs: [], chromium: null };
  let ok = false;
  try {
    const ig = await startIcegate(dir);
    const co = await startCoturn(dir);
    const servers = { icegate: ig, coturn: co };
    for (const [k, s] of Object.entries(servers)) {
      out.servers[k] = { url: s.url, pid: s.child.pid };
      log(`${k} pid ${s.child.pid} at ${s.url}`);
    }
    browser = await chromium.launch({ executablePath: opts.chromium, ignoreDefaultArgs: true,
      args: chromiumArgs(path.join(dir, 'chromium')), headless: true, timeout: 60000 });
    out.chromium = browser.version();
    log(`chromium ${out.chromium}; ${warmup} warm-up + ${reps} measured repetitions per server`);
    const context = await browser.newContext();
    for (let i = 0; i < warmup + reps; i++) {
      const order = i % 2 === 0 ? ['icegate', 'coturn'] : ['coturn', 'icegate']; // ABBA
      for (const k of order) {
        const p = await context.newPage();
        await p.goto(`${base}/connect.html`, { timeout: 15000 });
        const iceServers = [{ urls: servers[k].url, username: USER, credential: PASS }];
        const r = await Promise.race([
          p.evaluate((o) => window.timeToConnected(o), { iceServers, timeoutMs }),
          sleep(timeoutMs + 10000).then(() => ({ error: 'page did not answer' })),
        ]);
        await p.close().catch(() => {});
        r.server = k;
        r.rep = i;
        r.warmup = i < warmup;
        if (!r.error && !String(r.selected).startsWith('relay/relay')) r.error = `selected ${r.selected}`;
        out.runs.push(r);
        log(`${r.warmup ? 'warm-up' : `rep ${i - warmup + 1}`} ${k.padEnd(7)}: `
          + (r.error ? `ERROR ${r.error} ${r.candidateErrors.join('; ')}`
            : `pc1 ${r.pc1Ms.toFixed(1)} ms, pc2 ${r.pc2Ms.toFixed(1)} ms, both ${r.bothMs.toFixed(1)} ms`
              + ` (first relay candidate ${r.pc1FirstCandidateMs?.toFixed(1)} ms) ${r.selected}`));
        await sleep(200);
      }
    }
    await context.close().catch(() => {});
    for (const [k, s] of Object.entries(servers)) {
      if (s.child.exitCode !== null) throw new Error(`${k} died during the run`);
    }
    ok = out.runs.every((r) => !r.error);
  } catch (err) {
    out.error = String(err.stack || err);
    log(`error: ${out.error}`);
  } finally {
    if (browser) await Promise.race([browser.close().catch(() => {}), sleep(5000)]);
    page.close();
    cleanup();
    await sleep(300);
  }

  const measured = out.runs.filter((r) => !r.warmup);
  const rows = [];
  for (const k of ['icegate', 'coturn']) {
    const mine = measured.filter((r) => r.server === k && !r.error);
    for (const [label, key] of [['both connected', 'bothMs'], ['pc1 connected', 'pc1Ms'],
      ['first relay candidate (pc1)', 'pc1FirstCandidateMs']]) {
      rows.push({ server: k, what: label, errors: measured.filter((r) => r.server === k && r.error).length,
        ...stats(mine.map((r) => r[key]).filter((x) => Number.isFinite(x))) });
    }
  }
  out.table = rows;
  if (opts.json) writeFileSync(opts.json, JSON.stringify(out, null, 2));
  const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
  let t = `\nTime from pc1.setLocalDescription(offer) to connectionState 'connected', relay-only TURN/UDP on 127.0.0.1\n`
    + `(Chromium ${out.chromium}, ${reps} repetitions per server, ABBA order, ${warmup} warm-up discarded)\n\n`
    + '| server | measure | n | errors | min ms | median ms | max ms |\n|---|---|---|---|---|---|---|\n';
  for (const r of rows) t += `| ${r.server} | ${r.what} | ${r.n} | ${r.errors} | ${f(r.min)} | ${f(r.median)} | ${f(r.max)} |\n`;
  process.stdout.write(t);
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  log(`fatal: ${err.stack || err}`);
  cleanup();
  process.exit(2);
});
