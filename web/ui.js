// Small DOM helpers. User data only ever goes in through textContent or attributes.

export function $(sel, root = document) {
  return root.querySelector(sel);
}

// el('li', {className, textContent, dataset: {testid}, ...attrs}, [children])
export function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === 'className') node.className = v;
    else if (k === 'textContent') node.textContent = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'hidden') node.hidden = !!v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatTime(ts) {
  const d = new Date(ts);
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function toast(text, kind = 'info') {
  const box = $('#toasts');
  const t = el('div', { className: `toast ${kind}`, textContent: text, role: 'status' });
  box.append(t);
  setTimeout(() => t.remove(), 5000);
}

// The signaling log panel: newest last, capped, SDP shortened.
const MAX_LOG = 400;
export class SignalLog {
  constructor(list) {
    this.list = list;
    this.entries = [];
  }

  add(dir, frame) {
    const summary = summarize(frame);
    const entry = { t: Date.now(), dir, type: frame.type, summary };
    this.entries.push(entry);
    if (this.entries.length > MAX_LOG) this.entries.shift();
    const stick = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 8;
    this.list.append(el('li', { className: `log-${dir}` }, [
      el('span', { className: 'log-time', textContent: new Date(entry.t).toISOString().slice(11, 23) }),
      el('span', { className: 'log-dir', textContent: dir === 'out' ? '→' : dir === 'in' ? '←' : '•' }),
      el('span', { className: 'log-type', textContent: frame.type }),
      el('span', { className: 'log-body', textContent: summary }),
    ]));
    while (this.list.childElementCount > MAX_LOG) this.list.firstElementChild.remove();
    if (stick) this.list.scrollTop = this.list.scrollHeight;
  }
}

function short(s, n = 10) {
  return typeof s === 'string' && s.length > n ? `${s.slice(0, n)}…` : s;
}

function summarize(f) {
  const copy = { ...f };
  delete copy.type;
  if (copy.data && typeof copy.data === 'object') {
    const d = copy.data;
    if (d.description) copy.data = `${d.description.type} (${(d.description.sdp || '').length} B SDP)`;
    else if (d.candidate) copy.data = `candidate ${(d.candidate.candidate || '').split(' ').slice(4, 8).join(' ') || '(end)'}`;
  }
  for (const k of ['session', 'from', 'to']) if (copy[k]) copy[k] = short(copy[k]);
  if (copy.resume) copy.resume = '…';
  if (copy.password) copy.password = '…';
  if (copy.token) copy.token = '…';
  if (copy.iceServers) copy.iceServers = copy.iceServers.map((s) => [].concat(s.urls).join(' ')).join(', ');
  if (copy.peers) copy.peers = copy.peers.map((p) => p.name).join(', ');
  if (copy.history) copy.history = `${copy.history.length} messages`;
  let s = JSON.stringify(copy);
  if (s.length > 300) s = `${s.slice(0, 300)}…`;
  return s;
}
