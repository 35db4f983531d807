/**
 * Tandem's HTTP ingestion server (`node:http`, no framework): GitHub webhooks at `/api/github/webhooks`,
 * Gitea webhooks at `/api/gitea/webhooks`, and `/healthz`. For each delivery, in this order:
 *
 * | check | answer |
 * | --- | --- |
 * | signature header missing or not a SHA-256 signature | 401, before the body is read |
 * | `Content-Length` over `maxBodyBytes` | 413, before the body is read |
 * | too many unauthenticated bodies (or bytes) in flight | 503 with `Retry-After`, before the body is read |
 * | body over `maxBodyBytes` while streaming (chunked) | 413 |
 * | signature wrong (HMAC-SHA256 of the raw body, computed while it streams in) | 401 |
 * | `application/x-www-form-urlencoded` body (hook set to "form") | 415, and a log line for the admin |
 * | other non-JSON content type, missing event or delivery header | 400 |
 * | body is not JSON | 400 |
 * | event/action Tandem does not handle, `ping`, or sent by Tandem's own bot | 202 `ignored` |
 * | body lacks the fields its (handled) event promises | 400 |
 * | delivery id seen before | 200 `duplicate` |
 * | otherwise: delivery + outbox row written in one transaction | 200 `accepted` |
 *
 * Every answer is logged once at info (delivery id, event, action, repository, and the reason of a
 * refusal); a client that goes away mid-body is logged at debug. An answer given before the body was
 * read to its end drains the rest (bounded), so the client reads the answer rather than a reset.
 * Nothing is recorded or enqueued for any non-200 answer. Enqueueing is the relay's job (after the 200),
 * so the answer never waits for Redis. GitHub signatures are verified here rather than through Probot's
 * middleware: one code path for both forges, our own status codes, and no in-process event handlers
 * (docs/forges.md, "Why not Probot's middleware").
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Normalized } from '../forge/forge-event.js';
import { WebhookPayloadError } from '../errors/webhook-payload-error.js';
import type { Logger } from '../log/logger.js';
import { createBodyBudget, type BodyBudgetOptions, type BodyLease } from './body-budget.js';
import type { DeliveryRecorder } from './delivery-recorder.js';
import { drainRequest, readBody, type DrainLimits } from './read-body.js';
import { parseSignature } from './verify-signature.js';
import { createWebhookRoutes, repositoryOf, type WebhookRoute } from './webhook-routes.js';

export { GITEA_WEBHOOK_PATH, GITHUB_WEBHOOK_PATH } from './webhook-routes.js';

/** Settings and collaborators of {@link createWebhookHandler}. */
export interface WebhookServerOptions {
  log: Logger;
  /** GitHub App webhook secret; absent disables the GitHub route (404). */
  githubWebhookSecret?: string;
  /** Gitea webhook secret shared by every repository without its own. */
  giteaWebhookSecret?: string;
  /**
   * Per-repository Gitea webhook secrets, keyed by lower-case `owner/repo`. A listed repository's
   * deliveries are accepted only when signed with its own secret. With neither this nor
   * `giteaWebhookSecret`, the Gitea route does not exist (404).
   */
  giteaRepositorySecrets?: ReadonlyMap<string, string>;
  /** Logins of Tandem's own bot accounts; their events are dropped. */
  botLogins: readonly string[];
  /** Writes accepted deliveries (and hands them to the relay through its `onCommitted`). */
  recorder: DeliveryRecorder;
  /** Largest accepted body in bytes (default 25 MiB, GitHub's payload cap). */
  maxBodyBytes?: number;
  /** Bounds on bodies read before their signature is checked (see `body-budget.ts`). */
  bodyBudget?: BodyBudgetOptions;
  /** Bounds on the rest of a body drained after an early answer. */
  drain?: DrainLimits;
  /** Extra health facts for `/healthz`; throwing or `ok: false` answers 503. */
  health?: () => Promise<{ ok: boolean; [key: string]: unknown }>;
}

/** One answer to a delivery; a refusal's reason is in `body.error`. */
interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
  /** The answer's log line was already written where it was decided. */
  logged?: boolean;
  /** Logged with a refusal, never sent. */
  detail?: string;
}

const refuse = (status: number, reason: string, headers?: Record<string, string>): Answer => ({
  status,
  body: { error: reason },
  ...(headers ? { headers } : {}),
});

function send(res: ServerResponse, answer: Answer): void {
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...answer.headers,
  });
  res.end(text);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function expectsContinue(req: IncomingMessage): boolean {
  return /100-continue/i.test(header(req, 'expect') ?? '');
}

/** Declared body length, or null for a chunked body. */
function contentLength(req: IncomingMessage): number | null {
  const value = req.headers['content-length'];
  return value === undefined ? null : Number(value);
}

/** What the delivery's log lines carry: ids from the headers, action and repository from the body. */
function deliveryFacts(route: WebhookRoute, req: IncomingMessage): Record<string, unknown> {
  return {
    forge: route.forge,
    deliveryId: header(req, route.deliveryHeader)?.slice(0, 100),
    event: header(req, route.eventHeader)?.slice(0, 100),
  };
}

/** A `node:http` request listener implementing the routes above (also for `checkContinue`). */
export function createWebhookHandler(
  options: WebhookServerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const maxBodyBytes = options.maxBodyBytes ?? 25 * 1024 * 1024;
  const budget = createBodyBudget(options.bodyBudget);
  const routes = createWebhookRoutes(options);
  /** Responses that already sent `100 Continue`. */
  const continued = new WeakSet<ServerResponse>();

  /** Reads and checks the body; an Answer when the delivery stops here, null when the client left. */
  async function authenticate(
    route: WebhookRoute,
    req: IncomingMessage,
    res: ServerResponse,
    log: Logger,
  ): Promise<Answer | null | { body: Buffer; payload: unknown }> {
    const signature = parseSignature(
      route.signatureHeaders.map((h) => header(req, h)).find((v) => v),
    );
    if (signature === null) {
      return refuse(401, 'missing or malformed signature header');
    }
    const length = contentLength(req);
    if (length !== null && length > maxBodyBytes) {
      return refuse(413, `body larger than ${maxBodyBytes} bytes`);
    }
    const lease = budget.admit();
    if (!lease || (length !== null && !lease.grow(length))) {
      lease?.release();
      return refuse(503, 'too many webhook bodies in flight', { 'retry-after': '5' });
    }
    try {
      return await readAndVerify(route, req, res, lease, length ?? 0, signature, log);
    } finally {
      lease.release();
    }
  }

  async function readAndVerify(
    route: WebhookRoute,
    req: IncomingMessage,
    res: ServerResponse,
    lease: BodyLease,
    reserved: number,
    signature: Buffer,
    log: Logger,
  ): Promise<Answer | null | { body: Buffer; payload: unknown }> {
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
        return refuse(413, `body larger than ${maxBodyBytes} bytes`);
      case 'busy':
        return refuse(503, 'too many webhook bytes in flight', { 'retry-after': '5' });
      case 'complete': {
        const verdict = route.verify(read.body, read.digest, signature);
        if (!verdict.ok) {
          return {
            ...refuse(401, verdict.reason),
            ...(verdict.detail ? { detail: verdict.detail } : {}),
          };
        }
        return { body: read.body, payload: verdict.payload };
      }
    }
  }

  async function handleDelivery(
    route: WebhookRoute,
    req: IncomingMessage,
    res: ServerResponse,
    log: Logger,
  ): Promise<Answer | null> {
    const authenticated = await authenticate(route, req, res, log);
    if (authenticated === null || 'status' in authenticated) {
      return authenticated;
    }
    const contentType = (header(req, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType === 'application/x-www-form-urlencoded') {
      const reason = 'set the webhook content type to application/json';
      log.warn({ status: 415, reason }, 'webhook rejected: form-encoded body');
      return { ...refuse(415, reason), logged: true };
    }
    if (contentType !== 'application/json') {
      return refuse(400, 'content type must be application/json');
    }
    const event = header(req, route.eventHeader);
    const deliveryId = header(req, route.deliveryHeader);
    if (!event || !deliveryId || !/^[A-Za-z0-9._-]{1,100}$/.test(deliveryId)) {
      return refuse(400, `missing or invalid ${route.eventHeader} / ${route.deliveryHeader}`);
    }
    let payload = authenticated.payload;
    if (payload === undefined) {
      try {
        payload = JSON.parse(authenticated.body.toString('utf8'));
      } catch {
        return refuse(400, 'body is not valid JSON');
      }
    }
    const rawAction = (payload as { action?: unknown } | null)?.action;
    const facts = {
      action: typeof rawAction === 'string' ? rawAction.slice(0, 100) : null,
      repo: repositoryOf(payload),
    };
    let normalized: Normalized;
    try {
      normalized = route.normalize({ event, deliveryId, payload }, options);
    } catch (error) {
      if (error instanceof WebhookPayloadError) {
        const issues = error.issues.slice(0, 5);
        log.info({ ...facts, status: 400, issues }, 'webhook rejected: malformed payload');
        return { status: 400, body: { error: 'malformed payload', issues }, logged: true };
      }
      throw error;
    }
    if (normalized.kind === 'ignored') {
      log.info({ ...facts, reason: normalized.reason }, 'webhook ignored');
      return { status: 202, body: { status: 'ignored', reason: normalized.reason } };
    }
    const result = await options.recorder.record(normalized.event, { event, action: facts.action });
    log.info(
      { ...facts, type: normalized.event.type },
      result === 'recorded' ? 'webhook accepted' : 'webhook duplicate',
    );
    return { status: 200, body: { status: result === 'recorded' ? 'accepted' : 'duplicate' } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/healthz') {
      const facts = options.health ? await options.health() : { ok: true };
      send(res, {
        status: facts.ok ? 200 : 503,
        body: { status: facts.ok ? 'ok' : 'unhealthy', ...facts },
      });
      return;
    }
    const route = routes.get(path);
    if (!route) {
      answerEarly(req, res, refuse(404, 'not found'));
      return;
    }
    if (req.method !== 'POST') {
      answerEarly(req, res, refuse(405, 'method not allowed', { allow: 'POST' }));
      return;
    }
    const log = options.log.child(deliveryFacts(route, req));
    const answer = await handleDelivery(route, req, res, log);
    if (answer === null) {
      return;
    }
    if (answer.status >= 400 && answer.logged !== true) {
      log.info(
        { status: answer.status, reason: answer.body.error, detail: answer.detail },
        'webhook rejected',
      );
    }
    answerEarly(req, res, answer);
  }

  /** Sends `answer`; a body not read to its end is drained (or, never asked for, the connection closed). */
  function answerEarly(req: IncomingMessage, res: ServerResponse, answer: Answer): void {
    if (!req.complete) {
      if (expectsContinue(req) && !continued.has(res)) {
        // The client waits for "100 Continue" before sending the body: it never will, so close.
        answer = { ...answer, headers: { ...answer.headers, connection: 'close' } };
      } else {
        drainRequest(req, options.drain);
      }
    }
    send(res, answer);
  }

  return (req, res) => {
    // An aborted request emits `error` (ECONNRESET); the read above sees `close` and logs it at debug.
    req.on('error', () => undefined);
    handle(req, res).catch((error: unknown) => {
      options.log.error({ err: error }, 'webhook handling failed');
      if (!res.headersSent) {
        answerEarly(req, res, refuse(500, 'internal error'));
      }
    });
  };
}

/** Attaches `listener` to `server` for ordinary requests and for `Expect: 100-continue` ones. */
export function listenForWebhooks(
  server: Server,
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): void {
  server.on('request', listener);
  server.on('checkContinue', listener);
}

/** A started server: its address and a `close()`. */
export interface RunningWebhookServer {
  server: Server;
  address: AddressInfo;
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the server on `port` (0: any free port) and `host` (default `127.0.0.1`; `0.0.0.0` in
 * containers). Keep-alive is on, so forges and the bench reuse connections.
 */
export async function startWebhookServer(
  options: WebhookServerOptions,
  listen: { port: number; host?: string },
): Promise<RunningWebhookServer> {
  const server = createServer({ keepAlive: true });
  listenForWebhooks(server, createWebhookHandler(options));
  const host = listen.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    address,
    url: `http://${shown}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
