// Fake timers for the web client's modules under Node: installs setTimeout/setInterval and
// their clear functions on globalThis, and time passes only when the test calls advance(ms).
// Shared by signaling_goaway_test.mjs and peer_move_test.mjs.
export function installFakeClock() {
  let now = 0;
  let timers = [];
  let nextTimer = 1;
  globalThis.setTimeout = (fn, ms) => {
    const id = nextTimer++;
    timers.push({ id, at: now + Math.max(0, ms || 0), fn, every: 0 });
    return id;
  };
  globalThis.setInterval = (fn, ms) => {
    const id = nextTimer++;
    timers.push({ id, at: now + ms, fn, every: ms });
    return id;
  };
  globalThis.clearTimeout = (id) => {
    timers = timers.filter((t) => t.id !== id);
  };
  globalThis.clearInterval = globalThis.clearTimeout;
  return {
    now: () => now,
    // Runs every timer due within `ms`, in time order, then sets the clock to the end.
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        now = due.at;
        if (due.every) due.at += due.every;
        else timers = timers.filter((t) => t !== due);
        due.fn();
      }
      now = end;
    },
  };
}
