// getStats() digests per peer: the selected candidate pair (types, protocols, RTT), bitrates
// from byte deltas, packet loss and video frame counts. Also renders the stats panel.
import { el, formatBytes } from './ui.js';

const last = new WeakMap(); // RTCPeerConnection -> {t, bytesIn, bytesOut}

function candidate(report, id) {
  const c = id && report.get(id);
  if (!c) return null;
  return {
    candidateType: c.candidateType,
    protocol: c.protocol,
    relayProtocol: c.relayProtocol || null,
    address: c.address || c.ip || null,
    port: c.port,
    url: c.url || null,
  };
}

export async function collect(pc) {
  const report = await pc.getStats();
  let pair = null;
  const out = {
    local: null, remote: null, rttMs: null, availableOutKbps: null,
    inKbps: null, outKbps: null, bytesIn: 0, bytesOut: 0,
    video: { framesDecoded: 0, framesReceived: 0, framesDropped: 0, framesSent: 0, framesEncoded: 0, width: null, height: null, fps: null, sendWidth: null, sendHeight: null },
    audio: { packetsReceived: 0, packetsLost: 0 },
    packetsReceived: 0, packetsLost: 0, lossPct: null,
  };
  for (const s of report.values()) {
    if (s.type === 'transport' && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId);
  }
  if (!pair) {
    for (const s of report.values()) {
      if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
    }
  }
  if (pair) {
    out.local = candidate(report, pair.localCandidateId);
    out.remote = candidate(report, pair.remoteCandidateId);
    if (pair.currentRoundTripTime !== undefined) out.rttMs = Math.round(pair.currentRoundTripTime * 1000 * 10) / 10;
    if (pair.availableOutgoingBitrate) out.availableOutKbps = Math.round(pair.availableOutgoingBitrate / 1000);
    out.bytesIn = pair.bytesReceived || 0;
    out.bytesOut = pair.bytesSent || 0;
  }
  for (const s of report.values()) {
    if (s.type === 'inbound-rtp') {
      out.packetsReceived += s.packetsReceived || 0;
      out.packetsLost += Math.max(s.packetsLost || 0, 0);
      if (s.kind === 'video') {
        out.video.framesDecoded += s.framesDecoded || 0;
        out.video.framesReceived += s.framesReceived || 0;
        out.video.framesDropped += s.framesDropped || 0;
        if (s.frameWidth) {
          out.video.width = s.frameWidth;
          out.video.height = s.frameHeight;
          out.video.fps = s.framesPerSecond ?? null;
        }
      } else if (s.kind === 'audio') {
        out.audio.packetsReceived += s.packetsReceived || 0;
        out.audio.packetsLost += Math.max(s.packetsLost || 0, 0);
      }
    } else if (s.type === 'outbound-rtp' && s.kind === 'video') {
      out.video.framesSent += s.framesSent || 0;
      out.video.framesEncoded += s.framesEncoded || 0;
      if (s.frameWidth) {
        out.video.sendWidth = s.frameWidth;
        out.video.sendHeight = s.frameHeight;
      }
    }
  }
  const total = out.packetsReceived + out.packetsLost;
  out.lossPct = total ? Math.round((out.packetsLost / total) * 1000) / 10 : null;
  const now = performance.now();
  const prev = last.get(pc);
  if (prev && now > prev.t) {
    const secs = (now - prev.t) / 1000;
    out.inKbps = Math.max(Math.round(((out.bytesIn - prev.bytesIn) * 8) / secs / 1000), 0);
    out.outKbps = Math.max(Math.round(((out.bytesOut - prev.bytesOut) * 8) / secs / 1000), 0);
  }
  last.set(pc, { t: now, bytesIn: out.bytesIn, bytesOut: out.bytesOut });
  return out;
}

function describe(c) {
  if (!c) return '—';
  const proto = c.relayProtocol ? `${c.protocol}, relay over ${c.relayProtocol}` : c.protocol;
  return `${c.candidateType} (${proto})`;
}

function row(label, value) {
  return [el('dt', { textContent: label }), el('dd', { textContent: value })];
}

export function render(container, peers, results) {
  if (peers.length === 0) {
    container.replaceChildren(el('p', { className: 'muted', textContent: 'No peers yet.' }));
    return;
  }
  const cards = peers.map((p) => {
    const s = results.get(p.session);
    const conn = p.pc.connectionState;
    const dl = el('dl', {});
    if (s) {
      const v = s.video;
      dl.append(
        ...row('Connection', conn),
        ...row('Local', describe(s.local)),
        ...row('Remote', describe(s.remote)),
        ...row('RTT', s.rttMs === null ? '—' : `${s.rttMs} ms`),
        ...row('Bitrate', `↓ ${s.inKbps ?? '—'} kbit/s  ↑ ${s.outKbps ?? '—'} kbit/s`),
        ...row('Loss', s.lossPct === null ? '—' : `${s.lossPct} % (${s.packetsLost} packets)`),
        ...row('Video in', v.width ? `${v.width}×${v.height} @ ${v.fps ?? '—'} fps` : '—'),
        ...row('Frames', `${v.framesDecoded} decoded, ${v.framesDropped} dropped, ${v.framesSent} sent`),
        ...row('Data', `↓ ${formatBytes(s.bytesIn)}  ↑ ${formatBytes(s.bytesOut)}`),
      );
    } else {
      dl.append(...row('Connection', conn));
    }
    return el('section', { className: 'stat-card', dataset: { testid: 'peer-stats', session: p.session } }, [
      el('h3', { textContent: p.name || p.session.slice(0, 8) }), dl,
    ]);
  });
  container.replaceChildren(...cards);
}
