/**
 * Server-sent events for the status page (`text/event-stream`, the WHATWG HTML "Server-sent events"
 * format). While at least one page listens, the feed reads the view every `intervalMs` (one read shared
 * by every listener) and sends a `status` event whenever it differs from the last one sent; a comment
 * line every `heartbeatMs` keeps proxies from closing an idle stream. With no listener it reads nothing.
 * The number of listeners is capped: past `maxClients` a new one gets 503.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log/logger.js';

/** One rendering of the view: `key` tells two views apart, `html` is what the page shows. */
export interface FeedFrame {
  key: string;
  html: string;
}

/** Options of {@link createStatusFeed}. */
export interface StatusFeedOptions {
  /** Reads and renders the view (`now` in ms). Throwing skips this round (logged at warn). */
  frame: (now: number) => Promise<FeedFrame>;
  logger: Logger;
  /** Between reads while someone listens, in ms (default 1 000). */
  intervalMs?: number;
  /** Between keep-alive comments, in ms (default 15 000). */
  heartbeatMs?: number;
  /** Listeners at once (default 32). */
  maxClients?: number;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
}

/** The feed of one HTTP side. */
export interface StatusFeed {
  /** Answers `req` with the event stream until the client or {@link StatusFeed.close} ends it. */
  subscribe(req: IncomingMessage, res: ServerResponse): void;
  /** Listeners now. */
  clients(): number;
  /** Ends every stream and stops reading. */
  close(): void;
}

/** Creates the feed; it reads nothing until the first listener arrives. */
export function createStatusFeed(options: StatusFeedOptions): StatusFeed {
  const intervalMs = options.intervalMs ?? 1_000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxClients = options.maxClients ?? 32;
  const now = options.now ?? Date.now;
  const listeners = new Set<ServerResponse>();
  let lastKey: string | undefined;
  let reading = false;
  let poll: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let closed = false;

  const send = (res: ServerResponse, html: string, at: number): void => {
    res.write(`event: status\ndata: ${JSON.stringify({ html, now: at })}\n\n`);
  };

  /** Reads the view; sends it to every listener when it changed, or to `only` (a new listener). */
  const round = async (only?: ServerResponse): Promise<void> => {
    if (reading && only === undefined) {
      return;
    }
    reading = only === undefined;
    try {
      const at = now();
      const frame = await options.frame(at);
      if (only !== undefined) {
        if (listeners.has(only)) {
          send(only, frame.html, at);
        }
        return;
      }
      if (frame.key !== lastKey) {
        lastKey = frame.key;
        for (const res of listeners) {
          send(res, frame.html, at);
        }
      }
    } catch (error) {
      options.logger.warn({ err: error }, 'status page could not be read');
    } finally {
      if (only === undefined) {
        reading = false;
      }
    }
  };

  const start = (): void => {
    poll ??= setInterval(() => void round(), intervalMs);
    heartbeat ??= setInterval(() => {
      for (const res of listeners) {
        res.write(': keep-alive\n\n');
      }
    }, heartbeatMs);
    poll.unref();
    heartbeat.unref();
  };

  const stop = (): void => {
    clearInterval(poll);
    clearInterval(heartbeat);
    poll = undefined;
    heartbeat = undefined;
    lastKey = undefined;
  };

  return {
    subscribe(req, res) {
      if (closed || listeners.size >= maxClients) {
        res
          .writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '10' })
          .end('too many status page listeners');
        return;
      }
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-content-type-options': 'nosniff',
      });
      res.write('retry: 3000\n\n');
      listeners.add(res);
      req.on('close', () => {
        listeners.delete(res);
        if (listeners.size === 0) {
          stop();
        }
      });
      start();
      void round(res);
    },
    clients: () => listeners.size,
    close() {
      closed = true;
      stop();
      for (const res of listeners) {
        res.end();
      }
      listeners.clear();
    },
  };
}
