#!/usr/bin/env node
// The web client's Peer (web/peer.js) when the server moves (a goaway, then a resume on the
// server that answers, as in an upgrade), under Node with a fake RTCPeerConnection and fake
// timers (no browser, no server). A connected path must be moved with an ICE restart on the
// same RTCPeerConnection, once the remote member is back: by the impolite side at once; by the
// polite side only when no restart offer (a new remote ufrag) came within the restart wait.
// A resume without a goaway leaves a connected path alone and restarts a failed one, as before.
// Prints one JSON line; exits 0 when every check passed, 1 otherwise.
//
//   node peer_move_test.mjs
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { installFakeClock } from './fake_clock.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const failures = [];
function check(ok, what) {
  if (!ok) failures.push(what);
}

const { advance } = installFakeClock();
const RESTART_WAIT_MS = 2500; // web/peer.js

const made = [];
class FakePeerConnection {
  constructor(config) {
    this.config = config;
    this.connectionState = 'connected';
    this.iceConnectionState = 'connected';
    this.signalingState = 'stable';
    this.remoteDescription = { type: 'answer', sdp: 'v=0\r\na=ice-ufrag:old1\r\na=ice-pwd:x\r\n' };
    this.iceRestarts = 0;
    made.push(this);
  }
  addTrack() {}
  createDataChannel(label) {
    return { label };
  }
  restartIce() {
    this.iceRestarts += 1;
  }
  setConfiguration(config) {
    this.config = config;
  }
  getSenders() {
    return [];
  }
  getTransceivers() {
    return [];
  }
  close() {
    this.connectionState = 'closed';
  }
  // The remote side restarted ICE: its next description carries a new ufrag.
  remoteRestarted() {
    this.remoteDescription = { type: 'offer', sdp: 'v=0\r\na=ice-ufrag:new2\r\na=ice-pwd:y\r\n' };
  }
}
globalThis.RTCPeerConnection = FakePeerConnection;
globalThis.MediaStream = class {
  getTracks() {
    return [];
  }
};

const { Peer } = await import(path.join(here, '..', '..', 'web', 'peer.js'));

// polite: our session sorts after the remote one (web/peer.js).
function peer(polite) {
  return new Peer({ session: 'm', mySession: polite ? 'z' : 'a', config: {}, send: () => {} });
}

const cases = {};
try {
  // Impolite: restarts at once, but only once the remote member is back.
  let p = peer(false);
  p.serverMoved();
  p.resumed(false);
  check(p.pc.iceRestarts === 0, `impolite: restarted before the peer was back (${p.pc.iceRestarts})`);
  p.resumed(true);
  check(p.pc.iceRestarts === 1, `impolite: ${p.pc.iceRestarts} restarts when the peer is back, want 1`);
  p.resumed(true);
  advance(RESTART_WAIT_MS * 2);
  check(p.pc.iceRestarts === 1, `impolite: restarted again (${p.pc.iceRestarts})`);
  check(p.connection().restarts === 1, `impolite: restarts counted ${p.connection().restarts}`);
  cases.impolite = p.pc.iceRestarts;
  p.close();

  // Polite, the impolite side restarts: no restart of its own.
  p = peer(true);
  p.serverMoved();
  p.resumed(true);
  check(p.pc.iceRestarts === 0, 'polite: restarted at once');
  advance(RESTART_WAIT_MS / 2);
  p.pc.remoteRestarted();
  advance(RESTART_WAIT_MS);
  check(p.pc.iceRestarts === 0, `polite: restarted though the remote side did (${p.pc.iceRestarts})`);
  cases.politeAnswered = p.pc.iceRestarts;
  p.close();

  // Polite, a restart offer that came before its peer's join reached it counts too.
  p = peer(true);
  p.serverMoved();
  p.pc.remoteRestarted();
  p.resumed(true);
  advance(RESTART_WAIT_MS + 1);
  check(p.pc.iceRestarts === 0, `polite: restarted after an early remote restart (${p.pc.iceRestarts})`);
  p.close();

  // Polite, no restart offer comes: it steps in after the wait.
  p = peer(true);
  p.serverMoved();
  p.resumed(true);
  advance(RESTART_WAIT_MS - 1);
  check(p.pc.iceRestarts === 0, 'polite: stepped in before the wait was over');
  advance(2);
  check(p.pc.iceRestarts === 1, `polite: ${p.pc.iceRestarts} restarts when none came, want 1`);
  cases.politeSteppedIn = p.pc.iceRestarts;
  p.close();

  // A closed peer does nothing when its timer fires.
  p = peer(true);
  p.serverMoved();
  p.resumed(true);
  p.close();
  advance(RESTART_WAIT_MS + 1);
  check(p.pc.iceRestarts === 0, 'polite: restarted after close');

  // A resume without a goaway: a connected path stays as it is, a failed one restarts.
  p = peer(false);
  p.resumed(true);
  advance(RESTART_WAIT_MS * 2);
  check(p.pc.iceRestarts === 0, `plain resume: restarted a connected path (${p.pc.iceRestarts})`);
  p.pc.connectionState = 'failed';
  p.resumed(true);
  check(p.pc.iceRestarts === 1, `plain resume: ${p.pc.iceRestarts} restarts of a failed path, want 1`);
  p.close();

  // Moved while the path already failed: one restart, as for any broken path.
  p = peer(false);
  p.serverMoved();
  p.pc.connectionState = 'failed';
  p.resumed(true);
  p.pc.connectionState = 'connected';
  p.resumed(true);
  check(p.pc.iceRestarts === 1, `moved and failed: ${p.pc.iceRestarts} restarts, want 1`);
  p.close();

  check(made.length === 7, `${made.length} RTCPeerConnections for 7 peers: a move made a new one`);
} catch (err) {
  failures.push(`stopped: ${err.stack || err.message}`);
}

const ok = failures.length === 0;
process.stdout.write(JSON.stringify({ ok, failures, cases }) + '\n');
process.exit(ok ? 0 : 1);
