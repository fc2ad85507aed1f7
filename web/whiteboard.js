// A shared whiteboard over each peer's pre-negotiated 'whiteboard' data channel.
// Messages (JSON text): {"t":"stroke","id","color","w","pts":[x,y,..]} starts a stroke,
// {"t":"pts","id","pts":[..]} extends it, {"t":"clear"}, {"t":"sync","strokes":[..]} (sent when a
// channel opens, so late joiners see the board). Coordinates are 0..1 of the board; stroke ids
// make repeated syncs in a mesh harmless.

const COLOR = /^#[0-9a-f]{6}$/i;
const MAX_STROKES = 5000;
const MAX_POINTS = 20000;

export class Whiteboard {
  constructor({ canvas, color, width, clear }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.color = color;
    this.width = width;
    this.strokes = new Map(); // id -> {id, color, w, pts}
    this.channels = new Map();
    this.current = null;
    this.pending = [];
    this.flushTimer = null;
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', () => this.up());
    canvas.addEventListener('pointercancel', () => this.up());
    clear.addEventListener('click', () => {
      this.clear();
      this.broadcast({ t: 'clear' });
    });
    this.redraw();
  }

  attach(session, ch) {
    this.channels.set(session, ch);
    ch.onmessage = (ev) => this.onMessage(ev.data);
    if (this.strokes.size) this.sendTo(ch, { t: 'sync', strokes: [...this.strokes.values()] });
  }

  detach(session) {
    this.channels.delete(session);
  }

  point(e) {
    const r = this.canvas.getBoundingClientRect();
    const x = Math.min(Math.max((e.clientX - r.left) / r.width, 0), 1);
    const y = Math.min(Math.max((e.clientY - r.top) / r.height, 0), 1);
    return [Math.round(x * 10000) / 10000, Math.round(y * 10000) / 10000];
  }

  down(e) {
    this.canvas.setPointerCapture(e.pointerId);
    const id = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const stroke = { id, color: this.color.value, w: Number(this.width.value) || 8, pts: this.point(e) };
    this.current = stroke;
    this.add(stroke);
    this.broadcast({ t: 'stroke', ...stroke });
  }

  move(e) {
    if (!this.current) return;
    const p = this.point(e);
    this.current.pts.push(...p);
    this.drawSegment(this.current, this.current.pts.length - 4);
    this.pending.push(...p);
    if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), 30);
  }

  up() {
    this.flush();
    this.current = null;
  }

  flush() {
    clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.current && this.pending.length) {
      this.broadcast({ t: 'pts', id: this.current.id, pts: this.pending });
    }
    this.pending = [];
  }

  broadcast(msg) {
    for (const ch of this.channels.values()) this.sendTo(ch, msg);
  }

  sendTo(ch, msg) {
    if (ch.readyState === 'open') ch.send(JSON.stringify(msg));
  }

  onMessage(data) {
    if (typeof data !== 'string') return;
    let m;
    try {
      m = JSON.parse(data);
    } catch {
      return;
    }
    if (m.t === 'clear') this.clear();
    else if (m.t === 'stroke') this.add(this.valid(m));
    else if (m.t === 'pts') {
      const s = this.strokes.get(m.id);
      const pts = this.numbers(m.pts);
      if (!s || !pts || s.pts.length + pts.length > MAX_POINTS) return;
      const from = s.pts.length - 2;
      s.pts.push(...pts);
      this.drawSegment(s, Math.max(from, 0));
    } else if (m.t === 'sync' && Array.isArray(m.strokes)) {
      for (const s of m.strokes.slice(0, MAX_STROKES)) {
        const v = this.valid(s);
        if (v && !this.strokes.has(v.id)) this.add(v);
      }
    }
  }

  numbers(pts) {
    if (!Array.isArray(pts) || pts.length % 2 || pts.length > MAX_POINTS) return null;
    return pts.every((n) => typeof n === 'number' && n >= 0 && n <= 1) ? pts : null;
  }

  valid(s) {
    if (!s || typeof s.id !== 'string' || s.id.length > 40) return null;
    const pts = this.numbers(s.pts);
    if (!pts || pts.length < 2) return null;
    return {
      id: s.id,
      color: COLOR.test(s.color) ? s.color : '#ffffff',
      w: Math.min(Math.max(Number(s.w) || 8, 1), 40),
      pts: [...pts],
    };
  }

  add(stroke) {
    if (!stroke || this.strokes.size >= MAX_STROKES) return;
    this.strokes.set(stroke.id, stroke);
    this.drawSegment(stroke, 0);
  }

  clear() {
    this.strokes.clear();
    this.redraw();
  }

  redraw() {
    const { ctx, canvas } = this;
    ctx.fillStyle = '#fbfaf7';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    for (const s of this.strokes.values()) this.drawSegment(s, 0);
  }

  // Draws the stroke from point index `from` (an index into the flat array) to its end.
  drawSegment(s, from) {
    const { ctx, canvas } = this;
    const W = canvas.width;
    const H = canvas.height;
    const pts = s.pts;
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = s.w;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    if (pts.length === 2) {
      ctx.beginPath();
      ctx.arc(pts[0] * W, pts[1] * H, s.w / 2, 0, Math.PI * 2);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    const start = Math.max(from - (from % 2), 0);
    ctx.moveTo(pts[start] * W, pts[start + 1] * H);
    for (let i = start + 2; i < pts.length; i += 2) ctx.lineTo(pts[i] * W, pts[i + 1] * H);
    ctx.stroke();
  }
}
