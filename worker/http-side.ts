/**
 * The server side of a Tandem process: the HTTP ingestion server (webhooks of the configured forges,
 * `/healthz`), the outbox relay to the `events` queue, and, while no GitHub App is configured, Probot's
 * setup flow on the same port. Never calls a model, clones a repository or starts a sandbox.
 * It wires `src/ingest` as `startIngestion` does, with one difference: the request listener is
 * composed with the setup flow's handler, which `startIngestion`'s own server has no place for.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerConfig } from '../src/config/server-config.js';
import type { DatabaseHandle } from '../src/db/create-database.js';
import { createDeliveryRecorder, EVENTS_QUEUE } from '../src/ingest/delivery-recorder.js';
import { createOutboxRelay, type OutboxRelay } from '../src/ingest/outbox-relay.js';
import { createWebhookHandler } from '../src/ingest/webhook-server.js';
import { createTandemProbot, githubBotLogin } from '../src/forge/github/create-probot.js';
import type { Logger } from '../src/log/logger.js';
import type { QueueBackend } from '../src/queue/queue-backend.js';
import { createGithubSetupHandler, type SetupHandler } from './github-setup.js';

/** A running HTTP side. */
export interface HttpSide {
  /** Base URL it listens on, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** Stops accepting requests, then stops the relay after its batch in flight. */
  close(): Promise<void>;
}

/** Options of {@link startHttpSide}. */
export interface HttpSideOptions {
  config: ServerConfig;
  database: DatabaseHandle;
  backend: QueueBackend;
  logger: Logger;
}

/**
 * Starts the ingestion server on `config.host:config.port` and the relay.
 * @throws the listen error (e.g. `EADDRINUSE`) after closing what it opened.
 */
export async function startHttpSide(options: HttpSideOptions): Promise<HttpSide> {
  const { config, database, backend, logger } = options;
  const log = logger.child({ component: 'http' });
  const relay: OutboxRelay = createOutboxRelay({
    db: database.db,
    queues: { [EVENTS_QUEUE]: backend.createQueue(EVENTS_QUEUE) },
    log: logger.child({ component: 'relay' }),
  });
  // Read by the normalizers on every delivery: the GitHub App's own login is added once known.
  const botLogins: string[] = [
    ...config.botLogins,
    ...(config.gitea?.botLogin ? [config.gitea.botLogin] : []),
  ];
  const lookup = config.github ? learnGithubBotLogin(config, botLogins, log) : undefined;
  const webhooks = createWebhookHandler({
    log,
    ...(config.github ? { githubWebhookSecret: config.github.webhookSecret } : {}),
    ...(config.gitea ? { giteaWebhookSecret: config.gitea.webhookSecret } : {}),
    botLogins,
    recorder: createDeliveryRecorder(database.db, { onCommitted: (rows) => relay.offer(rows) }),
    health: async () => ({
      ok: true,
      forges: forgesOf(config),
      setup: config.github === undefined,
      outboxPending: await relay.pending(),
    }),
  });
  let setup: SetupHandler | undefined;
  if (!config.github) {
    setup = await createGithubSetupHandler({
      host: config.host,
      port: config.port,
      dataDir: config.dataDir,
      ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
      logger: logger.child({ component: 'github-setup' }),
    });
  }
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (!setup) {
      webhooks(req, res);
      return;
    }
    setup(req, res).then(
      (handled) => {
        if (!handled) {
          webhooks(req, res);
        }
      },
      (error: unknown) => {
        log.error({ err: error }, 'GitHub App setup failed');
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain' }).end('GitHub App setup failed');
        }
      },
    );
  };
  const server = createServer({ keepAlive: true }, handler);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (error) {
    server.close();
    throw error;
  }
  relay.start();
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log.info({ url, forges: forgesOf(config) }, 'listening for webhooks');
  if (!config.github) {
    log.warn(
      { setupUrl: `${config.publicUrl ?? url}/probot` },
      'no GitHub App is configured (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET): open the setup URL in a browser ' +
        'to register one through the manifest flow, then restart Tandem. Set TANDEM_PUBLIC_URL to the ' +
        'address GitHub can reach first. Gitea needs no setup page: set GITEA_URL, GITEA_TOKEN and ' +
        'GITEA_WEBHOOK_SECRET (docs/deployment.md).',
    );
  }
  return {
    url,
    async close() {
      lookup?.abort();
      await new Promise<void>((resolve) => {
        server.closeIdleConnections();
        server.close(() => resolve());
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      });
      await relay.stop();
    },
  };
}

/** The forges this server receives webhooks for. */
export function forgesOf(config: ServerConfig): string[] {
  return [...(config.github ? ['github'] : []), ...(config.gitea ? ['gitea'] : [])];
}

/**
 * Looks up the GitHub App's `<slug>[bot]` login (GET /app) in the background, retrying every 30 s
 * until it succeeds, and appends it to `botLogins` so the App's own events are dropped at ingestion.
 * Returns a controller that stops the retries.
 */
function learnGithubBotLogin(
  config: ServerConfig,
  botLogins: string[],
  log: Logger,
): AbortController {
  const stop = new AbortController();
  const probot = createTandemProbot(config.github!, { log });
  const attempt = (): void => {
    githubBotLogin(probot).then(
      (login) => {
        botLogins.push(login);
        log.info({ login }, 'GitHub App bot login known; its own events are dropped');
      },
      (error: unknown) => {
        log.warn({ err: error }, 'could not read the GitHub App (GET /app); retrying in 30 s');
        if (!stop.signal.aborted) {
          setTimeout(attempt, 30_000).unref();
        }
      },
    );
  };
  attempt();
  return stop;
}
