/**
 * Start-up step: the bot identity of every configured forge, resolved before either side of the process
 * starts, so no delivery is ever accepted (and no job acts) while Tandem does not know which events are
 * its own. Gitea: the token's user (`GET /api/v1/user`); when `GITEA_BOT_LOGIN` is set it must be that
 * user. GitHub: the App's `<slug>[bot]` (`GET /app`). A forge that cannot be reached is retried a few
 * times (it may be starting next to Tandem); a rejected token or a login mismatch fails at once.
 */
import type { ServerConfig } from '../src/config/server-config.js';
import { ConfigError } from '../src/errors/index.js';
import { giteaBotLogin } from '../src/forge/gitea/gitea-bot-login.js';
import { createTandemProbot, githubBotLogin } from '../src/forge/github/create-probot.js';
import { statusOf } from '../src/forge/github/github-api.js';
import type { Logger } from '../src/log/logger.js';

/** Collaborators of {@link resolveBotIdentities}. */
export interface ResolveBotIdentitiesOptions {
  logger: Logger;
  /** Waits between attempts at an unreachable forge, in ms (default 1, 2, 4 and 8 s). */
  retryDelaysMs?: readonly number[];
  /** Looks up the GitHub App's bot login (default: `GET /app` as the App). */
  githubLogin?: (config: NonNullable<ServerConfig['github']>) => Promise<string>;
  /** `fetch` for Gitea (default: the global one). */
  fetch?: typeof fetch;
}

/**
 * Returns `config` with `github.botLogin` and `gitea.botLogin` filled in from the forges.
 * @throws ConfigError naming `GITEA_TOKEN` (token rejected), `GITEA_BOT_LOGIN` (another user's token),
 *   `GITEA_URL` or `APP_ID` (the forge did not answer after the retries; the cause is attached)
 */
export async function resolveBotIdentities(
  config: ServerConfig,
  options: ResolveBotIdentitiesOptions,
): Promise<ServerConfig> {
  const delays = options.retryDelaysMs ?? [1_000, 2_000, 4_000, 8_000];
  const log = options.logger.child({ component: 'identity' });
  const lookUp = (attempt: () => Promise<string>, failure: IdentityFailure): Promise<string> =>
    withRetries(attempt, delays, log, failure.forge).catch((error: unknown) => {
      throw identityError(error, failure);
    });
  const known = (forge: string, login: string): void =>
    log.info({ forge, login }, 'bot identity known; its own events are dropped');
  const out: ServerConfig = { ...config };
  const lookups: Promise<void>[] = [];
  const gitea = config.gitea;
  if (gitea) {
    const attempt = () =>
      giteaBotLogin({
        baseUrl: gitea.url,
        token: gitea.token,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
    lookups.push(
      lookUp(attempt, GITEA_FAILURE).then((login) => {
        if (gitea.botLogin !== undefined && gitea.botLogin.toLowerCase() !== login.toLowerCase()) {
          throw new ConfigError('environment', [
            {
              path: 'GITEA_BOT_LOGIN',
              message: `is "${gitea.botLogin}", but GITEA_TOKEN belongs to "${login}"`,
            },
          ]);
        }
        out.gitea = { ...gitea, botLogin: login };
        known('gitea', login);
      }),
    );
  }
  const github = config.github;
  if (github) {
    const attempt = options.githubLogin
      ? () => options.githubLogin!(github)
      : () => githubBotLogin(createTandemProbot(github, { log: options.logger }));
    lookups.push(
      lookUp(attempt, GITHUB_FAILURE).then((login) => {
        out.github = { ...github, botLogin: login };
        known('github', login);
      }),
    );
  }
  const results = await Promise.allSettled(lookups);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    throw failed.reason;
  }
  return out;
}

/** True for answers a later attempt may not get: no answer, rate limits, server errors. */
function transient(error: unknown): boolean {
  const status = statusOf(error);
  return status === 0 || status === 429 || status >= 500;
}

async function withRetries(
  attempt: () => Promise<string>,
  delays: readonly number[],
  log: Logger,
  forge: string,
): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!transient(error) || i >= delays.length) {
        throw error;
      }
      log.warn(
        { forge, err: error, retryInMs: delays[i] },
        'could not read the bot identity; retrying',
      );
      await new Promise((resolve) => setTimeout(resolve, delays[i]));
    }
  }
}

/** Where a failed lookup points the operator: the variable to check for each kind of failure. */
interface IdentityFailure {
  forge: 'Gitea' | 'GitHub';
  route: string;
  /** Variable named when the forge did not answer. */
  unreachable: string;
  /** Variable (and the credentials it stands for) named when the forge refused them. */
  refused: { path: string; what: string };
}

const GITEA_FAILURE: IdentityFailure = {
  forge: 'Gitea',
  route: 'GET /api/v1/user',
  unreachable: 'GITEA_URL',
  refused: { path: 'GITEA_TOKEN', what: 'the token' },
};

const GITHUB_FAILURE: IdentityFailure = {
  forge: 'GitHub',
  route: 'GET /app',
  unreachable: 'APP_ID',
  refused: { path: 'APP_ID', what: 'the App id and private key (APP_ID, PRIVATE_KEY)' },
};

function identityError(error: unknown, failure: IdentityFailure): ConfigError {
  const status = statusOf(error);
  const issue =
    status === 401 || status === 403
      ? {
          path: failure.refused.path,
          message: `${failure.forge} refused ${failure.refused.what} (${failure.route}: ${status})`,
        }
      : {
          path: failure.unreachable,
          message: `could not read the bot identity (${failure.route}): ${error instanceof Error ? error.message : String(error)}`,
        };
  return new ConfigError('environment', [issue], { cause: error });
}
