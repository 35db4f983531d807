/**
 * The status page's routes on the HTTP side: `GET /` (the page) and `GET /status/events` (its live
 * feed). Read-only, and only for loopback or a holder of `TANDEM_STATUS_TOKEN` (`?token=` once, then an
 * HttpOnly cookie; or `Authorization: Bearer`), because the page names repositories and issues. Reads
 * the database through `readStatus` and this process's slots through its metrics registry.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Database } from '../db/create-database.js';
import type { Logger } from '../log/logger.js';
import { checkAccess } from '../metrics/request-access.js';
import { plain } from '../metrics/metrics-endpoint.js';
import { readSlots } from './read-slots.js';
import { readStatus } from './read-status.js';
import {
  renderStatusMain,
  renderStatusPage,
  statusPagePolicy,
  type StatusLinks,
  type StatusView,
} from './render-status-page.js';
import { createStatusFeed, type StatusFeed } from './status-feed.js';

/** Path of the page and of its event stream. */
export const STATUS_PATH = '/';
export const STATUS_EVENTS_PATH = '/status/events';
/** Cookie that carries the status token after the first visit. */
export const STATUS_COOKIE = 'tandem_status';

/** Options of {@link createStatusRoutes}. */
export interface StatusRoutesOptions {
  db: Database;
  /** This process's metrics registry (its model slots); absent: no slot table. */
  registry?: Registry;
  links: StatusLinks;
  /** `TANDEM_STATUS_TOKEN`; absent: loopback only. */
  token?: string;
  logger: Logger;
  /** Feed settings (tests shorten the interval). */
  feed?: { intervalMs?: number; heartbeatMs?: number; maxClients?: number };
}

/** The routes: a handler that answers and returns true for its paths, false for any other. */
export interface StatusRoutes {
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Ends the live streams (before the server closes). */
  close(): void;
}

/** Creates the routes and their feed. */
export function createStatusRoutes(options: StatusRoutesOptions): StatusRoutes {
  const log = options.logger.child({ component: 'status' });
  const view = async (): Promise<StatusView> => ({
    snapshot: await readStatus(options.db),
    slots: options.registry ? await readSlots(options.registry) : [],
  });
  const feed: StatusFeed = createStatusFeed({
    logger: log,
    ...options.feed,
    frame: async (now) => {
      const v = await view();
      return { key: JSON.stringify(v), html: renderStatusMain(v, options.links, now) };
    },
  });
  const rule = { ...(options.token ? { token: options.token } : {}), cookie: STATUS_COOKIE };

  const page = async (res: ServerResponse): Promise<void> => {
    const nonce = randomBytes(16).toString('base64');
    const html = renderStatusPage(await view(), options.links, Date.now(), nonce);
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': statusPagePolicy(nonce),
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    });
    res.end(html);
  };

  return {
    handle(req, res) {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== STATUS_PATH && path !== STATUS_EVENTS_PATH) {
        return false;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        plain(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
        return true;
      }
      const access = checkAccess(req, rule);
      if (access.kind === 'refused') {
        log.info({ path }, 'status page refused: not loopback and no status token');
        plain(
          res,
          403,
          'The status page is open to this machine, or with the token set in TANDEM_STATUS_TOKEN ' +
            '(open /?token=… once, or send Authorization: Bearer …).',
        );
        return true;
      }
      if (access.kind === 'set-cookie') {
        res.writeHead(303, { 'set-cookie': access.cookie, location: access.location }).end();
        return true;
      }
      if (path === STATUS_EVENTS_PATH) {
        feed.subscribe(req, res);
        return true;
      }
      page(res).catch((error: unknown) => {
        log.error({ err: error }, 'status page could not be rendered');
        if (!res.headersSent) {
          plain(res, 500, 'the status page could not be read');
        }
      });
      return true;
    },
    close: () => feed.close(),
  };
}
