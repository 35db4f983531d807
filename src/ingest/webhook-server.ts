/**
 * Tandem's HTTP ingestion server (`node:http`, no framework): GitHub webhooks at `/api/github/webhooks`,
 * Gitea webhooks at `/api/gitea/webhooks`, and `/healthz`. For each delivery, in this order:
 *
 * | check | answer |
 * | --- | --- |
 * | body larger than `maxBodyBytes` | 413 |
 * | signature missing or wrong (HMAC-SHA256 of the raw body) | 401 |
 * | `application/x-www-form-urlencoded` body (hook set to "form") | 415, and a log line for the admin |
 * | other non-JSON content type, missing event or delivery header | 400 |
 * | body is not JSON, or lacks the fields its event promises | 400 |
 * | event/action Tandem does not handle, `ping`, or sent by Tandem's own bot | 202 `ignored` |
 * | delivery id seen before | 200 `duplicate` |
 * | otherwise: delivery + outbox row written in one transaction | 200 `accepted` |
 *
 * Nothing is recorded or enqueued for any non-200 answer. Enqueueing is the relay's job (after the 200),
 * so the answer never waits for Redis. GitHub signatures are verified here rather than through Probot's
 * middleware: one code path for both forges, our own status codes, and no in-process event handlers
 * (docs/forges.md, "Why not Probot's middleware").
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ForgeKind, Normalized, RawDelivery } from '../forge/forge-event.js';
import { normalizeGiteaEvent } from '../forge/gitea/normalize-gitea-event.js';
import { normalizeGithubEvent } from '../forge/github/normalize-github-event.js';
import { WebhookPayloadError } from '../errors/webhook-payload-error.js';
import type { Logger } from '../log/logger.js';
import type { DeliveryRecorder } from './delivery-recorder.js';
import { verifySignature } from './verify-signature.js';

export const GITHUB_WEBHOOK_PATH = '/api/github/webhooks';
export const GITEA_WEBHOOK_PATH = '/api/gitea/webhooks';

/** Settings and collaborators of {@link createWebhookHandler}. */
export interface WebhookServerOptions {
  log: Logger;
  /** GitHub App webhook secret; absent disables the GitHub route (404). */
  githubWebhookSecret?: string;
  /** Gitea webhook secret; absent disables the Gitea route (404). */
  giteaWebhookSecret?: string;
  /** Logins of Tandem's own bot accounts; their events are dropped. */
  botLogins: readonly string[];
  /** Writes accepted deliveries (and hands them to the relay through its `onCommitted`). */
  recorder: DeliveryRecorder;
  /** Largest accepted body in bytes (default 25 MiB, GitHub's payload cap). */
  maxBodyBytes?: number;
  /** Extra health facts for `/healthz`; throwing or `ok: false` answers 503. */
  health?: () => Promise<{ ok: boolean; [key: string]: unknown }>;
}

interface Route {
  forge: ForgeKind;
  secret: string;
  eventHeader: string;
  deliveryHeader: string;
  signatureHeaders: string[];
  normalize: (delivery: RawDelivery, options: { botLogins: readonly string[] }) => Normalized;
}

/** An HTTP answer; thrown (it is an Error) when reading the body must stop early. */
class HttpAnswer extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(`HTTP ${status}`);
  }
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(new HttpAnswer(413, { error: 'payload too large' }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A `node:http` request listener implementing the routes above. */
export function createWebhookHandler(
  options: WebhookServerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const maxBodyBytes = options.maxBodyBytes ?? 25 * 1024 * 1024;
  const routes = new Map<string, Route>();
  if (options.githubWebhookSecret) {
    routes.set(GITHUB_WEBHOOK_PATH, {
      forge: 'github',
      secret: options.githubWebhookSecret,
      eventHeader: 'x-github-event',
      deliveryHeader: 'x-github-delivery',
      signatureHeaders: ['x-hub-signature-256'],
      normalize: normalizeGithubEvent,
    });
  }
  if (options.giteaWebhookSecret) {
    routes.set(GITEA_WEBHOOK_PATH, {
      forge: 'gitea',
      secret: options.giteaWebhookSecret,
      eventHeader: 'x-gitea-event',
      deliveryHeader: 'x-gitea-delivery',
      signatureHeaders: ['x-gitea-signature', 'x-hub-signature-256'],
      normalize: normalizeGiteaEvent,
    });
  }

  async function handleDelivery(route: Route, req: IncomingMessage): Promise<HttpAnswer> {
    const body = await readBody(req, maxBodyBytes);
    const signature = route.signatureHeaders.map((h) => header(req, h)).find((v) => v);
    if (!verifySignature(route.secret, body, signature)) {
      options.log.warn({ forge: route.forge }, 'webhook rejected: bad or missing signature');
      return new HttpAnswer(401, { error: 'bad signature' });
    }
    const contentType = (header(req, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType === 'application/x-www-form-urlencoded') {
      options.log.warn(
        { forge: route.forge },
        'webhook rejected: form-encoded body; set the webhook content type to application/json',
      );
      return new HttpAnswer(415, { error: 'set the webhook content type to application/json' });
    }
    if (contentType !== 'application/json') {
      return new HttpAnswer(400, { error: 'content type must be application/json' });
    }
    const event = header(req, route.eventHeader);
    const deliveryId = header(req, route.deliveryHeader);
    if (!event || !deliveryId || !/^[A-Za-z0-9._-]{1,100}$/.test(deliveryId)) {
      return new HttpAnswer(400, {
        error: `missing or invalid ${route.eventHeader} / ${route.deliveryHeader}`,
      });
    }
    const log = options.log.child({ forge: route.forge, deliveryId, event });
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString('utf8'));
    } catch {
      log.warn('webhook rejected: body is not valid JSON');
      return new HttpAnswer(400, { error: 'body is not valid JSON' });
    }
    let normalized: Normalized;
    try {
      normalized = route.normalize({ event, deliveryId, payload }, options);
    } catch (error) {
      if (error instanceof WebhookPayloadError) {
        log.warn({ issues: error.issues.slice(0, 5) }, 'webhook rejected: malformed payload');
        return new HttpAnswer(400, {
          error: 'malformed payload',
          issues: error.issues.slice(0, 5),
        });
      }
      throw error;
    }
    if (normalized.kind === 'ignored') {
      log.debug({ reason: normalized.reason }, 'webhook ignored');
      return new HttpAnswer(202, { status: 'ignored', reason: normalized.reason });
    }
    const action = (payload as { action?: unknown }).action;
    const result = await options.recorder.record(normalized.event, {
      event,
      action: typeof action === 'string' ? action : null,
    });
    log.debug({ result, type: normalized.event.type }, 'webhook recorded');
    return new HttpAnswer(200, { status: result === 'recorded' ? 'accepted' : 'duplicate' });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/healthz') {
      const facts = options.health ? await options.health() : { ok: true };
      send(res, facts.ok ? 200 : 503, { status: facts.ok ? 'ok' : 'unhealthy', ...facts });
      return;
    }
    const route = routes.get(path);
    if (!route) {
      send(res, 404, { error: 'not found' });
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      send(res, 405, { error: 'method not allowed' });
      return;
    }
    const answer = await handleDelivery(route, req);
    send(res, answer.status, answer.body);
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpAnswer) {
        send(res, error.status, error.body);
        return;
      }
      options.log.error({ err: error }, 'webhook handling failed');
      if (!res.headersSent) {
        send(res, 500, { error: 'internal error' });
      }
    });
  };
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
  const server = createServer({ keepAlive: true }, createWebhookHandler(options));
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
