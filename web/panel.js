// The side panel: which tab (chat, files, board, stats, log) is selected, whether the panel is
// shown, and the unread badge on its button for chat messages and files that arrived out of view.
import { $ } from './ui.js';

export class Panel {
  // onSelect(name): the tab `name` was just selected and should bring its pane up to date.
  constructor({ onSelect }) {
    this.onSelect = onSelect;
    this.tab = 'chat';
    this.unread = 0;
  }

  // Whether the pane of tab `name` is in view.
  shows(name) {
    return this.tab === name && !document.body.classList.contains('panel-hidden');
  }

  select(name) {
    this.tab = name;
    for (const tab of document.querySelectorAll('[role=tab]')) tab.setAttribute('aria-selected', String(tab.dataset.tab === name));
    for (const pane of document.querySelectorAll('[data-pane]')) pane.hidden = pane.dataset.pane !== name;
    if (name === 'chat') this.clearUnread();
    this.onSelect(name);
  }

  toggle() {
    const hidden = document.body.classList.toggle('panel-hidden');
    $('#panel-toggle').setAttribute('aria-pressed', String(!hidden));
    if (!hidden) this.clearUnread();
  }

  bumpUnread() {
    this.unread += 1;
    $('#unread').textContent = String(this.unread);
    $('#unread').hidden = false;
  }

  clearUnread() {
    this.unread = 0;
    $('#unread').hidden = true;
  }
}
