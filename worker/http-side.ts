/**
 * The server side of a Tandem process: the HTTP ingestion server (webhooks of the configured forges,
 * `/healthz`), the status page (`/`, `/status/events`) and `/metrics` (loopback or their tokens), the
 * outbox relay to the `events` queue, and, when `config.githubSetup` allows it, Probot's GitHub App
 * setup flow (`/probot`) on the same port behind a one-time token printed in the log.
 * Never calls a model, clones a repository or starts a sandbox.
 * It wires `src/ingest` as `startIngestion` does, with one difference: the request listener is
 * composed with the setup flow's handler, which `startIngestion`'s own server has no place for.
 * The bot logins of the configured forges must be known before it starts (`resolveBotIdentities`).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerConfig } from '../src/config/server-config.js';
import type { DatabaseHandle } from '../src/db/create-database.js';
import { ConfigError } from '../src/errors/index.js';
import { createDeliveryRecorder, EVENTS_QUEUE } from '../src/ingest/delivery-recorder.js';
import { createOutboxRelay, type OutboxRelay } from '../src/ingest/outbox-relay.js';
import { createWebhookHandler, listenForWebhooks } from '../src/ingest/webhook-server.js';
import type { Logger } from '../src/log/logger.js';
import { collectDatabaseGauges } from '../src/metrics/collect-database-gauges.js';
import { deliveryCounter } from '../src/metrics/delivery-metrics.js';
import { createMetricsHandler } from '../src/metrics/metrics-endpoint.js';
import type { TandemMetrics } from '../src/metrics/tandem-metrics.js';
import type { QueueBackend } from '../src/queue/queue-backend.js';
import { createStatusRoutes, type StatusRoutesOptions } from '../src/status/status-routes.js';
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
  /** The setup routes' one-time token (default: 24 random bytes, base64url); tests pass their own. */
  setupToken?: string;
  /** The process's metrics: served at `/metrics`, deliveries and database gauges added to them. */
  metrics?: TandemMetrics;
  /** Status feed settings (tests shorten its interval). */
  statusFeed?: StatusRoutesOptions['feed'];
}

/**
 * Starts the ingestion server on `config.host:config.port` and the relay.
 * @throws ConfigError when a configured forge's bot login is unknown; the listen error (e.g.
 *   `EADDRINUSE`) after closing what it opened.
 */
export async function startHttpSide(options: HttpSideOptions): Promise<HttpSide> {
  const { config, database, backend, logger } = options;
  const log = logger.child({ component: 'http' });
  const botLogins = ownBotLogins(config);
  let setup: SetupHandler | undefined;
  const setupToken = options.setupToken ?? randomBytes(24).toString('base64url');
  if (config.githubSetup) {
    setup = await createGithubSetupHandler({
      host: config.host,
      port: config.port,
      dataDir: config.dataDir,
      ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
      logger: logger.child({ component: 'github-setup' }),
      token: setupToken,
    });
  }
  const relay: OutboxRelay = createOutboxRelay({
    db: database.db,
    queues: { [EVENTS_QUEUE]: backend.createQueue(EVENTS_QUEUE) },
    log: logger.child({ component: 'relay' }),
  });
  const { metrics } = options;
  if (metrics) {
    collectDatabaseGauges(metrics, database.db, log);
  }
  const metricsPage = metrics
    ? createMetricsHandler({
        registry: metrics.registry,
        ...(config.metricsToken ? { token: config.metricsToken } : {}),
        logger: log,
      })
    : undefined;
  const status = createStatusRoutes({
    db: database.db,
    ...(metrics ? { registry: metrics.registry } : {}),
    links: { web: forgeWebUrls(config) },
    ...(config.statusToken ? { token: config.statusToken } : {}),
    logger,
    ...(options.statusFeed ? { feed: options.statusFeed } : {}),
  });
  const gitea = config.gitea;
  const webhooks = createWebhookHandler({
    log,
    ...(config.github ? { githubWebhookSecret: config.github.webhookSecret } : {}),
    ...(gitea?.webhookSecret ? { giteaWebhookSecret: gitea.webhookSecret } : {}),
    ...(gitea ? { giteaRepositorySecrets: gitea.repositorySecrets } : {}),
    botLogins,
    recorder: createDeliveryRecorder(database.db, { onCommitted: (rows) => relay.offer(rows) }),
    ...(metrics ? { onDelivery: deliveryCounter(metrics) } : {}),
    health: async () => ({
      ok: true,
      forges: forgesOf(config),
      setup: setup !== undefined,
      outboxPending: await relay.pending(),
    }),
  });
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (status.handle(req, res) || metricsPage?.(req, res)) {
      return;
    }
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
  const server = createServer({ keepAlive: true });
  listenForWebhooks(server, handler);
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
  log.info({ url, forges: forgesOf(config), botLogins }, 'listening for webhooks');
  if (setup) {
    log.warn(
      { setupUrl: `${config.publicUrl ?? url}/probot?token=${setupToken}` },
      'GitHub App setup is open: open the setup URL (it holds a one-time token) in a browser to register ' +
        'an App through the manifest flow, then restart Tandem. Set TANDEM_PUBLIC_URL to the address ' +
        'GitHub can reach first. Gitea needs no setup page: set GITEA_URL, GITEA_TOKEN and ' +
        'GITEA_WEBHOOK_SECRET (docs/deployment.md).',
    );
  }
  return {
    url,
    async close() {
      status.close();
      await new Promise<void>((resolve) => {
        server.closeIdleConnections();
        server.close(() => resolve());
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      });
      await relay.stop();
    },
  };
}

/** Web base URL of each configured forge, for the status page's links. */
export function forgeWebUrls(config: ServerConfig): Record<string, string> {
  return {
    ...(config.github ? { github: `https://${config.github.gheHost ?? 'github.com'}` } : {}),
    ...(config.gitea ? { gitea: config.gitea.url } : {}),
  };
}

/** The forges this server receives webhooks for. */
export function forgesOf(config: ServerConfig): string[] {
  return [...(config.github ? ['github'] : []), ...(config.gitea ? ['gitea'] : [])];
}

/**
 * Every login whose events are dropped: `TANDEM_BOT_LOGINS` and the bot of each configured forge.
 * @throws ConfigError when a configured forge's bot login was not resolved at start.
 */
export function ownBotLogins(config: ServerConfig): string[] {
  const missing = [
    ...(config.github && !config.github.botLogin ? ['APP_ID'] : []),
    ...(config.gitea && !config.gitea.botLogin ? ['GITEA_BOT_LOGIN'] : []),
  ];
  if (missing.length > 0) {
    throw new ConfigError(
      'environment',
      missing.map((path) => ({ path, message: 'the bot login was not resolved at start' })),
    );
  }
  return [
    ...config.botLogins,
    ...(config.github?.botLogin ? [config.github.botLogin] : []),
    ...(config.gitea?.botLogin ? [config.gitea.botLogin] : []),
  ];
}
