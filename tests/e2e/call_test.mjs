#!/usr/bin/env node
// End-to-end test of the web client (web/) against a running icegate: Debian's headless
// Chromium, driven by playwright-core, opens the real page several times and calls itself.
//
//   node call_test.mjs --url https://127.0.0.1:PORT/ --spki BASE64 [--out DIR]
//        [--timeout-ms 30000] [--turn-host HOST] [--chromium /usr/bin/chromium]
//
// Scenario "call": pages A and B join one room with ?relay=1 through the join screen; both
// must connect with relay candidates on both ends of the selected pair, decode >= 30 frames
// both ways, deliver chat both ways, move two files at once (1 MiB + 300 KiB of random bytes)
// with matching SHA-256, show A's mute on B (DOM and hook), share A's screen (Chromium's fake
// capture through the Share button: screen=true on A and, hook and tile, on B; B decodes >= 15
// more frames from A after the replaceTrack; stopping clears it on B), exchange whiteboard strokes
// drawn with real mouse events both ways (same id, colour and points; painted on the receiver's
// canvas), and survive a dropped signaling socket (resume, same session, chat still flows)
// without a reload.
// Scenario "mesh": three pages (one at phone width) join another room; every pair connects
// relay/relay, and the phone page does not scroll sideways.
// Any console error, page error or failed request on any page fails the run. Screenshots of
// every page go to --out. Prints one JSON document on stdout (logs on stderr); exits 0 when
// everything passed, 1 when a check failed, 2 on a usage or setup error.
//
// Hooks used (web/app.js): window.icegate.state(), window.icegate.stats(),
// window.icegate.board(), window.icegate.dropSignaling(); and data-testid: room, name, join,
// chat-input, chat-message, file-input, file-transfer[data-dir][data-status], mute, screen,
// tab-board, board, peer-tile[data-session][data-audio][data-screen], peer-muted, peer-sharing.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkRelay, makeLog, parseBaseUrl, runInChromium, webPages } from './web_pages.mjs';

const log = makeLog('call_test');

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
      'timeout-ms': { type: 'string', default: '30000' },
      'turn-host': { type: 'string', multiple: true, default: [] },
      frames: { type: 'string', default: '30' },
      chromium: { type: 'string', default: '/usr/bin/chromium' },
      scenario: { type: 'string', multiple: true, default: [] },
    },
  }));
} catch (err) {
  usage(err.message);
}

const base = parseBaseUrl(opts.url, usage);
const timeoutMs = Number(opts['timeout-ms']);
if (!(timeoutMs > 0)) usage('--timeout-ms must be a positive number');
const framesWanted = Number(opts.frames);
const scenarios = opts.scenario.length ? opts.scenario : ['call', 'mesh'];
for (const s of scenarios) if (!['call', 'mesh'].includes(s)) usage(`unknown --scenario ${s}`);
const urlHost = base.hostname.replace(/^\[|\]$/g, '');

const watchdogMs = 90000 + scenarios.length * 4 * timeoutMs;
setTimeout(() => {
  log(`watchdog: still running after ${watchdogMs} ms, giving up`);
  process.exit(2);
}, watchdogMs).unref();

const kit = webPages({ base, spki: opts.spki, timeoutMs, out: opts.out, log });
const { problems, openPage, join, waitConnected, stats, waitFrames, diagnose, shot, sendChat } = kit;

// B's decoded-frame count for the video it receives from session `from`.
async function framesFrom(page, from) {
  return (await stats(page))[from]?.video.framesDecoded ?? 0;
}

// Polls until `page` has decoded `n` frames from `from`; returns the last count.
async function waitFramesFrom(page, from, n) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await framesFrom(page, from);
    if (got >= n || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
}

// `sharer` starts a screen share with the Share button and stops it again; `viewer` must see
// the state in its hook and on the tile and keep decoding the sharer's video after the switch.
async function checkScreenShare(sharer, viewer, sharerSession, r) {
  const fail = (what) => r.failures.push(`screen share: ${what}`);
  const out = { framesBefore: null, framesAtSwitch: null, framesAfter: null, track: null };
  r.screen = out;
  const button = sharer.getByTestId('screen');
  if (await button.isDisabled()) {
    fail(`${sharer.label}'s Share button is disabled (no getDisplayMedia)`);
    return;
  }
  const tile = viewer.locator(`[data-testid="peer-tile"][data-session="${sharerSession}"]`);
  const peerState = () => viewer.evaluate((s) => window.icegate.state().peers.find((p) => p.session === s)?.state, sharerSession);
  out.framesBefore = await framesFrom(viewer, sharerSession);
  await button.click();
  try {
    await sharer.waitForFunction(() => window.icegate.state().local.screen === true, null, { timeout: timeoutMs, polling: 50 });
  } catch {
    fail(`${sharer.label}'s local state never became screen=true`);
    return;
  }
  out.track = await sharer.evaluate(() => document.getElementById('local-video').srcObject?.getVideoTracks()[0]?.label ?? null);
  if (!String(out.track).startsWith('screen:')) fail(`${sharer.label} previews ${JSON.stringify(out.track)}, not a screen track`);
  if ((await button.getAttribute('aria-pressed')) !== 'true') fail(`${sharer.label}'s Share button is not pressed`);
  try {
    await viewer.waitForFunction((s) => window.icegate.state().peers.find((p) => p.session === s)?.state.screen === true,
      sharerSession, { timeout: timeoutMs, polling: 50 });
  } catch {
    fail(`${viewer.label}'s hook never showed ${sharer.label} sharing`);
  }
  try {
    await tile.and(viewer.locator('[data-screen="on"]')).waitFor({ timeout: 2000 });
    await tile.getByTestId('peer-sharing').waitFor({ state: 'visible', timeout: 2000 });
  } catch {
    fail(`${viewer.label}'s tile does not show ${sharer.label} sharing`);
  }
  // The sharer sends its state after replaceTrack resolved: every frame from here on is decoded
  // after the switch.
  out.framesAtSwitch = await framesFrom(viewer, sharerSession);
  out.framesAfter = await waitFramesFrom(viewer, sharerSession, out.framesAtSwitch + 15);
  if (out.framesAfter < out.framesAtSwitch + 15) {
    fail(`${viewer.label} decoded ${out.framesAfter - out.framesAtSwitch} frames from ${sharer.label} after the switch, want >= 15`);
  }

  await button.click();
  try {
    await sharer.waitForFunction(() => window.icegate.state().local.screen === false, null, { timeout: timeoutMs, polling: 50 });
    await viewer.waitForFunction((s) => window.icegate.state().peers.find((p) => p.session === s)?.state.screen === false,
      sharerSession, { timeout: timeoutMs, polling: 50 });
    await tile.and(viewer.locator('[data-screen="off"]')).waitFor({ timeout: 2000 });
    await tile.getByTestId('peer-sharing').waitFor({ state: 'hidden', timeout: 2000 });
  } catch {
    fail(`stopping: ${viewer.label} still sees ${sharer.label} as ${JSON.stringify(await peerState())}`);
  }
  if ((await button.getAttribute('aria-pressed')) !== 'false') fail(`${sharer.label}'s Share button is still pressed`);
}

// `from` draws a stroke through `pts` (fractions of the canvas) with real mouse events in pen
// colour `color`; `to` must get the same stroke (id, colour, every point) and paint it.
async function checkBoardStroke(from, to, color, pts, r) {
  const who = `board ${from.label}->${to.label}`;
  const fail = (what) => r.failures.push(`${who}: ${what}`);
  const before = new Set((await from.evaluate(() => window.icegate.board())).map((s) => s.id));
  const toCount = await to.evaluate(() => window.icegate.state().boardStrokes);
  await from.locator('#board-color').fill(color);
  const box = await from.getByTestId('board').boundingBox();
  if (!box || box.width < 50 || box.height < 50) {
    fail(`board canvas not usable (${JSON.stringify(box)})`);
    return null;
  }
  const xy = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  await from.mouse.move(...xy(pts[0]));
  await from.mouse.down();
  for (let i = 1; i < pts.length; i++) await from.mouse.move(...xy(pts[i]), { steps: 12 });
  await from.mouse.up();
  const mine = (await from.evaluate(() => window.icegate.board())).filter((s) => !before.has(s.id));
  if (mine.length !== 1 || mine[0].points < 10 || mine[0].color !== color) {
    fail(`drawing made ${JSON.stringify(mine)}, want one stroke of >= 10 points in ${color}`);
    return null;
  }
  const stroke = mine[0];
  try {
    await to.waitForFunction(([n, s]) => window.icegate.state().boardStrokes > n
      && window.icegate.board().some((x) => x.id === s.id && x.points === s.points),
    [toCount, stroke], { timeout: timeoutMs, polling: 50 });
  } catch {
    const got = (await to.evaluate((id) => window.icegate.board().find((x) => x.id === id), stroke.id)) || null;
    fail(`not received: sent ${JSON.stringify(stroke)}, got ${JSON.stringify(got)}`);
    return { sent: stroke, received: got };
  }
  const received = await to.evaluate((id) => window.icegate.board().find((x) => x.id === id), stroke.id);
  if (received.color !== color || received.w !== stroke.w) fail(`received ${JSON.stringify(received)}, sent ${JSON.stringify(stroke)}`);
  // The receiver painted it: the pixel at the middle of the first segment has the pen colour.
  const mid = [(pts[0][0] + pts[1][0]) / 2, (pts[0][1] + pts[1][1]) / 2];
  const pixel = await to.evaluate(([x, y]) => {
    const c = document.querySelector('[data-testid="board"]');
    const d = c.getContext('2d').getImageData(Math.round(x * c.width), Math.round(y * c.height), 1, 1).data;
    return `#${[d[0], d[1], d[2]].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
  }, mid);
  if (pixel !== color) fail(`${to.label}'s board at the stroke is ${pixel}, want ${color}`);
  return { sent: stroke, received, pixel };
}

const HOSTILE_NAME = 'M1 <b>bold</b> <img src=x> & "co"';

function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

// ---- scenario 1: two pages, relay-only ---------------------------------------------------------
async function scenarioCall(browser, result) {
  const r = { ok: false, failures: [], timings: {} };
  result.scenarios.call = r;
  const room = `room-${randomBytes(4).toString('hex')}`;
  r.room = room;
  const a = await openPage(browser, 'A');
  const b = await openPage(browser, 'B');
  try {
    const t0 = Date.now();
    const [sa, sb] = await Promise.all([join(a, room, 'Alice'), join(b, room, 'Bob')]);
    r.sessions = { a: sa, b: sb };
    await Promise.all([waitConnected(a, 1), waitConnected(b, 1)]);
    r.timings.connectMs = Date.now() - t0;
    const conn = await a.evaluate(() => window.icegate.state().peers[0].connectMs);
    r.timings.pcConnectMs = conn;
    log(`call: connected in ${r.timings.connectMs} ms (pc ${conn} ms after creation)`);

    const t1 = Date.now();
    const [stA, stB] = await Promise.all([waitFrames(a, framesWanted), waitFrames(b, framesWanted)]);
    r.timings.framesMs = Date.now() - t1;
    r.stats = { a: stA, b: stB };
    for (const [label, s] of [['A', stA], ['B', stB]]) {
      const v = Object.values(s)[0];
      if (!v || v.video.framesDecoded < framesWanted) {
        r.failures.push(`${label}: ${v ? v.video.framesDecoded : 0} frames decoded, want >= ${framesWanted}`);
      }
      checkRelay(label, s, r.failures);
    }
    log(`call: frames ${Object.values(stA)[0]?.video.framesDecoded}/${Object.values(stB)[0]?.video.framesDecoded} in ${r.timings.framesMs} ms`);

    const tag = randomBytes(3).toString('hex');
    r.timings.chatAtoBMs = await sendChat(a, b, `hello from A ${tag}`);
    r.timings.chatBtoAMs = await sendChat(b, a, `hi A, B here ${tag}`);
    const chatA = (await a.evaluate(() => window.icegate.state().chat)).map((m) => m.text);
    for (const text of [`hello from A ${tag}`, `hi A, B here ${tag}`]) {
      if (!chatA.includes(text)) r.failures.push(`A's chat log lacks ${JSON.stringify(text)}`);
    }

    // Two files at once through the file picker.
    const blobs = [
      { name: 'random-1MiB.bin', mimeType: 'application/octet-stream', buffer: randomBytes(1 << 20) },
      { name: 'notes.bin', mimeType: 'application/octet-stream', buffer: randomBytes(300 * 1024) },
    ];
    const t2 = Date.now();
    await a.getByTestId('tab-files').click();
    await b.getByTestId('tab-files').click();
    await a.getByTestId('file-input').setInputFiles(blobs);
    try {
      await b.waitForFunction((n) => window.icegate.files()
        .filter((f) => f.dir === 'in' && ['verified', 'failed'].includes(f.status)).length >= n,
      blobs.length, { timeout: timeoutMs, polling: 50 });
    } catch (err) {
      r.failures.push(`files: not all received within ${timeoutMs} ms`);
    }
    r.timings.filesMs = Date.now() - t2;
    const got = await b.evaluate(() => window.icegate.files());
    r.files = [];
    for (const blob of blobs) {
      const want = sha256(blob.buffer);
      const f = got.find((x) => x.dir === 'in' && x.name === blob.name);
      r.files.push({ name: blob.name, size: blob.buffer.length, sha256: want, received: f || null });
      if (!f) {
        r.failures.push(`${blob.name}: not received`);
      } else if (f.status !== 'verified' || f.actualSha256 !== want || f.size !== blob.buffer.length) {
        r.failures.push(`${blob.name}: ${f.status} ${f.error || ''} (sha ${f.actualSha256}, want ${want})`);
      }
    }
    const verifiedRows = await b.locator('[data-testid="file-transfer"][data-dir="in"][data-status="verified"]').count();
    if (verifiedRows !== blobs.length) r.failures.push(`B's file list shows ${verifiedRows} verified files`);
    log(`call: files in ${r.timings.filesMs} ms`);
    await shot(a, 'call-files-a.png', result);
    await a.getByTestId('tab-chat').click();
    await b.getByTestId('tab-chat').click();

    // A mutes; B sees it in the tile and in the hook.
    const t3 = Date.now();
    await a.getByTestId('mute').click();
    const tileA = b.locator(`[data-testid="peer-tile"][data-session="${sa}"]`);
    try {
      await tileA.and(b.locator('[data-audio="off"]')).waitFor({ timeout: timeoutMs });
      await tileA.getByTestId('peer-muted').waitFor({ state: 'visible', timeout: 2000 });
    } catch {
      r.failures.push('B does not show A as muted');
    }
    r.timings.muteMs = Date.now() - t3;
    const peerOnB = (await b.evaluate(() => window.icegate.state().peers))[0];
    if (!peerOnB || peerOnB.state.audio !== false) r.failures.push(`B's hook has A's audio as ${peerOnB?.state.audio}`);
    if ((await a.getByTestId('mute').getAttribute('aria-pressed')) !== 'true') r.failures.push('A\'s mute button is not pressed');

    // Toasts fade within 5 s; wait for them so the screenshots show the call itself.
    await Promise.all([a, b].map((p) => p.waitForFunction(() => !document.querySelector('.toast'),
      null, { timeout: 6000 }).catch(() => {})));
    await shot(a, 'call-a.png', result);
    await shot(b, 'call-b.png', result);

    // A shares its screen (Chromium's fake capture, picked by --use-fake-ui-for-media-stream):
    // the video sender switches tracks with replaceTrack, B sees screen=true and keeps decoding.
    const t5 = Date.now();
    await checkScreenShare(a, b, sa, r);
    r.timings.screenMs = Date.now() - t5;
    log(`call: screen share on/off in ${r.timings.screenMs} ms`);

    // Whiteboard: real pointer strokes on the Board tab, each way.
    const t6 = Date.now();
    await a.getByTestId('tab-board').click();
    await b.getByTestId('tab-board').click();
    r.board = {
      aToB: await checkBoardStroke(a, b, '#ff7a59', [[0.15, 0.2], [0.45, 0.5]], r),
      bToA: await checkBoardStroke(b, a, '#3366ff', [[0.7, 0.25], [0.3, 0.75]], r),
    };
    r.timings.boardMs = Date.now() - t6;
    log(`call: whiteboard both ways in ${r.timings.boardMs} ms`);
    await shot(b, 'call-board-b.png', result);
    await a.getByTestId('tab-chat').click();
    await b.getByTestId('tab-chat').click();

    // B's signaling socket drops; it resumes the same session without a reload, media stays up.
    const t4 = Date.now();
    const joins = await b.evaluate(() => {
      const n = window.icegate.state().joins;
      window.icegate.dropSignaling();
      return n;
    });
    try {
      await b.waitForFunction(([n, s]) => {
        const st = window.icegate.state();
        return st.joins > n && st.signaling === 'open' && st.session === s;
      }, [joins, sb], { timeout: timeoutMs, polling: 50 });
      r.timings.resumeMs = Date.now() - t4;
      r.timings.chatAfterResumeMs = await sendChat(a, b, `still there? ${tag}`);
      await Promise.all([waitConnected(a, 1), waitConnected(b, 1)]);
    } catch (err) {
      const st = await b.evaluate(() => window.icegate.state()).catch(() => null);
      r.failures.push(`resume: ${err.message.split('\n')[0]} (B: ${st?.signaling}, session ${st?.session === sb ? 'same' : 'changed'})`);
    }
  } catch (err) {
    r.failures.push(`error: ${err.message.split('\n')[0]}`);
    log(`call: ${err.stack || err}`);
    r.diagnosis = await diagnose([a, b]);
    await shot(a, 'call-a-failed.png', result);
    await shot(b, 'call-b-failed.png', result);
  }
  r.ok = r.failures.length === 0;
  return [a, b];
}

// ---- scenario 2: three pages, full mesh --------------------------------------------------------
async function scenarioMesh(browser, result) {
  const r = { ok: false, failures: [], timings: {} };
  result.scenarios.mesh = r;
  const room = `mesh-${randomBytes(4).toString('hex')}`;
  r.room = room;
  const pages = [
    await openPage(browser, 'M1'),
    await openPage(browser, 'M2'),
    await openPage(browser, 'M3', { width: 390, height: 844 }),
  ];
  try {
    const t0 = Date.now();
    // One after another, so each newcomer meets the ones already there.
    const sessions = [];
    // The first name is markup: it must be shown as text everywhere, never parsed.
    const names = [HOSTILE_NAME, 'Mesh 2', 'Mesh 3'];
    for (const [i, p] of pages.entries()) {
      sessions.push(await join(p, room, names[i]));
      r.timings[`joined${i + 1}Ms`] = Date.now() - t0;
    }
    const t1 = Date.now();
    await Promise.all(pages.map((p) => waitConnected(p, pages.length - 1)));
    r.timings.connectMs = Date.now() - t0;
    r.timings.connectAfterJoinMs = Date.now() - t1;
    log(`mesh: all pairs connected in ${r.timings.connectMs} ms`);
    r.pairs = {};
    for (const [i, p] of pages.entries()) {
      const st = await p.evaluate(() => window.icegate.state());
      const seen = st.peers.map((x) => x.session).sort();
      const want = sessions.filter((s) => s !== sessions[i]).sort();
      if (JSON.stringify(seen) !== JSON.stringify(want)) r.failures.push(`${p.label}: peers ${seen}, want ${want}`);
      const s = await waitFrames(p, 10);
      checkRelay(p.label, s, r.failures);
      r.pairs[p.label] = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, {
        local: v.local?.candidateType, remote: v.remote?.candidateType, framesDecoded: v.video.framesDecoded, rttMs: v.rttMs,
      }]));
    }
    for (const p of pages.slice(1)) {
      const shown = await p.locator(`[data-testid="peer-tile"][data-session="${sessions[0]}"] .tile-name`).textContent();
      if (shown !== HOSTILE_NAME) r.failures.push(`${p.label} shows the first name as ${JSON.stringify(shown)}`);
      if (await p.locator('figure b, figure img').count()) r.failures.push(`${p.label}: a display name was parsed as HTML`);
    }
    const phone = pages[2];
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 0) r.failures.push(`phone width: page scrolls sideways by ${overflow} px`);
    for (const p of pages) await shot(p, `mesh-${p.label.toLowerCase()}.png`, result);
  } catch (err) {
    r.failures.push(`error: ${err.message.split('\n')[0]}`);
    log(`mesh: ${err.stack || err}`);
    r.diagnosis = await diagnose(pages);
    for (const p of pages) await shot(p, `mesh-${p.label.toLowerCase()}-failed.png`, result);
  }
  r.ok = r.failures.length === 0;
  return pages;
}

if (opts.out) mkdirSync(opts.out, { recursive: true });
const result = { ok: false, url: base.href, chromium: null, node: process.version, scenarios: {}, problems, screenshots: [] };
runInChromium({
  // Chromium may resolve loopback, the page host and the TURN hosts, nothing else.
  executablePath: opts.chromium,
  resolvable: [urlHost, ...opts['turn-host']],
  spki: opts.spki,
  kit,
  log,
  result,
  async body(browser) {
    const open = [];
    if (scenarios.includes('call')) open.push(...await scenarioCall(browser, result));
    if (scenarios.includes('mesh')) open.push(...await scenarioMesh(browser, result));
    return open;
  },
  passed: () => scenarios.every((s) => result.scenarios[s]?.ok),
  reached: () => Object.keys(result.scenarios).length > 0,
  summary() {
    for (const s of scenarios) {
      const r = result.scenarios[s];
      if (r) log(`${s}: ${r.ok ? 'PASS' : 'FAIL'} ${JSON.stringify(r.timings)}${r.ok ? '' : `: ${r.failures.join('; ')}`}`);
    }
  },
});
