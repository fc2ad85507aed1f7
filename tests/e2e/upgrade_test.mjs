#!/usr/bin/env node
// A relayed call of the web client (web/) through a binary upgrade of icegate (SIGUSR2,
// docs/operations.md): Debian's headless Chromium, driven by playwright-core, opens the page
// twice; A and B join one room with ?relay=1 and call. Once both decode video, A sends a chat
// message and the script creates --ready-file; the caller upgrades the server and creates
// --done-file once the old process has exited. Meanwhile, and for --after-ms more, both pages
// are sampled every 250 ms. Each page must then have:
//   - decoded frames throughout: no run of samples longer than --max-stall-ms (by the stats'
//     own timestamps) without a new frame, also on the old relay between the goaway and the
//     move to the new one;
//   - kept its one RTCPeerConnection (none created after the first), never `failed`;
//   - a selected pair still relay/relay, whose local relay candidate changed (an allocation on
//     the successor);
//   - resumed its signaling session (same session id, one more joined) after a goaway;
//   - the chat message in its log.
//
//   node upgrade_test.mjs --url https://127.0.0.1:PORT/ --spki BASE64 --ready-file PATH
//        --done-file PATH [--timeout-ms 30000] [--wait-ms 90000] [--after-ms 3000]
//        [--max-stall-ms 1500] [--out DIR] [--chromium /usr/bin/chromium]
//
// Prints one JSON document on stdout (logs on stderr); exits 0 when every check passed, 1 when
// one failed, 2 on a usage or setup error. tests/integration/test_browser_upgrade.py runs it.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkRelay, makeLog, parseBaseUrl, runInChromium, webPages } from './web_pages.mjs';

const log = makeLog('upgrade_test');

function usage(message) {
  log(`error: ${message}`);
  process.exit(2);
}

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      url: { type: 'string' },
      spki: { type: 'string' },
      out: { type: 'string' },
      'ready-file': { type: 'string' },
      'done-file': { type: 'string' },
      'timeout-ms': { type: 'string', default: '30000' },
      'wait-ms': { type: 'string', default: '90000' },
      'after-ms': { type: 'string', default: '3000' },
      'max-stall-ms': { type: 'string', default: '1500' },
      chromium: { type: 'string', default: '/usr/bin/chromium' },
    },
  }));
} catch (err) {
  usage(err.message);
}
const base = parseBaseUrl(opts.url, usage);
if (!opts['ready-file'] || !opts['done-file']) usage('--ready-file and --done-file are required');
const num = (name) => {
  const v = Number(opts[name]);
  if (!(v >= 0)) usage(`--${name} must be a number >= 0`);
  return v;
};
const timeoutMs = num('timeout-ms');
const waitMs = num('wait-ms');
const afterMs = num('after-ms');
const maxStallMs = num('max-stall-ms');
const SAMPLE_MS = 250;

const watchdogMs = 120000 + 4 * timeoutMs + waitMs + afterMs;
setTimeout(() => {
  log(`watchdog: still running after ${watchdogMs} ms, giving up`);
  process.exit(2);
}, watchdogMs).unref();

const kit = webPages({ base, spki: opts.spki, timeoutMs, out: opts.out, log });
const { problems, openPage, join, waitConnected, stats, waitFrames, diagnose, shot, sendChat } = kit;

// Runs in each page before its scripts: keeps every RTCPeerConnection the page makes and the
// states each went through, so the test sees a replaced or failed connection.
function probeConnections() {
  const Native = window.RTCPeerConnection;
  const list = [];
  window.__pcProbe = { list };
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      const rec = { pc: this, states: [this.connectionState] };
      list.push(rec);
      this.addEventListener('connectionstatechange', () => rec.states.push(this.connectionState));
    }
  };
}

// One sample of a page: the first connection's decoded video frames with the timestamp of the
// stats that counted them, its selected local candidate, and the signaling state.
function sample() {
  return (async () => {
    const rec = window.__pcProbe.list[0];
    const out = { ts: null, frames: null, local: null, conn: rec?.pc.connectionState ?? null };
    if (rec) {
      const report = await rec.pc.getStats();
      for (const s of report.values()) {
        if (s.type === 'inbound-rtp' && s.kind === 'video') {
          out.ts = s.timestamp;
          out.frames = s.framesDecoded ?? 0;
        }
        if (s.type === 'transport' && s.selectedCandidatePairId) {
          const c = report.get(report.get(s.selectedCandidatePairId)?.localCandidateId);
          if (c) out.local = `${c.candidateType}/${c.relayProtocol || c.protocol} ${c.address}:${c.port}`;
        }
      }
    }
    const st = window.icegate.state();
    return { ...out, pcs: window.__pcProbe.list.length, sig: st.signaling, session: st.session, joins: st.joins };
  })();
}

function candidateKey(c) {
  return c ? `${c.candidateType}/${c.relayProtocol || c.protocol} ${c.address}:${c.port}` : null;
}

// The longest time (by the stats' timestamps) the frame count stood still between samples,
// and the longest time between two samples (a long one hides a stall from the first figure).
function stalls(samples) {
  const got = samples.filter((s) => s && s.ts !== null);
  let maxStall = 0;
  let maxInterval = 0;
  let runStart = 0;
  for (let i = 1; i < got.length; i += 1) {
    maxInterval = Math.max(maxInterval, got[i].ts - got[i - 1].ts);
    if (got[i].frames !== got[runStart].frames) runStart = i;
    else maxStall = Math.max(maxStall, got[i].ts - got[runStart].ts);
  }
  return { samples: got.length, maxStallMs: Math.round(maxStall), maxSampleIntervalMs: Math.round(maxInterval) };
}

// Samples both pages until the done file appears (at most --wait-ms), then --after-ms more.
async function sampleThroughUpgrade(pages) {
  const samples = Object.fromEntries(pages.map((p) => [p.label, []]));
  const waitEnd = Date.now() + waitMs;
  let doneAt = null;
  for (;;) {
    const now = Date.now();
    if (doneAt === null && existsSync(opts['done-file'])) {
      doneAt = now;
      log('done file seen: the old process has exited');
    }
    if (doneAt === null && now > waitEnd) break;
    if (doneAt !== null && now > doneAt + afterMs) break;
    const got = await Promise.all(pages.map((p) => p.evaluate(sample).catch((err) => ({ error: err.message }))));
    pages.forEach((p, i) => samples[p.label].push(got[i]));
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
  }
  return { samples, done: doneAt !== null };
}

// What must hold for one page after the upgrade; `before` is what it had when ready.
async function checkPage(page, before, samples, chatText, r) {
  const fail = (what) => r.failures.push(`${page.label}: ${what}`);
  const out = { before: before.local };
  const probe = await page.evaluate(() => window.__pcProbe.list.map((x) => x.states));
  out.connections = probe.length;
  out.states = probe[0];
  if (probe.length !== 1) fail(`${probe.length} RTCPeerConnections, want the one it had`);
  if (probe.some((states) => states.includes('failed'))) fail(`a connection went to failed: ${JSON.stringify(probe)}`);
  Object.assign(out, stalls(samples));
  if (out.samples < 8) fail(`only ${out.samples} samples with video stats`);
  if (out.maxStallMs > maxStallMs) fail(`no new frame for ${out.maxStallMs} ms (limit ${maxStallMs})`);
  const counted = samples.filter((s) => s && s.frames !== null);
  out.framesDuring = counted.length ? counted.at(-1).frames - counted[0].frames : 0;
  if (!(out.framesDuring > 0)) fail('no frame decoded during the upgrade');
  const bad = samples.find((s) => !s || s.error || s.pcs !== 1);
  if (bad) fail(`bad sample: ${JSON.stringify(bad)}`);
  out.localTimeline = samples.map((s) => s?.local).filter((l, i, all) => l && l !== all[i - 1]);
  // From the goaway (signaling leaves 'open') to the last sample on the old relay, the old
  // path must still carry video: the old process keeps relaying what it has.
  const away = samples.findIndex((s) => s && !s.error && s.sig !== 'open');
  const moved = samples.findIndex((s, i) => i > away && s?.local && s.local !== before.local);
  if (away >= 0 && moved > away + 1 && samples[moved - 1].frames !== null) {
    out.oldPathMs = Math.round(samples[moved - 1].ts - samples[away].ts);
    out.framesOnOldPath = samples[moved - 1].frames - samples[away].frames;
    if (!(out.framesOnOldPath > 0)) fail(`no frame on the old relay for ${out.oldPathMs} ms after the goaway`);
  } else {
    fail(`no goaway then move in the samples (goaway at ${away}, move at ${moved})`);
  }

  try {
    await waitConnected(page, 1);
  } catch {
    fail('not connected after the upgrade');
  }
  const after = await stats(page);
  checkRelay(page.label, after, r.failures);
  out.after = candidateKey(Object.values(after)[0]?.local);
  if (!out.after || out.after === out.before) fail(`local relay candidate did not change (${out.before} -> ${out.after})`);

  const st = await page.evaluate(() => window.icegate.state());
  out.session = { before: before.session, after: st.session, joinsBefore: before.joins, joinsAfter: st.joins };
  if (st.session !== before.session) fail(`session changed: ${before.session} -> ${st.session}`);
  if (!(st.joins > before.joins)) fail(`no resume: joins ${before.joins} -> ${st.joins}`);
  if (st.signaling !== 'open') fail(`signaling is ${st.signaling}`);
  out.restarts = st.peers[0]?.restarts ?? null;
  out.polite = st.peers[0]?.polite ?? null;
  if (!st.chat.some((m) => m.text === chatText)) fail('the chat message from before is gone from its log');
  if (!(await page.getByTestId('chat-message').filter({ hasText: chatText }).count())) fail('the chat message is not shown');
  const notes = await page.evaluate(() => window.icegate.log().map((e) => `${e.dir} ${e.type} ${e.summary}`));
  out.goaways = notes.filter((n) => n.startsWith('in goaway')).length;
  out.iceNotes = notes.filter((n) => n.includes('ICE restart'));
  if (out.goaways < 1) fail('no goaway in its signaling log');
  return out;
}

async function run(browser, result) {
  const r = { ok: false, failures: [], timings: {}, pages: {} };
  result.call = r;
  const room = `upgrade-${randomBytes(4).toString('hex')}`;
  const a = await openPage(browser, 'A');
  const b = await openPage(browser, 'B');
  const pages = [a, b];
  try {
    for (const p of pages) await p.addInitScript(probeConnections);
    const t0 = Date.now();
    await Promise.all([join(a, room, 'Alice'), join(b, room, 'Bob')]);
    await Promise.all(pages.map((p) => waitConnected(p, 1)));
    const ready = await Promise.all(pages.map((p) => waitFrames(p, 30)));
    r.timings.callMs = Date.now() - t0;
    pages.forEach((p, i) => checkRelay(p.label, ready[i], r.failures));
    const chatText = `before the upgrade ${randomBytes(3).toString('hex')}`;
    r.timings.chatMs = await sendChat(a, b, chatText);
    if (r.failures.length) throw new Error(`the call before the upgrade: ${r.failures.join('; ')}`);
    const before = {};
    for (const [i, p] of pages.entries()) {
      const st = await p.evaluate(() => window.icegate.state());
      before[p.label] = { session: st.session, joins: st.joins, local: candidateKey(Object.values(ready[i])[0]?.local) };
    }
    log(`call up in ${r.timings.callMs} ms: ${JSON.stringify(before)}`);
    writeFileSync(opts['ready-file'], 'ready\n');

    const t1 = Date.now();
    const { samples, done } = await sampleThroughUpgrade(pages);
    r.timings.sampledMs = Date.now() - t1;
    if (!done) r.failures.push(`no done file within ${waitMs} ms`);
    for (const p of pages) r.pages[p.label] = await checkPage(p, before[p.label], samples[p.label], chatText, r);
    r.samples = samples;
    for (const p of pages) await shot(p, `upgrade-${p.label.toLowerCase()}.png`, result);
  } catch (err) {
    r.failures.push(`error: ${err.message.split('\n')[0]}`);
    log(`upgrade: ${err.stack || err}`);
    r.diagnosis = await diagnose(pages);
  }
  r.ok = r.failures.length === 0;
  return pages;
}

if (opts.out) mkdirSync(opts.out, { recursive: true });
const result = { ok: false, url: base.href, chromium: null, node: process.version, problems, screenshots: [] };
runInChromium({
  executablePath: opts.chromium,
  resolvable: [base.hostname.replace(/^\[|\]$/g, '')],
  spki: opts.spki,
  kit,
  log,
  result,
  body: (browser) => run(browser, result),
  passed: () => result.call.ok,
  reached: () => !!result.call,
  summary() {
    const r = result.call;
    if (!r) return;
    const brief = Object.fromEntries(Object.entries(r.pages).map(([k, v]) => [k, {
      maxStallMs: v.maxStallMs, framesOnOldPath: v.framesOnOldPath, before: v.before, after: v.after, restarts: v.restarts,
    }]));
    log(`upgrade: ${r.ok ? 'PASS' : 'FAIL'} ${JSON.stringify(r.timings)} ${JSON.stringify(brief)}${r.ok ? '' : `: ${r.failures.join('; ')}`}`);
  },
});
