// Our own camera, microphone and screen share: opening them, muting, swapping the video sent to
// every peer, and showing their state on the self tile and the mute, camera and share buttons.
import { $, toast } from './ui.js';

async function getMedia(wanted) {
  if (!wanted || !navigator.mediaDevices?.getUserMedia) return null;
  const video = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
  for (const constraints of [{ audio: true, video }, { audio: true }, { video }]) {
    try {
      return await navigator.mediaDevices.getUserMedia(constraints);
    } catch (err) {
      if (err.name === 'NotAllowedError') break;
    }
  }
  toast('No camera or microphone: joining to watch, chat and share files.', 'warn');
  return null;
}

export class LocalMedia {
  // peers: the live session -> Peer map, whose sent video a screen share replaces;
  // onChange(): `state` changed and should be announced to the room.
  constructor({ peers, onChange }) {
    this.peers = peers;
    this.onChange = onChange;
    this.stream = null;
    this.cameraTrack = null;
    this.screenTrack = null;
    this.state = { audio: true, video: true, screen: false };
  }

  // wanted: false when the user chose to join without camera and microphone.
  async open(wanted) {
    this.stream = await getMedia(wanted);
    this.cameraTrack = this.stream?.getVideoTracks()[0] || null;
    this.state.audio = !!this.stream?.getAudioTracks().length;
    this.state.video = !!this.cameraTrack;
    if (this.stream) $('#local-video').srcObject = this.stream;
    this.show();
  }

  show() {
    const self = $('.tile.self');
    self.dataset.audio = this.state.audio ? 'on' : 'off';
    self.dataset.video = this.state.video || this.state.screen ? 'on' : 'off';
    self.dataset.screen = this.state.screen ? 'on' : 'off';
    const hasAudio = !!this.stream?.getAudioTracks().length;
    const hasVideo = !!this.cameraTrack;
    $('#mute').disabled = !hasAudio;
    $('#camera').disabled = !hasVideo;
    $('#mute').setAttribute('aria-pressed', String(hasAudio && !this.state.audio));
    $('#mute span').textContent = this.state.audio || !hasAudio ? 'Mute' : 'Unmute';
    $('#camera').setAttribute('aria-pressed', String(hasVideo && !this.state.video));
    $('#camera span').textContent = this.state.video || !hasVideo ? 'Stop video' : 'Start video';
    $('#screen').setAttribute('aria-pressed', String(this.state.screen));
    $('#screen span').textContent = this.state.screen ? 'Stop share' : 'Share';
    $('#screen').disabled = !navigator.mediaDevices?.getDisplayMedia;
  }

  setAudio(on) {
    const tracks = this.stream?.getAudioTracks() || [];
    if (!tracks.length) return false;
    for (const t of tracks) t.enabled = on;
    this.state.audio = on;
    this.show();
    this.onChange();
    return true;
  }

  setVideo(on) {
    if (!this.cameraTrack) return false;
    this.cameraTrack.enabled = on;
    this.state.video = on;
    this.show();
    this.onChange();
    return true;
  }

  async startScreen() {
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
    } catch (err) {
      if (err.name !== 'NotAllowedError') toast(`Screen share failed: ${err.message}`, 'error');
      return;
    }
    const track = stream.getVideoTracks()[0];
    track.contentHint = 'detail';
    this.screenTrack = track;
    track.addEventListener('ended', () => this.stopScreen());
    if (!this.stream) this.stream = new MediaStream();
    await Promise.all([...this.peers.values()].map((p) => p.replaceTrack('video', track, this.stream)));
    $('#local-video').srcObject = new MediaStream([track]);
    this.state.screen = true;
    this.show();
    this.onChange();
  }

  async stopScreen() {
    if (!this.screenTrack) return;
    const track = this.screenTrack;
    this.screenTrack = null;
    track.stop();
    await Promise.all([...this.peers.values()].map((p) => p.replaceTrack('video', this.cameraTrack, this.stream)));
    $('#local-video').srcObject = this.stream;
    this.state.screen = false;
    this.show();
    this.onChange();
  }

  // Leaving the call: the camera light goes off.
  stop() {
    for (const t of this.stream?.getTracks() || []) t.stop();
    this.screenTrack?.stop();
  }
}
