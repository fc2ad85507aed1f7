// One RTCPeerConnection to one remote member, negotiated with the perfect-negotiation pattern
// (https://w3c.github.io/webrtc-pc/#perfect-negotiation-example): either side may offer at any
// time; on a collision the polite side rolls back and the impolite side ignores the offer.
// Data channels are pre-negotiated with fixed ids, so both sides create them identically.

export const CHANNELS = [
  { label: 'control', id: 0, options: { ordered: true } },
  { label: 'file', id: 1, options: { ordered: true } },
  { label: 'whiteboard', id: 2, options: { ordered: true } },
];

const DISCONNECT_GRACE_MS = 4000;
const FIRST_OFFER_WAIT_MS = 3000;
const RESTART_WAIT_MS = 2500;

// The ICE username fragment of the remote description: an ICE restart changes it.
function remoteUfrag(pc) {
  return /^a=ice-ufrag:(\S+)/m.exec(pc.remoteDescription?.sdp || '')?.[1] ?? null;
}

export class Peer extends EventTarget {
  // send(data): delivers `data` to the remote side over signaling.
  constructor({ session, name, state, mySession, config, localStream, send }) {
    super();
    this.session = session;
    this.name = name || '';
    this.state = state || { audio: true, video: true, screen: false };
    this.polite = mySession > session;
    this.config = config;
    this.send = send;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.answerPending = false;
    this.queue = Promise.resolve();
    this.remoteStream = new MediaStream();
    this.channels = {};
    this.closed = false;
    this.disconnectTimer = null;
    this.connectedAt = null;
    this.createdAt = performance.now();
    this.restarts = 0;
    this.offerTimer = null; // polite side: fallback for a first offer that never comes
    this.waited = false;
    this.restartTimer = null;
    this.restartWaited = false;
    this.moveWanted = false; // serverMoved(): restart ICE once the remote member is back too
    this.moveUfrag = null; // the remote ICE ufrag when the server moved
    this.moveTimer = null;
    this.build(localStream);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  build(localStream) {
    const pc = new RTCPeerConnection(this.config);
    this.pc = pc;
    if (localStream) {
      for (const track of localStream.getTracks()) pc.addTrack(track, localStream);
    }
    for (const c of CHANNELS) {
      const ch = pc.createDataChannel(c.label, { ...c.options, negotiated: true, id: c.id });
      ch.binaryType = 'arraybuffer';
      ch.onopen = () => this.emit('channel', ch);
      ch.onclose = () => this.emit('change');
      this.channels[c.label] = ch;
    }
    pc.ontrack = ({ track }) => {
      // One stream per peer whatever the remote side's stream ids: replaceTrack and re-adds
      // keep landing in the same <video>.
      for (const old of this.remoteStream.getTracks()) {
        if (old.kind === track.kind && old !== track) this.remoteStream.removeTrack(old);
      }
      this.remoteStream.addTrack(track);
      track.onunmute = () => this.emit('media');
      this.emit('media');
    };
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.send({ candidate: candidate.toJSON() });
    };
    pc.onnegotiationneeded = () => {
      // The first offer comes from the impolite side. A polite side that offers too and then
      // rolls back loses the candidates it gathered (Chromium does not signal them again), and
      // relay-only, without them its peer never permits its relay address: no connection.
      // So the polite side waits for that offer, and offers itself only if none comes.
      if (this.polite && !pc.remoteDescription && !this.waited) {
        if (!this.offerTimer) {
          this.offerTimer = setTimeout(() => {
            this.waited = true;
            if (!this.closed && !pc.remoteDescription && pc.signalingState === 'stable') this.negotiate();
          }, FIRST_OFFER_WAIT_MS);
        }
        return;
      }
      this.negotiate();
    };
    pc.onconnectionstatechange = () => {
      const s = pc.connectionState;
      if (s === 'connected' && this.connectedAt === null) this.connectedAt = performance.now();
      clearTimeout(this.disconnectTimer);
      if (s === 'connected') {
        clearTimeout(this.restartTimer);
        this.restartWaited = false;
      }
      if (s === 'disconnected') {
        this.disconnectTimer = setTimeout(() => this.restart('disconnected'), DISCONNECT_GRACE_MS);
      } else if (s === 'failed') {
        this.restart('failed');
      }
      this.emit('change');
    };
  }

  async negotiate() {
    const pc = this.pc;
    try {
      this.makingOffer = true;
      await pc.setLocalDescription();
      this.send({ description: pc.localDescription.toJSON() });
    } catch (err) {
      this.emit('warn', `offer failed: ${err.message}`);
    } finally {
      this.makingOffer = false;
    }
  }

  restart(why) {
    if (this.closed) return;
    const s = this.pc.connectionState;
    if (s !== 'failed' && s !== 'disconnected') return;
    // Both sides notice a broken path; the impolite one restarts ICE first, so the two
    // restart offers rarely collide. The polite one steps in only if that does not come.
    if (this.polite && !this.restartWaited) {
      this.restartWaited = true;
      clearTimeout(this.restartTimer);
      this.restartTimer = setTimeout(() => this.restart(why), RESTART_WAIT_MS);
      return;
    }
    this.restartWaited = false;
    this.restartIce(why);
  }

  restartIce(why) {
    this.restarts += 1;
    this.emit('warn', `ICE restart (${why})`);
    this.pc.restartIce();
  }

  // Our signaling resumed after a goaway: the server we relay through goes away, and its TURN
  // allocations end with it. The path still works, but must move onto relays of the server
  // that answers now (the config already holds its fresh credentials) before the old ones end.
  serverMoved() {
    this.moveWanted = true;
    this.moveUfrag = remoteUfrag(this.pc);
  }

  // After a signaling resume; `present`: the remote member is in the room too (an offer to one
  // that has not resumed yet would be dropped). Moves the path after a goaway; otherwise
  // kicks ICE if the path broke while we were away.
  resumed(present = true) {
    const s = this.pc.connectionState;
    if (this.moveWanted && present && s !== 'failed' && s !== 'disconnected') {
      this.moveWanted = false;
      this.moveRelays();
    } else if (s === 'failed' || s === 'disconnected') {
      if (present) this.moveWanted = false; // this restart moves the path too
      this.restart('resume');
    }
  }

  // As restart() for a working path: the impolite side restarts ICE; the polite one (whose
  // peer resumed too) restarts only if no restart offer (a new remote ufrag) came meanwhile.
  moveRelays() {
    if (this.closed) return;
    clearTimeout(this.moveTimer);
    if (!this.polite) {
      this.restartIce('server moved');
      return;
    }
    this.moveTimer = setTimeout(() => {
      if (!this.closed && remoteUfrag(this.pc) === this.moveUfrag) this.restartIce('server moved');
    }, RESTART_WAIT_MS);
  }

  // Remote signaling data, handled strictly in order.
  receive(data) {
    this.queue = this.queue.then(() => this.handle(data)).catch((err) => {
      this.emit('warn', `signal failed: ${err.message}`);
    });
    return this.queue;
  }

  async handle({ description, candidate }) {
    if (this.closed) return;
    const pc = this.pc;
    if (description) {
      const readyForOffer = !this.makingOffer
        && (pc.signalingState === 'stable' || this.answerPending);
      const collision = description.type === 'offer' && !readyForOffer;
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) return;
      this.answerPending = description.type === 'answer';
      await pc.setRemoteDescription(description);
      this.answerPending = false;
      if (description.type === 'offer') {
        await pc.setLocalDescription();
        this.send({ description: pc.localDescription.toJSON() });
      }
    } else if (candidate) {
      try {
        await pc.addIceCandidate(candidate);
      } catch (err) {
        if (!this.ignoreOffer) throw err;
      }
    }
  }

  setConfiguration(config) {
    this.config = config;
    try {
      this.pc.setConfiguration(config);
    } catch (err) {
      this.emit('warn', `setConfiguration: ${err.message}`);
    }
  }

  sender(kind) {
    return this.pc.getSenders().find((s) => s.track && s.track.kind === kind)
      || this.pc.getTransceivers().find((t) => t.receiver.track.kind === kind
        && t.sender && !t.stopped && (t.currentDirection || t.direction).startsWith('send'))?.sender
      || null;
  }

  // Swaps the outgoing track of a kind without renegotiation when a sender exists; adds one
  // (renegotiates) otherwise.
  async replaceTrack(kind, track, stream) {
    const s = this.sender(kind);
    if (s) {
      await s.replaceTrack(track);
    } else if (track) {
      this.pc.addTrack(track, stream);
    }
  }

  connection() {
    return {
      connectionState: this.pc.connectionState,
      iceConnectionState: this.pc.iceConnectionState,
      signalingState: this.pc.signalingState,
      channels: Object.fromEntries(Object.entries(this.channels).map(([k, c]) => [k, c.readyState])),
      connectMs: this.connectedAt === null ? null : Math.round(this.connectedAt - this.createdAt),
      restarts: this.restarts,
      polite: this.polite,
    };
  }

  close() {
    this.closed = true;
    clearTimeout(this.disconnectTimer);
    clearTimeout(this.offerTimer);
    clearTimeout(this.restartTimer);
    clearTimeout(this.moveTimer);
    for (const c of Object.values(this.channels)) c.onclose = null;
    this.pc.onconnectionstatechange = null;
    this.pc.close();
    for (const t of this.remoteStream.getTracks()) this.remoteStream.removeTrack(t);
  }
}
