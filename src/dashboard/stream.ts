// The dashboard's live stream: Server-Sent Events (text/event-stream). A new
// client gets `init` (the status, the whole history, what it may do) at once,
// then a `tick` about once a second. The page reads it with fetch() so that it
// can send the token in a header (EventSource cannot); any SSE client works.
// A client that stops reading is skipped (its ticks dropped, never buffered
// beyond MAX_BUFFERED), so a stalled page cannot grow the supervisor's memory.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Feed, FeedTick } from './feed.js';

/** Bytes waiting for one client above which its ticks are skipped until it reads again. */
export const MAX_BUFFERED = 1 << 20;
/** Streams open at once; more are answered 503 (each holds a socket and, while stalled, up to MAX_BUFFERED). */
export const MAX_STREAMS = 32;
/** What the page is told to wait before reconnecting (the SSE `retry` field), ms. */
export const RETRY_MS = 2000;

/** What `init` says besides the data: whether the page can act, and the sampling interval. */
export interface StreamInfo {
  /** Actions (reload, scale, stop) can be sent: a token is set and the target has a control plane. */
  actions: boolean;
  /** Why not, for the page to show, when `actions` is false. */
  readOnly: string | null;
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Serves one stream until the client goes or the server closes. */
export function serveStream(req: IncomingMessage, res: ServerResponse, feed: Feed, info: StreamInfo): void {
  if (feed.listeners >= MAX_STREAMS) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' });
    res.end('Too many dashboard streams open\n');
    return;
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no', // a proxy in front must not hold the stream back
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  res.socket?.setNoDelay(true);
  res.write(`retry: ${RETRY_MS}\n\n`);
  res.write(initFrame(feed, info));
  let behind = false;
  const stop = feed.listen(
    (tick) => {
      if (res.writableLength > MAX_BUFFERED) {
        behind = true; // this client's ticks are dropped until it reads again
        return;
      }
      // A client that missed ticks starts over from the history, which has them.
      res.write(behind ? initFrame(feed, info) : tickFrame(tick));
      behind = false;
    },
    () => res.end(),
  ); // the feed closed (the server stops): the last tick is flushed, then the stream ends
  res.on('close', stop);
}

function initFrame(feed: Feed, info: StreamInfo): string {
  return frame('init', {
    kind: feed.kind,
    interval: feed.interval,
    capacity: feed.history.capacity,
    ...info,
    status: feed.last.status,
    history: { samples: feed.history.samples(), events: feed.history.events() },
  });
}

/** The same text goes to every client: encoded once per tick. */
const encoded = new WeakMap<FeedTick, string>();
function tickFrame(tick: FeedTick): string {
  let text = encoded.get(tick);
  if (text === undefined) encoded.set(tick, (text = frame('tick', tick)));
  return text;
}
