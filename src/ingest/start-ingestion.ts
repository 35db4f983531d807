/**
 * Wires the ingestion side of the `server` process: delivery recorder → webhook server → outbox relay
 * → BullMQ `events` queue. Collaborators (database, queue, logger) come from the caller, so the same
 * function serves `tandem server`, `tandem start` and tests.
 */
import type { Database } from '../db/create-database.js';
import type { Logger } from '../log/logger.js';
import { createDeliveryRecorder, EVENTS_QUEUE } from './delivery-recorder.js';
import { createOutboxRelay, type OutboxRelay, type RelayQueue } from './outbox-relay.js';
import { startWebhookServer, type RunningWebhookServer } from './webhook-server.js';

/** Settings and collaborators of {@link startIngestion}. */
export interface IngestionOptions {
  db: Database;
  /** The `events` queue (a BullMQ `Queue` from the queue factory). */
  eventsQueue: RelayQueue;
  log: Logger;
  port: number;
  /** Default `127.0.0.1`; `0.0.0.0` in containers. */
  host?: string;
  githubWebhookSecret?: string;
  giteaWebhookSecret?: string;
  /** Per-repository Gitea secrets (lower-case `owner/repo` → secret); see `webhook-routes.ts`. */
  giteaRepositorySecrets?: ReadonlyMap<string, string>;
  /** Bot logins whose events are dropped: the GitHub App's `<slug>[bot]`, the Gitea bot, extras. */
  botLogins: readonly string[];
}

/** The running ingestion: server, relay, and one `close()` for shutdown (server first, then relay). */
export interface Ingestion {
  server: RunningWebhookServer;
  relay: OutboxRelay;
  close(): Promise<void>;
}

/** Starts the relay and the HTTP server. `/healthz` reports the outbox backlog (`outboxPending`). */
export async function startIngestion(options: IngestionOptions): Promise<Ingestion> {
  const log = options.log.child({ component: 'ingest' });
  const relay = createOutboxRelay({
    db: options.db,
    queues: { [EVENTS_QUEUE]: options.eventsQueue },
    log,
  });
  relay.start();
  let server: RunningWebhookServer;
  try {
    server = await startWebhookServer(
      {
        log,
        botLogins: options.botLogins,
        recorder: createDeliveryRecorder(options.db, { onCommitted: (rows) => relay.offer(rows) }),
        health: async () => ({ ok: true, outboxPending: await relay.pending() }),
        ...(options.githubWebhookSecret
          ? { githubWebhookSecret: options.githubWebhookSecret }
          : {}),
        ...(options.giteaWebhookSecret ? { giteaWebhookSecret: options.giteaWebhookSecret } : {}),
        ...(options.giteaRepositorySecrets
          ? { giteaRepositorySecrets: options.giteaRepositorySecrets }
          : {}),
      },
      { port: options.port, ...(options.host ? { host: options.host } : {}) },
    );
  } catch (error) {
    await relay.stop();
    throw error;
  }
  log.info({ url: server.url }, 'ingestion listening');
  return {
    server,
    relay,
    async close() {
      await server.close();
      await relay.stop();
    },
  };
}
