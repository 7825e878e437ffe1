// After the program exits, its stdout/stderr may still hold buffered output, or a
// grandchild may keep them open forever. Wait for their end, but only while the
// data keeps coming: once they have been flowing and idle for a moment, cut them.
import type { Readable, Writable } from 'node:stream';

const IDLE_MS = 100;
const MAX_FLOWING_MS = 3000;

/**
 * Calls `done` once every stream has ended (and every sink has finished), or once
 * the remaining streams sat idle while flowing (a grandchild holds them): those are
 * destroyed. Time spent paused by a slow consumer does not count.
 */
export function waitForDrain(streams: Readable[], sinks: (Writable | undefined)[], done: () => void): void {
  let finished = false;
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let flowingMs = 0;
  const pending = new Set<Readable | Writable>();

  const check = () => {
    if (finished || pending.size > 0) return;
    finished = true;
    clearTimeout(timer);
    for (const s of streams) s.off('data', onData);
    done();
  };
  const onData = () => {
    seq++;
  };
  const watch = (s: Readable | Writable, events: string[]) => {
    pending.add(s);
    const fin = () => {
      for (const e of events) s.off(e, fin);
      pending.delete(s);
      check();
    };
    for (const e of events) s.on(e, fin);
  };

  for (const s of streams) {
    if (s.readableEnded || s.destroyed) continue;
    watch(s, ['end', 'close', 'error']);
    s.on('data', onData);
  }
  for (const k of sinks) {
    if (!k || k.writableFinished || k.destroyed) continue;
    watch(k, ['finish', 'close', 'error']);
  }
  if (pending.size === 0) {
    check();
    return;
  }

  const tick = () => {
    const before = seq;
    timer = setTimeout(() => {
      const live = streams.filter((s) => pending.has(s));
      if (live.length === 0 || live.some((s) => s.isPaused())) return tick(); // only sinks left, or a slow reader
      flowingMs += IDLE_MS;
      if (seq !== before && flowingMs < MAX_FLOWING_MS) return tick();
      // Idle (or endless): let one more poll phase deliver what the kernel still holds, then cut.
      const at = seq;
      setImmediate(() => {
        if (finished) return;
        if (seq !== at && flowingMs < MAX_FLOWING_MS) return tick();
        for (const s of live) s.destroy();
        for (const k of sinks) if (k && pending.has(k)) k.end();
      });
    }, IDLE_MS);
    timer.unref();
  };
  tick();
}
