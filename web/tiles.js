// The video tiles of the remote peers in #grid: made when a peer appears, kept in step with its
// name, media state and connection, removed when it leaves; the grid's data-count sets the layout.
import { $, el } from './ui.js';

function initials(name) {
  return ([...name.trim()].filter((c, i, a) => i === 0 || a[i - 1] === ' ').slice(0, 2).join('') || '?').toUpperCase();
}

export class Tiles {
  constructor() {
    this.tiles = new Map(); // session -> tile elements
  }

  add(peer) {
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
    this.tiles.set(peer.session, { root, video, name, conn, avatar });
    $('#grid').append(root);
    this.update(peer);
    this.layout();
  }

  update(peer) {
    const t = this.tiles.get(peer.session);
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

  remove(session) {
    const tile = this.tiles.get(session);
    if (tile) tile.root.remove();
    this.tiles.delete(session);
    this.layout();
  }

  // The remote tiles plus our own.
  layout() {
    $('#grid').dataset.count = String(this.tiles.size + 1);
  }
}
