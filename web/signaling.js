// The WebSocket signaling client (docs/signaling.md): join, keepalive, resume with backoff,
// and a server's goaway (it drains): resume after the delay it names.
// Emits events: 'joined' (frame, {resumed, fresh, moved}), 'frame' (every other server frame),
// 'status' (detail: 'connecting' | 'open' | 'reconnecting' | 'closed'), 'fatal' (error frame
// that ends the session), 'log' ({dir, frame}).

const PING_EVERY_MS = 15000;
const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];
const GOAWAY_MAX_MS = 60000;

export class Signaling extends EventTarget {
  constructor(url) {
    super();
    this.url = url;
    this.ws = null;
    this.join = null; // {room, name, password?}
    this.session = null;
    this.resumeToken = null;
    this.status = 'idle';
    this.attempt = 0;
    this.closedByUs = false;
    this.pingTimer = null;
    this.retryTimer = null;
    this.nextId = 1;
    this.goawayMs = null; // set by a goaway frame: the first retry waits this long
    this.wentAway = false; // a goaway came since the last joined: its TURN relays end too
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  setStatus(s) {
    if (s === this.status) return;
    this.status = s;
    this.emit('status', s);
  }

  start(join) {
    this.join = join;
    this.closedByUs = false;
    this.open();
  }

  open() {
    clearTimeout(this.retryTimer);
    this.setStatus(this.session ? 'reconnecting' : 'connecting');
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      const frame = { type: 'join', id: this.nextId++, room: this.join.room, name: this.join.name };
      if (this.join.password) frame.password = this.join.password;
      if (this.join.token) frame.token = this.join.token;
      if (this.resumeToken) frame.resume = this.resumeToken;
      this.sendRaw(frame);
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.sendRaw({ type: 'ping' }), PING_EVERY_MS);
    };
    ws.onmessage = (ev) => {
      let f;
      try {
        f = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!f || typeof f.type !== 'string') return;
      if (f.type === 'ping') {
        this.sendRaw({ type: 'pong' });
        return;
      }
      if (f.type === 'pong') return;
      this.emit('log', { dir: 'in', frame: f });
      this.onFrame(f);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      clearInterval(this.pingTimer);
      this.ws = null;
      if (this.closedByUs) {
        this.setStatus('closed');
        return;
      }
      this.scheduleRetry();
    };
    ws.onerror = () => {}; // onclose follows; the browser already reports the failure
  }

  onFrame(f) {
    if (f.type === 'goaway') {
      // The server is shutting down and closes this socket (1001) next: come back with resume
      // after about reconnect_ms (to this node once it answers again, or another), then back off.
      const ms = Number(f.reconnect_ms);
      this.goawayMs = Number.isFinite(ms) ? Math.min(Math.max(ms, 0), GOAWAY_MAX_MS) : 0;
      this.wentAway = true;
      return;
    }
    if (f.type === 'resume') {
      // A fresh resume token (the server sends one every few minutes): the newest one also
      // works after the server restarted.
      if (typeof f.resume === 'string' && f.resume) this.resumeToken = f.resume;
      return;
    }
    if (f.type === 'joined') {
      const resumed = this.session !== null && f.session === this.session;
      const fresh = this.session !== null && !resumed;
      // moved: resumed into the same session on the server that answers after a goaway.
      const moved = resumed && this.wentAway;
      this.wentAway = false;
      this.session = f.session;
      this.resumeToken = f.resume || null;
      this.attempt = 0;
      this.setStatus('open');
      this.emit('joined', { frame: f, resumed, fresh, moved });
      return;
    }
    if (f.type === 'error') {
      if (f.code === 'resume_failed') {
        // The server forgot us: join afresh on the same socket (a new session).
        this.resumeToken = null;
        const frame = { type: 'join', id: this.nextId++, room: this.join.room, name: this.join.name };
        if (this.join.password) frame.password = this.join.password;
        if (this.join.token) frame.token = this.join.token;
        this.sendRaw(frame);
        return;
      }
      if (this.status !== 'open' && ['unauthorized', 'room_full', 'bad_request'].includes(f.code)) {
        this.emit('fatal', f);
        this.stop(false);
        return;
      }
    }
    this.emit('frame', f);
  }

  scheduleRetry() {
    if (this.closedByUs) return;
    this.setStatus(this.session ? 'reconnecting' : 'connecting');
    let delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)] * (0.75 + Math.random() / 2);
    if (this.goawayMs !== null) {
      // Spread a whole node's clients over half the time again, so they do not all come at once.
      delay = this.goawayMs * (1 + Math.random() / 2);
      this.goawayMs = null;
    } else {
      this.attempt += 1;
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  sendRaw(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    if (frame.type !== 'ping' && frame.type !== 'pong') this.emit('log', { dir: 'out', frame });
    return true;
  }

  // Frames sent while the socket is down are dropped; perfect negotiation and ICE restarts
  // recover media, and chat reports a failed send.
  send(frame) {
    if (this.status !== 'open') return false;
    return this.sendRaw(frame);
  }

  // Test hook: drop the socket as a network failure would (the client resumes).
  dropForTest() {
    if (this.ws) this.ws.close(4000, 'test drop');
  }

  stop(sendLeave = true) {
    this.closedByUs = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    if (this.ws) {
      if (sendLeave) this.sendRaw({ type: 'leave' });
      this.ws.close(1000);
    }
    this.ws = null;
    this.setStatus('closed');
  }
}
