/**
 * Reading a webhook body: streamed chunk by chunk into an HMAC (when the secret is known before the
 * body) and a buffer, with a size cap and a share of the {@link BodyBudget} enforced as the bytes
 * arrive, so an oversized or unsigned body never costs more memory than the cap. Also the lingering
 * drain used whenever the server answers before the body is read to its end.
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { BodyLease } from './body-budget.js';

/** How {@link readBody} ended. */
export type BodyRead =
  /** The whole body; `digest` is its HMAC-SHA256 under `hmacSecret` (null without one). */
  | { kind: 'complete'; body: Buffer; digest: Buffer | null }
  /** More than `maxBytes` arrived; the rest is not read. */
  | { kind: 'too_large' }
  /** The shared byte budget ran out while a chunked body streamed in. */
  | { kind: 'busy' }
  /** The client went away before the end of the body. */
  | { kind: 'aborted' };

/** Settings of {@link readBody}. */
export interface ReadBodyOptions {
  /** Largest body in bytes. */
  maxBytes: number;
  /** This body's share of the budget. */
  lease: BodyLease;
  /** Bytes already taken from the lease (the `Content-Length`); only bytes beyond it are added. */
  reserved: number;
  /** Secret whose HMAC is computed while the body streams in. */
  hmacSecret?: string;
}

/**
 * Reads `req`'s body. Never rejects: every outcome is a {@link BodyRead}. After `too_large` or `busy`
 * the request is left flowing with no reader; call {@link drainRequest} before answering.
 */
export function readBody(req: IncomingMessage, options: ReadBodyOptions): Promise<BodyRead> {
  return new Promise((resolve) => {
    const hmac = options.hmacSecret === undefined ? null : createHmac('sha256', options.hmacSecret);
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyRead): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > options.maxBytes) {
        finish({ kind: 'too_large' });
        return;
      }
      if (
        size > options.reserved &&
        !options.lease.grow(Math.min(chunk.length, size - options.reserved))
      ) {
        finish({ kind: 'busy' });
        return;
      }
      hmac?.update(chunk);
      chunks.push(chunk);
    };
    const onEnd = (): void =>
      finish({
        kind: 'complete',
        body: Buffer.concat(chunks, size),
        digest: hmac?.digest() ?? null,
      });
    // `close` without `end`: the client aborted (the `error` event that may come with it is swallowed
    // by the server's own listener).
    const onClose = (): void => finish({ kind: 'aborted' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
  });
}

/** Bounds of {@link drainRequest}. */
export interface DrainLimits {
  /** Bytes read and thrown away before the connection is cut (default 32 MiB). */
  maxBytes?: number;
  /** Time allowed for the rest of the body, in ms (default 10 000). */
  timeoutMs?: number;
}

/**
 * Reads and discards the rest of a body the server has already answered (or is about to), so the
 * client, still sending, gets to read the answer instead of a connection reset (an early close with
 * unread bytes makes the kernel send RST). A client that keeps sending beyond the limits is cut off.
 */
export function drainRequest(req: IncomingMessage, limits: DrainLimits = {}): void {
  if (req.complete || req.destroyed) {
    return;
  }
  const maxBytes = limits.maxBytes ?? 32 * 1024 * 1024;
  let seen = 0;
  const timer = setTimeout(() => req.socket.destroy(), limits.timeoutMs ?? 10_000);
  timer.unref();
  const stop = (): void => clearTimeout(timer);
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > maxBytes) {
      stop();
      req.socket.destroy();
    }
  });
  req.once('end', stop);
  req.once('close', stop);
  req.resume();
}
