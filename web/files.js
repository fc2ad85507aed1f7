// File transfer over the pre-negotiated 'file' data channel of each peer.
// Wire format on that channel (ordered, reliable):
//   text   {"t":"offer","id":N,"name":..,"size":..,"type":..,"sha256":hex}
//   binary 4-byte big-endian id, then at most 16 KiB of the file
//   text   {"t":"end","id":N}   or   {"t":"cancel","id":N}
// Several files, to several peers, go at once: chunks carry their file's id. The sender waits
// whenever the channel buffers more than HIGH_WATER bytes (bufferedAmountLowThreshold event).
// The receiver hashes what it got and compares with the sender's SHA-256.
import { el, formatBytes } from './ui.js';

export const CHUNK = 16 * 1024;
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;
const MAX_FILE = 1024 * 1024 * 1024; // the receiver keeps a file in memory until saved

export async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest('SHA-256', buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function waitDrain(ch) {
  if (ch.bufferedAmount <= HIGH_WATER) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      ch.removeEventListener('bufferedamountlow', done);
      ch.removeEventListener('close', fail);
      resolve();
    };
    const fail = () => {
      ch.removeEventListener('bufferedamountlow', done);
      ch.removeEventListener('close', fail);
      reject(new Error('channel closed'));
    };
    ch.addEventListener('bufferedamountlow', done);
    ch.addEventListener('close', fail);
  });
}

export class Files {
  // list: the <ul> for transfers; peerName(session) -> display name.
  constructor({ list, peerName, onEvent }) {
    this.list = list;
    this.peerName = peerName;
    this.onEvent = onEvent || (() => {});
    this.channels = new Map(); // session -> RTCDataChannel
    this.incoming = new Map(); // `${session}/${id}` -> transfer
    this.transfers = []; // every transfer, both directions (the test hook reads these)
    this.nextId = (crypto.getRandomValues(new Uint32Array(1))[0] & 0x7fffffff) || 1;
  }

  attach(session, ch) {
    ch.bufferedAmountLowThreshold = LOW_WATER;
    this.channels.set(session, ch);
    ch.onmessage = (ev) => this.onMessage(session, ev.data);
  }

  detach(session) {
    this.channels.delete(session);
    for (const t of this.transfers) {
      if (t.peer === session && (t.status === 'sending' || t.status === 'receiving' || t.status === 'queued')) {
        this.finish(t, 'failed', 'peer left');
      }
    }
  }

  // Sends one File (or Blob with a name) to every connected peer, or to `only`.
  async send(file, only = null) {
    if (file.size > MAX_FILE) throw new Error(`${file.name}: larger than ${formatBytes(MAX_FILE)}`);
    const targets = [...this.channels.entries()]
      .filter(([s, ch]) => ch.readyState === 'open' && (!only || s === only));
    if (targets.length === 0) throw new Error('nobody to send to yet');
    const sha256 = await sha256Hex(await file.arrayBuffer());
    const results = await Promise.all(targets.map(([session, ch]) => this.sendTo(session, ch, file, sha256)));
    return { name: file.name, size: file.size, sha256, results };
  }

  async sendTo(session, ch, file, sha256) {
    const id = this.nextId++;
    const t = this.track({ id, dir: 'out', peer: session, name: file.name || 'file', size: file.size, type: file.type, sha256, status: 'sending' });
    const started = performance.now();
    try {
      ch.send(JSON.stringify({ t: 'offer', id, name: t.name, size: t.size, type: t.type, sha256 }));
      for (let off = 0; off < file.size; off += CHUNK) {
        if (t.status !== 'sending') return this.summary(t);
        await waitDrain(ch);
        const body = new Uint8Array(await file.slice(off, off + CHUNK).arrayBuffer());
        const msg = new Uint8Array(4 + body.length);
        new DataView(msg.buffer).setUint32(0, id);
        msg.set(body, 4);
        ch.send(msg);
        t.bytes = off + body.length;
        this.progress(t);
      }
      ch.send(JSON.stringify({ t: 'end', id }));
      t.ms = Math.round(performance.now() - started);
      this.finish(t, 'sent');
    } catch (err) {
      this.finish(t, 'failed', err.message);
    }
    return this.summary(t);
  }

  onMessage(session, data) {
    if (typeof data !== 'string') {
      const view = new DataView(data);
      const t = this.incoming.get(`${session}/${view.getUint32(0)}`);
      if (!t || t.status !== 'receiving') return;
      t.chunks.push(data.slice(4));
      t.bytes += data.byteLength - 4;
      if (t.bytes > t.size) this.finish(t, 'failed', 'more bytes than announced');
      else this.progress(t);
      return;
    }
    let m;
    try {
      m = JSON.parse(data);
    } catch {
      return;
    }
    const key = `${session}/${m.id}`;
    if (m.t === 'offer') {
      const t = this.track({
        id: m.id, dir: 'in', peer: session, name: String(m.name || 'file').slice(0, 255),
        size: Number(m.size) || 0, type: String(m.type || ''), sha256: String(m.sha256 || ''), status: 'receiving',
      });
      t.chunks = [];
      t.started = performance.now();
      this.incoming.set(key, t);
      this.onEvent('offer', t);
    } else if (m.t === 'end') {
      const t = this.incoming.get(key);
      if (!t) return;
      this.incoming.delete(key);
      this.complete(t);
    } else if (m.t === 'cancel') {
      const t = this.incoming.get(key);
      if (!t) return;
      this.incoming.delete(key);
      this.finish(t, 'failed', 'cancelled by sender');
    }
  }

  async complete(t) {
    if (t.status !== 'receiving') return;
    t.status = 'checking';
    const blob = new Blob(t.chunks, { type: t.type || 'application/octet-stream' });
    t.chunks = null;
    t.ms = Math.round(performance.now() - t.started);
    t.actualSha256 = await sha256Hex(await blob.arrayBuffer());
    if (blob.size !== t.size) {
      this.finish(t, 'failed', `got ${blob.size} of ${t.size} bytes`);
    } else if (t.actualSha256 !== t.sha256) {
      this.finish(t, 'failed', 'SHA-256 mismatch');
    } else {
      t.url = URL.createObjectURL(blob);
      this.finish(t, 'verified');
    }
  }

  cancel(t) {
    if (t.dir === 'out' && t.status === 'sending') {
      const ch = this.channels.get(t.peer);
      if (ch && ch.readyState === 'open') ch.send(JSON.stringify({ t: 'cancel', id: t.id }));
      this.finish(t, 'failed', 'cancelled');
    }
  }

  // ---- view -----------------------------------------------------------------------------

  track(t) {
    t.bytes = 0;
    t.error = null;
    const who = t.dir === 'out' ? `to ${this.peerName(t.peer)}` : `from ${this.peerName(t.peer)}`;
    const bar = el('progress', { max: String(Math.max(t.size, 1)), value: '0' });
    const status = el('span', { className: 'file-status' });
    const actions = el('span', { className: 'file-actions' });
    const li = el('li', { className: 'file', dataset: { testid: 'file-transfer', dir: t.dir, status: t.status } }, [
      el('div', { className: 'file-head' }, [
        el('span', { className: 'file-name', textContent: t.name }),
        el('span', { className: 'muted', textContent: ` ${formatBytes(t.size)} ${who}` }),
      ]),
      bar,
      el('div', { className: 'file-foot' }, [status, actions]),
    ]);
    if (t.dir === 'out') {
      const cancel = el('button', { type: 'button', className: 'ghost small', textContent: 'Cancel' });
      cancel.addEventListener('click', () => this.cancel(t));
      actions.append(cancel);
    }
    Object.defineProperty(t, 'view', { value: { li, bar, status, actions }, enumerable: false });
    this.list.prepend(li);
    this.transfers.push(t);
    this.progress(t, true);
    return t;
  }

  progress(t, force = false) {
    const pct = t.size ? Math.floor((t.bytes / t.size) * 100) : 100;
    if (!force && pct === t.pct) return;
    t.pct = pct;
    t.view.bar.value = t.bytes;
    t.view.status.textContent = `${t.dir === 'out' ? 'sending' : 'receiving'} ${pct}%`;
  }

  finish(t, status, error = null) {
    if (t.status === 'failed' || t.status === 'verified' || t.status === 'sent') return;
    t.status = status;
    t.error = error;
    const { li, bar, status: label, actions } = t.view;
    li.dataset.status = status;
    actions.replaceChildren();
    if (status === 'failed') {
      label.textContent = `failed: ${error}`;
      label.className = 'file-status error';
    } else if (status === 'sent') {
      bar.value = t.size;
      label.textContent = `sent in ${(t.ms / 1000).toFixed(1)} s`;
    } else if (status === 'verified') {
      bar.value = t.size;
      label.textContent = 'SHA-256 verified ✓';
      label.className = 'file-status ok';
      label.title = t.sha256;
      actions.append(el('a', { href: t.url, download: t.name, className: 'button small', textContent: 'Save', dataset: { testid: 'file-save' } }));
    }
    this.onEvent(status, t);
  }

  summary(t) {
    return {
      id: t.id, dir: t.dir, peer: t.peer, name: t.name, size: t.size, bytes: t.bytes,
      sha256: t.sha256, actualSha256: t.actualSha256 || null, status: t.status, error: t.error,
      ms: t.ms ?? null,
    };
  }

  snapshot() {
    return this.transfers.map((t) => this.summary(t));
  }
}
