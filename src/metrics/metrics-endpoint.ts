/**
 * `/metrics` over `node:http`: the registry in Prometheus's text format (version 0.0.4), to loopback
 * or to a request with `Authorization: Bearer <TANDEM_METRICS_TOKEN>` (see `request-access.ts`). Served
 * on the HTTP side's port, and by {@link startMetricsListener} on its own port for `tandem worker`,
 * which has no HTTP side.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/logger.js';
import { checkAccess } from './request-access.js';

/** Path of the metrics page. */
export const METRICS_PATH = '/metrics';

/** Options of {@link createMetricsHandler}. */
export interface MetricsHandlerOptions {
  registry: Registry;
  /** `TANDEM_METRICS_TOKEN`: lets a scraper in that is not on this machine. */
  token?: string;
  logger: Logger;
}

/**
 * A request handler that answers `GET|HEAD /metrics` and returns true, or returns false for any other
 * path. Answers 403 when the request is neither from loopback nor carries the token, 405 for other
 * methods, 500 (logged) when collecting fails.
 */
export function createMetricsHandler(
  options: MetricsHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if ((req.url ?? '/').split('?')[0] !== METRICS_PATH) {
      return false;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plain(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
      return true;
    }
    if (checkAccess(req, options.token ? { token: options.token } : {}).kind !== 'allowed') {
      plain(
        res,
        403,
        'metrics are served to this machine, or with Authorization: Bearer <TANDEM_METRICS_TOKEN>',
      );
      return true;
    }
    options.registry.metrics().then(
      (text) => {
        res.writeHead(200, {
          'content-type': options.registry.contentType,
          'cache-control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        options.logger.error({ err: error }, 'metrics could not be collected');
        plain(res, 500, 'metrics could not be collected');
      },
    );
    return true;
  };
}

/** Ends `res` with `status` and a UTF-8 plain-text body (refusals and errors of the monitoring routes). */
export function plain(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(text);
}

/** A running metrics listener. */
export interface MetricsListener {
  /** e.g. `http://127.0.0.1:9464`. */
  url: string;
  close(): Promise<void>;
}

/** Options of {@link startMetricsListener}. */
export interface MetricsListenerOptions extends MetricsHandlerOptions {
  /** `TANDEM_METRICS_PORT` (0: any free port, for tests). */
  port: number;
  /** `TANDEM_METRICS_HOST` (default `127.0.0.1`). */
  host?: string;
}

/**
 * Starts a server that serves only `/metrics` (anything else: 404), for processes without an HTTP side.
 * @throws the listen error (e.g. `EADDRINUSE`)
 */
export async function startMetricsListener(
  options: MetricsListenerOptions,
): Promise<MetricsListener> {
  const handle = createMetricsHandler(options);
  const server = createServer((req, res) => {
    if (!handle(req, res)) {
      plain(res, 404, 'not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
