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
import type { ForgeKind, Normalized } from '../forge/forge-event.js';
import { WebhookPayloadError } from '../errors/webhook-payload-error.js';
import type { Logger } from '../log/logger.js';
import { createDeliveryAuthenticator, type AuthenticatedBody } from './authenticate-delivery.js';
import type { BodyBudgetOptions } from './body-budget.js';
import type { DeliveryRecorder } from './delivery-recorder.js';
import { header, refuse, sendAnswer, type Answer } from './http-answer.js';
import type { DrainLimits } from './read-body.js';
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
  /** Told how each delivery was answered (metrics); must not throw. */
  onDelivery?: (delivery: DeliveryOutcome) => void;
}

/** How one delivery was answered. */
export interface DeliveryOutcome {
  forge: ForgeKind;
  /** The event header, once the signature is known to be good; null before (a sender could put anything). */
  event: string | null;
  /** `aborted`: the client went away before its body was read. */
  outcome: 'accepted' | 'duplicate' | 'ignored' | 'rejected' | 'aborted';
  /** HTTP status of the answer (0 when none was sent). */
  status: number;
}

/** The outcome of an answer to a delivery. */
function outcomeOf(answer: Answer): DeliveryOutcome['outcome'] {
  if (answer.status === 200) {
    return answer.body.status === 'duplicate' ? 'duplicate' : 'accepted';
  }
  return answer.status === 202 ? 'ignored' : 'rejected';
}

/** What the delivery's log lines carry from its headers. */
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
  const routes = createWebhookRoutes(options);
  const authenticator = createDeliveryAuthenticator({
    maxBodyBytes: options.maxBodyBytes ?? 25 * 1024 * 1024,
    ...(options.bodyBudget ? { bodyBudget: options.bodyBudget } : {}),
  });
  const answer = (req: IncomingMessage, res: ServerResponse, a: Answer): void =>
    sendAnswer(req, res, a, {
      continueSent: authenticator.continueSent(res),
      ...(options.drain ? { drain: options.drain } : {}),
    });

  /** The rest of a delivery once its body is authenticated: headers, JSON, normalize, record. */
  async function accept(
    route: WebhookRoute,
    req: IncomingMessage,
    authenticated: AuthenticatedBody,
    log: Logger,
  ): Promise<Answer> {
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
      answer(req, res, {
        status: facts.ok ? 200 : 503,
        body: { status: facts.ok ? 'ok' : 'unhealthy', ...facts },
      });
      return;
    }
    const route = routes.get(path);
    if (!route) {
      answer(req, res, refuse(404, 'not found'));
      return;
    }
    if (req.method !== 'POST') {
      answer(req, res, refuse(405, 'method not allowed', { allow: 'POST' }));
      return;
    }
    const log = options.log.child(deliveryFacts(route, req));
    const authenticated = await authenticator.authenticate(route, req, res, log);
    const told = (event: string | null, outcome: DeliveryOutcome['outcome'], status: number) =>
      options.onDelivery?.({ forge: route.forge, event, outcome, status });
    if (authenticated === null) {
      told(null, 'aborted', 0);
      return;
    }
    const event = 'status' in authenticated ? null : (header(req, route.eventHeader) ?? null);
    let result: Answer;
    try {
      result =
        'status' in authenticated ? authenticated : await accept(route, req, authenticated, log);
    } catch (error) {
      told(event, 'rejected', 500);
      throw error;
    }
    told(event, outcomeOf(result), result.status);
    if (result.status >= 400 && result.logged !== true) {
      log.info(
        { status: result.status, reason: result.body.error, detail: result.detail },
        'webhook rejected',
      );
    }
    answer(req, res, result);
  }

  return (req, res) => {
    // An aborted request emits `error` (ECONNRESET); the body reader sees `close` and logs it at debug.
    req.on('error', () => undefined);
    handle(req, res).catch((error: unknown) => {
      options.log.error({ err: error }, 'webhook handling failed');
      if (!res.headersSent) {
        answer(req, res, refuse(500, 'internal error'));
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
