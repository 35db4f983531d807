/**
 * Answers of the ingestion server: a JSON body with a status, sent so that a client still sending its
 * body reads the answer rather than a connection reset (the rest of the body is drained, bounded), and
 * so that a client waiting for `100 Continue` is not kept waiting.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { drainRequest, type DrainLimits } from './read-body.js';

/** One answer to a request; a refusal's reason is in `body.error`. */
export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
  /** The answer's log line was already written where it was decided. */
  logged?: boolean;
  /** Logged with a refusal, never sent. */
  detail?: string;
}

/** A refusal: `{ "error": reason }` with `status`. */
export const refuse = (
  status: number,
  reason: string,
  headers?: Record<string, string>,
): Answer => ({
  status,
  body: { error: reason },
  ...(headers ? { headers } : {}),
});

/** The first value of header `name` (lower-case). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** True when the client waits for `100 Continue` before sending its body. */
export function expectsContinue(req: IncomingMessage): boolean {
  return /100-continue/i.test(header(req, 'expect') ?? '');
}

/**
 * Sends `answer`. A body not read to its end is drained within `drain`; when the client was never
 * told to continue, it will never send the body, so the connection is closed instead.
 */
export function sendAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  answer: Answer,
  options: { continueSent: boolean; drain?: DrainLimits },
): void {
  let headers = answer.headers;
  if (!req.complete) {
    if (expectsContinue(req) && !options.continueSent) {
      headers = { ...headers, connection: 'close' };
    } else {
      drainRequest(req, options.drain);
    }
  }
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
