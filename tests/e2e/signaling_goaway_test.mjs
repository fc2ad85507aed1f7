#!/usr/bin/env node
// The web client's Signaling (web/signaling.js) on a server's goaway, under Node with a fake
// WebSocket and fake timers (no browser, no server): goaway then a 1001 close must lead to a
// reconnect after about reconnect_ms (not the usual backoff, and not a 'closed' state), whose
// join carries the resume token; a refused reconnect backs off and retries; a second goaway
// is honoured again; the joined event says `moved` after a goaway's resume only (the web
// client then moves its calls onto the new server's relays). Prints one JSON line; exits 0
// when every check passed, 1 otherwise.
//
//   node signaling_goaway_test.mjs
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { installFakeClock } from './fake_clock.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const failures = [];
function check(ok, what) {
  if (!ok) failures.push(what);
}

const { now, advance } = installFakeClock();

// ---- fake WebSocket: records what the client sends, lets the test play the server ----------
const sockets = [];
class FakeWebSocket {
  static OPEN = 1;
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.openedAt = now();
    sockets.push(this);
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close() {
    this.readyState = 3;
  }
  // server side
  accept() {
    this.readyState = 1;
    this.onopen?.();
  }
  frame(f) {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
  serverClose(code) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}
globalThis.WebSocket = FakeWebSocket;

const { Signaling } = await import(path.join(here, '..', '..', 'web', 'signaling.js'));

const statuses = [];
try {
  const sig = new Signaling('wss://example.test/ws');
  const frames = [];
  sig.addEventListener('status', (e) => statuses.push(e.detail));
  sig.addEventListener('frame', (e) => frames.push(e.detail));
  const joins = [];
  sig.addEventListener('joined', (e) => joins.push(e.detail));
  const lastJoin = () => JSON.stringify((({ resumed, fresh, moved }) => ({ resumed, fresh, moved }))(joins.at(-1) || {}));
  sig.start({ room: 'r', name: 'Ann' });

  // Joined on the first socket.
  let ws = sockets[0];
  ws.accept();
  check(ws.sent[0]?.type === 'join' && !('resume' in ws.sent[0]), 'first join has no resume');
  ws.frame({ type: 'joined', session: 'S1', room: 'r', peers: [], iceServers: [], resume: 'R1', history: [] });
  check(sig.status === 'open', `open after joined (got ${sig.status})`);
  check(lastJoin() === '{"resumed":false,"fresh":false,"moved":false}', `first joined: ${lastJoin()}`);

  // The server drains: goaway, then 1001.
  const reconnectMs = 3000;
  ws.frame({ type: 'goaway', reconnect_ms: reconnectMs });
  check(frames.every((f) => f.type !== 'goaway'), 'goaway is not passed on to the app as a frame');
  ws.serverClose(1001);
  check(sig.status === 'reconnecting', `reconnecting after goaway + 1001 (got ${sig.status})`);
  check(!statuses.includes('closed'), 'never closed');

  // No new socket before reconnect_ms (the usual first backoff would be 250 ms), one by 1.5x.
  advance(reconnectMs - 1);
  check(sockets.length === 1, `no reconnect before reconnect_ms (sockets: ${sockets.length})`);
  advance(reconnectMs / 2 + 1);
  check(sockets.length === 2, `one reconnect within 1.5 x reconnect_ms (sockets: ${sockets.length})`);

  // That node still drains: the upgrade is refused (the socket closes unopened); then backoff.
  ws = sockets[1];
  ws.serverClose(1006);
  check(sig.status === 'reconnecting', `still reconnecting after a refused upgrade (${sig.status})`);
  advance(400); // the first backoff step: 250 ms +- 25 %
  check(sockets.length === 3, `backoff retry after a refused upgrade (sockets: ${sockets.length})`);

  // Another node answers: the join resumes.
  ws = sockets[2];
  ws.accept();
  check(ws.sent[0]?.type === 'join' && ws.sent[0].resume === 'R1', `join resumes (sent ${JSON.stringify(ws.sent[0])})`);
  ws.frame({ type: 'joined', session: 'S1', room: 'r', peers: [], iceServers: [], resume: 'R1', history: [] });
  check(sig.status === 'open', `open after the resumed join (${sig.status})`);
  check(lastJoin() === '{"resumed":true,"fresh":false,"moved":true}', `resume after goaway: ${lastJoin()}`);

  // A second goaway (another drain) is honoured the same way.
  ws.frame({ type: 'goaway', reconnect_ms: 500 });
  ws.serverClose(1001);
  advance(499);
  check(sockets.length === 3, 'second goaway: no reconnect before reconnect_ms');
  advance(300);
  check(sockets.length === 4, 'second goaway: reconnect within 1.5 x reconnect_ms');
  // A bogus reconnect_ms is clamped, not trusted: at most a minute.
  ws = sockets[3];
  ws.accept();
  ws.frame({ type: 'joined', session: 'S1', room: 'r', peers: [], iceServers: [], resume: 'R1', history: [] });
  ws.frame({ type: 'goaway', reconnect_ms: 1e12 });
  ws.serverClose(1001);
  advance(90001);
  check(sockets.length === 5, `huge reconnect_ms clamped to 60 s (sockets: ${sockets.length})`);
  ws = sockets[4];
  ws.accept();
  ws.frame({ type: 'joined', session: 'S1', room: 'r', peers: [], iceServers: [], resume: 'R1', history: [] });
  check(lastJoin() === '{"resumed":true,"fresh":false,"moved":true}', `resume after the third goaway: ${lastJoin()}`);

  // A dropped socket without goaway resumes on the same server: not moved.
  ws.serverClose(1006);
  advance(400);
  ws = sockets[5];
  ws.accept();
  ws.frame({ type: 'joined', session: 'S1', room: 'r', peers: [], iceServers: [], resume: 'R1', history: [] });
  check(lastJoin() === '{"resumed":true,"fresh":false,"moved":false}', `resume after a plain drop: ${lastJoin()}`);

  // A goaway whose resume is refused (a new session): fresh, not moved.
  ws.frame({ type: 'goaway', reconnect_ms: 0 });
  ws.serverClose(1001);
  advance(10);
  ws = sockets[6];
  ws.accept();
  ws.frame({ type: 'joined', session: 'S2', room: 'r', peers: [], iceServers: [], resume: 'R2', history: [] });
  check(lastJoin() === '{"resumed":false,"fresh":true,"moved":false}', `fresh join after goaway: ${lastJoin()}`);
  sig.stop(false);
} catch (err) {
  // An earlier check failed and left no socket where the next step expects one.
  failures.push(`stopped: ${err.message}`);
}

const ok = failures.length === 0;
process.stdout.write(JSON.stringify({ ok, failures, statuses }) + '\n');
process.exit(ok ? 0 : 1);
