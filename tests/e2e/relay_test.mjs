#!/usr/bin/env node
// Browser interop test of the TURN relay: Debian's headless Chromium, driven by playwright-core,
// connects two RTCPeerConnections of one page relay-only through a running icegate, once per
// client transport (udp, tcp, tls). For each it checks that both connect, that the selected
// pairs are relay/relay with the expected relayProtocol, that 30 frames of the fake camera are
// decoded, and that a 1 MiB data-channel payload arrives with the same SHA-256.
//
//   node relay_test.mjs --udp PORT --tcp PORT --tls PORT --spki BASE64 [--host 127.0.0.1]
//        [--tls-host HOST] [--user alice --password pass] [--out DIR] [--timeout-ms 30000]
//        [--hold-ms N --ready-file PATH]
//
// With --hold-ms the call of each transport is held that long once it passed, and sampled
// every 250 ms: it must stay connected and keep decoding frames (no gap of a second without a
// new frame). PATH.<transport> is created when the hold starts, so a caller can change the
// server meanwhile (test_browser_reload.py reloads it).
// A transport without a port is not run. Prints one JSON document on stdout (logs go to
// stderr) and exits 0 when every transport passed, 1 when one failed, 2 on a usage or setup
// error. tests/integration/test_browser_relay.py starts icegate and runs this.
import { createServer } from 'node:http';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { chromiumArgs as sharedChromiumArgs } from './chromium_args.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TRANSPORTS = ['udp', 'tcp', 'tls'];

function log(...args) {
  process.stderr.write(`[relay_test ${new Date().toISOString().slice(11, 23)}] ${args.join(' ')}\n`);
}

function usage(message) {
  log(`error: ${message}`);
  process.exit(2);
}

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      udp: { type: 'string' },
      tcp: { type: 'string' },
      tls: { type: 'string' },
      spki: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      'tls-host': { type: 'string' },
      user: { type: 'string', default: 'alice' },
      password: { type: 'string', default: 'pass' },
      out: { type: 'string' },
      'timeout-ms': { type: 'string', default: '30000' },
      'payload-bytes': { type: 'string', default: String(1 << 20) },
      frames: { type: 'string', default: '30' },
      chromium: { type: 'string', default: '/usr/bin/chromium' },
      'hold-ms': { type: 'string', default: '0' },
      'ready-file': { type: 'string' },
    },
  }));
} catch (err) {
  usage(err.message);
}

const host = opts.host;
const tlsHost = opts['tls-host'] || host;
const timeoutMs = Number(opts['timeout-ms']);
const payloadBytes = Number(opts['payload-bytes']);
const framesWanted = Number(opts.frames);
const holdMs = Number(opts['hold-ms']);
const ports = {};
for (const t of TRANSPORTS) {
  if (opts[t] === undefined) continue;
  const port = Number(opts[t]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) usage(`--${t}: not a port: ${opts[t]}`);
  ports[t] = port;
}
const transports = TRANSPORTS.filter((t) => t in ports);
if (transports.length === 0) usage('give at least one of --udp, --tcp, --tls');
if (ports.tls && !opts.spki) usage('--tls needs --spki (the server certificate pin)');

// The one TURN URL of each run; icegate is the only ICE server.
function bracket(h) {
  return h.includes(':') ? `[${h}]` : h;
}
const turnUrls = {
  udp: `turn:${bracket(host)}:${ports.udp}?transport=udp`,
  tcp: `turn:${bracket(host)}:${ports.tcp}?transport=tcp`,
  tls: `turns:${bracket(tlsHost)}:${ports.tls}?transport=tcp`,
};

// Hard stop: whatever hangs (browser launch, close), the test ends.
const watchdogMs = 60000 + transports.length * (timeoutMs + holdMs + 20000);
setTimeout(() => {
  log(`watchdog: still running after ${watchdogMs} ms, giving up`);
  process.exit(2);
}, watchdogMs).unref();

// Serves relay.html and relay.js on 127.0.0.1 (a secure context for getUserMedia).
function startPageServer() {
  const files = {
    '/relay.html': ['text/html; charset=utf-8', readFileSync(path.join(HERE, 'relay.html'))],
    '/relay.js': ['text/javascript; charset=utf-8', readFileSync(path.join(HERE, 'relay.js'))],
  };
  const server = createServer((req, res) => {
    const file = files[new URL(req.url, 'http://127.0.0.1').pathname];
    if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// Chromium may resolve loopback and the TURN hosts, nothing else.
function chromiumArgs(userDataDir) {
  return sharedChromiumArgs({ userDataDir, resolvable: [host, tlsHost], spki: opts.spki });
}

// What must hold for one transport; returns the list of failures (empty: passed).
function check(transport, r) {
  const failures = [];
  if (r.error) failures.push(`page: ${r.error}`);
  for (const pc of ['pc1', 'pc2']) {
    const st = r.states && r.states[pc];
    if (!st || st.connectionState !== 'connected'
        || !['connected', 'completed'].includes(st.iceConnectionState)) {
      failures.push(`${pc} not connected: ${JSON.stringify(st)}`);
    }
    const sel = r.selected && r.selected[pc];
    if (!sel || !sel.local || !sel.remote) {
      failures.push(`${pc}: no selected candidate pair`);
      continue;
    }
    if (sel.local.candidateType !== 'relay') failures.push(`${pc}: local candidate is ${sel.local.candidateType}, not relay`);
    if (sel.remote.candidateType !== 'relay') failures.push(`${pc}: remote candidate is ${sel.remote.candidateType}, not relay`);
    if (sel.local.relayProtocol !== transport) {
      failures.push(`${pc}: local relayProtocol is ${sel.local.relayProtocol}, not ${transport}`);
    }
  }
  if (!r.video || !(r.video.framesDecoded >= framesWanted)) {
    failures.push(`video: ${r.video ? r.video.framesDecoded : 0} frames decoded, want >= ${framesWanted}`);
  }
  if (holdMs > 0) failures.push(...checkHold(r.hold));
  const d = r.data;
  if (!d) {
    failures.push('data: nothing received');
  } else {
    if (d.receivedBytes !== payloadBytes) failures.push(`data: ${d.receivedBytes} of ${payloadBytes} bytes`);
    if (d.sentSha256 !== d.receivedSha256) failures.push(`data: SHA-256 differs: sent ${d.sentSha256}, received ${d.receivedSha256}`);
  }
  return failures;
}

// The held call: every sample connected, and a new frame decoded within every second.
function checkHold(samples) {
  if (!samples || samples.length < 4) return [`hold: ${samples ? samples.length : 0} samples`];
  const failures = [];
  for (const s of samples) {
    if (!s || s.pc1 !== 'connected' || s.pc2 !== 'connected') {
      failures.push(`hold: not connected at a sample: ${JSON.stringify(s)}`);
      break;
    }
  }
  // Samples come every 250 ms or slower (getStats takes longer on a loaded machine): compare
  // each with the first one at least a second later.
  for (let i = 0, j = 0; i < samples.length && failures.length === 0; i += 1) {
    while (j < samples.length && samples[j].t < samples[i].t + 1000) j += 1;
    if (j < samples.length && samples[j].framesDecoded <= samples[i].framesDecoded) {
      failures.push(`hold: no frame decoded between ${Math.round(samples[i].t)} and `
        + `${Math.round(samples[j].t)} ms`);
    }
  }
  return failures;
}

// After the call passed: tells the caller (ready file) and samples it for --hold-ms.
async function hold(page, transport) {
  if (opts['ready-file']) writeFileSync(`${opts['ready-file']}.${transport}`, 'holding\n');
  const samples = [];
  const end = Date.now() + holdMs;
  while (Date.now() < end) {
    samples.push(await page.evaluate(() => window.relaySample()).catch(() => null));
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return samples;
}

async function runTransport(browser, baseUrl, transport) {
  const context = await browser.newContext({ viewport: { width: 720, height: 420 } });
  const page = await context.newPage();
  page.on('console', (m) => log(`[${transport} console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log(`[${transport} pageerror] ${e}`));
  const iceServers = [{ urls: turnUrls[transport], username: opts.user, credential: opts.password }];
  const started = Date.now();
  let r;
  try {
    await page.goto(`${baseUrl}/relay.html`, { timeout: 10000 });
    const run = page.evaluate((o) => window.runRelay(o),
      { iceServers, timeoutMs, payloadBytes, framesWanted });
    let timer;
    const hardStop = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs + 15000);
    });
    r = await Promise.race([run, hardStop]);
    clearTimeout(timer);
    if (r === null) {
      const progress = await page.evaluate(() => window.relayProgress).catch(() => null);
      r = { error: `page did not answer within ${timeoutMs + 15000} ms`, progress };
    } else if (holdMs > 0 && !r.error) {
      r.hold = await hold(page, transport);
    }
  } catch (err) {
    r = { error: `playwright: ${err.message}` };
  }
  r.wallMs = Date.now() - started;
  r.turnUrl = turnUrls[transport];
  if (opts.out) {
    const file = path.join(opts.out, `relay-${transport}.png`);
    try {
      await page.screenshot({ path: file, fullPage: true, timeout: 5000 });
      r.screenshot = file;
    } catch (err) {
      log(`${transport}: screenshot failed: ${err.message}`);
    }
  }
  await page.evaluate(() => window.closeRelay && window.closeRelay()).catch(() => {});
  await context.close().catch(() => {});
  return r;
}

async function main() {
  if (opts.out) mkdirSync(opts.out, { recursive: true });
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'icegate-e2e-chromium-'));
  const args = chromiumArgs(userDataDir);
  const out = { ok: false, chromium: null, node: process.version, flags: args, transports: {} };
  const server = await startPageServer();
  const baseUrl = `http://127.0.0.1:${server.address().port}`;
  log(`page at ${baseUrl}/relay.html; launching ${opts.chromium}`);
  let browser = null;
  try {
    browser = await chromium.launch({
      executablePath: opts.chromium,
      ignoreDefaultArgs: true,
      args,
      headless: true,
      timeout: 30000,
    });
    out.chromium = browser.version();
    log(`chromium ${out.chromium}`);
    for (const transport of transports) {
      log(`${transport}: ${turnUrls[transport]}`);
      const r = await runTransport(browser, baseUrl, transport);
      r.failures = check(transport, r);
      r.ok = r.failures.length === 0;
      out.transports[transport] = r;
      log(`${transport}: ${r.ok ? 'PASS' : 'FAIL'} in ${r.wallMs} ms`
        + (r.timings ? ` (connected ${r.timings.connectedMs} ms, frames ${r.timings.framesMs} ms,`
          + ` data ${r.timings.dataMs} ms)` : '')
        + (r.ok ? '' : `: ${r.failures.join('; ')}`));
    }
    out.ok = transports.every((t) => out.transports[t].ok);
  } catch (err) {
    out.error = err.message;
    log(`error: ${err.stack || err}`);
  } finally {
    if (browser) {
      log('closing chromium');
      await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
    }
    server.close();
    rmSync(userDataDir, { recursive: true, force: true, maxRetries: 3 });
    log('closed');
  }
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  // playwright-core keeps node alive for a few seconds after close: exit explicitly.
  process.exit(out.ok ? 0 : 1);
}

main().catch((err) => {
  log(`fatal: ${err.stack || err}`);
  process.exit(2);
});
