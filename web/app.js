// icegate web client: join screen, call view, and the glue between signaling, peers, chat,
// files, whiteboard and stats. See design.md sections 3-4 for the wire contract.
import { Signaling } from './signaling.js';
import { Peer } from './peer.js';
import { Files } from './files.js';
import { Whiteboard } from './whiteboard.js';
import * as stats from './stats.js';
import { $, el, formatTime, toast, SignalLog } from './ui.js';

const params = new URLSearchParams(location.search);
const relayParam = ['1', 'true', 'yes'].includes(params.get('relay'));

const app = {
  sig: null,
  session: null,
  room: '',
  name: '',
  relay: relayParam,
  config: { iceServers: [] },
  localStream: null,
  cameraTrack: null,
  screenTrack: null,
  local: { audio: true, video: true, screen: false },
  peers: new Map(), // session -> Peer
  tiles: new Map(), // session -> tile elements
  chat: [],
  lastStats: new Map(), // session -> stats.collect() result
  errors: [],
  joins: 0, // joined frames received: 1 + resumes + fresh rejoins
  unread: 0,
  panelTab: 'chat',
};

const log = new SignalLog($('#sig-log'));
const files = new Files({
  list: $('#file-list'),
  peerName: (s) => app.peers.get(s)?.name || s.slice(0, 8),
  onEvent: (what, t) => {
    const away = app.panelTab !== 'files' || document.body.classList.contains('panel-hidden');
    if (what === 'offer' && away) toast(`Receiving ${t.name} from ${app.peers.get(t.peer)?.name || 'a peer'}`);
    if (what === 'verified' && away) bumpUnread();
    if (what === 'failed') toast(`${t.name}: ${t.error}`, 'error');
  },
});
const board = new Whiteboard({
  canvas: $('#board'), color: $('#board-color'), width: $('#board-width'), clear: $('#board-clear'),
});

// ---- join screen ----------------------------------------------------------------------------

function roomFromHash() {
  try {
    return decodeURIComponent(location.hash.slice(1));
  } catch {
    return location.hash.slice(1);
  }
}

function initJoin() {
  $('#room').value = roomFromHash();
  $('#name').value = localStorage.getItem('icegate.name') || '';
  $('#relay').checked = relayParam;
  window.addEventListener('hashchange', () => {
    if (!app.sig) $('#room').value = roomFromHash();
  });
  (($('#room').value && !$('#name').value) ? $('#name') : $('#room')).focus();
  $('#join-form').addEventListener('submit', (e) => {
    e.preventDefault();
    join().catch((err) => showJoinError(err.message));
  });
}

function showJoinError(text) {
  $('#join-error').textContent = text;
  $('#join').disabled = false;
}

async function getMedia() {
  if ($('#no-media').checked || !navigator.mediaDevices?.getUserMedia) return null;
  const video = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
  for (const constraints of [{ audio: true, video }, { audio: true }, { video }]) {
    try {
      return await navigator.mediaDevices.getUserMedia(constraints);
    } catch (err) {
      if (err.name === 'NotAllowedError') break;
    }
  }
  toast('No camera or microphone: joining to watch, chat and share files.', 'warn');
  return null;
}

async function join() {
  const room = $('#room').value.trim();
  const name = $('#name').value.trim();
  if (!room || !name) throw new Error('Enter a room and your name.');
  if ([...room].length > 64 || [...name].length > 64) throw new Error('Room and name are at most 64 characters.');
  $('#join').disabled = true;
  $('#join-error').textContent = '';
  app.room = room;
  app.name = name;
  app.relay = $('#relay').checked;
  localStorage.setItem('icegate.name', name);
  history.replaceState(null, '', shareLink());

  app.localStream = await getMedia();
  app.cameraTrack = app.localStream?.getVideoTracks()[0] || null;
  app.local.audio = !!app.localStream?.getAudioTracks().length;
  app.local.video = !!app.cameraTrack;
  if (app.localStream) $('#local-video').srcObject = app.localStream;
  updateSelfTile();

  $('#join-screen').hidden = true;
  $('#call-screen').hidden = false;
  $('#room-title').textContent = room;
  $('#self-name').textContent = name;
  $('#relay-badge').hidden = !app.relay;
  document.title = `${room} · icegate`;

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
  sig.start({ room, name, password: $('#password').value || undefined, token: params.get('token') || undefined });
}

function onFatal(f) {
  const why = {
    room_full: 'That room is full.',
    unauthorized: 'Wrong room password or token.',
  }[f.code] || f.message || f.code;
  leaveCall();
  $('#join-screen').hidden = false;
  $('#call-screen').hidden = true;
  showJoinError(why);
}

function shareLink() {
  return `${location.origin}${location.pathname}${app.relay ? '?relay=1' : ''}#${encodeURIComponent(app.room)}`;
}

// ---- signaling --------------------------------------------------------------------------------

function rtcConfig() {
  return {
    iceServers: app.config.iceServers,
    iceTransportPolicy: app.relay ? 'relay' : 'all',
    bundlePolicy: 'max-bundle',
  };
}

function onJoined({ frame, resumed, fresh }) {
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
  for (const s of [...app.peers.keys()]) if (!listed.has(s)) removePeer(s);
  for (const peer of app.peers.values()) {
    peer.setConfiguration(rtcConfig());
    if (resumed) peer.resumed();
  }
  if (!resumed) {
    app.chat = [];
    $('#chat-log').replaceChildren();
    for (const m of frame.history || []) addChat(m, true);
  }
  sendState();
}

function onFrame(f) {
  switch (f.type) {
    case 'peer':
      if (f.kind === 'join') addPeer(f);
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
      addChat(f);
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
  app.sig?.send({ type: 'state', ...app.local });
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
    localStream: app.localStream,
    send: (data) => app.sig.send({ type: 'signal', to: p.session, data }),
  });
  app.peers.set(p.session, peer);
  if (app.screenTrack) peer.replaceTrack('video', app.screenTrack, app.localStream).catch(() => {});
  peer.addEventListener('change', () => updateTile(peer));
  peer.addEventListener('media', () => updateTile(peer));
  peer.addEventListener('warn', (e) => log.add('note', { type: 'peer', text: `${peer.name}: ${e.detail}` }));
  peer.addEventListener('channel', (e) => {
    const ch = e.detail;
    if (ch.label === 'file') files.attach(peer.session, ch);
    else if (ch.label === 'whiteboard') board.attach(peer.session, ch);
    else if (ch.label === 'control') {
      ch.onmessage = (m) => onControl(peer, m.data);
      ch.send(JSON.stringify({ t: 'hello', name: app.name }));
    }
    updateTile(peer);
  });
  addTile(peer);
  updateChatTargets();
  return peer;
}

function onControl(peer, data) {
  if (typeof data !== 'string') return;
  try {
    const m = JSON.parse(data);
    if (m.t === 'hello' && !peer.name && typeof m.name === 'string') {
      peer.name = m.name.slice(0, 64);
      updateTile(peer);
      updateChatTargets();
    }
  } catch {
    // not ours
  }
}

function removePeer(session) {
  const peer = app.peers.get(session);
  if (!peer) return;
  peer.close();
  app.peers.delete(session);
  app.lastStats.delete(session);
  files.detach(session);
  board.detach(session);
  const tile = app.tiles.get(session);
  if (tile) tile.root.remove();
  app.tiles.delete(session);
  updateGrid();
  updateChatTargets();
}

function setPeerState(peer, state) {
  if (state && typeof state === 'object') {
    peer.state = { audio: !!state.audio, video: !!state.video, screen: !!state.screen };
  }
  updateTile(peer);
}

// ---- tiles ------------------------------------------------------------------------------------

function initials(name) {
  return ([...name.trim()].filter((c, i, a) => i === 0 || a[i - 1] === ' ').slice(0, 2).join('') || '?').toUpperCase();
}

function addTile(peer) {
  const video = el('video', { autoplay: '', playsinline: '' });
  video.srcObject = peer.remoteStream;
  const name = el('span', { className: 'tile-name' });
  const conn = el('span', { className: 'flag conn', dataset: { testid: 'peer-conn' } });
  const avatar = el('div', { className: 'avatar', 'aria-hidden': 'true' });
  const root = el('figure', { className: 'tile', dataset: { testid: 'peer-tile', session: peer.session } }, [
    video,
    avatar,
    el('figcaption', {}, [
      name,
      el('span', { className: 'flag mic-off', textContent: 'muted', dataset: { testid: 'peer-muted' } }),
      el('span', { className: 'flag cam-off', textContent: 'camera off' }),
      el('span', { className: 'flag sharing', textContent: 'sharing screen', dataset: { testid: 'peer-sharing' } }),
      conn,
    ]),
  ]);
  app.tiles.set(peer.session, { root, video, name, conn, avatar });
  $('#grid').append(root);
  updateTile(peer);
  updateGrid();
}

function updateTile(peer) {
  const t = app.tiles.get(peer.session);
  if (!t) return;
  const label = peer.name || 'Someone';
  t.name.textContent = label;
  t.avatar.textContent = initials(label);
  t.root.dataset.name = label;
  t.root.dataset.audio = peer.state.audio ? 'on' : 'off';
  t.root.dataset.video = peer.state.video || peer.state.screen ? 'on' : 'off';
  t.root.dataset.screen = peer.state.screen ? 'on' : 'off';
  t.root.dataset.conn = peer.pc.connectionState;
  t.conn.textContent = peer.pc.connectionState === 'connected' ? '' : peer.pc.connectionState;
}

function updateGrid() {
  $('#grid').dataset.count = String(app.tiles.size + 1);
}

function updateSelfTile() {
  const self = $('.tile.self');
  self.dataset.audio = app.local.audio ? 'on' : 'off';
  self.dataset.video = app.local.video || app.local.screen ? 'on' : 'off';
  self.dataset.screen = app.local.screen ? 'on' : 'off';
  const hasAudio = !!app.localStream?.getAudioTracks().length;
  const hasVideo = !!app.cameraTrack;
  $('#mute').disabled = !hasAudio;
  $('#camera').disabled = !hasVideo;
  $('#mute').setAttribute('aria-pressed', String(hasAudio && !app.local.audio));
  $('#mute span').textContent = app.local.audio || !hasAudio ? 'Mute' : 'Unmute';
  $('#camera').setAttribute('aria-pressed', String(hasVideo && !app.local.video));
  $('#camera span').textContent = app.local.video || !hasVideo ? 'Stop video' : 'Start video';
  $('#screen').setAttribute('aria-pressed', String(app.local.screen));
  $('#screen span').textContent = app.local.screen ? 'Stop share' : 'Share';
  $('#screen').disabled = !navigator.mediaDevices?.getDisplayMedia;
}

// ---- controls ---------------------------------------------------------------------------------

function setAudio(on) {
  const tracks = app.localStream?.getAudioTracks() || [];
  if (!tracks.length) return false;
  for (const t of tracks) t.enabled = on;
  app.local.audio = on;
  updateSelfTile();
  sendState();
  return true;
}

function setVideo(on) {
  if (!app.cameraTrack) return false;
  app.cameraTrack.enabled = on;
  app.local.video = on;
  updateSelfTile();
  sendState();
  return true;
}

async function startScreen() {
  let stream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
  } catch (err) {
    if (err.name !== 'NotAllowedError') toast(`Screen share failed: ${err.message}`, 'error');
    return;
  }
  const track = stream.getVideoTracks()[0];
  track.contentHint = 'detail';
  app.screenTrack = track;
  track.addEventListener('ended', () => stopScreen());
  if (!app.localStream) app.localStream = new MediaStream();
  await Promise.all([...app.peers.values()].map((p) => p.replaceTrack('video', track, app.localStream)));
  $('#local-video').srcObject = new MediaStream([track]);
  app.local.screen = true;
  updateSelfTile();
  sendState();
}

async function stopScreen() {
  if (!app.screenTrack) return;
  const track = app.screenTrack;
  app.screenTrack = null;
  track.stop();
  await Promise.all([...app.peers.values()].map((p) => p.replaceTrack('video', app.cameraTrack, app.localStream)));
  $('#local-video').srcObject = app.localStream;
  app.local.screen = false;
  updateSelfTile();
  sendState();
}

function initControls() {
  $('#mute').addEventListener('click', () => setAudio(!app.local.audio));
  $('#camera').addEventListener('click', () => setVideo(!app.local.video));
  $('#screen').addEventListener('click', () => {
    (app.local.screen ? stopScreen() : startScreen()).catch((err) => toast(err.message, 'error'));
  });
  $('#panel-toggle').addEventListener('click', () => {
    const hidden = document.body.classList.toggle('panel-hidden');
    $('#panel-toggle').setAttribute('aria-pressed', String(!hidden));
    if (!hidden) clearUnread();
  });
  for (const tab of document.querySelectorAll('[role=tab]')) {
    tab.addEventListener('click', () => selectTab(tab.dataset.tab));
  }
  $('#leave').addEventListener('click', () => {
    leaveCall();
    location.reload();
  });
  $('#copy-link').addEventListener('click', () => {
    const link = shareLink();
    navigator.clipboard.writeText(link).then(
      () => toast('Link copied.'),
      () => toast(link),
    );
  });
  $('#chat-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $('#chat-input');
    const text = input.value.trim();
    if (!text) return;
    if (sendChat(text, $('#chat-to').value || null)) input.value = '';
    else toast('Not connected to the server; message not sent.', 'error');
  });
  $('#file-input').addEventListener('change', (e) => {
    sendFiles([...e.target.files]);
    e.target.value = '';
  });
  const drop = $('#drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    sendFiles([...e.dataTransfer.files]);
  });
  window.addEventListener('pagehide', () => leaveCall());
  if (matchMedia('(max-width: 720px)').matches) document.body.classList.add('panel-hidden');
}

function selectTab(name) {
  app.panelTab = name;
  for (const tab of document.querySelectorAll('[role=tab]')) tab.setAttribute('aria-selected', String(tab.dataset.tab === name));
  for (const pane of document.querySelectorAll('[data-pane]')) pane.hidden = pane.dataset.pane !== name;
  if (name === 'chat') clearUnread();
  if (name === 'stats') refreshStats();
  if (name === 'board') board.redraw();
}

function sendFiles(list) {
  for (const f of list) {
    files.send(f).catch((err) => toast(err.message, 'error'));
  }
}

function leaveCall() {
  if (!app.sig) return;
  app.sig.stop(true);
  app.sig = null;
  for (const s of [...app.peers.keys()]) removePeer(s);
  for (const t of app.localStream?.getTracks() || []) t.stop();
  app.screenTrack?.stop();
}

// ---- chat -------------------------------------------------------------------------------------

function sendChat(text, to = null) {
  const frame = { type: 'chat', text };
  if (to) frame.to = to;
  return !!app.sig?.send(frame);
}

function addChat(m, fromHistory = false) {
  if (typeof m.text !== 'string') return;
  const entry = {
    from: m.from, name: String(m.name ?? ''), text: m.text, ts: Number(m.ts) || Date.now(),
    private: !!m.private, to: m.to || null, mine: m.from === app.session,
  };
  app.chat.push(entry);
  const list = $('#chat-log');
  const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
  let who = entry.mine ? 'You' : entry.name;
  if (entry.private) {
    const other = app.peers.get(entry.mine ? entry.to : entry.from)?.name || 'someone';
    who = entry.mine ? `You → ${other}` : `${entry.name} → you`;
  }
  list.append(el('li', {
    className: `msg${entry.mine ? ' mine' : ''}${entry.private ? ' private' : ''}`,
    dataset: { testid: 'chat-message', from: entry.from || '' },
  }, [
    el('div', { className: 'msg-head' }, [
      el('span', { className: 'msg-name', textContent: who }),
      el('time', { className: 'msg-time', textContent: formatTime(entry.ts), datetime: new Date(entry.ts).toISOString() }),
    ]),
    el('div', { className: 'msg-text', textContent: entry.text }),
  ]));
  if (stick || entry.mine) list.scrollTop = list.scrollHeight;
  if (!fromHistory && !entry.mine) {
    const hidden = document.body.classList.contains('panel-hidden') || app.panelTab !== 'chat';
    if (hidden) bumpUnread();
  }
}

function bumpUnread() {
  app.unread += 1;
  $('#unread').textContent = String(app.unread);
  $('#unread').hidden = false;
}

function clearUnread() {
  app.unread = 0;
  $('#unread').hidden = true;
}

function updateChatTargets() {
  const select = $('#chat-to');
  const current = select.value;
  const options = [el('option', { value: '', textContent: 'Everyone' })];
  for (const p of app.peers.values()) {
    options.push(el('option', { value: p.session, textContent: `Only ${p.name || p.session.slice(0, 8)}` }));
  }
  select.replaceChildren(...options);
  select.value = app.peers.has(current) ? current : '';
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
  if (app.panelTab === 'stats') stats.render($('#stats'), peers, app.lastStats);
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
    local: { ...app.local },
    peers: [...app.peers.values()].map((p) => ({
      session: p.session, name: p.name, state: { ...p.state }, ...p.connection(),
    })),
    chat: app.chat.map((m) => ({ ...m })),
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
  sendChat,
  setAudio,
  setVideo,
  sendFile: (file, to = null) => files.send(file, to),
  files: () => files.snapshot(),
  board: () => [...board.strokes.values()].map((s) => ({ id: s.id, color: s.color, w: s.w, points: s.pts.length / 2 })),
  log: () => log.entries.slice(),
  dropSignaling: () => app.sig?.dropForTest(),
});

initJoin();
initControls();
