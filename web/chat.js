// The chat pane: the message list (the room's history, then live messages) and the send form
// with its "Everyone / Only <peer>" target list; messages that arrive out of view count as unread.
import { $, el, formatTime, toast } from './ui.js';

export class Chat {
  // peers: the live session -> Peer map; mySession(): our current session id;
  // send(frame): hands a frame to signaling, truthy when it went out; panel: the Panel.
  constructor({ peers, mySession, send, panel }) {
    this.peers = peers;
    this.mySession = mySession;
    this.sendFrame = send;
    this.panel = panel;
    this.messages = [];
    this.seen = new Set(); // keys of the public messages shown, to drop repeats after a resume
    $('#chat-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const input = $('#chat-input');
      const text = input.value.trim();
      if (!text) return;
      if (this.send(text, $('#chat-to').value || null)) input.value = '';
      else toast('Not connected to the server; message not sent.', 'error');
    });
  }

  send(text, to = null) {
    const frame = { type: 'chat', text };
    if (to) frame.to = to;
    return !!this.sendFrame(frame);
  }

  // After a join that is not a resume: the list starts over from the server's history.
  reset(history) {
    this.messages = [];
    this.seen.clear();
    $('#chat-log').replaceChildren();
    for (const m of history || []) this.add(m, true);
  }

  // After a resume: the list stays, and only what it lacks is added. The history holds what
  // was said while we were away (also replayed next: add() drops the repeat) and, after a
  // server restart, what the members who came back before us said since.
  merge(history) {
    for (const m of history || []) this.add(m, true);
  }

  // The server stamps every public message with its sender and time: the same three make the
  // same message, whether it came live, in a replay or in a history.
  static key(m) {
    if (m.to || m.private || typeof m.from !== 'string' || !Number.isFinite(Number(m.ts))) return null;
    return `${m.from}|${Number(m.ts)}|${m.text}`;
  }

  add(m, fromHistory = false) {
    if (typeof m.text !== 'string') return;
    const key = Chat.key(m);
    if (key !== null) {
      if (this.seen.has(key)) return;
      this.seen.add(key);
    }
    const entry = {
      from: m.from, name: String(m.name ?? ''), text: m.text, ts: Number(m.ts) || Date.now(),
      private: !!m.private, to: m.to || null, mine: m.from === this.mySession(),
    };
    this.messages.push(entry);
    const list = $('#chat-log');
    const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
    let who = entry.mine ? 'You' : entry.name;
    if (entry.private) {
      const other = this.peers.get(entry.mine ? entry.to : entry.from)?.name || 'someone';
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
    if (!fromHistory && !entry.mine && !this.panel.shows('chat')) this.panel.bumpUnread();
  }

  // The private-message targets follow the peers; a target that left falls back to Everyone.
  updateTargets() {
    const select = $('#chat-to');
    const current = select.value;
    const options = [el('option', { value: '', textContent: 'Everyone' })];
    for (const p of this.peers.values()) {
      options.push(el('option', { value: p.session, textContent: `Only ${p.name || p.session.slice(0, 8)}` }));
    }
    select.replaceChildren(...options);
    select.value = this.peers.has(current) ? current : '';
  }
}
