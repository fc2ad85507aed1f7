// Page side of relay_test.mjs. window.runRelay(options) connects two RTCPeerConnections of
// this page relay-only through the TURN server in options.iceServers, sends the fake camera
// from pc1 to pc2 and a random payload over a data channel, and returns what it saw: the
// selected candidate pairs, decoded frames, both payload digests and timings. It never throws;
// failures come back as {error, progress}. The Node side decides pass or fail.
'use strict';

window.relayProgress = { phase: 'idle', events: [] };

function note(what) {
  const p = window.relayProgress;
  p.events.push({ t: Math.round(performance.now() - p.t0), what });
  document.getElementById('status').textContent = p.events.map((e) => `${e.t} ms ${e.what}`).join('\n');
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(chunks) {
  let size = 0;
  for (const c of chunks) size += c.byteLength;
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(new Uint8Array(c), at);
    at += c.byteLength;
  }
  return hex(await crypto.subtle.digest('SHA-256', all));
}

function describeCandidate(c) {
  if (!c) return null;
  return {
    candidateType: c.candidateType,
    protocol: c.protocol,
    relayProtocol: c.relayProtocol,
    address: c.address,
    port: c.port,
    url: c.url,
  };
}

// The selected pair from the transport stats (Chromium fills selectedCandidatePairId), else the
// nominated succeeded pair.
async function selectedPair(pc) {
  const stats = await pc.getStats();
  let pair = null;
  stats.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
  });
  if (!pair) {
    stats.forEach((s) => {
      if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
    });
  }
  if (!pair) return null;
  return {
    state: pair.state,
    nominated: pair.nominated,
    bytesSent: pair.bytesSent,
    bytesReceived: pair.bytesReceived,
    currentRoundTripTime: pair.currentRoundTripTime,
    local: describeCandidate(stats.get(pair.localCandidateId)),
    remote: describeCandidate(stats.get(pair.remoteCandidateId)),
  };
}

async function inboundVideo(pc) {
  const stats = await pc.getStats();
  let found = null;
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') found = s;
  });
  if (!found) return null;
  const codec = found.codecId ? stats.get(found.codecId) : null;
  return {
    framesDecoded: found.framesDecoded || 0,
    frameWidth: found.frameWidth,
    frameHeight: found.frameHeight,
    bytesReceived: found.bytesReceived,
    packetsLost: found.packetsLost,
    codec: codec ? codec.mimeType : null,
  };
}

window.runRelay = async function runRelay(options) {
  const {
    iceServers,
    timeoutMs = 30000,
    payloadBytes = 1 << 20,
    chunkBytes = 16 << 10,
    framesWanted = 30,
  } = options;
  const progress = (window.relayProgress = { phase: 'start', events: [], t0: performance.now() });
  const deadline = progress.t0 + timeoutMs;
  const result = { candidates: { pc1: [], pc2: [] }, candidateErrors: [], timings: {} };
  const since = () => Math.round(performance.now() - progress.t0);

  // Polls `probe` until it returns a truthy value or the run's deadline passes.
  async function until(label, probe, everyMs = 20) {
    progress.phase = label;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${label}`);
      await sleep(everyMs);
    }
  }

  const config = { iceServers, iceTransportPolicy: 'relay', bundlePolicy: 'max-bundle' };
  let pc1 = null;
  let pc2 = null;
  let stream = null;
  try {
    pc1 = new RTCPeerConnection(config);
    pc2 = new RTCPeerConnection(config);
    window.relayPeers = [pc1, pc2];
    for (const [name, pc, other] of [['pc1', pc1, () => pc2], ['pc2', pc2, () => pc1]]) {
      pc.onicecandidate = (e) => {
        if (!e.candidate) {
          note(`${name} gathering complete`);
          return;
        }
        const c = e.candidate;
        result.candidates[name].push(`${c.type} ${c.protocol} ${c.address}:${c.port} relayProtocol=${c.relayProtocol}`);
        note(`${name} candidate ${c.type} ${c.address}:${c.port} relayProtocol=${c.relayProtocol}`);
        other().addIceCandidate(c).catch((err) => note(`${name} addIceCandidate failed: ${err}`));
      };
      pc.onicecandidateerror = (e) => {
        result.candidateErrors.push({ pc: name, url: e.url, errorCode: e.errorCode, errorText: e.errorText });
        note(`${name} candidate error ${e.errorCode} ${e.errorText} ${e.url}`);
      };
      pc.oniceconnectionstatechange = () => note(`${name} iceConnectionState ${pc.iceConnectionState}`);
      pc.onconnectionstatechange = () => note(`${name} connectionState ${pc.connectionState}`);
    }

    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    document.getElementById('local').srcObject = stream;
    for (const track of stream.getTracks()) pc1.addTrack(track, stream);
    pc2.ontrack = (e) => {
      note(`pc2 track ${e.track.kind}`);
      document.getElementById('remote').srcObject = e.streams[0] || new MediaStream([e.track]);
    };

    const dc1 = pc1.createDataChannel('payload', { ordered: true });
    dc1.binaryType = 'arraybuffer';
    let dc2 = null;
    const received = [];
    let receivedBytes = 0;
    let receiveDone = null;
    const receiveFinished = new Promise((resolve) => { receiveDone = resolve; });
    pc2.ondatachannel = (e) => {
      dc2 = e.channel;
      dc2.binaryType = 'arraybuffer';
      dc2.onmessage = (m) => {
        received.push(m.data);
        receivedBytes += m.data.byteLength;
        if (receivedBytes >= payloadBytes) receiveDone(performance.now());
      };
    };

    const offer = await pc1.createOffer();
    await pc1.setLocalDescription(offer);
    await pc2.setRemoteDescription(offer);
    const answer = await pc2.createAnswer();
    await pc2.setLocalDescription(answer);
    await pc1.setRemoteDescription(answer);
    note('offer/answer done');

    const isConnected = (pc) => pc.connectionState === 'connected'
      && (pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed');
    await until('connected', () => isConnected(pc1) && isConnected(pc2));
    result.timings.connectedMs = since();
    result.states = {
      pc1: { connectionState: pc1.connectionState, iceConnectionState: pc1.iceConnectionState },
      pc2: { connectionState: pc2.connectionState, iceConnectionState: pc2.iceConnectionState },
    };
    note('both connected');

    // The camera and the payload both go pc1 -> pc2, at the same time.
    const video = (async () => {
      const v = await until('video frames', async () => {
        const s = await inboundVideo(pc2);
        return s && s.framesDecoded >= framesWanted ? s : null;
      }, 50);
      result.timings.framesMs = since();
      note(`pc2 decoded ${v.framesDecoded} frames`);
      await until('remote video playing', () => document.getElementById('remote').videoWidth > 0);
      return v;
    })();

    const data = (async () => {
      await until('data channel open', () => dc1.readyState === 'open' && dc2 && dc2.readyState === 'open');
      result.timings.dataChannelOpenMs = since();
      const payload = [];
      for (let at = 0; at < payloadBytes; at += chunkBytes) {
        const chunk = new Uint8Array(Math.min(chunkBytes, payloadBytes - at));
        for (let i = 0; i < chunk.length; i += 65536) crypto.getRandomValues(chunk.subarray(i, i + 65536));
        payload.push(chunk.buffer);
      }
      const sentSha256 = await sha256(payload);
      const sendStart = performance.now();
      const high = 256 << 10;
      dc1.bufferedAmountLowThreshold = 64 << 10;
      let maxBuffered = 0;
      progress.phase = 'sending payload';
      for (const chunk of payload) {
        if (dc1.bufferedAmount > high) {
          await new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('timed out waiting for bufferedamountlow')),
              Math.max(0, deadline - performance.now()));
            dc1.addEventListener('bufferedamountlow', () => { clearTimeout(timer); resolve(); }, { once: true });
          });
        }
        dc1.send(chunk);
        maxBuffered = Math.max(maxBuffered, dc1.bufferedAmount);
      }
      progress.phase = 'receiving payload';
      const receiveEnd = await Promise.race([
        receiveFinished,
        sleep(Math.max(0, deadline - performance.now())).then(() => {
          throw new Error(`timed out receiving payload: ${receivedBytes} of ${payloadBytes} bytes`);
        }),
      ]);
      const receivedSha256 = await sha256(received);
      result.timings.dataMs = since();
      const seconds = (receiveEnd - sendStart) / 1000;
      note(`payload ${receivedBytes} bytes in ${seconds.toFixed(3)} s`);
      return {
        sentBytes: payloadBytes,
        receivedBytes,
        messages: received.length,
        chunkBytes,
        maxBufferedAmount: maxBuffered,
        sentSha256,
        receivedSha256,
        transferMs: Math.round(receiveEnd - sendStart),
        mbitPerS: Number(((payloadBytes * 8) / seconds / 1e6).toFixed(1)),
      };
    })();

    [result.video, result.data] = await Promise.all([video, data]);
    result.selected = { pc1: await selectedPair(pc1), pc2: await selectedPair(pc2) };
    result.timings.totalMs = since();
    progress.phase = 'done';
    note('done');
  } catch (err) {
    result.error = String(err && err.message ? err.message : err);
    note(`error: ${result.error}`);
    try {
      result.selected = {
        pc1: pc1 ? await selectedPair(pc1) : null,
        pc2: pc2 ? await selectedPair(pc2) : null,
      };
      result.states = {
        pc1: pc1 && { connectionState: pc1.connectionState, iceConnectionState: pc1.iceConnectionState },
        pc2: pc2 && { connectionState: pc2.connectionState, iceConnectionState: pc2.iceConnectionState },
      };
    } catch (ignored) {
      // diagnostics only
    }
  }
  result.progress = { phase: progress.phase, events: progress.events };
  return result;
};

// The call as it is now (relay_test.mjs --hold-ms samples it while the server reloads): frames
// pc2 has decoded so far and both connections' states.
window.relaySample = async function relaySample() {
  const [pc1, pc2] = window.relayPeers || [];
  if (!pc1 || !pc2) return null;
  const v = await inboundVideo(pc2);
  return {
    t: performance.now(),
    framesDecoded: v ? v.framesDecoded : 0,
    pc1: pc1.connectionState,
    pc2: pc2.connectionState,
  };
};

// Closes what runRelay left open (called after the screenshot).
window.closeRelay = function closeRelay() {
  for (const pc of window.relayPeers || []) pc.close();
  window.relayPeers = [];
  for (const id of ['local', 'remote']) {
    const v = document.getElementById(id);
    if (v.srcObject) for (const t of v.srcObject.getTracks()) t.stop();
    v.srcObject = null;
  }
};
