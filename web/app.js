// icegate web client: the glue between signaling, peers, files, whiteboard and stats, and the
// window.icegate test hooks. The wire contract is docs/signaling.md.
import { Signaling } from './signaling.js';
import { Peer } from './peer.js';
import { Files } from './files.js';
import { Whiteboard } from './whiteboard.js';
import * as stats from './stats.js';
import { Tiles } from './tiles.js';
import { Chat } from './chat.js';
import { LocalMedia } from './media.js';
import { Panel } from './panel.js';
import { initJoin, initControls, shareLink, showCallScreen, showJoinScreen } from './controls.js';
import { $, toast, SignalLog } from './ui.js';

const params = new URLSearchParams(location.search);
const relayParam = ['1', 'true', 'yes'].includes(params.get('relay'));

const app = {
  sig: null,
  session: null,
  room: '',
  name: '',
  relay: relayParam,
  config: { iceServers: [] },
  peers: new Map(), // session -> Peer
  lastStats: new Map(), // session -> stats.collect() result
  errors: [],
  joins: 0, // joined frames received: 1 + resumes + fresh rejoins
  awaited: new Map(), // session -> timer: peers kept after a resume until they are back
};

// After a resume, a peer missing from `joined` may be on its way back (the server restarted and
// it has not resumed yet; it keeps its session): it stays this long before it counts as gone.
// A peer that really left while we were away gets its `peer` leave in the replay at once.
const PEER_RETURN_MS = 40000;

const log = new SignalLog($('#sig-log'));
const panel = new Panel({
  onSelect: (name) => {
    if (name === 'stats') refreshStats();
    if (name === 'board') board.redraw();
  },
});
const tiles = new Tiles();
const media = new LocalMedia({ peers: app.peers, onChange: sendState });
const chat = new Chat({
  peers: app.peers, mySession: () => app.session, send: (frame) => app.sig?.send(frame), panel,
});
const files = new Files({
  list: $('#file-list'),
  peerName: (s) => app.peers.get(s)?.name || s.slice(0, 8),
  onEvent: (what, t) => {
    const away = !panel.shows('files');
    if (what === 'offer' && away) toast(`Receiving ${t.name} from ${app.peers.get(t.peer)?.name || 'a peer'}`);
    if (what === 'verified' && away) panel.bumpUnread();
    if (what === 'failed') toast(`${t.name}: ${t.error}`, 'error');
  },
});
const board = new Whiteboard({
  canvas: $('#board'), color: $('#board-color'), width: $('#board-width'), clear: $('#board-clear'),
});

// ---- joining ----------------------------------------------------------------------------------

// form: the join screen's {room, name, relay, noMedia}, already checked.
async function join(form) {
  app.room = form.room;
  app.name = form.name;
  app.relay = form.relay;
  history.replaceState(null, '', shareLink(app.room, app.relay));
  await media.open(!form.noMedia);
  showCallScreen(app.room, app.name, app.relay);

  const sig = new Signaling(`wss://${location.host}/ws`);
  app.sig = sig;
  sig.addEventListener('log', (e) => log.add(e.detail.dir, e.detail.frame));
  sig.addEventListener('status', (e) => {
    $('#conn-dot').dataset.state = e.detail;
    $('#conn-dot').title = `Signaling: ${e.detail}`;
    if (e.detail === 'reconnecting') toast('Connection to the server lost, reconnecting…', 'warn');
  });
  sig.addEventListener('joined', (e) => onJoined(e.detail));
  sig.addEventListener('frame', (e) => onFrame(e.detail));
  sig.addEventListener('fatal', (e) => onFatal(e.detail));
  sig.start({ room: app.room, name: app.name, password: $('#password').value || undefined, token: params.get('token') || undefined });
}

function onFatal(f) {
  const why = {
    room_full: 'That room is full.',
    unauthorized: 'Wrong room password or token.',
  }[f.code] || f.message || f.code;
  leaveCall();
  showJoinScreen(why);
}

// ---- signaling --------------------------------------------------------------------------------

function rtcConfig() {
  return {
    iceServers: app.config.iceServers,
    iceTransportPolicy: app.relay ? 'relay' : 'all',
    bundlePolicy: 'max-bundle',
  };
}

function onJoined({ frame, resumed, fresh, moved }) {
  app.joins += 1;
  app.session = frame.session;
  app.config.iceServers = Array.isArray(frame.iceServers) ? frame.iceServers : [];
  if (fresh) {
    toast('Rejoined the room as a new session.', 'warn');
    for (const s of [...app.peers.keys()]) removePeer(s);
  }
  const listed = new Set();
  for (const p of frame.peers || []) {
    listed.add(p.session);
    const peer = app.peers.get(p.session);
    if (peer) {
      peer.name = p.name;
      setPeerState(peer, p.state);
    } else {
      addPeer(p);
    }
  }
  for (const s of [...app.peers.keys()]) {
    if (listed.has(s)) peerBack(s);
    else if (resumed) awaitPeer(s);
    else removePeer(s);
  }
  for (const peer of app.peers.values()) {
    peer.setConfiguration(rtcConfig());
    // After a goaway the path moves to the new server's relays, with each peer once it is back.
    if (moved) peer.serverMoved();
    if (resumed) peer.resumed(listed.has(peer.session));
  }
  if (resumed) chat.merge(frame.history);
  else chat.reset(frame.history);
  sendState();
}

function onFrame(f) {
  switch (f.type) {
    case 'peer':
      if (f.kind === 'join' && app.awaited.has(f.session)) {
        // Back after a server restart, with the same session: the same Peer carries on.
        peerBack(f.session);
        const peer = app.peers.get(f.session);
        if (f.name) peer.name = f.name;
        setPeerState(peer, f.state);
        peer.setConfiguration(rtcConfig());
        peer.resumed();
      } else if (f.kind === 'join') addPeer(f);
      else if (f.kind === 'leave') removePeer(f.session);
      else if (f.kind === 'update') {
        const peer = app.peers.get(f.session) || addPeer(f);
        if (f.name) peer.name = f.name;
        setPeerState(peer, f.state);
      }
      break;
    case 'signal': {
      if (typeof f.from !== 'string' || !f.data || typeof f.data !== 'object') break;
      const peer = app.peers.get(f.from) || addPeer({ session: f.from, name: '' });
      peer.receive(f.data);
      break;
    }
    case 'chat':
      chat.add(f);
      break;
    case 'ice':
      if (Array.isArray(f.iceServers)) {
        app.config.iceServers = f.iceServers;
        for (const peer of app.peers.values()) peer.setConfiguration(rtcConfig());
      }
      break;
    case 'app':
      break; // data travels over data channels; nothing uses the relay path yet
    case 'error':
      app.errors.push({ code: f.code, message: f.message });
      if (f.code !== 'no_such_peer') toast(`Server: ${f.message || f.code}`, 'error');
      break;
    default:
      break;
  }
}

function sendState() {
  app.sig?.send({ type: 'state', ...media.state });
}

// ---- peers ------------------------------------------------------------------------------------

function addPeer(p) {
  if (!p.session || p.session === app.session) return null;
  const existing = app.peers.get(p.session);
  if (existing) return existing;
  const peer = new Peer({
    session: p.session,
    name: p.name,
    state: p.state,
    mySession: app.session,
    config: rtcConfig(),
    localStream: media.stream,
    send: (data) => app.sig.send({ type: 'signal', to: p.session, data }),
  });
  app.peers.set(p.session, peer);
  if (media.screenTrack) peer.replaceTrack('video', media.screenTrack, media.stream).catch(() => {});
  peer.addEventListener('change', () => tiles.update(peer));
  peer.addEventListener('media', () => tiles.update(peer));
  peer.addEventListener('warn', (e) => log.add('note', { type: 'peer', text: `${peer.name}: ${e.detail}` }));
  peer.addEventListener('channel', (e) => {
    const ch = e.detail;
    if (ch.label === 'file') files.attach(peer.session, ch);
    else if (ch.label === 'whiteboard') board.attach(peer.session, ch);
    else if (ch.label === 'control') {
      ch.onmessage = (m) => onControl(peer, m.data);
      ch.send(JSON.stringify({ t: 'hello', name: app.name }));
    }
    tiles.update(peer);
  });
  tiles.add(peer);
  chat.updateTargets();
  return peer;
}

function onControl(peer, data) {
  if (typeof data !== 'string') return;
  try {
    const m = JSON.parse(data);
    if (m.t === 'hello' && !peer.name && typeof m.name === 'string') {
      peer.name = m.name.slice(0, 64);
      tiles.update(peer);
      chat.updateTargets();
    }
  } catch {
    // not ours
  }
}

function awaitPeer(session) {
  if (app.awaited.has(session)) return;
  app.awaited.set(session, setTimeout(() => removePeer(session), PEER_RETURN_MS));
}

function peerBack(session) {
  clearTimeout(app.awaited.get(session));
  app.awaited.delete(session);
}

function removePeer(session) {
  peerBack(session);
  const peer = app.peers.get(session);
  if (!peer) return;
  peer.close();
  app.peers.delete(session);
  app.lastStats.delete(session);
  files.detach(session);
  board.detach(session);
  tiles.remove(session);
  chat.updateTargets();
}

function setPeerState(peer, state) {
  if (state && typeof state === 'object') {
    peer.state = { audio: !!state.audio, video: !!state.video, screen: !!state.screen };
  }
  tiles.update(peer);
}

function leaveCall() {
  if (!app.sig) return;
  app.sig.stop(true);
  app.sig = null;
  for (const s of [...app.peers.keys()]) removePeer(s);
  media.stop();
}

function sendFiles(list) {
  for (const f of list) {
    files.send(f).catch((err) => toast(err.message, 'error'));
  }
}

// ---- stats ------------------------------------------------------------------------------------

async function collectStats() {
  const peers = [...app.peers.values()];
  const results = await Promise.all(peers.map((p) => stats.collect(p.pc).catch(() => null)));
  peers.forEach((p, i) => {
    if (results[i] && app.peers.get(p.session) === p) app.lastStats.set(p.session, results[i]);
  });
  return peers;
}

async function refreshStats() {
  const peers = await collectStats();
  if (panel.tab === 'stats') stats.render($('#stats'), peers, app.lastStats);
}

setInterval(() => {
  if (app.peers.size) refreshStats().catch(() => {});
}, 1000);

// ---- test hooks (read-only views plus the actions a user could take) ---------------------------

function snapshot() {
  return {
    signaling: app.sig?.status || 'idle',
    session: app.session,
    joins: app.joins,
    room: app.room,
    name: app.name,
    relay: app.relay,
    iceTransportPolicy: rtcConfig().iceTransportPolicy,
    local: { ...media.state },
    peers: [...app.peers.values()].map((p) => ({
      session: p.session, name: p.name, state: { ...p.state }, ...p.connection(),
    })),
    chat: chat.messages.map((m) => ({ ...m })),
    files: files.snapshot(),
    errors: [...app.errors],
    boardStrokes: board.strokes.size,
  };
}

window.icegate = Object.freeze({
  state: snapshot,
  async stats() {
    await collectStats();
    return Object.fromEntries(app.lastStats);
  },
  sendChat: (text, to = null) => chat.send(text, to),
  setAudio: (on) => media.setAudio(on),
  setVideo: (on) => media.setVideo(on),
  sendFile: (file, to = null) => files.send(file, to),
  files: () => files.snapshot(),
  board: () => [...board.strokes.values()].map((s) => ({ id: s.id, color: s.color, w: s.w, points: s.pts.length / 2 })),
  log: () => log.entries.slice(),
  dropSignaling: () => app.sig?.dropForTest(),
});

initJoin({ relay: relayParam, inCall: () => !!app.sig, join });
initControls({ media, panel, leave: leaveCall, link: () => shareLink(app.room, app.relay), sendFiles });
