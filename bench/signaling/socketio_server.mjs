#!/usr/bin/env node
// Bench-only socket.io 4.8 room relay: what a typical student "seed" WebRTC app's server does.
//   socket.on('join', room => socket.join(room)); 'signal' goes to a target socket id (`to`)
//   or, without `to`, to everyone else in the sender's rooms.
// HTTPS with the given self-signed certificate (icegate's /ws is TLS only, so both get TLS).
//
//   node socketio_server.mjs --cert CERT.pem --key KEY.pem [--host 127.0.0.1] [--port 0]
// Prints "listening on https://HOST:PORT" on stdout once it accepts connections.
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Server } from 'socket.io';

const { values: o } = parseArgs({
  options: {
    cert: { type: 'string' },
    key: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
  },
});
if (!o.cert || !o.key) {
  process.stderr.write('usage: socketio_server.mjs --cert CERT --key KEY [--host H] [--port P]\n');
  process.exit(2);
}

const https = createServer({ cert: readFileSync(o.cert), key: readFileSync(o.key) });
const io = new Server(https, { cors: { origin: '*' } });

io.on('connection', (socket) => {
  socket.on('join', (room) => {
    socket.join(room);
    socket.data.room = room;
  });
  socket.on('signal', (msg) => {
    if (!msg || typeof msg !== 'object') return;
    const out = { from: socket.id, data: msg.data };
    if (msg.to) io.to(msg.to).emit('signal', out);
    else if (socket.data.room) socket.to(socket.data.room).emit('signal', out);
  });
});

https.listen(Number(o.port), o.host, () => {
  const a = https.address();
  process.stdout.write(`listening on https://${a.address}:${a.port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    io.close();
    process.exit(0);
  });
}
