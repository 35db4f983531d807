/**
 * First run without GitHub App credentials: Probot's own setup app (the GitHub App manifest flow,
 * https://docs.github.com/en/apps/sharing-github-apps/registering-a-github-app-from-a-manifest),
 * served by Tandem's HTTP server at `/probot` (`/` is the status page). The operator clicks "Register a GitHub App", GitHub
 * creates the app from `app.yml` (permissions and events Tandem needs) and redirects back to
 * `/probot/setup?code=…`; Probot exchanges the code for the app id, private key and webhook secret, which
 * are written to `<data dir>/github-app.env` (not Probot's `.env`), then Tandem asks for a restart.
 *
 * Probot 14 exports neither the setup app nor its static files from its package entry point, so they
 * are imported from their files next to it (`probot/lib/apps/setup.js`,
 * `probot/lib/server/handlers/static-files.js`); both are pinned with Probot's exact version.
 * The setup app reads two variables: `NO_SMEE_SETUP` (set here: no smee.io channel is created, Tandem
 * needs a public URL instead) and `WEBHOOK_PROXY_URL`, the hook URL put into the manifest: set per
 * request to `<public URL or this request's base URL>/api/github/webhooks` unless the operator set it.
 *
 * Whoever completes this flow decides which GitHub App Tandem runs as after the next restart, so every
 * setup route (`/probot`, `/probot/*`) needs the one-time token the process printed in its log: as
 * the `token` query parameter (the link in the log), answered with a redirect to the same page without
 * it that sets it as an HttpOnly, SameSite=Lax cookie, so the token leaves the address bar and the browser
 * carries it back from github.com to `/probot/setup?code=…`. It is compared in
 * constant time; without it the answer is 403 and nothing is written. Once an App's credentials are
 * saved, the routes that write them (`/probot/setup`, `POST /probot/import`) answer 409.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cookieOf } from '../src/ingest/cookie-of.js';
import type { Logger } from '../src/log/logger.js';
import { saveGithubAppEnv } from './github-app-env.js';

/** A Probot HTTP handler: answers and returns true, or returns false to pass the request on. */
export type SetupHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

interface SetupAppModule {
  setupAppFactory: (options: {
    host: string;
    port: number;
    log: Logger;
    updateEnv: (env: Record<string, string>) => Record<string, string>;
  }) => () => Promise<SetupHandler>;
}

interface StaticFilesModule {
  staticFilesHandler: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/** Options of {@link createGithubSetupHandler}. */
export interface GithubSetupOptions {
  host: string;
  port: number;
  /** Where `github-app.env` is written. */
  dataDir: string;
  /** `TANDEM_PUBLIC_URL`: base of the webhook URL in the manifest (else the request's own base URL). */
  publicUrl?: string;
  logger: Logger;
  /** The one-time token every setup route requires (printed in the log by the caller). */
  token: string;
  /** Called once the app's credentials are saved (the process then asks for a restart). */
  onCreated?: (path: string) => void;
}

/** Name of the cookie that carries the setup token after the first visit. */
export const SETUP_COOKIE = 'tandem_setup';

/**
 * Creates the setup handler. Routes: `GET /probot` (manifest form),
 * `GET /probot/setup` (code exchange with GitHub), `GET|POST /probot/import`, `GET /probot/success`,
 * `/probot/static/*`. Anything else is passed on (returns false).
 */
export async function createGithubSetupHandler(options: GithubSetupOptions): Promise<SetupHandler> {
  const probotEntry = import.meta.resolve('probot');
  const { setupAppFactory } = (await import(
    new URL('./apps/setup.js', probotEntry).href
  )) as SetupAppModule;
  const { staticFilesHandler } = (await import(
    new URL('./server/handlers/static-files.js', probotEntry).href
  )) as StaticFilesModule;
  process.env.NO_SMEE_SETUP ??= 'true';
  const operatorHookUrl = process.env.WEBHOOK_PROXY_URL;
  const pendingWrites: Promise<unknown>[] = [];
  let created = false;
  const updateEnv = (env: Record<string, string>): Record<string, string> => {
    const vars: Record<string, string> = {};
    for (const key of ['APP_ID', 'PRIVATE_KEY', 'WEBHOOK_SECRET']) {
      const value = env[key];
      if (value !== undefined) {
        // Probot wraps the PEM in quotes for its own .env format.
        vars[key] = value.replace(/^"|"$/g, '');
      }
    }
    pendingWrites.push(
      saveGithubAppEnv(options.dataDir, vars).then(
        (path) => {
          created = true;
          options.logger.warn(
            { path },
            'GitHub App created and its credentials saved; restart Tandem to start receiving webhooks',
          );
          options.onCreated?.(path);
        },
        (error: unknown) =>
          options.logger.error({ err: error }, 'could not save the GitHub App credentials'),
      ),
    );
    return env;
  };
  const setup = await setupAppFactory({
    host: options.host,
    port: options.port,
    // Probot's own info lines tell the operator to edit `.env`; Tandem logs its own instructions.
    log: options.logger.child({}, { level: 'warn' }),
    updateEnv,
  })();
  const expected = digestOf(options.token);
  return async (req, res) => {
    const [path = '/', query = ''] = (req.url ?? '/').split('?');
    if (!path.startsWith('/probot')) {
      return false;
    }
    const fromQuery = new URLSearchParams(query).get('token');
    const given = fromQuery ?? cookieOf(req, SETUP_COOKIE);
    if (given === undefined || !timingSafeEqual(digestOf(given), expected)) {
      options.logger.info({ path }, 'GitHub App setup refused: missing or wrong setup token');
      res
        .writeHead(403, { 'content-type': 'text/plain; charset=utf-8' })
        .end('Open the setup link with the token that Tandem printed in its log.');
      return true;
    }
    if (fromQuery !== null) {
      // Keep the token as a cookie and out of the address bar, history and Referer headers.
      const secure = baseUrlOf(req).startsWith('https:') ? '; Secure' : '';
      const rest = new URLSearchParams(query);
      rest.delete('token');
      const location = rest.size > 0 ? `${path}?${rest.toString()}` : path;
      res
        .writeHead(303, {
          'set-cookie': `${SETUP_COOKIE}=${encodeURIComponent(fromQuery)}; Path=/; HttpOnly; SameSite=Lax${secure}`,
          location,
        })
        .end();
      return true;
    }
    if (
      created &&
      (path === '/probot/setup' || (path === '/probot/import' && req.method === 'POST'))
    ) {
      res
        .writeHead(409, { 'content-type': 'text/plain; charset=utf-8' })
        .end('A GitHub App was already set up; restart Tandem to use it.');
      return true;
    }
    if (staticFilesHandler(req, res)) {
      return true;
    }
    if (operatorHookUrl === undefined) {
      process.env.WEBHOOK_PROXY_URL = `${options.publicUrl ?? baseUrlOf(req)}/api/github/webhooks`;
    }
    // The manifest is rendered synchronously inside this call, before its first await.
    const handled = setup(req, res);
    if (operatorHookUrl === undefined) {
      delete process.env.WEBHOOK_PROXY_URL;
    }
    return handled;
  };
}

/** SHA-256 of a token: equal-length values for `timingSafeEqual`, whatever the lengths given. */
function digestOf(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** `<proto>://<host>` of a request, honouring `x-forwarded-proto`/`x-forwarded-host` as Probot does. */
export function baseUrlOf(req: IncomingMessage): string {
  const first = (v: string | string[] | undefined) =>
    (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim();
  const proto = first(req.headers['x-forwarded-proto']) ?? 'http';
  const host = first(req.headers['x-forwarded-host']) ?? req.headers.host ?? 'localhost';
  return `${proto}://${host}`;
}
