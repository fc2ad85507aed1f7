// What the browser tests of the web client (web/) share: the --url check, Debian's headless
// Chromium launched under playwright-core, pages that join a room through the join screen and
// report every console error, page error and failed request, and the waits and checks on the
// call they make (window.icegate hooks, web/app.js). Used by call_test.mjs and upgrade_test.mjs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumArgs } from './chromium_args.mjs';

// A logger writing `[tag HH:MM:SS.mmm] ...` lines to stderr (stdout carries the JSON result).
export function makeLog(tag) {
  return (...args) => {
    process.stderr.write(`[${tag} ${new Date().toISOString().slice(11, 23)}] ${args.join(' ')}\n`);
  };
}

// The https:// base URL of icegate from --url, without query or fragment; `usage(message)`
// ends the run on a bad one.
export function parseBaseUrl(url, usage) {
  if (!url) usage('--url is required (https://HOST:PORT/ of icegate)');
  let base;
  try {
    base = new URL(url);
  } catch {
    usage(`--url: not a URL: ${url}`);
  }
  if (base.protocol !== 'https:') usage('--url must be https:// (getUserMedia and wss need it)');
  base.search = '';
  base.hash = '';
  return base;
}

// Launches Chromium with a fresh profile; Chromium may resolve loopback and `resolvable`
// only. close() ends it (bounded) and removes the profile.
async function launchChromium({ executablePath, resolvable, spki, log }) {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'icegate-e2e-chromium-'));
  const args = chromiumArgs({ userDataDir, resolvable, spki });
  let browser = null;
  const close = async () => {
    if (browser) await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
    rmSync(userDataDir, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    log(`launching ${executablePath}`);
    browser = await chromium.launch({ executablePath, ignoreDefaultArgs: true, args, headless: true, timeout: 30000 });
  } catch (err) {
    await close();
    throw err;
  }
  return { browser, version: browser.version(), close };
}

// The run of a browser test: `body(browser)` in a fresh Chromium (it returns the pages it
// opened), then everything closed, `summary()` logged, `result` printed as JSON on stdout and
// the process ended: 0 when passed() holds and no page reported a problem, 1 when not, 2 when
// it failed before any check ran (reached() false: Chromium or the setup broke).
export function runInChromium({ executablePath, resolvable, spki, kit, log, result, body, passed, reached, summary }) {
  const run = async () => {
    let chromium = null;
    try {
      chromium = await launchChromium({ executablePath, resolvable, spki, log });
      result.chromium = chromium.version;
      log(`chromium ${result.chromium}`);
      const open = await body(chromium.browser);
      kit.stopWatching();
      for (const p of open) await p.context().close().catch(() => {});
      result.ok = passed() && kit.problems.length === 0;
    } catch (err) {
      result.error = err.message;
      log(`error: ${err.stack || err}`);
    } finally {
      kit.stopWatching();
      if (chromium) await chromium.close();
    }
    summary();
    if (kit.problems.length) log(`console/page problems: ${JSON.stringify(kit.problems)}`);
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    // playwright-core keeps node alive for a few seconds after close: exit explicitly.
    process.exit(result.ok ? 0 : (result.error && !reached() ? 2 : 1));
  };
  run().catch((err) => {
    log(`fatal: ${err.stack || err}`);
    process.exit(2);
  });
}

// Both candidates of every selected pair in `s` (a page's window.icegate.stats()) are relays.
export function checkRelay(label, s, failures) {
  for (const [session, v] of Object.entries(s)) {
    const who = `${label}->${session.slice(0, 6)}`;
    if (!v.local || !v.remote) {
      failures.push(`${who}: no selected candidate pair`);
      continue;
    }
    if (v.local.candidateType !== 'relay') failures.push(`${who}: local candidate is ${v.local.candidateType}, not relay`);
    if (v.remote.candidateType !== 'relay') failures.push(`${who}: remote candidate is ${v.remote.candidateType}, not relay`);
  }
}

// Page helpers bound to one icegate (`base`), its certificate pin, a timeout for each wait and
// a folder for screenshots (`out`, optional). `problems` collects what went wrong on any page
// until stopWatching() (the pages closing).
export function webPages({ base, spki, timeoutMs, out, log }) {
  const problems = [];
  let closing = false;
  const problem = (page, kind, text) => {
    if (!closing) problems.push({ page, kind, text });
  };

  async function openPage(browser, label, viewport = { width: 1100, height: 680 }) {
    const context = await browser.newContext({
      viewport,
      ignoreHTTPSErrors: !spki,
      permissions: ['camera', 'microphone'],
    });
    const page = await context.newPage();
    page.label = label;
    page.on('console', (m) => {
      if (m.type() === 'error') problem(label, 'console', m.text());
      if (['error', 'warning'].includes(m.type())) log(`[${label} console.${m.type()}] ${m.text()}`);
    });
    page.on('pageerror', (e) => {
      problem(label, 'pageerror', String(e));
      log(`[${label} pageerror] ${e}`);
    });
    page.on('requestfailed', (r) => problem(label, 'requestfailed', `${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problem(label, 'http', `${r.status()} ${r.url()}`);
    });
    return page;
  }

  function roomUrl(room) {
    return `${base.href}?relay=1#${encodeURIComponent(room)}`;
  }

  // Opens the page, checks that #room came from the URL, types a name and joins.
  async function join(page, room, name) {
    await page.goto(roomUrl(room), { timeout: 15000 });
    const prefilled = await page.getByTestId('room').inputValue();
    if (prefilled !== room) throw new Error(`${page.label}: room field shows ${JSON.stringify(prefilled)}, not ${room}`);
    await page.getByTestId('name').fill(name);
    await page.getByTestId('join').click();
    await page.waitForFunction(() => window.icegate && window.icegate.state().signaling === 'open',
      null, { timeout: timeoutMs, polling: 50 });
    const st = await page.evaluate(() => window.icegate.state());
    if (st.iceTransportPolicy !== 'relay') throw new Error(`${page.label}: iceTransportPolicy is ${st.iceTransportPolicy}`);
    return st.session;
  }

  async function waitConnected(page, count) {
    await page.waitForFunction((n) => {
      const peers = window.icegate.state().peers;
      return peers.length === n && peers.every((p) => p.connectionState === 'connected');
    }, count, { timeout: timeoutMs, polling: 50 });
  }

  async function stats(page) {
    return page.evaluate(() => window.icegate.stats());
  }

  // Polls until every peer of `page` has decoded `n` video frames; returns the last stats.
  async function waitFrames(page, n) {
    const deadline = Date.now() + timeoutMs;
    let s;
    for (;;) {
      s = await stats(page);
      const vals = Object.values(s);
      if (vals.length && vals.every((v) => v.video.framesDecoded >= n)) return s;
      if (Date.now() > deadline) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  // What the pages know, for the result of a failed scenario.
  async function diagnose(pages) {
    const out = {};
    for (const p of pages) {
      out[p.label] = await p.evaluate(() => ({
        state: window.icegate.state(),
        log: window.icegate.log().slice(-40).map((e) => `${e.dir} ${e.type} ${e.summary}`),
      })).catch((err) => ({ error: err.message.split('\n')[0] }));
    }
    return out;
  }

  // A screenshot into `out` (when given), listed in result.screenshots.
  async function shot(page, name, result) {
    if (!out) return;
    const file = path.join(out, name);
    try {
      await page.screenshot({ path: file, timeout: 10000 });
      result.screenshots.push(file);
    } catch (err) {
      log(`${page.label}: screenshot failed: ${err.message}`);
    }
  }

  // Types `text` into `from`'s chat and waits until `to` shows it; returns the milliseconds.
  async function sendChat(from, to, text) {
    const t0 = Date.now();
    await from.getByTestId('chat-input').fill(text);
    await from.getByTestId('chat-input').press('Enter');
    await to.getByTestId('chat-message').filter({ hasText: text }).first().waitFor({ timeout: timeoutMs });
    return Date.now() - t0;
  }

  return {
    problems,
    stopWatching: () => {
      closing = true;
    },
    openPage, join, waitConnected, stats, waitFrames, diagnose, shot, sendChat,
  };
}
