#!/usr/bin/env node
// Load generator for the signaling bench: one process drives many WebSocket clients against
// icegate (/ws, the `ws` package) or the socket.io relay (socket.io-client, websocket transport
// only). run.py starts several of these and drives them over stdin/stdout, one JSON object a
// line each way.
//
//   node loadgen.mjs --server icegate|socketio --url https://127.0.0.1:PORT --clients N
//        --room-size R --tag NAME [--bind 127.0.0.2[,127.0.0.3...]] [--concurrency 200]
//
// Commands on stdin:
//   {"cmd":"connect"}                         connect and join all clients; answers
//                                             {"ev":"ready","connected":n,"failed":f,"ms":t}
//   {"cmd":"step","rate":R,"secs":S,"warm":W,"drain":D}
//                                             offer R signal frames/s (this process's share)
//                                             for W+S s; latency is measured for frames sent in
//                                             the last S s; answers {"ev":"step",...}
//   {"cmd":"quit"}                            closes everything and exits
//
// Latency: the sender stamps data.t with process.hrtime (CLOCK_MONOTONIC, shared by every
// process on the host); the receiver subtracts. A frame not received `drain` s after the step
// ends counts as lost (and as over any latency bound).
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { io } from 'socket.io-client';

const { values: o } = parseArgs({
  options: {
    server: { type: 'string' },
    url: { type: 'string' },
    clients: { type: 'string', default: '100' },
    'room-size': { type: 'string', default: '2' },
    tag: { type: 'string', default: 'p0' },
    bind: { type: 'string', default: '' },
    concurrency: { type: 'string', default: '200' },
  },
});
const kind = o.server;
const nClients = Number(o.clients);
const roomSize = Number(o['room-size']);
const binds = o.bind ? o.bind.split(',') : [];
const concurrency = Number(o.concurrency);
if (!['icegate', 'socketio'].includes(kind) || !o.url || nClients % roomSize !== 0) {
  process.stderr.write('usage: loadgen.mjs --server icegate|socketio --url URL --clients N (multiple of --room-size)\n');
  process.exit(2);
}

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

// A realistic trickled ICE candidate as the payload (about 200 bytes of JSON).
const CANDIDATE = 'candidate:842163049 1 udp 1677729535 198.51.100.7 54321 typ srflx raddr 0.0.0.0 '
  + 'rport 0 generation 0 ufrag EsAw network-id 1 network-cost 10';

// ---- latency histogram: 10 us buckets up to 200 ms, then one overflow bucket ----------------
const BUCKET_US = 10;
const NBUCKETS = 20000;
let hist = new Uint32Array(NBUCKETS + 1);
let win = { from: Infinity, to: -Infinity }; // send-time window (us) whose frames are measured
let recvInWin = 0;
let recvTotal = 0;
let badFrames = 0;

function onDelivered(t) {
  recvTotal++;
  if (t >= win.from && t <= win.to) {
    recvInWin++;
    let b = Math.floor((nowUs() - t) / BUCKET_US);
    if (b < 0) b = 0;
    if (b > NBUCKETS) b = NBUCKETS;
    hist[b]++;
  }
}

// ---- clients --------------------------------------------------------------------------------
// Each client: { send(toId, data), id, peers: [ids of the others in its room], close() }
const clients = [];

function icegateClient(room, localAddress) {
  return new Promise((resolve, reject) => {
    const url = o.url.replace(/^http/, 'ws') + '/ws';
    const ws = new WebSocket(url, {
      rejectUnauthorized: false,
      perMessageDeflate: false,
      localAddress,
      handshakeTimeout: 30000,
    });
    const c = { id: null, peers: [], ws };
    let done = false;
    const fail = (err) => {
      if (!done) {
        done = true;
        reject(err);
      }
    };
    ws.on('error', fail);
    ws.on('close', (code) => fail(new Error(`closed ${code}`)));
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'join', room, name: 'b', id: 1 }));
    });
    ws.on('message', (buf) => {
      let m;
      try {
        m = JSON.parse(buf);
      } catch {
        badFrames++;
        return;
      }
      if (m.type === 'signal') {
        onDelivered(m.data.t);
      } else if (m.type === 'ping') {
        ws.send('{"type":"pong"}');
      } else if (m.type === 'joined') {
        c.id = m.session;
        done = true;
        resolve(c);
      } else if (m.type === 'error') {
        badFrames++;
        if (!done) fail(new Error(`${m.code}: ${m.message}`));
      }
    });
    c.send = (to, data) => ws.send(JSON.stringify({ type: 'signal', to, data }));
    c.close = () => ws.terminate();
  });
}

function socketioClient(room, localAddress) {
  return new Promise((resolve, reject) => {
    const s = io(o.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      rejectUnauthorized: false,
      localAddress,
      timeout: 30000,
    });
    const c = { id: null, peers: [], s };
    s.on('connect_error', reject);
    s.on('connect', () => {
      c.id = s.id;
      s.emit('join', room);
      resolve(c);
    });
    s.on('signal', (m) => onDelivered(m.data.t));
    c.send = (to, data) => s.emit('signal', { to, data });
    c.close = () => s.disconnect();
  });
}

async function connectAll() {
  const t0 = Date.now();
  const make = kind === 'icegate' ? icegateClient : socketioClient;
  let next = 0;
  let failed = 0;
  let firstError = null;
  const slots = new Array(nClients).fill(null);
  let lastReport = Date.now();
  async function worker() {
    while (next < nClients) {
      const i = next++;
      const room = `${o.tag}-r${Math.floor(i / roomSize)}`;
      const localAddress = binds.length ? binds[i % binds.length] : undefined;
      try {
        slots[i] = await make(room, localAddress);
      } catch (err) {
        failed++;
        if (!firstError) firstError = String(err.message || err);
      }
      if (Date.now() - lastReport > 2000) {
        lastReport = Date.now();
        out({ ev: 'progress', connected: slots.filter(Boolean).length, failed });
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, nClients) }, worker));
  // Rooms: every client knows the ids of the others in its room (all in this process).
  for (let r = 0; r < nClients / roomSize; r++) {
    const members = slots.slice(r * roomSize, (r + 1) * roomSize);
    if (members.some((m) => !m)) continue; // an incomplete room does not send
    for (const m of members) {
      m.peers = members.filter((x) => x !== m).map((x) => x.id);
      m.turn = 0;
      clients.push(m);
    }
  }
  out({ ev: 'ready', connected: slots.filter(Boolean).length, failed, senders: clients.length,
    ms: Date.now() - t0, error: firstError });
}

// ---- one step of the rate ladder -------------------------------------------------------------
function cpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function step(rate, secs, warm, drain) {
  hist = new Uint32Array(NBUCKETS + 1);
  recvInWin = 0;
  const t0 = nowUs();
  const tEnd = t0 + (warm + secs) * 1e6;
  // Every frame sent from the end of the warm-up on is measured (the last tick may be late).
  win = { from: t0 + warm * 1e6, to: Infinity };
  let sent = 0;
  let sentInWin = 0;
  let rr = 0;
  let seq = 0;
  let lagMaxMs = 0;
  const cpu0 = cpuSeconds();
  await new Promise((resolve) => {
    let last = nowUs();
    const tick = () => {
      const now = nowUs();
      lagMaxMs = Math.max(lagMaxMs, (now - last) / 1000 - 5);
      last = now;
      const due = Math.min(Math.floor(((Math.min(now, tEnd) - t0) / 1e6) * rate), Math.ceil(((tEnd - t0) / 1e6) * rate));
      while (sent < due && clients.length) {
        const c = clients[rr];
        rr = (rr + 1) % clients.length;
        const to = c.peers[c.turn];
        c.turn = (c.turn + 1) % c.peers.length;
        const t = nowUs();
        c.send(to, { candidate: CANDIDATE, sdpMid: '0', sdpMLineIndex: 0, t, s: seq++ });
        sent++;
        if (t >= win.from) sentInWin++;
      }
      if (now >= tEnd) resolve();
      else setTimeout(tick, 5);
    };
    tick();
  });
  const cpuSend = cpuSeconds() - cpu0;
  await new Promise((r) => setTimeout(r, drain * 1000));
  const sparse = {};
  hist.forEach((n, i) => {
    if (n) sparse[i] = n;
  });
  out({
    ev: 'step', rate, secs, sent, sentInWin, recvInWin, lost: sentInWin - recvInWin,
    hist: sparse, bucketUs: BUCKET_US, overflowBucket: NBUCKETS,
    cpuSec: cpuSend, lagMaxMs: Math.round(lagMaxMs), badFrames,
  });
}

const rl = createInterface({ input: process.stdin });
const queue = [];
let busy = false;
async function pump() {
  if (busy) return;
  busy = true;
  while (queue.length) {
    const cmd = queue.shift();
    try {
      if (cmd.cmd === 'connect') await connectAll();
      else if (cmd.cmd === 'step') await step(cmd.rate, cmd.secs, cmd.warm ?? 1, cmd.drain ?? 1);
      else if (cmd.cmd === 'quit') {
        for (const c of clients) c.close();
        process.exit(0);
      }
    } catch (err) {
      out({ ev: 'error', error: String(err.stack || err) });
    }
  }
  busy = false;
}
rl.on('line', (line) => {
  try {
    queue.push(JSON.parse(line));
  } catch {
    return;
  }
  pump();
});
rl.on('close', () => process.exit(0));
