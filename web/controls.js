// The join screen (its form, the room in the address, the switch to and from the call screen)
// and the call screen's buttons: mute, camera, share, panel and tabs, leave, copy link, files.
import { $, toast } from './ui.js';

function roomFromHash() {
  try {
    return decodeURIComponent(location.hash.slice(1));
  } catch {
    return location.hash.slice(1);
  }
}

// The address that opens this page on `room`; ?relay=1 keeps a relay-only choice.
export function shareLink(room, relay) {
  return `${location.origin}${location.pathname}${relay ? '?relay=1' : ''}#${encodeURIComponent(room)}`;
}

// relay: the relay-only box's first value; inCall(): whether a call has started (then the
// address no longer changes the room field); join({room, name, relay, noMedia}): starts the
// call, and its error message is shown under the form.
export function initJoin({ relay, inCall, join }) {
  $('#room').value = roomFromHash();
  $('#name').value = localStorage.getItem('icegate.name') || '';
  $('#relay').checked = relay;
  window.addEventListener('hashchange', () => {
    if (!inCall()) $('#room').value = roomFromHash();
  });
  (($('#room').value && !$('#name').value) ? $('#name') : $('#room')).focus();
  $('#join-form').addEventListener('submit', (e) => {
    e.preventDefault();
    submitJoin(join).catch((err) => showJoinError(err.message));
  });
}

async function submitJoin(join) {
  const room = $('#room').value.trim();
  const name = $('#name').value.trim();
  if (!room || !name) throw new Error('Enter a room and your name.');
  if ([...room].length > 64 || [...name].length > 64) throw new Error('Room and name are at most 64 characters.');
  $('#join').disabled = true;
  $('#join-error').textContent = '';
  localStorage.setItem('icegate.name', name);
  await join({ room, name, relay: $('#relay').checked, noMedia: $('#no-media').checked });
}

function showJoinError(text) {
  $('#join-error').textContent = text;
  $('#join').disabled = false;
}

export function showCallScreen(room, name, relay) {
  $('#join-screen').hidden = true;
  $('#call-screen').hidden = false;
  $('#room-title').textContent = room;
  $('#self-name').textContent = name;
  $('#relay-badge').hidden = !relay;
  document.title = `${room} · icegate`;
}

// After a fatal signaling error: back to the form, with the reason under it.
export function showJoinScreen(why) {
  $('#join-screen').hidden = false;
  $('#call-screen').hidden = true;
  showJoinError(why);
}

// media: the LocalMedia; panel: the Panel; leave(): ends the call; link(): the room's address;
// sendFiles(list): offers the files to everyone in the room.
export function initControls({ media, panel, leave, link, sendFiles }) {
  $('#mute').addEventListener('click', () => media.setAudio(!media.state.audio));
  $('#camera').addEventListener('click', () => media.setVideo(!media.state.video));
  $('#screen').addEventListener('click', () => {
    (media.state.screen ? media.stopScreen() : media.startScreen()).catch((err) => toast(err.message, 'error'));
  });
  $('#panel-toggle').addEventListener('click', () => panel.toggle());
  for (const tab of document.querySelectorAll('[role=tab]')) {
    tab.addEventListener('click', () => panel.select(tab.dataset.tab));
  }
  $('#leave').addEventListener('click', () => {
    leave();
    location.reload();
  });
  $('#copy-link').addEventListener('click', () => {
    const address = link();
    navigator.clipboard.writeText(address).then(
      () => toast('Link copied.'),
      () => toast(address),
    );
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
  window.addEventListener('pagehide', () => leave());
  if (matchMedia('(max-width: 720px)').matches) document.body.classList.add('panel-hidden');
}
