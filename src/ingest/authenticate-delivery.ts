/**
 * The first half of handling a delivery: everything up to a body whose signature is good. In order: a
 * missing or malformed signature header is refused (401) and a `Content-Length` over the cap (413) before
 * the body is read; a body over the {@link BodyBudget} waits for no one (503 + `Retry-After`); then the
 * body streams in under the cap with its HMAC computed on the way, and the route checks the signature.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log/logger.js';
import { createBodyBudget, type BodyBudgetOptions, type BodyLease } from './body-budget.js';
import { expectsContinue, header, refuse, type Answer } from './http-answer.js';
import { readBody } from './read-body.js';
import { parseSignature } from './verify-signature.js';
import type { WebhookRoute } from './webhook-routes.js';

/** A body with a good signature; `payload` is set when checking it needed the body parsed. */
export interface AuthenticatedBody {
  body: Buffer;
  payload?: unknown;
}

/** Settings of {@link createDeliveryAuthenticator}. */
export interface DeliveryAuthenticatorOptions {
  /** Largest body in bytes. */
  maxBodyBytes: number;
  /** Bounds on bodies in flight before their signature is checked. */
  bodyBudget?: BodyBudgetOptions;
}

/** Reads and authenticates delivery bodies under one shared budget. */
export interface DeliveryAuthenticator {
  /**
   * The authenticated body, the refusal to send, or null when the client went away mid-body (logged at
   * debug on `log`; nothing to answer).
   */
  authenticate(
    route: WebhookRoute,
    req: IncomingMessage,
    res: ServerResponse,
    log: Logger,
  ): Promise<AuthenticatedBody | Answer | null>;
  /** True once `res` was told `100 Continue` (the client then sends its body). */
  continueSent(res: ServerResponse): boolean;
}

const BUSY = { 'retry-after': '5' };

/** Creates the authenticator; one per server. */
export function createDeliveryAuthenticator(
  options: DeliveryAuthenticatorOptions,
): DeliveryAuthenticator {
  const { maxBodyBytes } = options;
  const tooLarge = (): Answer => refuse(413, `body larger than ${maxBodyBytes} bytes`);
  const budget = createBodyBudget(options.bodyBudget);
  const continued = new WeakSet<ServerResponse>();

  async function readAndVerify(
    route: WebhookRoute,
    req: IncomingMessage,
    res: ServerResponse,
    lease: BodyLease,
    reserved: number,
    signature: Buffer,
    log: Logger,
  ): Promise<AuthenticatedBody | Answer | null> {
    if (expectsContinue(req)) {
      res.writeContinue();
      continued.add(res);
    }
    const read = await readBody(req, {
      maxBytes: maxBodyBytes,
      lease,
      reserved,
      ...(route.sharedSecret === undefined ? {} : { hmacSecret: route.sharedSecret }),
    });
    switch (read.kind) {
      case 'aborted':
        log.debug('webhook client went away before the end of the body');
        return null;
      case 'too_large':
        return tooLarge();
      case 'busy':
        return refuse(503, 'too many webhook bytes in flight', BUSY);
      case 'complete': {
        const verdict = route.verify(read.body, read.digest, signature);
        if (!verdict.ok) {
          return {
            ...refuse(401, verdict.reason),
            ...(verdict.detail ? { detail: verdict.detail } : {}),
          };
        }
        return { body: read.body, ...('payload' in verdict ? { payload: verdict.payload } : {}) };
      }
    }
  }

  return {
    async authenticate(route, req, res, log) {
      const signature = parseSignature(
        route.signatureHeaders.map((h) => header(req, h)).find((v) => v),
      );
      if (signature === null) {
        return refuse(401, 'missing or malformed signature header');
      }
      const declared = req.headers['content-length'];
      const length = declared === undefined ? null : Number(declared);
      if (length !== null && length > maxBodyBytes) {
        return tooLarge();
      }
      const lease = budget.admit();
      if (!lease || (length !== null && !lease.grow(length))) {
        lease?.release();
        return refuse(503, 'too many webhook bodies in flight', BUSY);
      }
      try {
        return await readAndVerify(route, req, res, lease, length ?? 0, signature, log);
      } finally {
        // Once the signature is decided the body is no longer an unknown sender's.
        lease.release();
      }
    },
    continueSent: (res) => continued.has(res),
  };
}
